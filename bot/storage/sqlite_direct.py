"""The answer path's small writes and reads on SQLite, run in one call to the connection's thread.

Through SQLAlchemy and aiosqlite every statement costs several hops between the event loop and
the connection's thread (execute, fetch, close) plus compiling and processing its parameters;
per answer that was more CPU than answering. A group-commit batch (storage.batch) therefore
runs the statements of its SQLite-ready works (``on_sqlite``) in one call on the thread that
owns the connection, inside the transaction SQLAlchemy began, with statements compiled once by
SQLAlchemy for that dialect and parameters converted by the columns' own types: the rows
written are the same as through the session. PostgreSQL keeps the session path.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from bot.storage.engine import WAIT_MS

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Prepared:
    sql: str
    names: tuple[str, ...]
    fixed: tuple[Any, ...]  # the value of each bind the statement carries itself
    given: tuple[bool, ...]  # whether each bind is given by the row
    processors: tuple[Callable[[Any], Any] | None, ...]


class Statement:
    """A Core statement compiled once per dialect; rows are mappings of its bind names."""

    def __init__(self, statement: ClauseElement, keys: Sequence[str] = ()) -> None:
        self.statement = statement
        self.keys = list(keys)  # an INSERT's columns, as given in every row
        self._prepared: dict[type[Dialect], _Prepared] = {}

    def prepare(self, dialect: Dialect) -> _Prepared:
        prepared = self._prepared.get(type(dialect))
        if prepared is None:
            compiled = cast(
                SQLCompiler,
                self.statement.compile(dialect=dialect, column_keys=self.keys or None),
            )
            names = tuple(compiled.positiontup or ())
            binds = [compiled.binds[name] for name in names]
            for bind in binds:
                if not bind.required and bind.value is None and bind.callable_ is None:
                    # e.g. a column default SQLAlchemy would compute at execution: not here.
                    raise ValueError(f"no value for {bind.key!r} in {self.statement}")
            prepared = _Prepared(
                str(compiled),
                names,
                tuple(None if bind.required else bind.effective_value for bind in binds),
                tuple(bind.required for bind in binds),
                tuple(bind.type.dialect_impl(dialect).bind_processor(dialect) for bind in binds),
            )
            self._prepared[type(dialect)] = prepared
        return prepared

    def parameters(self, dialect: Dialect, row: Mapping[str, Any]) -> tuple[Any, ...]:
        p = self.prepare(dialect)
        values = []
        for name, fixed, given, process in zip(
            p.names, p.fixed, p.given, p.processors, strict=True
        ):
            value = row[name] if given else fixed
            values.append(process(value) if process is not None else value)
        return tuple(values)

    def many(
        self, conn: sqlite3.Connection, dialect: Dialect, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Execute once per row (no result rows)."""
        if rows:
            sql = self.prepare(dialect).sql
            conn.executemany(sql, [self.parameters(dialect, row) for row in rows])

    def each(
        self, conn: sqlite3.Connection, dialect: Dialect, rows: Sequence[Mapping[str, Any]]
    ) -> list[tuple[Any, ...]]:
        """Execute once per row; every row RETURNING gave, in order."""
        sql = self.prepare(dialect).sql
        found: list[tuple[Any, ...]] = []
        for row in rows:
            found.extend(conn.execute(sql, self.parameters(dialect, row)).fetchall())
        return found


def sqlite_engine(sessions: async_sessionmaker[AsyncSession]) -> AsyncEngine | None:
    """The engine ``sessions`` are bound to, when it is SQLite's."""
    bind = sessions.kw.get("bind")
    if isinstance(bind, AsyncEngine) and bind.dialect.name == "sqlite":
        return bind
    return None


