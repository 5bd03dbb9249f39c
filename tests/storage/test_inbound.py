"""The inbound journal on SQLite and PostgreSQL: recorded once, claimed once, closed without
the citizen's words, resumed in order; and its migration."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.engine import Connection

from bot.core.ports import Inbound, StorageUnavailable
from bot.storage import Storage, migrate
from bot.storage.models import Base, InboundUpdateRow, utcnow
from tests.storage.backends import Backend


def update(key: str, chat: str = "c1") -> Inbound:
    return Inbound(key, chat, {"update_id": int(key), "message": {"text": "số 0912345678"}})


async def rows(storage: Storage) -> dict[str, tuple[str, object]]:
    async with storage.session_factory() as session:
        found = await session.execute(
            select(InboundUpdateRow.key, InboundUpdateRow.state, InboundUpdateRow.payload)
        )
        return {key: (state, payload) for key, state, payload in found}


async def test_a_delivery_is_recorded_once(storage: Storage) -> None:
    journal = storage.inbound
    assert await journal.record("telegram", [update("1"), update("2")]) == {"1", "2"}
    assert await journal.record("telegram", [update("2"), update("3")]) == {"3"}
    assert await journal.record("zalo", [update("1")]) == {"1"}  # keys are per channel
    # Two deliveries of one update at once (Telegram retried a slow webhook call): one wins.
    both = await asyncio.gather(
        journal.record("telegram", [update("9")]), journal.record("telegram", [update("9")])
    )
    assert sorted(map(sorted, both)) == [[], ["9"]]
    assert (await rows(storage))["1"] == ("pending", update("1").payload)


async def test_claimed_once_closed_without_the_payload(storage: Storage) -> None:
    journal = storage.inbound
    await journal.record("telegram", [update("1"), update("2")])
    assert await asyncio.gather(journal.claim("telegram", "1"), journal.claim("telegram", "1")) in (
        [True, False],
        [False, True],
    )
    await journal.finish("telegram", "1", "answered")
    await journal.finish("telegram", "2", "failed")
    assert not await journal.claim("telegram", "1")
    assert await rows(storage) == {"1": ("answered", None), "2": ("failed", None)}
    with pytest.raises(ValueError, match="final state"):
        await journal.finish("telegram", "2", "pending")


async def test_resume_returns_what_waited_in_order_and_sweeps_claimed_ones(
    storage: Storage,
) -> None:
    journal = storage.inbound
    await journal.record("telegram", [update("5", "A"), update("3", "B")])
    await journal.record("telegram", [update("4", "A")])
    await journal.record("zalo", [update("8")])
    await journal.claim("telegram", "3")
    resumed = await journal.resume("telegram")
    assert [(i.key, i.chat) for i in resumed.pending] == [("5", "A"), ("4", "A")]
    assert resumed.pending[0].payload == update("5").payload
    assert resumed.unknown == 1
    assert (await rows(storage))["3"] == ("unknown", None)
    assert await journal.states("telegram") == {"pending": 2, "unknown": 1}


async def test_purge_forgets_old_closed_rows_only(storage: Storage) -> None:
    journal = storage.inbound
    await journal.record("telegram", [update("1"), update("2"), update("3")])
    await journal.finish("telegram", "1", "answered")
    await journal.finish("telegram", "3", "answered")
    assert await journal.purge(utcnow()) == 0  # recent: re-deliveries are still recognised
    assert await storage.purge_old_logs(utcnow() + dt.timedelta(days=3)) == 0
    assert set(await rows(storage)) == {"2"}  # an unanswered one waits, however old


async def test_a_locked_sqlite_fails_fast_as_unavailable(db: Backend) -> None:
    if db.kind != "sqlite":
        pytest.skip("SQLite's write lock")
    storage = await Storage.open(db.settings(journal_wait_seconds=0.05))
    shell = sqlite3.connect(db.url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        shell.execute("BEGIN IMMEDIATE")
        with pytest.raises(StorageUnavailable, match="locked"):
            await storage.inbound.record("telegram", [update("1")])
        shell.execute("ROLLBACK")
        assert await storage.inbound.record("telegram", [update("1")]) == {"1"}
    finally:
        shell.close()
        await storage.close()


def _journal_diffs(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(context, Base.metadata) if "inbound_updates" in str(d)]


async def test_the_migration_matches_the_model_and_downgrades(storage: Storage) -> None:
    engine = storage.engine
    async with engine.connect() as conn:
        assert await conn.run_sync(_journal_diffs) == []
    await migrate.downgrade(engine, "0002_broadcast")
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(c.dialect.get_table_names(c)))
    assert "inbound_updates" not in names
    await migrate.upgrade(engine)
    async with engine.connect() as conn:
        assert await conn.run_sync(_journal_diffs) == []


async def test_resume_can_leave_recent_rows_to_the_live_processes(storage: Storage) -> None:
    journal = storage.inbound
    await journal.record("telegram", [update("1", "A"), update("2", "B")])
    await journal.claim("telegram", "2")
    # Just received: another web process is answering them; a starting one leaves them.
    left = await journal.resume("telegram", older_than=120)
    assert (left.pending, left.unknown) == ([], 0)
    assert await journal.states("telegram") == {"pending": 1, "answering": 1}
    taken = await journal.resume("telegram", older_than=0)
    assert [i.key for i in taken.pending] == ["1"] and taken.unknown == 1
