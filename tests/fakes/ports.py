"""In-memory stand-ins for the storage ports and the staff backend, recording every call."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from bot.core.assistant import Ports
from bot.core.ports import Inbound, LoggedExchange, Resumed, StorageUnavailable, Tip
from bot.core.staff import InboxView, PeriodStats


@dataclass
class MemoryPorts:
    exchanges: list[LoggedExchange] = field(default_factory=list)
    feedback: list[dict[str, object]] = field(default_factory=list)
    subscribers: dict[tuple[str, str], str] = field(default_factory=dict)
    inactive: set[tuple[str, str]] = field(default_factory=set)
    seen: set[tuple[str, str]] = field(default_factory=set)
    tips: list[Tip] = field(default_factory=list)
    fail_logging: bool = False  # simulate a database outage while logging

    async def record(self, exchange: LoggedExchange) -> None:
        if self.fail_logging:
            raise RuntimeError("database down")
        self.exchanges.append(exchange)

    async def record_feedback(self, **kwargs: object) -> None:
        self.feedback.append(kwargs)

    async def subscribe(
        self, *, channel: str, user_id: str, chat_id: str, topics: Sequence[str] = ("tips",)
    ) -> bool:
        if (channel, user_id) in self.subscribers:
            return False
        self.subscribers[(channel, user_id)] = chat_id
        return True

    async def unsubscribe(self, *, channel: str, user_id: str) -> bool:
        return self.subscribers.pop((channel, user_id), None) is not None

    async def is_subscribed(self, *, channel: str, user_id: str) -> bool:
        return (channel, user_id) in self.subscribers

    async def touch(self, *, channel: str, user_id: str, display_name: str | None) -> bool:
        new = (channel, user_id) not in self.seen
        self.seen.add((channel, user_id))
        return new

    async def latest_tip(self) -> Tip | None:
        return self.tips[-1] if self.tips else None

    async def erase_user(self, *, channel: str, user_id: str) -> dict[str, int]:
        key = (channel, user_id)
        mine = [e for e in self.exchanges if (e.message.channel, e.message.user_id) == key]
        theirs = [f for f in self.feedback if (f["channel"], f["user_id"]) == key]
        self.exchanges = [e for e in self.exchanges if e not in mine]
        self.feedback = [f for f in self.feedback if f not in theirs]
        subscribed = self.subscribers.pop(key, None) is not None
        seen = key in self.seen
        self.seen.discard(key)
        return {
            "conversations": len(mine),
            "feedback": len(theirs),
            "subscriptions": int(subscribed),
            "users": int(seen),
        }

    def as_ports(self) -> Ports:
        return Ports(
            log=self, feedback=self, subscriptions=self, users=self, tips=self, eraser=self
        )


@dataclass
class MemoryStaffBackend:
    """The staff backend the Telegram admin commands use, without a database."""

    items: list[InboxView] = field(default_factory=list)
    promoted: list[tuple[int, str, str]] = field(default_factory=list)
    dismissed: list[tuple[int, str]] = field(default_factory=list)
    periods: dict[int, PeriodStats] = field(default_factory=dict)

    async def stats(self, days: int) -> PeriodStats:
        return self.periods.get(days, PeriodStats())

    async def inbox(self, limit: int) -> tuple[int, Sequence[InboxView]]:
        return len(self.items), self.items[:limit]

    async def promote(self, item_id: int, faq_id: str, actor: str) -> bool:
        if not any(item.id == item_id for item in self.items):
            return False
        self.items = [item for item in self.items if item.id != item_id]
        self.promoted.append((item_id, faq_id, actor))
        return True

    async def dismiss(self, item_id: int, actor: str) -> bool:
        if not any(item.id == item_id for item in self.items):
            return False
        self.items = [item for item in self.items if item.id != item_id]
        self.dismissed.append((item_id, actor))
        return True


@dataclass
class MemoryJournal:
    """bot.core.ports.InboundJournal in memory; ``down`` simulates a database outage."""

    rows: dict[tuple[str, str], list[object]] = field(default_factory=dict)  # [state, payload]
    order: list[tuple[str, str]] = field(default_factory=list)
    chats: dict[tuple[str, str], str | None] = field(default_factory=dict)
    down: bool = False
    calls: list[str] = field(default_factory=list)
    # Rows received or claimed too recently for ``resume(older_than=…)`` to take (another
    # process's, or being answered).
    fresh: set[tuple[str, str]] = field(default_factory=set)
    resumed: asyncio.Event = field(default_factory=asyncio.Event)  # set at each resume

    def _check(self, call: str) -> None:
        self.calls.append(call)
        if self.down:
            raise StorageUnavailable("database is locked")

    def state(self, key: str, channel: str = "test") -> object:
        return self.rows[(channel, key)][0]

    async def record(self, channel: str, items: Sequence[Inbound]) -> set[str]:
        self._check("record")
        new = set()
        for item in items:
            if (channel, item.key) not in self.rows:
                self.rows[(channel, item.key)] = ["pending", item.payload]
                self.order.append((channel, item.key))
                self.chats[(channel, item.key)] = item.chat
                new.add(item.key)
        return new

    async def claim(self, channel: str, key: str) -> bool:
        self._check("claim")
        row = self.rows.get((channel, key))
        if row is None or row[0] != "pending":
            return False
        row[0] = "answering"
        self.fresh.add((channel, key))  # claimed just now: not abandoned
        return True

    async def finish(self, channel: str, key: str, state: str) -> None:
        self._check("finish")
        row = self.rows.get((channel, key))
        if row is not None and row[0] in ("pending", "answering"):
            row[:] = [state, None]

    async def resume(
        self,
        channel: str,
        older_than: float = 0.0,
        *,
        sweep_claimed: bool = True,
        in_hand: Collection[str] = (),
    ) -> Resumed:
        self._check("resume")
        self.resumed.set()
        unknown = 0
        chats: list[str] = []
        pending = []
        for key in self.order:
            row = self.rows[key]
            if key[0] != channel or (older_than > 0 and key in self.fresh):
                continue
            if row[0] == "answering" and sweep_claimed and key[1] not in in_hand:
                row[:] = ["unknown", None]
                unknown += 1
                if self.chats[key] not in chats:
                    chats.append(self.chats[key])
            elif row[0] == "pending":
                payload = row[1]
                assert isinstance(payload, dict)
                pending.append(Inbound(key[1], self.chats[key], payload))
        return Resumed(pending, unknown, chats)

    async def ping(self) -> None:
        self._check("ping")


class FakeAnnouncer:
    """Stands in for the broadcast service: records runs instead of sending."""

    def __init__(self) -> None:
        self.created: list[tuple[str, str]] = []
        self.delivering: list[int] = []

    def preview(self, text: str) -> str:
        if len(text) > 100:
            raise ValueError("quá dài")
        return f"📢 {text}"

    async def create_announcement(self, text: str, by: str) -> int:
        self.created.append((text, by))
        return len(self.created)

    def deliver_in_background(self, run_id: int) -> object:
        self.delivering.append(run_id)
        return None
