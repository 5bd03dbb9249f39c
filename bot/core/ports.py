"""Protocols the core needs from storage; storage implements them, tests may fake them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.core.messages import IncomingMessage, Reply


@dataclass(frozen=True, slots=True)
class LoggedExchange:
    """What is stored about one citizen message.

    ``redacted_text`` and ``reply.normalized`` are both derived from the redacted text (the
    assistant matches the redacted text), so neither may hold personal data.
    """

    message: IncomingMessage
    reply: Reply
    redacted_text: str


class ConversationLog(Protocol):
    async def record(self, exchange: LoggedExchange) -> None:
        """Store one exchange (and feed the inbox when it was not answered)."""


class FeedbackStore(Protocol):
    async def record_feedback(
        self,
        *,
        channel: str,
        user_id: str,
        faq_id: str,
        helpful: bool,
        comment: str | None = None,
        question: str | None = None,
    ) -> None:
        """Store a 👍 / 👎 (a 👎 also enters the inbox); comment and question are redacted."""


class SubscriptionStore(Protocol):
    async def subscribe(
        self, *, channel: str, user_id: str, chat_id: str, topics: Sequence[str] = ("tips",)
    ) -> bool:
        """Record consent; return False when already subscribed."""

    async def unsubscribe(self, *, channel: str, user_id: str) -> bool:
        """Withdraw consent; return False when there was nothing to withdraw."""

    async def is_subscribed(self, *, channel: str, user_id: str) -> bool: ...


class UserDirectory(Protocol):
    async def touch(self, *, channel: str, user_id: str, display_name: str | None) -> bool:
        """Record that a user was seen; return True the first time."""


@dataclass(frozen=True, slots=True)
class Tip:
    id: str
    title: str
    body: str
    link: str | None = None
    faq_id: str | None = None


class TipSource(Protocol):
    async def latest_tip(self) -> Tip | None: ...


class PersonalDataEraser(Protocol):
    async def erase_user(self, *, channel: str, user_id: str) -> dict[str, int]:
        """Delete everything stored about one user of one channel; rows deleted per kind."""
