"""Users per channel and tip subscriptions (consent is recorded with its time)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.recent import RecentKeys
from bot.storage.batch import GroupCommit, sqlite_form
from bot.storage.engine import dialect_insert, reading
from bot.storage.models import SubscriptionRow, UserRow, utcnow
from bot.storage.sqlite_direct import Statement

# last_seen needs no second precision; skipping repeated writes keeps SQLite's one writer free.
_TOUCH_EVERY_SECONDS = 60.0
# Users touched within that minute, remembered to skip their writes: past this many (over 80
# distinct users a second, more than a province's busiest hour brings) the oldest are written
# again rather than remembered, which costs one more row in a batched upsert. At the cap they
# take about 0.9 MiB (a key string and a stamp each); twice as many, keyed by tuples, took 2.4.
RECENT_TOUCHES = 5_000
USERS = cast(Table, UserRow.__table__)


async def ensure_user(session: AsyncSession, channel: str, user_id: str, now: dt.datetime) -> int:
    """Return the user's row id, creating the row if needed (safe against a concurrent insert)."""
    found = await session.scalar(
        select(UserRow.id).where(UserRow.channel == channel, UserRow.external_id == user_id)
    )
    if found is not None:
        return int(found)
    try:
        async with session.begin_nested():
            row = UserRow(channel=channel, external_id=user_id, first_seen=now, last_seen=now)
            session.add(row)
        return row.id
    except IntegrityError:
        found = await session.scalar(
            select(UserRow.id).where(UserRow.channel == channel, UserRow.external_id == user_id)
        )
        assert found is not None
        return int(found)


def _touch_rows(keys: Sequence[tuple[str, str]], now: dt.datetime) -> list[dict[str, object]]:
    return [
        {"channel": channel, "external_id": user_id, "first_seen": now, "last_seen": now}
        for channel, user_id in dict.fromkeys(keys)
    ]


def _touch_upsert(statement: Any) -> Any:
    # One upsert for the batch; a row whose first_seen is ours was created just now (by us, not
    # by another process: theirs would carry their own clock reading).
    return statement.on_conflict_do_update(
        index_elements=["channel", "external_id"], set_={"last_seen": statement.excluded.last_seen}
    ).returning(USERS.c.channel, USERS.c.external_id, USERS.c.first_seen)


def _first_seen(keys: Sequence[tuple[str, str]], new: set[tuple[str, str]]) -> list[bool]:
    results = []
    for key in keys:
        results.append(key in new)
        new.discard(key)  # the same user twice in one batch: only the first is new
    return results


_TOUCH_SQLITE = Statement(
    _touch_upsert(sqlite_insert(USERS)), ("channel", "external_id", "first_seen", "last_seen")
)


def _touch_users_sqlite(
    conn: sqlite3.Connection, dialect: Dialect, keys: Sequence[tuple[str, str]]
) -> list[bool]:
    rows = _touch_rows(keys, utcnow())
    if not rows:
        return []
    # first_seen as stored: compared with what the database returns, unconverted.
    stored_now = _TOUCH_SQLITE.parameters(dialect, rows[0])[2]
    new = {
        (str(channel), str(user_id))
        for channel, user_id, first_seen in _TOUCH_SQLITE.each(conn, dialect, rows)
        if first_seen == stored_now
    }
    return _first_seen(keys, new)


@sqlite_form(_touch_users_sqlite)
async def _touch_users(session: AsyncSession, keys: Sequence[tuple[str, str]]) -> list[bool]:
    """Mark users seen now, creating the missing ones; True for each user seen the first time."""
    now = utcnow()
    statement = _touch_upsert(dialect_insert(session, USERS))
    result = await session.execute(statement, _touch_rows(keys, now))
    return _first_seen(
        keys, {(row.channel, row.external_id) for row in result if row.first_seen == now}
    )


def touch_key(channel: str, user_id: str) -> str:
    """How a recent touch is remembered: one string (channel names hold no colon), not a
    tuple holding the id's string, which cost 64 bytes more per user."""
    return f"{channel}:{user_id}"


class UserRepository:
    """Implements bot.core.ports.UserDirectory."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], writer: GroupCommit) -> None:
        self._sessions = sessions
        self.recent: RecentKeys[str] = RecentKeys(_TOUCH_EVERY_SECONDS, RECENT_TOUCHES)
        self._writer = writer

    async def touch(self, *, channel: str, user_id: str, display_name: str | None) -> bool:
        del display_name  # deliberately not stored
        remembered = touch_key(channel, user_id)
        if remembered in self.recent:
            return False
        first: bool = await self._writer.submit(_touch_users, (channel, user_id))
        self.recent.mark(remembered)
        return first

    async def count(self, channel: str | None = None) -> int:
        async with reading(self._sessions) as session:
            query = select(func.count(UserRow.id))
            if channel:
                query = query.where(UserRow.channel == channel)
            return int(await session.scalar(query) or 0)


@dataclass(frozen=True, slots=True)
class Subscriber:
    channel: str
    user_id: str
    chat_id: str
    topics: tuple[str, ...]
    consent_at: dt.datetime


class SubscriptionRepository:
    """Implements bot.core.ports.SubscriptionStore."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def subscribe(
        self, *, channel: str, user_id: str, chat_id: str, topics: Sequence[str] = ("tips",)
    ) -> bool:
        now = utcnow()
        async with self._sessions.begin() as session:
            user_pk = await ensure_user(session, channel, user_id, now)
            row = await session.scalar(
                select(SubscriptionRow).where(
                    SubscriptionRow.channel == channel, SubscriptionRow.user_id == user_id
                )
            )
            if row is not None and row.active:
                row.chat_id = chat_id
                row.topics = sorted(set(row.topics) | set(topics))
                return False
            if row is not None:
                row.active, row.consent_at, row.withdrawn_at = True, now, None
                row.chat_id, row.topics = chat_id, list(topics)
                return True
            try:
                async with session.begin_nested():
                    session.add(
                        SubscriptionRow(
                            user_pk=user_pk,
                            channel=channel,
                            user_id=user_id,
                            chat_id=chat_id,
                            topics=list(topics),
                            active=True,
                            consent_at=now,
                        )
                    )
            except IntegrityError:
                return False
            return True

    async def unsubscribe(self, *, channel: str, user_id: str) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(SubscriptionRow)
                .where(
                    SubscriptionRow.channel == channel,
                    SubscriptionRow.user_id == user_id,
                    SubscriptionRow.active.is_(True),
                )
                .values(active=False, withdrawn_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def is_subscribed(self, *, channel: str, user_id: str) -> bool:
        async with reading(self._sessions) as session:
            active = await session.scalar(
                select(SubscriptionRow.active).where(
                    SubscriptionRow.channel == channel, SubscriptionRow.user_id == user_id
                )
            )
            return bool(active)

    async def active(
        self, *, channel: str | None = None, topic: str | None = None
    ) -> list[Subscriber]:
        """Everyone who consented and has not withdrawn (for broadcasts)."""
        async with reading(self._sessions) as session:
            query = select(SubscriptionRow).where(SubscriptionRow.active.is_(True))
            if channel:
                query = query.where(SubscriptionRow.channel == channel)
            rows = (await session.scalars(query.order_by(SubscriptionRow.id))).all()
        return [
            Subscriber(r.channel, r.user_id, r.chat_id, tuple(r.topics), r.consent_at)
            for r in rows
            if topic is None or topic in r.topics
        ]
