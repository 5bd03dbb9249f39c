"""Write-behind bookkeeping: kept through an outage, bounded in memory, a bad row dropped alone."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.core.bookkeeping import UPDATE_STATES, WriteBehind
from bot.core.health import StorageHealth
from bot.core.ports import StorageUnavailable


class Database:
    """Records writes; refuses them while ``down``."""

    def __init__(self) -> None:
        self.down = False
        self.attempts = 0
        self.retried = asyncio.Event()  # set at the sixth attempt
        self.written: list[str] = []

    def job(self, name: str, *, bad: bool = False):  # type: ignore[no-untyped-def]
        async def write() -> None:
            self.attempts += 1
            if self.attempts >= 6:
                self.retried.set()
            if self.down:
                raise StorageUnavailable("database is locked")
            if bad:
                raise ValueError("value too long for column")
            self.written.append(name)

        return write


async def test_an_outage_keeps_the_writes_and_retries_them() -> None:
    db, health = Database(), StorageHealth()
    behind = WriteBehind(health, backoff=(0.0,))
    db.down = True
    behind.put("conversation logs", db.job("log 1"))
    behind.put("user touches", db.job("touch 1"))
    await asyncio.wait_for(db.retried.wait(), 10)  # retried, not dropped
    assert db.written == [] and len(behind) == 2 and not health.available
    db.down = False
    await behind.drain()
    assert db.written == ["log 1", "touch 1"] and health.available
    assert health.outages == 1 and behind.dropped == {}


async def test_a_full_queue_drops_the_oldest_logs_first_and_keeps_update_states() -> None:
    db, health = Database(), StorageHealth()
    behind = WriteBehind(health, max_items=3, backoff=(0.0,))
    db.down = True
    behind.put(UPDATE_STATES, db.job("state 1"))
    for index in range(4):
        behind.put("conversation logs", db.job(f"log {index}"))
    db.down = False
    await behind.drain()
    assert db.written[0] == "state 1" and "log 0" not in db.written
    assert behind.dropped == {"conversation logs": 2}


async def test_a_bad_row_is_dropped_alone(caplog: pytest.LogCaptureFixture) -> None:
    db = Database()
    behind = WriteBehind(backoff=(0.0,))
    behind.put("conversation logs", db.job("good 1"))
    behind.put("conversation logs", db.job("bad", bad=True))
    behind.put("feedback", db.job("good 2"))
    with caplog.at_level(logging.WARNING):
        await behind.drain()
    assert db.written == ["good 1", "good 2"] and len(behind) == 0
    assert "1 conversation logs failed (value too long for column)" in caplog.text


async def test_stopping_during_an_outage_says_what_was_not_written(
    caplog: pytest.LogCaptureFixture,
) -> None:
    db = Database()
    db.down = True
    behind = WriteBehind(backoff=(0.0,))
    behind.put("conversation logs", db.job("log"))
    behind.put(UPDATE_STATES, db.job("state"))
    with caplog.at_level(logging.WARNING):
        await behind.close(budget=0)
    assert len(behind) == 0
    assert "1 conversation logs, 1 update states not written" in caplog.text


async def test_writes_with_one_order_key_run_in_the_order_they_were_put() -> None:
    started: list[str] = []
    first_may_finish, touched = asyncio.Event(), asyncio.Event()

    def job(name: str, wait: asyncio.Event | None = None):  # type: ignore[no-untyped-def]
        async def write() -> None:
            started.append(name)
            if name == "touch":
                touched.set()
            if wait is not None:
                await wait.wait()

        return write

    behind = WriteBehind(flush_every=0.0)
    behind.put("feedback", job("👎", first_may_finish), order="u1")
    behind.put("feedback", job("comment"), order="u1")
    behind.put("user touches", job("touch"))
    await asyncio.wait_for(touched.wait(), 10)  # the unordered write does not wait for the chain
    assert sorted(started) == sorted(["👎", "touch"])  # the comment waits for its 👎
    first_may_finish.set()
    await behind.drain()
    assert started.index("comment") > started.index("👎") and len(started) == 3


async def test_an_outage_in_an_ordered_chain_retries_the_rest_in_order() -> None:
    db = Database()
    behind = WriteBehind(backoff=(0.0,), flush_every=0.0)
    db.down = True
    behind.put("feedback", db.job("👎"), order="u1")
    behind.put("feedback", db.job("comment"), order="u1")
    await asyncio.wait_for(db.retried.wait(), 10)
    assert db.written == []
    db.down = False
    await behind.drain()
    assert db.written == ["👎", "comment"]


async def test_a_backlog_is_written_in_one_go_not_a_fixed_share_per_pause() -> None:
    # At the busiest the answers outrun a writer that takes a fixed share of the queue per
    # pause; the queue then fills and drops. Everything queued goes in the next flush.
    behind = WriteBehind(flush_every=0.0)
    started = 0
    release = asyncio.Event()

    async def write() -> None:
        nonlocal started
        started += 1
        await release.wait()

    for _ in range(1000):
        behind.put("conversation logs", write)
    for _ in range(100):  # loop turns for the flush to start what it took, not a time
        await asyncio.sleep(0)
    assert started == 1000
    release.set()
    await behind.drain()
    assert behind.written == 1000 and len(behind) == 0
