"""Flood windows in the database: a messenger user's message count, shared by every process
that takes that messenger's updates (a standby after a takeover, web processes behind one
webhook), so spreading messages over processes does not lift the limit.

A fixed window per user (``max_messages`` in ``window``); the first message over the limit
gets a notice, the next ones are ignored until one more window has passed. Checks of
concurrent messages share the storage's group commit, as the web chat's rate counters do.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, or_, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.ports import FloodVerdict
from bot.storage.batch import GroupCommit, sqlite_form
from bot.storage.engine import dialect_insert
from bot.storage.models import FloodWindowRow, utcnow
from bot.storage.sqlite_direct import Statement

WINDOWS = cast(Table, FloodWindowRow.__table__)
PURGE_EVERY_SECONDS = 300.0
MAX_KEY_CHARS = 140


class FloodRepository:
    """Implements bot.core.ports.FloodWindows."""

    def __init__(
        self,
        writer: GroupCommit,
        max_messages: int,
        window_seconds: float,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        if max_messages < 1 or window_seconds <= 0:
            raise ValueError("flood limits must be positive")
        self._writer = writer
        self.max_messages = max_messages
        self.window = dt.timedelta(seconds=window_seconds)
        self.clock = clock
        self._last_purge = float("-inf")

    async def check(self, key: str) -> FloodVerdict:
        return (await self.count({key: 1}))[key]

    async def count(self, messages: Mapping[str, int]) -> dict[str, FloodVerdict]:
        wanted: dict[str, int] = {}
        for key, n in messages.items():
            wanted[key[:MAX_KEY_CHARS]] = wanted.get(key[:MAX_KEY_CHARS], 0) + max(n, 0)
        if not wanted:
            return {}
        purge = time.monotonic() - self._last_purge >= PURGE_EVERY_SECONDS
        if purge:
            self._last_purge = time.monotonic()
        counts = _Counts(wanted, self.max_messages, self.window, self.clock(), purge)
        verdicts: dict[str, FloodVerdict] = await self._writer.submit(_count_windows, counts)
        return {key: verdicts[key[:MAX_KEY_CHARS]] for key in messages}


@dataclass(frozen=True, slots=True)
class _Counts:
    """One count: messages per key since the last, under one repository's limits, at ``now``."""

    messages: Mapping[str, int]
    max_messages: int
    window: dt.timedelta
    now: dt.datetime
    purge: bool  # also forget the windows that are over (now and then)


@dataclass(slots=True)
class _Window:
    window_start: dt.datetime
    count: int
    muted_until: dt.datetime | None


def _count(row: _Window, counts: _Counts, messages: int) -> FloodVerdict:
    now = counts.now
    if row.muted_until is not None:
        if now < row.muted_until:
            return FloodVerdict.IGNORE
        row.muted_until, row.window_start, row.count = None, now, 0
    if row.window_start + counts.window <= now or row.window_start > now:
        row.window_start, row.count = now, 0
    row.count += messages
    if row.count > counts.max_messages:
        row.count, row.muted_until = 0, now + counts.window
        return FloodVerdict.NOTIFY
    return FloodVerdict.ALLOW


def _counted(
    windows: dict[str, _Window], items: Sequence[_Counts]
) -> tuple[list[dict[str, FloodVerdict]], list[dict[str, Any]]]:
    """Every count's verdicts, in the order submitted (two for one key count one after the
    other), and the windows' new values as the UPDATE's parameters."""
    verdicts = [{key: _count(windows[key], c, n) for key, n in c.messages.items()} for c in items]
    params = [
        {"b_key": k, "b_start": w.window_start, "b_count": w.count, "b_muted": w.muted_until}
        for k, w in windows.items()
    ]
    return verdicts, params


def _fresh(items: Sequence[_Counts]) -> list[dict[str, Any]]:
    """A row for every key, starting empty (merged away where the key has one)."""
    starts: dict[str, dt.datetime] = {}
    for counts in items:
        for key in counts.messages:
            starts.setdefault(key, counts.now)
    return [{"key": k, "window_start": starts[k], "count": 0} for k in sorted(starts)]


def _purge_params(items: Sequence[_Counts]) -> list[dict[str, Any]]:
    return [
        {"b_cutoff": c.now - c.window, "b_now": c.now}
        for c in items[:1]
        if any(i.purge for i in items)
    ]


# Windows over and not muted any more: nothing left to remember.
_PURGE = delete(WINDOWS).where(
    WINDOWS.c.window_start <= bindparam("b_cutoff"),
    or_(WINDOWS.c.muted_until.is_(None), WINDOWS.c.muted_until <= bindparam("b_now")),
)
_UPDATE = (
    update(WINDOWS)
    .where(WINDOWS.c.key == bindparam("b_key"))
    .values(
        window_start=bindparam("b_start"),
        count=bindparam("b_count"),
        muted_until=bindparam("b_muted"),
    )
)
_INSERT_SQLITE = Statement(
    sqlite_insert(WINDOWS).on_conflict_do_nothing(index_elements=["key"]),
    ("key", "window_start", "count"),
)
_SELECT_SQLITE = Statement(
    select(WINDOWS.c.window_start, WINDOWS.c.count, WINDOWS.c.muted_until).where(
        WINDOWS.c.key == bindparam("b_key")
    )
)
_UPDATE_SQLITE = Statement(_UPDATE)
_PURGE_SQLITE = Statement(_PURGE)


def _count_sqlite(
    conn: sqlite3.Connection, dialect: Dialect, items: Sequence[_Counts]
) -> list[dict[str, FloodVerdict]]:
    """The same on SQLite's connection (its write lock is the transaction's: no FOR UPDATE)."""
    _PURGE_SQLITE.many(conn, dialect, _purge_params(items))
    fresh = _fresh(items)
    _INSERT_SQLITE.many(conn, dialect, fresh)
    moment = WINDOWS.c.window_start.type.dialect_impl(dialect).result_processor(dialect, None)
    assert moment is not None

    def read(key: str) -> _Window:
        ((start, count, muted),) = _SELECT_SQLITE.each(conn, dialect, [{"b_key": key}])
        began = moment(start)  # as the column's type reads it through the session
        assert isinstance(began, dt.datetime)
        return _Window(began, int(count), moment(muted) if muted is not None else None)

    verdicts, params = _counted({row["key"]: read(row["key"]) for row in fresh}, items)
    _UPDATE_SQLITE.many(conn, dialect, params)
    return verdicts


@sqlite_form(_count_sqlite)
async def _count_windows(
    session: AsyncSession, items: Sequence[_Counts]
) -> list[dict[str, FloodVerdict]]:
    purge = _purge_params(items)
    if purge:
        await session.execute(_PURGE, purge)
    fresh = _fresh(items)
    # Another process may insert the same keys at once: let the database merge them.
    insert = dialect_insert(session, WINDOWS)
    await session.execute(insert.on_conflict_do_nothing(index_elements=["key"]), fresh)
    # Locked in key order, so two processes never wait on each other in a circle.
    query = (
        select(WINDOWS.c.key, WINDOWS.c.window_start, WINDOWS.c.count, WINDOWS.c.muted_until)
        .where(WINDOWS.c.key.in_([row["key"] for row in fresh]))
        .order_by(WINDOWS.c.key)
        .with_for_update()
    )
    # Unpacked: a row's .count is the tuple method, not the column.
    windows = {
        key: _Window(start, count, muted)
        for key, start, count, muted in await session.execute(query)
    }
    verdicts, params = _counted(windows, items)
    await session.execute(_UPDATE, params)
    return verdicts
