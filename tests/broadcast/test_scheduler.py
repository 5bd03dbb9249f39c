"""Scheduling with a fake clock: misfires after restarts, one leader, database outages."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.broadcast.models import BroadcastRunRow, ScheduleRow
from bot.broadcast.options import BroadcastConfigError
from bot.broadcast.scheduler import (
    JOB_PURGE,
    JOB_TICK,
    JOB_TIPS,
    TIPS_SCHEDULE,
    BroadcastScheduler,
)
from tests.broadcast.conftest import Db
from tests.broadcast.helpers import TZ, ShiftedClock, memory_service, options

TUESDAY_0800 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=TZ)


async def tip_runs(db: Db) -> list[tuple[str | None, dt.datetime | None]]:
    async with db.sessions() as session:
        rows = await session.execute(
            select(BroadcastRunRow.schedule_id, BroadcastRunRow.slot).where(
                BroadcastRunRow.kind == "tip"
            )
        )
        return list(rows.all())  # type: ignore[arg-type]


def scheduler_at(db: Db, moment: dt.datetime, **opts: object) -> BroadcastScheduler:
    clock = ShiftedClock()
    clock.set(moment)
    service, _ = memory_service(db.sessions, options(**opts), clock)
    return BroadcastScheduler(service)


async def test_restart_at_0805_sends_the_0800_slot_once(db: Db) -> None:
    first = scheduler_at(db, TUESDAY_0800 + dt.timedelta(minutes=5))
    assert await first.catch_up() is not None
    assert await first.catch_up() is None  # the next tick
    await first.service.close()
    restarted = scheduler_at(db, TUESDAY_0800 + dt.timedelta(minutes=7))
    assert await restarted.catch_up() is None
    await restarted.service.close()
    assert await tip_runs(db) == [("tips", TUESDAY_0800.astimezone(dt.UTC))]


async def test_restart_next_day_does_not_send_yesterday_again(db: Db) -> None:
    sched = scheduler_at(db, TUESDAY_0800 + dt.timedelta(minutes=1))
    await sched.catch_up()
    await sched.service.close()
    next_day = scheduler_at(db, TUESDAY_0800 + dt.timedelta(days=1, minutes=5))
    assert await next_day.catch_up() is None
    await next_day.service.close()
    assert len(await tip_runs(db)) == 1


async def test_a_slot_missed_by_more_than_the_grace_is_reported_not_sent_late(
    db: Db, caplog: pytest.LogCaptureFixture
) -> None:
    sched = scheduler_at(db, TUESDAY_0800 + dt.timedelta(days=1, minutes=5))
    with caplog.at_level(logging.WARNING, logger="bot.broadcast.scheduler"):
        assert await sched.catch_up() is None
        assert await sched.catch_up() is None
    await sched.service.close()
    assert await tip_runs(db) == []
    assert caplog.text.count("2026-12-01 08:00 đã bị lỡ") == 1


async def test_daily_schedule_restart_next_day_sends_only_todays_slot(db: Db) -> None:
    sched = scheduler_at(db, TUESDAY_0800 + dt.timedelta(minutes=5), tip_cron="0 8 * * *")
    await sched.catch_up()
    await sched.service.close()
    later = scheduler_at(db, TUESDAY_0800 + dt.timedelta(days=1, minutes=5), tip_cron="0 8 * * *")
    await later.catch_up()
    await later.catch_up()
    await later.service.close()
    slots = sorted(slot for _, slot in await tip_runs(db) if slot is not None)
    assert slots == [
        TUESDAY_0800.astimezone(dt.UTC),
        (TUESDAY_0800 + dt.timedelta(days=1)).astimezone(dt.UTC),
    ]


async def test_two_processes_create_one_run_per_slot(db: Db) -> None:
    engine2, sessions2 = await db.open_second()
    moment = TUESDAY_0800 + dt.timedelta(seconds=3)
    a = scheduler_at(db, moment)
    clock = ShiftedClock()
    clock.set(moment)
    service_b, _ = memory_service(sessions2, options(), clock)
    b = BroadcastScheduler(service_b)
    try:
        import asyncio

        created = await asyncio.gather(a.catch_up(), b.catch_up(), a.catch_up(), b.catch_up())
    finally:
        await a.service.close()
        await b.service.close()
        await engine2.dispose()
    assert sum(r is not None for r in created) == 1
    assert len(await tip_runs(db)) == 1


async def test_only_the_leader_acts(db: Db) -> None:
    engine2, sessions2 = await db.open_second()
    moment = TUESDAY_0800 + dt.timedelta(seconds=3)
    a = scheduler_at(db, moment)
    clock = ShiftedClock()
    clock.set(moment)
    service_b, _ = memory_service(sessions2, options(), clock)
    b = BroadcastScheduler(service_b)
    try:
        await b.tick()
        await a.tick()
        assert b.is_leader and not a.is_leader
        await b.stop()  # releases the lease
        await a.tick()
        assert a.is_leader
    finally:
        await a.stop()
        await engine2.dispose()
    assert len(await tip_runs(db)) == 1


async def test_database_down_at_the_scheduled_moment(
    db: Db, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    sched = scheduler_at(db, TUESDAY_0800 + dt.timedelta(seconds=1))
    runs = sched.service.runs
    real_create = runs.create
    failures = {"left": 2}

    async def flaky_create(new: object) -> int | None:
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("INSERT", {}, ConnectionRefusedError("database is down"))
        return await real_create(new)  # type: ignore[arg-type]

    monkeypatch.setattr(runs, "create", flaky_create)
    try:
        with caplog.at_level(logging.ERROR, logger="bot.broadcast.scheduler"):
            await sched.tick()
            await sched.tick()
        assert "Không kết nối được cơ sở dữ liệu" in caplog.text
        assert await tip_runs(db) == []
        await sched.tick()  # the database is back: the slot is still sent, once
        await sched.tick()
    finally:
        await sched.stop()
    assert len(await tip_runs(db)) == 1


async def test_jobs_have_stable_ids_and_explicit_misfire_handling(db: Db) -> None:
    for _ in range(2):  # a restart registers the same jobs, not more
        sched = scheduler_at(db, TUESDAY_0800 - dt.timedelta(hours=1))
        await sched.start()
        try:
            jobs = {job.id: job for job in sched.jobs}
            assert set(jobs) == {JOB_TICK, JOB_TIPS, JOB_PURGE}
            assert jobs[JOB_TIPS].misfire_grace_time == 12 * 3600
            assert jobs[JOB_TIPS].coalesce is True
            assert str(jobs[JOB_TIPS].trigger.timezone) == "Asia/Ho_Chi_Minh"
        finally:
            await sched.stop()


async def test_invalid_cron_is_refused_with_a_clear_message(db: Db) -> None:
    clock = ShiftedClock()
    service, _ = memory_service(db.sessions, options(tip_cron="0 8 * *"), clock)
    with pytest.raises(BroadcastConfigError, match=r"TIP_CRON.*5 trường"):
        BroadcastScheduler(service)
    await service.close()


async def test_purge_runs_only_on_the_leader(db: Db) -> None:
    calls: list[int] = []

    async def purge() -> int:
        calls.append(1)
        return 0

    clock = ShiftedClock()
    clock.set(TUESDAY_0800 - dt.timedelta(hours=3))
    service, _ = memory_service(db.sessions, options(), clock)
    sched = BroadcastScheduler(service, purge=purge)
    await sched.purge_logs()
    assert calls == []
    await sched.tick()
    await sched.purge_logs()
    await sched.stop()
    assert calls == [1]
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(BroadcastRunRow)) == 0


async def test_a_running_scheduler_delivers_an_announcement_at_its_time(db: Db) -> None:
    import asyncio

    from bot.broadcast.clock import SystemClock
    from tests.broadcast.helpers import add_subscribers

    chats = await add_subscribers(db.sessions, 5)
    service, sender = memory_service(db.sessions, options(poll_interval=0.2), SystemClock())
    sched = BroadcastScheduler(service)
    everyone = asyncio.Event()
    sender.on_send.append(lambda s: len(s.sent) == len(chats) and everyone.set())
    at = service.clock.now() + dt.timedelta(seconds=1)
    run_id = await service.create_announcement("Hẹn giờ", "test", at)
    await sched.start()
    try:
        async with asyncio.timeout(30):
            await everyone.wait()
    finally:
        await sched.stop()
    assert sched.is_leader is False  # released at stop
    assert sorted(chat for chat, _, _ in sender.sent) == sorted(chats)
    assert all(moment >= at for _, _, moment in sender.sent)
    [report] = await service.reports([run_id])
    assert report.status == "finished"


async def test_stopping_waits_for_a_tick_in_progress_and_no_tick_runs_after(db: Db) -> None:
    import asyncio

    scheduler = scheduler_at(db, TUESDAY_0800 + dt.timedelta(hours=3))
    events: list[str] = []
    release, started = asyncio.Event(), asyncio.Event()
    dispatch = scheduler.service.dispatch_open_runs

    async def slow_dispatch() -> None:
        events.append("tick started")
        started.set()
        await release.wait()
        await dispatch()
        events.append("tick finished")

    close = scheduler.service.close

    async def recorded_close() -> None:
        events.append("storage closed")
        await close()

    scheduler.service.dispatch_open_runs = slow_dispatch  # type: ignore[method-assign]
    scheduler.service.close = recorded_close  # type: ignore[method-assign]
    ticking = asyncio.create_task(scheduler.tick())
    await started.wait()
    stopping = asyncio.create_task(scheduler.stop())
    for _ in range(50):
        await asyncio.sleep(0)
    assert not stopping.done()  # the storage stays open under the running tick
    release.set()
    await asyncio.gather(ticking, stopping)
    assert events == ["tick started", "tick finished", "storage closed"]
    await scheduler.tick()  # a tick APScheduler had already fired does nothing now
    assert events.count("tick started") == 1


async def test_processes_starting_together_write_the_schedule_row_once(db: Db) -> None:
    """A bot and its standby start on a new database at once: both find the schedule row
    missing; neither may fail on the other's insert (it kept a web process from starting)."""
    engine2, sessions2 = await db.open_second()
    clock = ShiftedClock()
    clock.set(TUESDAY_0800)
    a = scheduler_at(db, TUESDAY_0800)
    service_b, _ = memory_service(sessions2, options(tip_cron="0 9 * * tue"), clock)
    b = BroadcastScheduler(service_b)
    try:
        await asyncio.gather(*(s._save_schedule() for s in (a, b, a, b)))
    finally:
        await a.service.close()
        await b.service.close()
        await engine2.dispose()
    async with db.sessions() as session:
        rows = list(await session.scalars(select(ScheduleRow)))
    assert [row.id for row in rows] == [TIPS_SCHEDULE]
    assert rows[0].cron in ("0 9 * * tue", options().tip_cron)  # the last writer's settings
