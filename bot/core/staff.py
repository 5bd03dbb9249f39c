"""What staff tools in a chat need (stats, inbox, promote/dismiss, reload, broadcasts), as values
and ports. The service behind them lives in bot.staff; channels only render.

Staff are named per channel, "telegram:123", "zalo:abc", "web:alice": an identity says where
the person is, so one list of staff serves every channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


def staff_identity(channel: str, user_id: str | int) -> str:
    return f"{channel}:{user_id}"


@dataclass(frozen=True, slots=True)
class PeriodStats:
    questions: int = 0
    answered: int = 0
    ambiguous: int = 0
    no_match: int = 0
    helpful: int = 0
    not_helpful: int = 0


@dataclass(frozen=True, slots=True)
class InboxView:
    id: int
    kind: str
    text: str
    count: int
    faq_id: str | None


@dataclass(frozen=True, slots=True)
class Reloaded:
    version: int
    entries: int


class StaffUnavailable(Exception):
    """The tool needs what this run does not have (storage, a broadcast channel)."""


class StaffBackend(Protocol):
    """What the staff tools need from storage (bot.staff.storage_backend is the real one)."""

    async def stats(self, days: int) -> PeriodStats: ...

    async def inbox(self, limit: int) -> tuple[int, Sequence[InboxView]]:
        """(open items in total, the top ``limit`` of them)."""

    async def promote(self, item_id: int, faq_id: str, actor: str) -> bool:
        """Add the item's wording to ``faq_id``; False when the item is gone."""

    async def dismiss(self, item_id: int, actor: str) -> bool: ...


class Announcer(Protocol):
    """What a broadcast from a chat needs from the broadcast service."""

    def preview(self, text: str) -> str:
        """Exactly what subscribers will read; raises ValueError with a reason."""

    async def create_announcement(self, text: str, by: str) -> int: ...

    def deliver_in_background(self, run_id: int) -> object: ...


class StaffDesk(Protocol):
    """The staff service as a channel sees it. ``actor`` is a staff identity."""

    def is_staff(self, actor: str) -> bool: ...

    async def stats(self, days: int) -> PeriodStats:
        """Raises StaffUnavailable without storage."""

    async def inbox(self, limit: int) -> tuple[int, Sequence[InboxView]]:
        """Raises StaffUnavailable without storage."""

    async def promote(self, actor: str, item_id: int, faq_id: str) -> bool:
        """Add the wording and make it live; False when the item is gone."""

    async def dismiss(self, actor: str, item_id: int) -> bool: ...

    async def reload(self) -> Reloaded: ...

    async def prepare_broadcast(self, actor: str, text: str) -> str:
        """Keep ``text`` until ``actor`` confirms; return the exact preview.
        Raises StaffUnavailable, or ValueError with a reason."""

    async def confirm_broadcast(self, actor: str) -> int | None:
        """Start the prepared announcement once (a second confirmation finds nothing: None)."""

    async def cancel_broadcast(self, actor: str) -> bool: ...
