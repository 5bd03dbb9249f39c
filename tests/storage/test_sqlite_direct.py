"""On SQLite the group commit runs its works' SQLite forms (storage.sqlite_direct) in one call to
the connection's thread: they must leave exactly the rows the session path leaves, and return
the same results."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

from bot.config import Settings
from bot.core.messages import Outcome
from bot.core.ports import Inbound
from bot.storage import (
    Storage,
    batch,
    chat_state,
    conversations,
    inbound,
    people,
    sqlite_direct,
)
from tests.storage.backends import KB_DIR
from tests.storage.test_storage_contract import exchange

NOW = dt.datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=dt.UTC)
TABLES = ("inbound_updates", "conversations", "inbox_items", "chat_state", "users")


async def scripted(storage: Storage) -> list[Any]:
    """Writes of every kind with a SQLite form, concurrent so that they share batches."""
    tg = "telegram"
    items = [Inbound(str(i), f"c{i % 3}", {"update_id": i, "text": "xin chào"}) for i in range(6)]
    results: list[Any] = [await storage.inbound.record(tg, items)]
    # A re-delivery, claims (one twice), states, logs, chat state, touches, all at once.
    results += await asyncio.gather(
        storage.inbound.record(tg, [items[0], Inbound("9", None, {"x": [1, "hai"]})]),
        storage.inbound.claim(tg, "1"),
        storage.inbound.claim(tg, "2"),
        storage.inbound.claim(tg, "2"),
        storage.inbound.claim(tg, "404"),
        storage.inbound.finish(tg, "3", "answered"),
        storage.inbound.finish(tg, "1", "failed"),
        storage.conversations.record(exchange("câu hỏi", Outcome.ANSWERED, faq_id="f.1")),
        storage.conversations.record(exchange("không rõ", Outcome.NO_MATCH, user="u2")),
        storage.conversations.record(exchange("không rõ", Outcome.NO_MATCH, user="u3")),
        storage.conversations.record(exchange("mơ hồ", Outcome.AMBIGUOUS, normalized="mo ho")),
        storage.conversations.record(exchange("chọn", Outcome.ANSWERED, action="pick:f.1")),
        storage.chat_state.put(tg, "c1", "a.question", "hỏi gì", 60),
        storage.chat_state.put(tg, "c2", "a.comment", "may:f.1", 60),
        storage.chat_state.put(tg, "c3", "a.reminded", "1", 60),
        storage.users.touch(channel=tg, user_id="u1", display_name=None),
        storage.users.touch(channel="zalo", user_id="u1", display_name=None),
    )
    results += await asyncio.gather(
        storage.chat_state.put(tg, "c1", "a.question", "hỏi lại", 90),
        storage.chat_state.delete(tg, "c2", "a.comment"),
        storage.chat_state.get(tg, "c3", "a.reminded"),
        storage.chat_state.get(tg, "c3", "a.question"),
        storage.users.touch(channel=tg, user_id="u9", display_name=None),
    )
    results.append(await storage.chat_state.get(tg, "c1", "a.question"))
    results.append(await storage.chat_state.get(tg, "c2", "a.comment"))
    results.append(await storage.inbound.states(tg))
    return results


async def run(path: Path, direct: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    with monkeypatch.context() as patch:
        for module in (inbound, conversations, people, chat_state):
            patch.setattr(module, "utcnow", lambda: NOW)
        if not direct:
            patch.setattr(batch, "_SQLITE_FORMS", {})
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=f"sqlite:///{path}",
            knowledge_dir=KB_DIR,
        )
        storage = await Storage.open(settings)
        storage.chat_state._clock = lambda: NOW
        try:
            results = await scripted(storage)
        finally:
            await storage.close()
    with sqlite3.connect(path) as db:
        rows = {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall()) for t in TABLES}
    return results, rows


async def test_sqlite_forms_write_what_the_session_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    direct = await run(tmp_path / "direct.db", True, monkeypatch)
    session = await run(tmp_path / "session.db", False, monkeypatch)
    assert direct[0] == session[0]
    assert direct[1] == session[1]
    assert all(direct[1][table] for table in TABLES)  # every table was written
    assert direct[0][2:6] == [True, True, False, False]  # claims: one of a key given twice
    # put, delete, two reads beside them, a touch; the later reads; the states.
    assert direct[0][-8:-1] == [None, None, "1", None, True, "hỏi lại", None]


async def test_forms_are_used_on_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    used: list[str] = []
    for work, form in list(batch._SQLITE_FORMS.items()):

        def spy(*args: Any, _form: Any = form, _name: str = work.__name__) -> Any:
            used.append(_name)
            return _form(*args)

        monkeypatch.setitem(batch._SQLITE_FORMS, work, spy)
    await run(tmp_path / "spied.db", True, monkeypatch)
    assert {"_record", "_claim", "_finish", "_write_exchanges", "_write", "_touch_users"} <= set(
        used
    )


async def lane_storage(tmp_path: Path) -> Storage:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 'lane.db'}",
        knowledge_dir=KB_DIR,
    )
    return await Storage.open(settings)


async def test_reads_alone_share_one_connection_that_close_releases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = await lane_storage(tmp_path)
    engine = storage.engine.sync_engine
    dispose = engine.dispose
    out_at_dispose: list[int] = []

    def disposing(close: bool = True) -> None:
        out_at_dispose.append(engine.pool.checkedout())
        dispose(close)

    monkeypatch.setattr(engine, "dispose", disposing)
    checkouts: list[object] = []
    event.listen(storage.engine.sync_engine.pool, "checkout", lambda *a: checkouts.append(a))
    try:
        await storage.chat_state.put("telegram", "c1", "a.question", "hỏi gì", 60)
        await storage.writer.drain()
        found = [await storage.chat_state.get("telegram", "c1", "a.question") for _ in range(5)]
        assert found == ["hỏi gì"] * 5
        # The write took a connection from the pool; the five reads took one between them.
        reads = len(checkouts) - 1
        assert reads == 1
        # A read that fails leaves its connection; the next read opens a fresh one and works.
        with pytest.raises(sa_exc.DBAPIError):
            await sqlite_direct.alone(storage.engine, failing)
        assert await storage.chat_state.get("telegram", "c1", "a.question") == "hỏi gì"
        assert len(checkouts) - 1 == reads + 1
    finally:
        await storage.close()
    # Closed with the storage, before the engine: no connection was still out when it went.
    assert out_at_dispose == [0]
    assert all(engine is not storage.engine for engine, _ in sqlite_direct._LANES)


def failing(conn: sqlite3.Connection, dialect: Any) -> None:
    conn.execute("SELECT * FROM no_such_table")


async def test_writes_alone_share_one_connection_that_close_releases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = await lane_storage(tmp_path)
    checkouts: list[object] = []
    event.listen(storage.engine.sync_engine.pool, "checkout", lambda *a: checkouts.append(a))
    try:
        for n in range(5):  # five batches, one after the other
            await storage.chat_state.put("telegram", f"c{n}", "a.question", "hỏi gì", 60)
        assert storage.writer.batches >= 5
        # Each batch is one call to SQLite's thread, on a connection kept for such writes:
        # not taken from the pool and given back (a ROLLBACK on its thread) per batch.
        assert len(checkouts) == 1
        # A write that fails leaves its connection; the next write opens a fresh one and works.
        with pytest.raises(sa_exc.DBAPIError):
            await sqlite_direct.alone(storage.engine, failing, write_wait_ms=100)
        await storage.chat_state.put("telegram", "c9", "a.question", "hỏi lại", 60)
        assert len(checkouts) == 2
        assert await storage.chat_state.get("telegram", "c9", "a.question") == "hỏi lại"
    finally:
        await storage.close()
    assert all(engine is not storage.engine for engine, _ in sqlite_direct._LANES)
