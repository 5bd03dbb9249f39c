"""Delivery against a fake Bot API that enforces limits: rate, 429, 403, retries, counts.

Parametrized over SQLite and (with TEST_DATABASE_URL) PostgreSQL.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.broadcast.models import DeliveryRow
from tests.broadcast.conftest import Db
from tests.broadcast.helpers import (
    active_chats,
    add_subscribers,
    ledger,
    options,
    service_for,
)
from tests.fakes.bot_api_limits import BotApiLimits


async def test_run_respects_rate_and_delivers_each_once(db: Db, fake: BotApiLimits) -> None:
    chats = await add_subscribers(db.sessions, 300)
    fake.limit = 300  # a fast stand-in for Telegram's 30/s; the sender runs at 250/s
    service = await service_for(db.sessions, fake, options(rate=250.0))
    try:
        run_id = await service.create_announcement("Cổng dịch vụ công bảo trì tối nay.", "test")
        report = await service.deliver(run_id)
    finally:
        await service.close()
    assert fake.rate_limited == 0 and fake.chat_limited == 0
    assert fake.max_in_window(1.0) <= 300
    assert fake.duplicates() == {}
    assert set(fake.per_chat()) == set(chats)
    assert report.status == "finished"
    assert (report.sent, report.failed, report.blocked, report.pending, report.unknown) == (
        300,
        0,
        0,
        0,
        0,
    )
    assert "📢 Cổng dịch vụ công bảo trì tối nay." in fake.accepted[0].text
    assert "/unsubscribe" in fake.accepted[0].text


async def test_429_is_honoured_and_the_same_message_retried(db: Db, fake: BotApiLimits) -> None:
    chats = await add_subscribers(db.sessions, 120)
    # Flood control answers these requests with 429 whatever the machine's speed (a limit the
    # sender had to exceed was never reached on a loaded CI machine).
    fake.refuse = {3, 4, 60}
    service = await service_for(db.sessions, fake, options(rate=100.0))
    try:
        run_id = await service.create_announcement("Thông báo", "test")
        report = await service.deliver(run_id)
    finally:
        await service.close()
    assert fake.rate_limited == 3
    assert fake.duplicates() == {}
    assert set(fake.per_chat()) == set(chats)
    assert report.sent == 120 and report.failed == 0
    async with db.sessions() as session:
        limited = await session.scalars(
            select(DeliveryRow.rate_limited).where(DeliveryRow.rate_limited > 0)
        )
        assert sum(limited) == fake.rate_limited  # every 429 was retried on the same row


async def test_blocked_recipients_become_inactive_and_are_never_retried(
    db: Db, fake: BotApiLimits
) -> None:
    chats = await add_subscribers(db.sessions, 200)
    blocked = set(chats[::20])  # 5%
    fake.blocked = blocked
    service = await service_for(db.sessions, fake, options(rate=250.0))
    try:
        run_id = await service.create_announcement("Thông báo một", "test")
        report = await service.deliver(run_id)
        assert report.blocked == len(blocked) == 10
        assert report.sent == 190 and report.status == "finished"
        assert fake.forbidden == len(blocked)  # one request each, no retry
        assert await active_chats(db.sessions) == set(chats) - blocked
        # A later run does not even try them.
        second = await service.create_announcement("Thông báo hai", "test")
        report2 = await service.deliver(second)
    finally:
        await service.close()
    assert fake.forbidden == len(blocked)
    assert report2.total == 190 and report2.sent == 190
    statuses = await ledger(db.sessions, run_id)
    assert {c for c, s in statuses.items() if s == "blocked"} == blocked


async def test_server_errors_are_retried_then_failed(db: Db, fake: BotApiLimits) -> None:
    chats = await add_subscribers(db.sessions, 20)
    fake.flaky = {chats[0]: 2, chats[1]: 100}
    service = await service_for(db.sessions, fake, options(rate=250.0, max_attempts=4))
    try:
        run_id = await service.create_announcement("Thông báo", "test")
        report = await service.deliver(run_id)
    finally:
        await service.close()
    statuses = await ledger(db.sessions, run_id)
    assert statuses[chats[0]] == "sent"  # recovered after two 500s
    assert statuses[chats[1]] == "failed"  # gave up after four attempts
    assert fake.server_errors == 2 + 4
    assert (report.sent, report.failed, report.status) == (19, 1, "finished")


async def test_unsubscribed_before_their_turn_are_skipped(db: Db, fake: BotApiLimits) -> None:
    from bot.storage.people import SubscriptionRepository

    chats = await add_subscribers(db.sessions, 30)
    service = await service_for(db.sessions, fake, options(rate=250.0))
    try:
        run_id = await service.create_announcement("Thông báo", "test")
        await service.runs.start(run_id, service.clock.now(), [])
        subs = SubscriptionRepository(db.sessions)
        assert await subs.unsubscribe(channel="telegram", user_id=chats[-1])
        report = await service.deliver(run_id)
    finally:
        await service.close()
    assert chats[-1] not in fake.per_chat()
    assert (report.sent, report.skipped, report.status) == (29, 1, "finished")


async def test_two_workers_on_one_run_never_send_twice(db: Db, fake: BotApiLimits) -> None:
    chats = await add_subscribers(db.sessions, 300)
    engine2, sessions2 = await db.open_second()
    first = await service_for(db.sessions, fake, options(rate=200.0))
    second = await service_for(sessions2, fake, options(rate=200.0))
    fake.limit = 1000
    try:
        run_id = await first.create_announcement("Hai tiến trình", "test")
        await first.runs.start(run_id, first.clock.now(), [])
        # Workers straight on the ledger, bypassing the sender lease that would serialize them.
        from bot.broadcast.delivery import RunWorker

        def worker(service: object, name: str) -> RunWorker:
            svc = service  # type: ignore[assignment]
            return RunWorker(
                ledger=svc.ledger,  # type: ignore[attr-defined]
                run_id=run_id,
                sender=svc.senders["telegram"],  # type: ignore[attr-defined]
                pacer=svc._pacers["telegram"],  # type: ignore[attr-defined]
                render=lambda _row: "Hai tiến trình",
                options=svc.options,  # type: ignore[attr-defined]
                clock=svc.clock,  # type: ignore[attr-defined]
                worker_id=name,
            )

        a, b = worker(first, "worker-a"), worker(second, "worker-b")
        results = await asyncio.gather(a.run(), b.run())
    finally:
        await first.close()
        await second.close()
        await engine2.dispose()
    assert fake.duplicates() == {}
    assert set(fake.per_chat()) == set(chats)
    assert results[0].stats.sent + results[1].stats.sent == 300
    assert results[0].stats.sent > 0 and results[1].stats.sent > 0
    assert set((await ledger(db.sessions, run_id)).values()) == {"sent"}
