"""Flood windows in the database: a messenger user's message count, shared by every process
that takes that messenger's updates (a standby after a takeover, web processes behind one
webhook), so spreading messages over processes does not lift the limit.

A fixed window per user (``max_messages`` in ``window``); the first message over the limit
gets a notice, the next ones are ignored until one more window has passed. Checks of
concurrent messages share the storage's group commit, as the web chat's rate counters do.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.ports import FloodVerdict
from bot.storage.batch import GroupCommit
from bot.storage.engine import dialect_insert
from bot.storage.models import FloodWindowRow, utcnow

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
        verdicts: dict[str, FloodVerdict] = await self._writer.submit(self._count_batch, wanted)
        return {key: verdicts[key[:MAX_KEY_CHARS]] for key in messages}

    async def _count_batch(
        self, session: AsyncSession, batches: Sequence[Mapping[str, int]]
    ) -> list[dict[str, FloodVerdict]]:
        now = self.clock()
        if time.monotonic() - self._last_purge >= PURGE_EVERY_SECONDS:
            self._last_purge = time.monotonic()
            await self._purge(session, now)
        rows = await _lock_windows(session, [key for batch in batches for key in batch], now)
        # Batches in the order submitted: two for one key count one after the other.
        verdicts = [
            {key: self._count(rows[key], now, n) for key, n in batch.items()} for batch in batches
        ]
        await session.execute(
            update(WINDOWS)
            .where(WINDOWS.c.key == bindparam("b_key"))
            .values(
                window_start=bindparam("b_start"),
                count=bindparam("b_count"),
                muted_until=bindparam("b_muted"),
            ),
            [
                {
                    "b_key": k,
                    "b_start": w.window_start,
                    "b_count": w.count,
                    "b_muted": w.muted_until,
                }
                for k, w in rows.items()
            ],
        )
        return verdicts

    def _count(self, row: _Window, now: dt.datetime, messages: int) -> FloodVerdict:
        if row.muted_until is not None:
            if now < row.muted_until:
                return FloodVerdict.IGNORE
            row.muted_until, row.window_start, row.count = None, now, 0
        if row.window_start + self.window <= now or row.window_start > now:
            row.window_start, row.count = now, 0
        row.count += messages
        if row.count > self.max_messages:
            row.count, row.muted_until = 0, now + self.window
            return FloodVerdict.NOTIFY
        return FloodVerdict.ALLOW

    async def _purge(self, session: AsyncSession, now: dt.datetime) -> None:
        """Windows over and not muted any more: nothing left to remember."""
        await session.execute(
            delete(WINDOWS).where(
                WINDOWS.c.window_start <= now - self.window,
                or_(WINDOWS.c.muted_until.is_(None), WINDOWS.c.muted_until <= now),
            )
        )


@dataclass(slots=True)
class _Window:
    window_start: dt.datetime
    count: int
    muted_until: dt.datetime | None


async def _lock_windows(
    session: AsyncSession, keys: Sequence[str], now: dt.datetime
) -> dict[str, _Window]:
    """The windows of ``keys``, locked for this transaction; a missing one starts empty now.
    Plain rows, not ORM objects: the caller writes them back in one executemany."""
    wanted = sorted(set(keys))
    # Another process may insert the same keys at once: let the database merge them.
    fresh = [{"key": k, "window_start": now, "count": 0} for k in wanted]
    insert = dialect_insert(session, WINDOWS)
    await session.execute(insert.on_conflict_do_nothing(index_elements=["key"]), fresh)
    # Locked in key order, so two processes never wait on each other in a circle.
    query = (
        select(WINDOWS.c.key, WINDOWS.c.window_start, WINDOWS.c.count, WINDOWS.c.muted_until)
        .where(WINDOWS.c.key.in_(wanted))
        .order_by(WINDOWS.c.key)
        .with_for_update()
    )
    # Unpacked: a row's .count is the tuple method, not the column.
    return {
        key: _Window(start, count, muted)
        for key, start, count, muted in await session.execute(query)
    }
