"""On SQLite the web chat's admissions and history run as SQLite forms (storage.sqlite_direct):
a batch is one call to the connection's thread. They must leave exactly the rows and give
exactly the answers the session path (PostgreSQL's) gives."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.storage import Storage, batch, web_chat
from bot.storage.web_chat import (
    Admission,
    Exchange,
    HistoryEntry,
    RateLimits,
    WebChatRepository,
)
from tests.channels.web.support import Clock
from tests.storage.backends import KB_DIR

TABLES = ("web_chat_sessions", "web_chat_messages", "web_chat_rate_limits")


def answer(n: int) -> HistoryEntry:
    choices = ((f"pick:f.{n}", "Xem"),)
    return HistoryEntry("assistant", f"trả lời {n}", "answered", f"f.{n}", choices)


async def scripted(store: WebChatRepository, clock: Clock) -> list[Any]:
    """Admissions of every kind, concurrent so that they share batches."""
    first = await asyncio.gather(
        *(store.admit(Admission(None, f"10.0.0.{i % 2}")) for i in range(4))
    )
    await asyncio.gather(
        *(store.record(Exchange(a.key, "hỏi", answer(i))) for i, a in enumerate(first))
    )
    results: list[Any] = list(first)
    forged = "f" * 32
    results += await asyncio.gather(
        store.admit(Admission(first[0].token, "10.0.0.0", choosing=True)),
        store.admit(Admission(first[1].token, "10.0.0.1", choosing=False)),
        store.admit(Admission(forged, "10.0.0.5")),
        store.admit(Admission(None, "10.0.0.0")),  # past the address limit (3 a window)
    )
    other = WebChatRepository(store._sessions, store._writer, store.limits, store.session_ttl)
    other.clock = clock  # another process: knows no session alive, reads their rows
    results += await asyncio.gather(
        other.admit(Admission(first[2].token, "10.0.0.2", choosing=True)),
        other.admit(Admission(first[3].token, "10.0.0.3", choosing=False)),
    )
    clock.advance(days=31)  # every session expired; a visit opens a new one, the old goes
    results += await asyncio.gather(
        other.admit(Admission(first[2].token, "10.0.0.2", choosing=True)),
        other.admit(Admission(first[2].token, "10.0.0.2", choosing=False)),
        store.admit(Admission(first[0].token, "10.0.0.0")),
    )
    return results


async def run(path: Path, direct: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    tokens = (f"token-{n:04d}-{'x' * 20}" for n in itertools.count())
    used: list[str] = []
    with monkeypatch.context() as patch:
        patch.setattr(web_chat, "new_token", lambda: next(tokens))
        if direct:
            for work, form in list(batch._SQLITE_FORMS.items()):

                def spy(*args: Any, _form: Any = form, _name: str = work.__name__) -> Any:
                    used.append(_name)
                    return _form(*args)

                patch.setitem(batch._SQLITE_FORMS, work, spy)
        else:
            patch.setattr(batch, "_SQLITE_FORMS", {})
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=f"sqlite:///{path}",
            knowledge_dir=KB_DIR,
        )
        storage = await Storage.open(settings)
        clock = Clock()
        limits = RateLimits(dt.timedelta(minutes=1), per_session=3, per_ip=3)
        store = WebChatRepository(
            storage.session_factory, storage.writer, limits, dt.timedelta(days=30), clock=clock
        )
        try:
            results = await scripted(store, clock)
        finally:
            await storage.close()
    with sqlite3.connect(path) as db:
        rows = {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall()) for t in TABLES}
    assert not direct or {"_admit", "_record"} <= set(used)
    return results, rows


async def test_web_chat_sqlite_forms_do_what_the_session_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    direct = await run(tmp_path / "direct.db", True, monkeypatch)
    session = await run(tmp_path / "session.db", False, monkeypatch)
    assert direct == session
    results, rows = direct
    assert all(rows[table] for table in TABLES)
    assert results[4].offered == (("pick:f.0", "Xem"),) and not results[4].fresh
    assert results[6].fresh and results[7].retry_after > 0  # forged; past the address limit
    assert results[8].offered == (("pick:f.2", "Xem"),) and not results[8].fresh
    assert all(r.fresh for r in results[10:])  # expired
    assert {key for key, *_ in rows["web_chat_sessions"]} >= {r.key for r in results[10:]}
    assert not {results[2].key} & {key for key, *_ in rows["web_chat_sessions"]}