async def alone(
    engine: AsyncEngine,
    fn: Callable[[sqlite3.Connection, Dialect], T],
    *,
    write_wait_ms: int | None = None,
) -> T:
    """Run ``fn`` in a transaction of its own, begun, run and ended in one call to the
    connection's thread (not BEGIN, each statement and COMMIT each in a call of their own).

    With ``write_wait_ms`` it is a write transaction (BEGIN IMMEDIATE, as engine's hook begins
    them) that waits that long for SQLite's write lock; without, a read (plain BEGIN). Each
    kind runs on a lane of the engine: one connection kept open for it, as taking one from
    the pool and giving it back (a ROLLBACK on the connection's thread) cost as much as the
    work itself. Transactions on a lane run one at a time on its thread, each whole in one
    call, so they never interleave; reads never wait behind a write's lock (WAL)."""
    return await _lane(engine, write=write_wait_ms is not None).run(engine, fn, write_wait_ms)


async def release(engine: AsyncEngine) -> None:
    """Close ``engine``'s lanes, if it has any: call before ``engine.dispose()``."""
    for write in (False, True):
        lane = _LANES.pop((engine, write), None)
        if lane is not None:
            await lane.close()


class _Lane:
    """The connection an engine's reads-alone (or writes-alone) share."""

    def __init__(self) -> None:
        self.connection: AsyncConnection | None = None

    async def run(
        self,
        engine: AsyncEngine,
        fn: Callable[[sqlite3.Connection, Dialect], T],
        write_wait_ms: int | None,
    ) -> T:
        connection = self.connection
        if connection is None:
            connection = await engine.connect()
            if self.connection is None:
                self.connection = connection
            else:  # another transaction opened one meanwhile
                await connection.close()
                connection = self.connection
        try:
            return await _transaction(connection, fn, write_wait_ms)
        except sa_exc.DBAPIError:
            # A connection that failed is not trusted again: the next one opens a fresh one.
            if self.connection is connection:
                self.connection = None
                with contextlib.suppress(Exception):
                    await connection.invalidate()
                with contextlib.suppress(Exception):
                    await connection.close()
            raise

    async def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            await connection.close()


_LANES: dict[tuple[AsyncEngine, bool], _Lane] = {}


def _lane(engine: AsyncEngine, *, write: bool) -> _Lane:
    lane = _LANES.get((engine, write))
    if lane is None:
        lane = _LANES[(engine, write)] = _Lane()
    return lane


async def _transaction(
    connection: AsyncConnection,
    fn: Callable[[sqlite3.Connection, Dialect], T],
    write_wait_ms: int | None,
) -> T:
    raw = await connection.get_raw_connection()
    info = raw.info
    pragma = None
    if write_wait_ms is not None and info.get(WAIT_MS) != write_wait_ms:
        # As engine's begin hook does: it resets the timeout for the next transaction.
        pragma = f"PRAGMA busy_timeout={int(write_wait_ms)}"
        info.pop(WAIT_MS, None)  # unknown until it ran

    def transaction(conn: sqlite3.Connection, dialect: Dialect) -> T:
        if pragma is not None:
            conn.execute(pragma)
        conn.execute("BEGIN IMMEDIATE" if write_wait_ms is not None else "BEGIN")
        try:
            result = fn(conn, dialect)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise
        return result

    result = await in_thread(connection, transaction)
    if pragma is not None:
        info[WAIT_MS] = write_wait_ms
    return result


async def in_thread(
    connection: AsyncConnection, fn: Callable[[sqlite3.Connection, Dialect], T]
) -> T:
    """Run ``fn`` with the sqlite3 connection under ``connection``, on the thread that owns it
    (aiosqlite's worker: its queue is what SQLAlchemy's own adapter uses for the same), within
    whatever transaction ``connection`` has open."""
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection  # aiosqlite.Connection
    try:
        result: T = await driver._execute(lambda: fn(driver._conn, connection.dialect))
    except sqlite3.Error as exc:
        # As SQLAlchemy would have raised it: storage.availability tells outages by these.
        raise sa_exc.DBAPIError.instance(None, None, exc, sqlite3.Error) from exc
    return result
