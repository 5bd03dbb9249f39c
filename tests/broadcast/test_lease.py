"""Leases: one holder at a time, expiry, a dead holder on this machine, concurrent takers."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import sys

from bot.broadcast.lease import Holder, Leases
from tests.broadcast.conftest import Db
from tests.broadcast.helpers import add_subscribers


class FixedClock:
    def __init__(self) -> None:
        self.moment = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        return self.moment

    def monotonic(self) -> float:
        return 0.0

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)

    async def sleep_until(self, when: dt.datetime) -> None:
        self.moment = max(self.moment, when)


def holder(name: str, pid: int | None = None) -> Holder:
    return Holder(f"{name}:{pid or os.getpid()}", socket.gethostname()[:100], pid or os.getpid())


async def test_one_holder_at_a_time_until_expiry(db: Db) -> None:
    clock = FixedClock()
    engine2, sessions2 = await db.open_second()
    try:
        a = Leases(db.sessions, holder("a"), clock)
        b = Leases(sessions2, holder("b"), clock)
        assert await a.acquire("scheduler", 30)
        assert not await b.acquire("scheduler", 30)
        assert await a.acquire("scheduler", 30)  # renewing is taking again
        clock.moment += dt.timedelta(seconds=20)
        assert await a.renew("scheduler", 30)
        clock.moment += dt.timedelta(seconds=29)
        assert not await b.acquire("scheduler", 30)
        clock.moment += dt.timedelta(seconds=2)  # a stopped renewing: expired
        assert await b.acquire("scheduler", 30)
        assert not await a.renew("scheduler", 30)
        assert not await a.acquire("scheduler", 30)
        await b.release("scheduler")
        assert await a.acquire("scheduler", 30)
        # A lease name nobody used yet is created on first use.
        assert await b.acquire("sender:web", 30)
        assert not await a.acquire("sender:web", 30)
    finally:
        await engine2.dispose()


async def test_a_killed_holder_on_this_machine_is_replaced_at_once(db: Db) -> None:
    clock = FixedClock()
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import os; print(os.getpid())", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await child.communicate()
    dead_pid = int(out)
    dead = Leases(db.sessions, holder("dead", dead_pid), clock)
    assert await dead.acquire("sender:telegram", 300)
    alive = Leases(db.sessions, holder("alive"), clock)
    assert await alive.acquire("sender:telegram", 300)
    assert dead.holder.id not in await alive.live_holders()


async def test_concurrent_takers_get_one_winner(db: Db) -> None:
    clock = FixedClock()
    engines = [await db.open_second() for _ in range(6)]
    try:
        contenders = [
            Leases(sessions, holder(f"p{i}"), clock) for i, (_, sessions) in enumerate(engines)
        ]
        results = await asyncio.gather(*(c.acquire("scheduler", 30) for c in contenders))
    finally:
        for engine, _ in engines:
            await engine.dispose()
    assert results.count(True) == 1


async def test_recover_marks_only_dead_workers_rows_unknown(db: Db) -> None:
    from bot.broadcast.ledger import Ledger
    from bot.broadcast.runs import NewRun, Runs

    clock = FixedClock()
    await add_subscribers(db.sessions, 6)
    runs = Runs(db.sessions)
    run_id = await runs.create(
        NewRun("announcement", ("telegram",), clock.now(), "t", clock.now(), text="x")
    )
    assert run_id is not None
    assert await runs.start(run_id, clock.now(), [])
    ledger = Ledger(db.sessions)
    live = Leases(db.sessions, holder("live"), clock)
    assert await live.acquire("sender:telegram", 30)
    mine = await ledger.claim(run_id, "telegram", live.holder.id, 2, clock.now())
    gone = await ledger.claim(run_id, "telegram", "ghost:1", 3, clock.now())
    assert len(mine) == 2 and len(gone) == 3
    assert await ledger.recover(await live.live_holders()) == 3
    state = await ledger.state(run_id, "telegram", live.holder.id, clock.now())
    assert (state.pending, state.sending_mine, state.sending_others) == (1, 2, 0)


async def test_rows_orphaned_inside_this_process_become_unknown(db: Db) -> None:
    from tests.broadcast.helpers import memory_service

    chats = await add_subscribers(db.sessions, 5)
    service, sender = memory_service(db.sessions)
    try:
        run_id = await service.create_announcement("Thông báo", "test")
        await service.runs.start(run_id, service.clock.now(), [])
        # A worker of this very process claimed two rows and died without recording them.
        lost = await service.ledger.claim(
            run_id, "telegram", service.holder.id, 2, service.clock.now()
        )
        report = await service.deliver(run_id)
    finally:
        await service.close()
    assert (report.status, report.sent, report.unknown) == ("finished", 3, 2)
    assert {c for c, _, _ in sender.sent} == set(chats) - {row.chat_id for row in lost}


async def test_staff_can_choose_to_resend_unknown_and_retry_failed(db: Db) -> None:
    from bot.broadcast.senders import Outcome, SendResult
    from tests.broadcast.helpers import memory_service

    chats = await add_subscribers(db.sessions, 4)
    service, sender = memory_service(db.sessions)
    sender.outcomes[chats[3]] = SendResult(Outcome.REJECTED, detail="Bad Request")
    try:
        run_id = await service.create_announcement("Thông báo", "test")
        await service.runs.start(run_id, service.clock.now(), [])
        await service.ledger.claim(run_id, "telegram", "ghost:1", 1, service.clock.now())
        first = await service.deliver(run_id)
        assert (first.status, first.sent, first.unknown, first.failed) == ("finished", 2, 1, 1)
        del sender.outcomes[chats[3]]
        assert await service.requeue(resend_unknown=True, retry_failed=True) == (1, 1)
        [reopened] = await service.reports([run_id])
        assert reopened.status == "running" and reopened.pending == 2
        second = await service.deliver(run_id)
    finally:
        await service.close()
    assert (second.status, second.sent, second.unknown, second.failed) == ("finished", 4, 0, 0)
    assert sorted(c for c, _, _ in sender.sent) == sorted(chats)
