"""The console channel: a real channel over stdin/stdout, used by `python -m bot chat`."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.core import texts
from bot.core.messages import Choice, IncomingMessage, MessageKind, Reply, action

CHANNEL = "console"
PROMPT = "Bạn: "
INTRO = (
    "Trợ lý dịch vụ công — chế độ trò chuyện trên màn hình. Gõ câu hỏi rồi nhấn Enter; "
    "gõ số để chọn một mục; Ctrl+D hoặc /thoat để thoát."
)


def render(reply: Reply) -> tuple[str, list[Choice]]:
    """Text plus numbered choices (buttons degrade to numbers the user types)."""
    choices = list(reply.choices)
    if reply.ask_feedback and reply.faq_id:
        choices += [
            Choice(texts.FEEDBACK_UP, action("fb", "1", reply.faq_id)),
            Choice(texts.FEEDBACK_DOWN, action("fb", "0", reply.faq_id)),
        ]
    lines = [reply.text]
    if choices:
        if reply.outcome.value == "answered" and reply.choices:
            lines.append(texts.RELATED)
        lines.extend(f"  {index}. {choice.label}" for index, choice in enumerate(choices, 1))
    hint = reply.extra.get("hint")
    if hint:
        lines.append(hint)
    return "\n".join(lines), choices


class ConsoleChannel:
    """Reads one message per line; a number picks one of the last reply's choices."""

    def __init__(
        self,
        handle: Callable[[IncomingMessage], Awaitable[Reply]],
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        user_id: str | None = None,
    ) -> None:
        self.handle = handle
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.user_id = user_id or _user_name()
        self.interactive = self.stdin.isatty()
        self._choices: list[Choice] = []

    def to_message(self, line: str) -> IncomingMessage:
        text = line.strip()
        if text.isdigit() and 1 <= int(text) <= len(self._choices):
            chosen = self._choices[int(text) - 1]
            return IncomingMessage(
                CHANNEL, self.user_id, self.user_id, kind=MessageKind.ACTION, action=chosen.action
            )
        return IncomingMessage(CHANNEL, self.user_id, self.user_id, text=line)

    async def run(self) -> int:
        if self.interactive:
            self.stdout.write(INTRO + "\n\n")
        while True:
            if self.interactive:
                self.stdout.write(PROMPT)
                self.stdout.flush()
            line = await asyncio.to_thread(self.stdin.readline)
            if not line:
                break
            line = line.rstrip("\r\n")
            if self.interactive and line.strip() in ("/thoat", "/quit", "/exit"):
                break
            reply = await self.handle(self.to_message(line))
            text, self._choices = render(reply)
            self.stdout.write(text + "\n\n")
            self.stdout.flush()
        return 0


def _user_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "console"
