"""The flood windows' SQLite form (run in one call to the connection's thread, see
storage.sqlite_direct) leaves the rows and gives the verdicts the session path gives."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.storage import Storage, batch, flood
from bot.storage.flood import FloodRepository
from tests.storage.backends import Backend

START = dt.datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=dt.UTC)


async def run(path: Path, direct: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    used: list[str] = []
    with monkeypatch.context() as patch:
        if direct:
            form = batch._SQLITE_FORMS[flood._count_windows]

            def spy(*args: Any) -> Any:
                used.append("form")
                return form(*args)

            patch.setitem(batch._SQLITE_FORMS, flood._count_windows, spy)
        else:
            patch.setattr(batch, "_SQLITE_FORMS", {})
        storage = await Storage.open(Backend("sqlite", f"sqlite:///{path}", None).settings())
        now = [START]
        repo = FloodRepository(storage.writer, 3, 10.0, clock=lambda: now[0])
        try:
            results: list[Any] = [await repo.count({"zalo:a": 2, "zalo:b": 5})]
            # Concurrent counts share a transaction; one key in two of them counts twice.
            results += await asyncio.gather(
                repo.count({"zalo:a": 1, "zalo:c": 1}),
                repo.count({"zalo:a": 1}),
                repo.check("zalo:b"),
            )
            now[0] += dt.timedelta(seconds=10.5)  # b's mute is over, a's window too
            results.append(await repo.count({"zalo:a": 1, "zalo:b": 1}))
            now[0] += dt.timedelta(seconds=400)  # the purge forgets what is over
            repo._last_purge = float("-inf")
            results.append(await repo.count({"zalo:d": 4}))
        finally:
            await storage.close()
    with sqlite3.connect(path) as db:
        rows = sorted(db.execute("SELECT * FROM flood_windows").fetchall())
    assert used or not direct
    return results, rows


async def test_the_sqlite_form_counts_as_the_session_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    direct = await run(tmp_path / "direct.db", True, monkeypatch)
    session = await run(tmp_path / "session.db", False, monkeypatch)
    assert direct == session
    verdicts = [
        [v.value for v in r.values()] if isinstance(r, dict) else r.value for r in direct[0]
    ]
    assert verdicts == [
        ["allow", "notify"],
        ["allow", "allow"],
        ["notify"],  # a's fourth message
        "ignore",
        ["allow", "allow"],
        ["notify"],
    ]
    assert [row[0] for row in direct[1]] == ["zalo:d"]  # the others' windows were over
