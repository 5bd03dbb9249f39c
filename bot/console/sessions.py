"""Console logins: a random token in an httpOnly cookie, only its SHA-256 in the database.

A session ends after ``idle`` without a request, after ``absolute`` in any case, at logout,
and when its account is disabled or its password changed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.console.accounts import Account, account_from_row
from bot.console.models import StaffAccountRow, StaffSessionRow
from bot.console.throttle import Clock
from bot.storage.engine import reading
from bot.storage.models import utcnow

# last_seen is written at most this often, so browsing does not write on every page.
TOUCH_EVERY = dt.timedelta(seconds=60)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def csrf_for(token: str) -> str:
    """The form token of a session: bound to it, so it goes stale at logout or a new login."""
    return hmac.new(token.encode(), b"csrf", hashlib.sha256).hexdigest()


@dataclasses.dataclass(frozen=True, slots=True)
class LoggedIn:
    account: Account
    session_id: int
    csrf: str


class SessionRepository:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        idle: dt.timedelta,
        absolute: dt.timedelta = dt.timedelta(hours=12),
        clock: Clock = utcnow,
    ) -> None:
        self._sessions = sessions
        self.idle = idle
        self.absolute = absolute
        self._clock = clock

    async def create(self, account: Account) -> str:
        """Start a session; return the raw token for the cookie (never stored)."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        async with self._sessions.begin() as session:
            session.add(
                StaffSessionRow(
                    token_hash=token_hash(token),
                    account_id=account.id,
                    created_at=now,
                    last_seen=now,
                )
            )
            # Expired rows of anyone are cleared here, so the table never grows without bound.
            await session.execute(
                delete(StaffSessionRow).where(StaffSessionRow.last_seen < now - self.idle)
            )
        return token

    async def lookup(self, token: str | None) -> LoggedIn | None:
        """The live session of ``token``; None when unknown, expired or its account disabled."""
        if not token or len(token) > 200:
            return None
        now = self._clock()
        async with reading(self._sessions) as session:
            found = (
                await session.execute(
                    select(StaffSessionRow, StaffAccountRow)
                    .join(StaffAccountRow, StaffAccountRow.id == StaffSessionRow.account_id)
                    .where(StaffSessionRow.token_hash == token_hash(token))
                )
            ).first()
        if found is None:
            return None
        row, account = found
        if (
            not account.active
            or now - row.last_seen > self.idle
            or now - row.created_at > self.absolute
        ):
            return None
        if now - row.last_seen > TOUCH_EVERY:
            async with self._sessions.begin() as session:
                await session.execute(
                    update(StaffSessionRow)
                    .where(StaffSessionRow.id == row.id)
                    .values(last_seen=now)
                )
        return LoggedIn(account_from_row(account), row.id, csrf_for(token))

    async def end(self, token: str | None) -> None:
        if not token:
            return
        async with self._sessions.begin() as session:
            await session.execute(
                delete(StaffSessionRow).where(StaffSessionRow.token_hash == token_hash(token))
            )
