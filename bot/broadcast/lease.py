"""Named leases in the database: one holder at a time, taken with an atomic conditional UPDATE.

``scheduler`` decides which process runs scheduled jobs; ``sender:<channel>`` which process
sends broadcasts on a channel (so two processes never double the bot's rate). A lease has an
expiry its holder renews. A holder on this same machine whose process is gone is recognised
at once (kill -9 leaves no time to release), elsewhere when the lease expires.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.broadcast.clock import Clock
from bot.broadcast.models import LeaseRow

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Holder:
    id: str
    host: str
    pid: int

    @classmethod
    def for_this_process(cls) -> Holder:
        host = socket.gethostname()[:100]
        pid = os.getpid()
        return cls(f"{host}:{pid}:{uuid.uuid4().hex[:8]}", host, pid)


@dataclass(frozen=True, slots=True)
class LeaseInfo:
    name: str
    holder: str
    host: str
    pid: int
    expires_at: dt.datetime


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_live(info: LeaseInfo, now: dt.datetime, me: Holder) -> bool:
    """Whether the lease is held by a process that may still be working."""
    if not info.holder or info.expires_at <= now:
        return False
    if info.holder == me.id:
        return True
    return not (info.host == me.host and not pid_alive(info.pid))


class Leases:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], holder: Holder, clock: Clock
    ) -> None:
        self._sessions = sessions
        self.holder = holder
        self._clock = clock

    async def acquire(self, name: str, ttl: float) -> bool:
        """Take or renew the lease; True when this process holds it afterwards."""
        me = self.holder
        now = self._clock.now()
        values = {
            "holder": me.id,
            "host": me.host,
            "pid": me.pid,
            "expires_at": now + dt.timedelta(seconds=ttl),
        }
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(LeaseRow)
                .where(LeaseRow.name == name)
                .where(or_(LeaseRow.holder == me.id, LeaseRow.expires_at <= now))
                .values(**values, acquired_at=now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                return True
            row = await session.get(LeaseRow, name)
            if row is None:
                return await _insert(session, name, values, now)
            info = _info(row)
            if is_live(info, now, me):
                return False
            # Same machine, holder process gone: compare-and-swap on the old holder.
            result = await session.execute(
                update(LeaseRow)
                .where(LeaseRow.name == name, LeaseRow.holder == info.holder)
                .values(**values, acquired_at=now)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]

    async def renew(self, name: str, ttl: float) -> bool:
        """Extend a lease this process holds; False when another process has taken it."""
        now = self._clock.now()
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(LeaseRow)
                .where(LeaseRow.name == name, LeaseRow.holder == self.holder.id)
                .values(expires_at=now + dt.timedelta(seconds=ttl))
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]

    async def release(self, name: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(LeaseRow)
                .where(LeaseRow.name == name, LeaseRow.holder == self.holder.id)
                .values(holder="", host="", pid=0, expires_at=EPOCH)
                .execution_options(synchronize_session=False)
            )

    async def info(self, name: str) -> LeaseInfo | None:
        async with self._sessions() as session:
            row = await session.get(LeaseRow, name)
            return _info(row) if row is not None else None

    async def live_holders(self) -> set[str]:
        """Ids of every holder whose lease is live (their 'sending' rows are in flight)."""
        now = self._clock.now()
        async with self._sessions() as session:
            rows = (await session.scalars(select(LeaseRow))).all()
        return {r.holder for r in rows if is_live(_info(r), now, self.holder)}


def _info(row: LeaseRow) -> LeaseInfo:
    return LeaseInfo(row.name, row.holder, row.host, row.pid, row.expires_at)


async def _insert(
    session: AsyncSession, name: str, values: dict[str, object], now: dt.datetime
) -> bool:
    try:
        async with session.begin_nested():
            session.add(LeaseRow(name=name, acquired_at=now, **values))
    except IntegrityError:
        return False
    return True
