"""Standby pollers: one process polls a token; another takes over when it dies, never both."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import subprocess
import sys

from pydantic import SecretStr
from sqlalchemy import update

from bot.broadcast.lease import Holder
from bot.broadcast.models import LeaseRow
from bot.standby import Standby, poller_lease
from tests.broadcast.conftest import Db
from tests.broadcast.test_lease import FixedClock

NAME = "poller:telegram:7912345678"


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_lease_names_the_bot_never_its_secret() -> None:
    token = SecretStr("7912345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1")
    assert poller_lease("telegram", token) == NAME


async def test_a_standby_waits_while_the_holder_lives_and_takes_over_at_expiry(db: Db) -> None:
    clock = FixedClock()
    engine2, sessions2 = await db.open_second()
    try:
        # The active process runs on another machine: only the expiry tells it is gone.
        active = Standby(
            db.sessions, NAME, clock=clock, heartbeat=0.01, holder=Holder("a", "other-host", 1)
        )
        standby = Standby(sessions2, NAME, clock=clock, heartbeat=0.01)
        stop = asyncio.Event()
        assert await active.wait_turn(stop)
        waiting = asyncio.create_task(standby.wait_turn(stop))
        for _ in range(20):  # a few rounds of the standby trying
            await asyncio.sleep(0.01)
        assert not waiting.done()
        clock.moment += dt.timedelta(seconds=active.ttl + 0.1)  # the active stopped renewing
        assert await asyncio.wait_for(waiting, 60)
        info = await standby.leases.info(NAME)
        assert info is not None and info.holder == standby.leases.holder.id
    finally:
        await engine2.dispose()


async def test_a_dead_holder_on_this_machine_is_replaced_at_once(db: Db) -> None:
    clock = FixedClock()
    gone = Holder("dead", socket.gethostname()[:100], dead_pid())
    assert await Standby(db.sessions, NAME, clock=clock, holder=gone).wait_turn(asyncio.Event())
    standby = Standby(db.sessions, NAME, clock=clock)
    assert await standby._try()  # no wait for the expiry


async def test_a_holder_that_lost_its_lease_is_told_and_does_not_release_it(db: Db) -> None:
    clock = FixedClock()
    engine2, sessions2 = await db.open_second()
    try:
        first = Standby(
            db.sessions, NAME, clock=clock, heartbeat=0.01, holder=Holder("a", "host-a", 1)
        )
        assert await first.wait_turn(asyncio.Event())
        async with first.holding() as lost:
            # The first was paused past its expiry and a standby took the lease meanwhile.
            async with sessions2.begin() as session:
                await session.execute(
                    update(LeaseRow)
                    .where(LeaseRow.name == NAME)
                    .values(holder="b", host="host-b", pid=2)
                )
            await asyncio.wait_for(lost.wait(), 60)
        info = await first.leases.info(NAME)
        assert info is not None and info.holder == "b"  # the loser did not release it
    finally:
        await engine2.dispose()


async def test_leaving_releases_the_lease_for_the_next_process(db: Db) -> None:
    standby = Standby(db.sessions, NAME, heartbeat=0.01)
    assert await standby.wait_turn(asyncio.Event())
    async with standby.holding() as lost:
        other = Standby(db.sessions, NAME, holder=Holder("next", "elsewhere", 5))
        assert not await other._try()
    assert not lost.is_set()
    info = await standby.leases.info(NAME)
    assert info is not None and info.holder == ""
    assert await other._try()
