"""Quiet hours pause a run until 07:00; tip rotation gives each subscriber their next tip."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select

from bot.broadcast.models import BroadcastRunRow, DeliveryRow, TipDeliveryRow
from bot.broadcast.quiet import QuietHours
from bot.broadcast.service import BroadcastInputError
from bot.broadcast.tips_store import TipRepository
from tests.broadcast.conftest import Db
from tests.broadcast.helpers import (
    TZ,
    MemorySender,
    ShiftedClock,
    add_subscribers,
    memory_service,
    options,
    tips,
)

QUIET = QuietHours(dt.time(21), dt.time(7), TZ)


async def test_a_run_started_in_quiet_hours_waits_until_seven(db: Db) -> None:
    chats = await add_subscribers(db.sessions, 20)
    clock = ShiftedClock()
    clock.set(dt.datetime(2026, 12, 1, 22, 30, tzinfo=TZ))
    service, sender = memory_service(db.sessions, options(quiet=QUIET), clock)
    statuses: list[str] = []
    real_sleep_until = clock.sleep_until

    async def sleep_until(when: dt.datetime) -> None:
        run = await service.runs.get(run_id)
        statuses.append(run.status if run else "?")
        await real_sleep_until(when)

    clock.sleep_until = sleep_until  # type: ignore[method-assign]
    try:
        run_id = await service.create_announcement("Thông báo buổi tối", "test")
        report = await service.deliver(run_id)
    finally:
        await service.close()
    seven = dt.datetime(2026, 12, 2, 7, 0, tzinfo=TZ)
    assert clock.jumps == [seven]
    assert statuses == ["paused"]
    assert len(sender.sent) == 20 and {c for c, _, _ in sender.sent} == set(chats)
    assert all(at >= seven for _, _, at in sender.sent)
    assert report.status == "finished" and report.sent == 20


async def test_a_run_reaching_quiet_hours_pauses_and_continues(db: Db) -> None:
    await add_subscribers(db.sessions, 60)
    clock = ShiftedClock()
    clock.set(dt.datetime(2026, 12, 1, 20, 59, 50, tzinfo=TZ))
    service, sender = memory_service(db.sessions, options(rate=100.0, quiet=QUIET), clock)

    def nine_pm_after_ten(s: MemorySender) -> None:
        if len(s.sent) == 10:
            clock.set(dt.datetime(2026, 12, 1, 21, 0, 1, tzinfo=TZ))

    sender.on_send.append(nine_pm_after_ten)
    try:
        run_id = await service.create_announcement("Thông báo", "test")
        report = await service.deliver(run_id)
    finally:
        await service.close()
    nine = dt.datetime(2026, 12, 1, 21, 0, tzinfo=TZ)
    seven = dt.datetime(2026, 12, 2, 7, 0, tzinfo=TZ)
    early = {chat for chat, _, at in sender.sent if at < seven}
    # Requests already claimed at 21:00 complete; nothing new is claimed until 07:00.
    assert 10 <= len(early) <= 10 + options(rate=100.0).max_in_flight
    async with db.sessions() as session:
        claimed = dict(
            (
                await session.execute(
                    select(DeliveryRow.chat_id, DeliveryRow.sending_at).where(
                        DeliveryRow.run_id == run_id
                    )
                )
            ).all()
        )
    assert all(claimed[chat] < nine for chat in early)
    assert all(claimed[chat] >= seven for chat in claimed.keys() - early)
    assert clock.jumps == [seven]
    assert report.sent == 60 and report.status == "finished"


async def seed_tips(db: Db, count: int) -> TipRepository:
    repo = TipRepository(db.sessions)
    await repo.import_tips(tips(count))
    return repo


async def test_each_subscriber_gets_the_next_tip_they_have_not_had(db: Db) -> None:
    a, b, c = await add_subscribers(db.sessions, 3)
    await seed_tips(db, 4)
    now = dt.datetime.now(dt.UTC)
    async with db.sessions.begin() as session:
        await session.execute(
            insert(TipDeliveryRow),
            [
                {"channel": "telegram", "user_id": a, "tip_id": "tip.00", "delivered_at": now},
                {"channel": "telegram", "user_id": a, "tip_id": "tip.01", "delivered_at": now},
                {"channel": "telegram", "user_id": b, "tip_id": "tip.00", "delivered_at": now},
            ],
        )
    service, sender = memory_service(db.sessions)
    try:
        for _ in range(3):
            await service.deliver(await service.create_tip_run("test"))
    finally:
        await service.close()
    titles = {chat: [t.splitlines()[0] for t in sender.texts_to(chat)] for chat in (a, b, c)}
    assert titles[a] == ["💡 Mẹo số 2", "💡 Mẹo số 3", "💡 Mẹo số 0"]  # then the oldest again
    assert titles[b] == ["💡 Mẹo số 1", "💡 Mẹo số 2", "💡 Mẹo số 3"]
    assert titles[c] == ["💡 Mẹo số 0", "💡 Mẹo số 1", "💡 Mẹo số 2"]


async def test_a_named_tip_goes_to_everyone_and_counts_for_rotation(db: Db) -> None:
    a, b = await add_subscribers(db.sessions, 2)
    await seed_tips(db, 3)
    service, sender = memory_service(db.sessions)
    try:
        await service.deliver(await service.create_tip_run("test", "tip.00"))
        await service.deliver(await service.create_tip_run("test"))
        with pytest.raises(BroadcastInputError, match=r"tip\.99"):
            await service.create_tip_run("test", "tip.99")
    finally:
        await service.close()
    for chat in (a, b):
        assert [t.splitlines()[0] for t in sender.texts_to(chat)] == ["💡 Mẹo số 0", "💡 Mẹo số 1"]
    assert "/unsubscribe" in sender.sent[0][1]


async def test_tip_runs_reach_tip_subscribers_and_announcements_everyone(db: Db) -> None:
    tip_fans = await add_subscribers(db.sessions, 2, topics=("tips",))
    others = await add_subscribers(db.sessions, 2, first=900_000, topics=("announcements",))
    await seed_tips(db, 2)
    service, sender = memory_service(db.sessions)
    try:
        await service.deliver(await service.create_tip_run("test"))
        assert {c for c, _, _ in sender.sent} == set(tip_fans)
        await service.deliver(await service.create_announcement("Thông báo", "test"))
    finally:
        await service.close()
    assert {c for c, text, _ in sender.sent if "Thông báo" in text} == set(tip_fans + others)


async def test_bad_announcements_are_refused_with_reasons(db: Db) -> None:
    await add_subscribers(db.sessions, 1)
    service, sender = memory_service(db.sessions)
    try:
        with pytest.raises(BroadcastInputError, match="trống"):
            await service.create_announcement("   \n ", "test")
        with pytest.raises(BroadcastInputError, match="vượt giới hạn"):
            await service.create_announcement("a" * 4096, "test")
        with pytest.raises(BroadcastInputError, match="vượt giới hạn"):
            await service.create_announcement("😀" * 2040, "test")  # 4,080 UTF-16 units
        past = service.clock.now() - dt.timedelta(minutes=1)
        with pytest.raises(BroadcastInputError, match="đã qua"):
            await service.create_announcement("Thông báo", "test", past)
        longest = "a" * (
            4096 - len("📢 ") - 2 - len("\n\nKhông muốn nhận tin nữa? Gõ /unsubscribe.")
        )
        run_id = await service.create_announcement(longest, "test")
        await service.deliver(run_id)
    finally:
        await service.close()
    assert len(sender.sent[0][1].encode("utf-16-le")) // 2 <= 4096
    async with db.sessions() as session:
        assert await session.get(BroadcastRunRow, run_id) is not None
