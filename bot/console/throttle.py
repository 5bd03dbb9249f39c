"""Failed-login throttle stored in the database, so every process and restart shares it.

After ``FREE_ATTEMPTS`` failures on one username each further attempt must wait, and the wait
doubles with every failure up to ``MAX_DELAY``. A client address gets ``FREE_PER_ADDRESS``
failures first, since a whole office may share one address. A success clears the username's
key; a quiet day clears any key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.models import LoginFailureRow
from bot.storage.engine import dialect_insert

FREE_ATTEMPTS = 5
FREE_PER_ADDRESS = 20
FIRST_DELAY = dt.timedelta(seconds=30)
MAX_DELAY = dt.timedelta(hours=1)
FORGET_AFTER = dt.timedelta(days=1)
Clock = Callable[[], dt.datetime]


def delay_after(failures: int, free: int = FREE_ATTEMPTS) -> dt.timedelta:
    """The wait imposed after ``failures`` consecutive failures (none before ``free``)."""
    if failures < free:
        return dt.timedelta(0)
    wait: dt.timedelta = FIRST_DELAY * (2 ** min(failures - free, 20))
    return min(wait, MAX_DELAY)


def free_attempts(key: str) -> int:
    return FREE_PER_ADDRESS if key.startswith("ip:") else FREE_ATTEMPTS


async def wait_left(session: AsyncSession, keys: Sequence[str], now: dt.datetime) -> float:
    """Seconds until any of ``keys`` may try again (0 when none is blocked)."""
    rows = await session.scalars(select(LoginFailureRow).where(LoginFailureRow.key.in_(keys)))
    left = 0.0
    for row in rows:
        if row.blocked_until is not None and row.blocked_until > now:
            left = max(left, (row.blocked_until - now).total_seconds())
    return left


async def record_failure(session: AsyncSession, keys: Sequence[str], now: dt.datetime) -> None:
    for key in keys:
        row = await session.get(LoginFailureRow, key, with_for_update=True)
        if row is None:
            # Two processes may insert the same key at once: let the database merge them.
            statement = dialect_insert(session, LoginFailureRow).values(
                key=key, failures=1, last_failure=now, blocked_until=None
            )
            await session.execute(statement.on_conflict_do_nothing(index_elements=["key"]))
            row = await session.get(LoginFailureRow, key, with_for_update=True)
            if row is None or row.last_failure == now:
                continue
        if now - row.last_failure > FORGET_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failure = now
        wait = delay_after(row.failures, free_attempts(key))
        row.blocked_until = now + wait if wait else None


async def clear(session: AsyncSession, key: str) -> None:
    await session.execute(delete(LoginFailureRow).where(LoginFailureRow.key == key))
