"""Engine creation: pick the async driver for the user and make SQLite safe for several writers."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.config import Settings
from bot.storage.files import protect_sqlite

SQLITE_DRIVER = "sqlite+aiosqlite"
POSTGRES_DRIVER = "postgresql+asyncpg"
# Connection execution option that lets a read-only transaction skip SQLite's write lock.
READ_ONLY = "bot_read_only"
# Connection execution option: how long (ms) this transaction waits for SQLite's write lock,
# when it must not wait the full busy timeout (the answer path).
WAIT_MS = "bot_wait_ms"
# Seconds to open a PostgreSQL connection before the database counts as unreachable.
PG_CONNECT_TIMEOUT = 5.0
# SQLite's page cache, per connection (KiB). Its default, 2 MiB, times the pool (five
# connections and up to ten more under load, each with its own cache) was the largest part
# of the memory a busy process gains as the database grows (bench/bench_throughput.py memory);
# what an answer reads (a few index pages per user, the rightmost pages written) fits in far
# less, and the operating system's file cache holds the rest.
SQLITE_CACHE_KIB = 256


class DatabaseUrlError(ValueError):
    """DATABASE_URL names a database or driver we do not support."""


def async_url(raw: str) -> URL:
    """Turn ``sqlite:///path`` / ``postgresql://…`` into the matching async driver URL."""
    try:
        url = make_url(raw.strip())
    except Exception as exc:
        raise DatabaseUrlError(f"DATABASE_URL không hợp lệ: {raw!r} ({exc})") from exc
    backend, _, driver = url.drivername.partition("+")
    if backend == "sqlite" and driver in ("", "aiosqlite", "pysqlite"):
        if url.database in (None, "", ":memory:"):
            # ":memory:" is one database per connection: writers in other tasks would not see it.
            raise DatabaseUrlError("SQLite cần một tệp, ví dụ sqlite:///data/assistant.db")
        return url.set(drivername=SQLITE_DRIVER)
    if backend in ("postgresql", "postgres") and driver in ("", "asyncpg", "psycopg2", "psycopg"):
        query = dict(url.query)
        sslmode = query.pop("sslmode", None)
        if isinstance(sslmode, str):
            # asyncpg calls libpq's sslmode "ssl".
            query["ssl"] = sslmode
        return url.set(drivername=POSTGRES_DRIVER, query=query)
    raise DatabaseUrlError(
        f"DATABASE_URL {url.drivername!r} không được hỗ trợ: dùng sqlite:///đường/dẫn.db "
        "hoặc postgresql://user@host/db"
    )


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(settings: Settings) -> AsyncEngine:
    """Create the async engine; call inside the event loop that will use it."""
    url = async_url(settings.database_url)
    kwargs: dict[str, Any] = {}
    if settings.database_echo:
        # Not echo=True: that writes SQL and its parameters to stdout through a handler of
        # SQLAlchemy's own, past the root handlers' guard (bot.admin.log_guard).
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    connect_args: dict[str, Any] = {}
    if url.drivername == SQLITE_DRIVER:
        assert url.database is not None
        protect_sqlite(Path(url.database).expanduser())
        connect_args["timeout"] = settings.sqlite_busy_timeout_ms / 1000
    else:
        kwargs["pool_size"] = settings.database_pool_size
        kwargs["pool_pre_ping"] = True  # survive a database restart; costs one round trip
        connect_args["timeout"] = PG_CONNECT_TIMEOUT
        server_settings: dict[str, str] = {"application_name": "dvc-assistant"}
        if settings.database_schema:
            server_settings["search_path"] = settings.database_schema
        connect_args["server_settings"] = server_settings
        if settings.database_pgbouncer:
            connect_args["statement_cache_size"] = 0
    kwargs["connect_args"] = connect_args
    engine = create_async_engine(url, **kwargs)
    if url.drivername == SQLITE_DRIVER:
        _install_sqlite_hooks(engine, settings.sqlite_busy_timeout_ms)
    return engine


def _install_sqlite_hooks(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy emits BEGIN itself (below), so the driver must not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that reads and then writes cannot wait for the lock: SQLite
        # fails it at once with "database is locked". IMMEDIATE takes the write lock up front,
        # where busy_timeout applies. Read-only work opts out to keep readers concurrent.
        options = conn.get_execution_options()
        if options.get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
            return
        wait_ms = int(options.get(WAIT_MS, busy_timeout_ms))
        info = conn.connection.info
        if info.get(WAIT_MS, busy_timeout_ms) != wait_ms:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={wait_ms}")
            info[WAIT_MS] = wait_ms
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def dialect_insert(session: AsyncSession, model: Any) -> Any:
    """An INSERT that knows ON CONFLICT, for the session's database (SQLite or PostgreSQL)."""
    if session.get_bind().dialect.name == "sqlite":
        return sqlite_insert(model)
    return postgresql_insert(model)


async def serialize(session: AsyncSession, key: int) -> None:
    """Make this transaction the only one holding ``key`` until it ends (processes that check
    and then write, e.g. "seed when empty"). On SQLite every writing transaction already holds
    the database's write lock from its start (BEGIN IMMEDIATE), so there is nothing to add."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


@contextlib.asynccontextmanager
async def reading(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for reads only: on SQLite it skips the write lock, so readers stay concurrent."""
    async with sessions() as session:
        await session.connection(execution_options={READ_ONLY: True})
        yield session


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
