"""The console channel: a real channel over stdin/stdout, used by `python -m bot chat`."""

from __future__ import annotations

import asyncio
import getpass
import sys
from typing import TextIO

from bot.channels.base import Handle
from bot.channels.text_choices import TextChoices
from bot.core.chat_state import MemoryChatState
from bot.core.messages import IncomingMessage
from bot.core.ports import ChatState

CHANNEL = "console"
PROMPT = "Bạn: "
INTRO = (
    "Trợ lý dịch vụ công — chế độ trò chuyện trên màn hình. Gõ câu hỏi rồi nhấn Enter; "
    "gõ số để chọn một mục; Ctrl+D hoặc /thoat để thoát."
)


class ConsoleChannel:
    """Reads one message per line; a number picks one of the last reply's choices."""

    def __init__(
        self,
        handle: Handle,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        user_id: str | None = None,
        state: ChatState | None = None,
    ) -> None:
        self.handle = handle
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.user_id = user_id or _user_name()
        self.interactive = self.stdin.isatty()
        self.choices = TextChoices(CHANNEL, state if state is not None else MemoryChatState())

    async def to_message(self, line: str) -> IncomingMessage:
        return await self.choices.incoming(self.user_id, self.user_id, line)

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
            reply = await self.handle(await self.to_message(line))
            text = await self.choices.render(self.user_id, reply)
            self.stdout.write(text + "\n\n")
            self.stdout.flush()
        return 0


def _user_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "console"
