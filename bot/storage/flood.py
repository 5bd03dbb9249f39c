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

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.ports import FloodVerdict
from bot.storage.batch import GroupCommit
from bot.storage.engine import dialect_insert
from bot.storage.models import FloodWindowRow, utcnow

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
        return [
            {key: self._count(rows[key], now, n) for key, n in batch.items()} for batch in batches
        ]

    def _count(self, row: FloodWindowRow, now: dt.datetime, messages: int) -> FloodVerdict:
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
            delete(FloodWindowRow).where(
                FloodWindowRow.window_start <= now - self.window,
                or_(FloodWindowRow.muted_until.is_(None), FloodWindowRow.muted_until <= now),
            )
        )


async def _lock_windows(
    session: AsyncSession, keys: Sequence[str], now: dt.datetime
) -> dict[str, FloodWindowRow]:
    """The windows of ``keys``, locked for this transaction; a missing one starts empty now."""
    wanted = sorted(set(keys))
    # Another process may insert the same keys at once: let the database merge them.
    fresh = [{"key": k, "window_start": now, "count": 0} for k in wanted]
    insert = dialect_insert(session, FloodWindowRow)
    await session.execute(insert.on_conflict_do_nothing(index_elements=["key"]), fresh)
    # Locked in key order, so two processes never wait on each other in a circle.
    query = (
        select(FloodWindowRow)
        .where(FloodWindowRow.key.in_(wanted))
        .order_by(FloodWindowRow.key)
        .with_for_update()
    )
    return {row.key: row for row in await session.scalars(query)}
