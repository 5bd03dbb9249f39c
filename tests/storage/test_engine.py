"""DATABASE_URL handling and the SQLite settings that keep several writers safe."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bot.config import Settings
from bot.storage.engine import SQLITE_CACHE_KIB, DatabaseUrlError, async_url, create_engine


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("sqlite:////abs/x.db", "sqlite+aiosqlite:////abs/x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://user@host/db", "postgresql+asyncpg://user@host/db"),
        ("postgres://user:pw@host:5433/db", "postgresql+asyncpg://user:***@host:5433/db"),
        ("postgresql://u@h/db?sslmode=require", "postgresql+asyncpg://u@h/db?ssl=require"),
    ],
)
def test_async_driver_is_chosen(raw: str, expected: str) -> None:
    assert str(async_url(raw)) == expected


@pytest.mark.parametrize("raw", ["sqlite://", "sqlite:///:memory:", "mysql://u@h/db", "::"])
def test_unsupported_urls_are_explained(raw: str) -> None:
    with pytest.raises(DatabaseUrlError):
        async_url(raw)


async def test_sqlite_pragmas_and_data_directory(tmp_path: Path) -> None:
    target = tmp_path / "data" / "nested" / "a.db"
    settings = Settings(database_url=f"sqlite:///{target}", _env_file=None)  # type: ignore[call-arg]
    engine = create_engine(settings)
    try:
        assert target.parent.is_dir()
        async with engine.connect() as conn:
            journal = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
            keys = (await conn.execute(text("PRAGMA foreign_keys"))).scalar()
            busy = (await conn.execute(text("PRAGMA busy_timeout"))).scalar()
            cache = (await conn.execute(text("PRAGMA cache_size"))).scalar()
        assert (journal, keys, busy) == ("wal", 1, settings.sqlite_busy_timeout_ms)
        assert cache == -SQLITE_CACHE_KIB  # KiB per connection, not SQLite's 2 MiB
    finally:
        await engine.dispose()


async def test_reads_do_not_wait_for_the_sqlite_writer(tmp_path: Path) -> None:
    """Writers take the lock up front (BEGIN IMMEDIATE); reads stay deferred and concurrent."""
    import sqlite3

    from bot.core.messages import IncomingMessage, Outcome, Reply
    from bot.core.ports import LoggedExchange, StorageUnavailable
    from bot.storage import Storage

    path = tmp_path / "lock.db"
    settings = Settings(  # type: ignore[call-arg]
        database_url=f"sqlite:///{path}",
        sqlite_busy_timeout_ms=100,
        journal_wait_seconds=0.1,
        _env_file=None,
    )
    storage = await Storage.open(settings)
    other = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
        assert await storage.knowledge.version() == 0
        message = IncomingMessage("console", "u", "c", text="x")
        # The answer path's writer reports the outage instead of the driver's error.
        with pytest.raises(StorageUnavailable, match="locked"):
            await storage.conversations.record(
                LoggedExchange(message, Reply("…", Outcome.NO_MATCH), "x")
            )
        other.execute("ROLLBACK")
        await storage.conversations.record(
            LoggedExchange(message, Reply("…", Outcome.NO_MATCH), "x")
        )
    finally:
        other.close()
        await storage.close()
