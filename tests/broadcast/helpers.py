"""Shared helpers for broadcast tests: subscribers, options, a service wired to the fake."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.broadcast.clock import SystemClock
from bot.broadcast.models import DeliveryRow
from bot.broadcast.options import BroadcastOptions
from bot.broadcast.quiet import QuietHours
from bot.broadcast.senders import Outcome, Pace, SendResult
from bot.broadcast.service import BroadcastService
from bot.broadcast.tipfile import TipEntry
from bot.channels.telegram.broadcast import TelegramSender
from bot.storage.models import SubscriptionRow, UserRow
from tests.fakes.bot_api_limits import BotApiLimits

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NO_QUIET = QuietHours(dt.time(0), dt.time(0), TZ)
FIRST_CHAT = 700_000


def options(rate: float = 200.0, **overrides: object) -> BroadcastOptions:
    """Fast, quiet-hours-free options (a test must not depend on the time of day)."""
    values: dict[str, object] = {
        "timezone": TZ,
        "rate": rate,
        "paid_broadcast": True,
        "max_in_flight": max(4, int(rate * 0.1)),
        "quiet": NO_QUIET,
        "poll_interval": 0.2,
        "lease_ttl": 5.0,
        "heartbeat": 0.5,
        "backoff_base": 0.05,
        "backoff_max": 0.2,
    }
    values.update(overrides)
    return BroadcastOptions(**values)  # type: ignore[arg-type]


async def add_subscribers(
    sessions: async_sessionmaker[AsyncSession],
    count: int,
    *,
    first: int = FIRST_CHAT,
    topics: Sequence[str] = ("tips",),
    channel: str = "telegram",
) -> list[str]:
    """Insert ``count`` consenting subscribers directly (fast); return their chat ids."""
    now = dt.datetime.now(dt.UTC)
    chats = [str(first + i) for i in range(count)]
    async with sessions.begin() as session:
        await session.execute(
            insert(UserRow),
            [
                {"channel": channel, "external_id": c, "first_seen": now, "last_seen": now}
                for c in chats
            ],
        )
        ids = dict(
            (
                await session.execute(
                    select(UserRow.external_id, UserRow.id).where(UserRow.external_id.in_(chats))
                )
            ).all()
        )
        await session.execute(
            insert(SubscriptionRow),
            [
                {
                    "user_pk": ids[c],
                    "channel": channel,
                    "user_id": c,
                    "chat_id": c,
                    "topics": list(topics),
                    "active": True,
                    "consent_at": now,
                }
                for c in chats
            ],
        )
    return chats


async def ledger(sessions: async_sessionmaker[AsyncSession], run_id: int) -> dict[str, str]:
    """chat id → status of every ledger row of a run."""
    async with sessions() as session:
        rows = await session.execute(
            select(DeliveryRow.chat_id, DeliveryRow.status).where(DeliveryRow.run_id == run_id)
        )
        return dict(rows.all())  # type: ignore[arg-type]


async def active_chats(sessions: async_sessionmaker[AsyncSession]) -> set[str]:
    async with sessions() as session:
        rows = await session.scalars(
            select(SubscriptionRow.chat_id).where(SubscriptionRow.active.is_(True))
        )
        return set(rows)


def sender_for(fake: BotApiLimits, opts: BroadcastOptions) -> TelegramSender:
    return TelegramSender(fake.token, fake.base_url, pool_size=opts.max_in_flight + 2)


async def service_for(
    sessions: async_sessionmaker[AsyncSession],
    fake: BotApiLimits,
    opts: BroadcastOptions,
    clock: object | None = None,
) -> BroadcastService:
    service = BroadcastService(
        sessions,
        opts,
        {"telegram": sender_for(fake, opts)},
        clock=clock or SystemClock(),  # type: ignore[arg-type]
    )
    await service.start()
    return service


def tips(count: int) -> list[TipEntry]:
    return [
        TipEntry(f"tip.{i:02d}", f"Mẹo số {i}", f"Nội dung mẹo số {i}: giữ bí mật mã OTP.")
        for i in range(count)
    ]


@dataclass
class ShiftedClock(SystemClock):
    """Real time shifted by an offset; ``sleep_until`` jumps instead of waiting (quiet hours)."""

    offset: dt.timedelta = dt.timedelta(0)

    def __post_init__(self) -> None:
        self.jumps: list[dt.datetime] = []

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def set(self, moment: dt.datetime) -> None:
        self.offset = moment - dt.datetime.now(dt.UTC)

    async def sleep_until(self, when: dt.datetime) -> None:
        self.jumps.append(when)
        if when > self.now():
            self.set(when)


@dataclass
class MemorySender:
    """An in-process channel: records what it sends; ``outcomes`` overrides per chat."""

    clock: object = None
    channel: str = "telegram"
    max_text: int = 4096
    pace: Pace | None = None  # the options' default pace

    def length(self, text: str) -> int:
        """As Telegram counts (the channel it stands for): UTF-16 code units."""
        return len(text.encode("utf-16-le")) // 2

    def __post_init__(self) -> None:
        self.sent: list[tuple[str, str, dt.datetime]] = []
        self.outcomes: dict[str, SendResult] = {}
        self.on_send: list[object] = []

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def send(self, chat_id: str, text: str) -> SendResult:
        now = self.clock.now() if self.clock is not None else dt.datetime.now(dt.UTC)  # type: ignore[attr-defined]
        result = self.outcomes.get(chat_id, SendResult(Outcome.SENT, message_id="1"))
        if result.outcome is Outcome.SENT:
            self.sent.append((chat_id, text, now))
        for hook in self.on_send:
            hook(self)  # type: ignore[operator]
        return result

    def texts_to(self, chat_id: str) -> list[str]:
        return [text for chat, text, _ in self.sent if chat == chat_id]


def memory_service(
    sessions: async_sessionmaker[AsyncSession],
    opts: BroadcastOptions | None = None,
    clock: SystemClock | None = None,
) -> tuple[BroadcastService, MemorySender]:
    clock = clock or ShiftedClock()
    sender = MemorySender(clock)
    service = BroadcastService(sessions, opts or options(), {"telegram": sender}, clock=clock)
    return service, sender
