"""What delivery needs from a channel: send one text to one chat and classify the result.

Delivery never sees an SDK exception. A channel maps its own errors onto ``Outcome`` so the
ledger logic is the same for Telegram, Zalo or anything later.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class Outcome(enum.Enum):
    SENT = "sent"
    # The platform refused for flood control; nothing was delivered; retry after a pause.
    RATE_LIMITED = "rate_limited"
    # The recipient blocked the bot or deleted the account: never retry, deactivate.
    BLOCKED = "blocked"
    # Definitely not delivered and retrying will not help (bad request, chat not found).
    REJECTED = "rejected"
    # Definitely not delivered (connection refused, 5xx, pool timeout): retry with backoff.
    TRANSIENT = "transient"
    # The request may have been delivered (read timeout, connection dropped): do not resend.
    AMBIGUOUS = "ambiguous"
    # The bot itself is unusable (token revoked): stop the whole run, mark nothing.
    FATAL = "fatal"


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    retry_after: float = 0.0
    detail: str = ""
    message_id: str | None = None


class Sender(Protocol):
    """One channel's broadcast sender (its own HTTP pool, separate from live answers)."""

    channel: str
    max_text: int

    async def start(self) -> None:
        """Open connections and check credentials; raise ChannelError when unusable."""

    async def send(self, chat_id: str, text: str) -> SendResult: ...

    async def close(self) -> None: ...


class ChannelError(RuntimeError):
    """A channel cannot be used at all (missing or refused credentials)."""


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji counts twice)."""
    return len(text.encode("utf-16-le")) // 2


TELEGRAM_MAX_TEXT = 4096
ZALO_MAX_TEXT = 2000
