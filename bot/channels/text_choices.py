"""Buttons as numbered lines, for channels that show only text (console, SMS-like chats).

The reply's choices (👍 / 👎 included) become "1. …" lines; the citizen answers with the number
(or with 👍 / 👎 themselves) and :meth:`TextChoices.incoming` turns that back into the choice's
action. What each number means is kept per chat in a :class:`~bot.core.ports.ChatState`: the
database when the bot has one (so a restart or another process serving the same channel still
understands "2"), this process's memory otherwise. It expires, and only the last reply counts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from bot.core import texts
from bot.core.messages import FEEDBACK_VERB, Choice, IncomingMessage, MessageKind, Outcome, Reply
from bot.core.ports import ChatState

log = logging.getLogger(__name__)

STATE_NAME = "choices"
DEFAULT_TTL_SECONDS = 6 * 3600.0  # a citizen may answer "2" after lunch, not next week
MAX_CHOICES = 50  # longer lists are cut: nobody reads past that on a phone
THUMBS = {"👍": "1", "👎": "0"}


def numbered(reply: Reply, choices: Sequence[Choice] | None = None) -> str:
    """The reply's text, one numbered line per choice, then its hint."""
    shown = list(reply.choices[:MAX_CHOICES] if choices is None else choices)
    lines = [reply.text]
    if shown:
        if reply.outcome is Outcome.ANSWERED and reply.topic_choices:
            lines.append(texts.RELATED)
        lines.extend(f"  {index}. {choice.label}" for index, choice in enumerate(shown, 1))
    if reply.hint:
        lines.append(reply.hint)
    return "\n".join(lines)


def resolve(text: str, actions: Sequence[str]) -> str | None:
    """The action a typed answer picks among ``actions`` (numbered from 1), or None."""
    typed = text.strip().rstrip(".)")
    if typed.isdigit() and typed.isascii():
        index = int(typed)
        return actions[index - 1] if 1 <= index <= len(actions) else None
    thumb = THUMBS.get(text.strip().replace("\ufe0f", ""))
    if thumb is not None:
        for value in actions:
            verb, _, rest = value.partition(":")
            if verb == FEEDBACK_VERB and rest.startswith(thumb + ":"):
                return value
    return None


class TextChoices:
    """Numbered choices for one channel, remembered per chat in ``state``."""

    def __init__(
        self, channel: str, state: ChatState, *, ttl_seconds: float = DEFAULT_TTL_SECONDS
    ) -> None:
        self.channel = channel
        self.state = state
        self.ttl = ttl_seconds

    async def render(self, chat_id: str, reply: Reply) -> str:
        """The reply as text; its choices become what this chat's next number means."""
        choices = reply.choices[:MAX_CHOICES]
        try:
            if choices:
                value = json.dumps([c.action for c in choices], separators=(",", ":"))
                await self.state.put(self.channel, chat_id, STATE_NAME, value, self.ttl)
            else:
                await self.state.delete(self.channel, chat_id, STATE_NAME)
        except Exception:
            # The answer matters more: the citizen can still type the question.
            log.warning("choices of a %s chat not remembered", self.channel, exc_info=True)
        return numbered(reply, choices)

    async def actions(self, chat_id: str) -> list[str]:
        """The actions this chat's numbers stand for now (empty when none or expired)."""
        try:
            raw = await self.state.get(self.channel, chat_id, STATE_NAME)
        except Exception:
            log.warning("choices of a %s chat not readable", self.channel, exc_info=True)
            return []
        if raw is None:
            return []
        try:
            value = json.loads(raw)
        except ValueError:
            return []
        if not isinstance(value, list):
            return []
        return [item for item in value if isinstance(item, str)]

    async def incoming(
        self,
        user_id: str,
        chat_id: str,
        text: str,
        *,
        display_name: str | None = None,
    ) -> IncomingMessage:
        """A typed line as the core reads it: a picked choice's action, or the text itself."""
        chosen = resolve(text, await self.actions(chat_id)) if _may_pick(text) else None
        if chosen is not None:
            return IncomingMessage(
                self.channel,
                user_id,
                chat_id,
                kind=MessageKind.ACTION,
                action=chosen,
                display_name=display_name,
            )
        return IncomingMessage(self.channel, user_id, chat_id, text=text, display_name=display_name)


def _may_pick(text: str) -> bool:
    """Only short answers can be a pick: skip the database for every ordinary question."""
    return 0 < len(text.strip()) <= 4
