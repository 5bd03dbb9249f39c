"""Protocols the core needs from storage; storage implements them, tests may fake them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
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


class StorageUnavailable(Exception):
    """The database cannot be written right now (locked, down, read-only); retry later.

    Storage raises it instead of its driver's errors, so callers in the core can tell an outage
    (keep the write, answer anyway) from a bad row (drop it).
    """


@dataclass(frozen=True, slots=True)
class Inbound:
    """One update a channel received, as it must be kept to answer it after a restart.

    ``key`` is the channel's delivery id (Telegram's update_id); ``chat`` orders updates: those
    of one chat are answered one after another. ``payload`` is the update as received (JSON);
    ``native`` the channel's parsed object when it already has one (never stored).
    """

    key: str
    chat: str | None
    payload: dict[str, object]
    native: object = None


@dataclass(frozen=True, slots=True)
class Resumed:
    """What a restart finds in the journal: updates to answer, and how many it must not."""

    pending: Sequence[Inbound]
    unknown: int  # caught between "answering" and "answered": possibly sent, never resent
    # The chats of those rows: told once that they may need to ask again.
    unknown_chats: Sequence[str] = ()


class InboundJournal(Protocol):
    """Durable record of received updates: recorded → answering → answered, each at most once."""

    async def record(self, channel: str, items: Sequence[Inbound]) -> set[str]:
        """Store the items in one transaction; return the keys that were new (others are
        duplicates of an earlier delivery). Durable when it returns."""

    async def claim(self, channel: str, key: str) -> bool:
        """Mark a recorded update "answering" before its answer leaves; False when it was not
        waiting any more (answered or claimed before). Durable when it returns."""

    async def finish(self, channel: str, key: str, state: str) -> None:
        """Close an update ("answered" or "failed") and forget its payload."""

    async def resume(
        self,
        channel: str,
        older_than: float = 0.0,
        *,
        sweep_claimed: bool = True,
        in_hand: Collection[str] = (),
    ) -> Resumed:
        """Updates recorded and not yet answered, oldest first; "answering" ones become
        "unknown" (they may have been sent: never send them again). With ``older_than``
        (seconds) only rows received (and, for "answering" ones, claimed) that long ago: those
        other live processes may still be answering are left to them (several web processes
        take one channel's webhooks), those a dead process left are closed. ``in_hand``: keys
        the calling process is answering right now, never swept. ``sweep_claimed=False``
        leaves "answering" rows as they are."""

    async def ping(self) -> None:
        """Succeed only when a write transaction can be taken now."""


class ChatState(Protocol):
    """Small per-chat values that must outlive a restart and be seen by every process serving
    the channel (the numbered choices a citizen may answer with a digit, …). Values expire."""

    async def put(
        self, channel: str, chat_id: str, name: str, value: str, ttl_seconds: float
    ) -> None:
        """Store ``value`` (replacing the previous one) until ``ttl_seconds`` from now."""

    async def get(self, channel: str, chat_id: str, name: str) -> str | None:
        """The value, or None when there is none or it expired."""

    async def delete(self, channel: str, chat_id: str, name: str) -> None: ...

    async def pop(self, channel: str, chat_id: str, name: str) -> str | None:
        """Take the value away in one step: of two concurrent pops, one gets it."""


class FloodVerdict(Enum):
    ALLOW = "allow"
    NOTIFY = "notify"  # the first message over the limit: send one polite notice
    IGNORE = "ignore"  # further messages until the window has passed


class FloodWindows(Protocol):
    """Per-user message windows seen by every process taking one messenger's updates (a
    standby after a takeover, web processes sharing its webhooks)."""

    async def check(self, key: str) -> FloodVerdict:
        """Count one message from ``key`` (channel and user); whether to answer it."""

    async def count(self, messages: Mapping[str, int]) -> dict[str, FloodVerdict]:
        """Count several users' messages at once (key → how many since the last count):
        each key's verdict after all of its messages (NOTIFY when they crossed the limit)."""
