"""What delivery needs from a channel: send one text to one chat and classify the result.

Each channel package supplies its sender (text limit, how it counts length, its pace, its
error mapping); delivery never sees an SDK exception nor a channel's name: a channel maps its
own errors onto ``Outcome`` so the ledger logic is the same for every channel.
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


@dataclass(frozen=True, slots=True)
class Pace:
    """How fast one channel may send: ``rate`` per second on average, ``burst`` at once, one
    message per chat every ``per_chat_interval`` seconds, ``max_in_flight`` requests open."""

    rate: float
    burst: float = 1.0
    per_chat_interval: float = 1.0
    max_in_flight: int = 10


class Sender(Protocol):
    """One channel's broadcast sender (its own HTTP pool, separate from live answers).

    ``pace`` None means the broadcast options' default pace.
    """

    channel: str
    max_text: int
    pace: Pace | None

    def length(self, text: str) -> int:
        """The text's length as the channel counts it against ``max_text``."""

    async def start(self) -> None:
        """Open connections and check credentials; raise ChannelError when unusable."""

    async def send(self, chat_id: str, text: str) -> SendResult: ...

    async def close(self) -> None: ...


class ChannelError(RuntimeError):
    """A channel cannot be used at all (missing or refused credentials)."""
