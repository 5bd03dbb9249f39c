"""Per-chat state in the database: survives a restart and is shared by every process.

Writes (a reply's numbered choices are one per answer) go through the group-commit writer when
there is one: the writes of concurrent answers share a transaction, and each caller still
returns only once its write is committed. Reads that arrive together (every text message
looks for a pending comment) share one query (storage.batch.GroupRead).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, tuple_
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.batch import GroupCommit, GroupRead, sqlite_form
from bot.storage.engine import dialect_insert, reading
from bot.storage.models import ChatStateRow, utcnow
from bot.storage.sqlite_direct import Statement, alone, sqlite_engine

MAX_VALUE_CHARS = 16_000  # a list of numbered choices is far smaller; refuse anything else


class ChatStateRepository:
    """Implements bot.core.ports.ChatState: one row per (channel, chat, name).

    With ``writer`` the puts of concurrent callers share the storage's group commit (the
    assistant's per-user memory, written behind every answer)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], dt.datetime] = utcnow,
        *,
        writer: GroupCommit | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._writer = writer
        self._sqlite = sqlite_engine(sessions)
        self._reads: GroupRead[_Key, str] = GroupRead(self._read_many)

    async def put(
        self, channel: str, chat_id: str, name: str, value: str, ttl_seconds: float
    ) -> None:
        if len(value) > MAX_VALUE_CHARS:
            raise ValueError(f"chat state {name!r} too large: {len(value)} characters")
        expires = self._clock() + dt.timedelta(seconds=ttl_seconds)
        item: _Write = ((channel, chat_id, name), (value, expires))
        if self._writer is not None:
            await self._writer.submit(_write, item)
            return
        async with self._sessions.begin() as session:
            await _write(session, [item])

    async def get(self, channel: str, chat_id: str, name: str) -> str | None:
        return await self._reads.get((channel, chat_id, name))

    async def _read_many(self, keys: Sequence[_Key]) -> dict[_Key, str]:
        """The live values of ``keys`` (one query for the reads of concurrent answers; on
        SQLite one call to the connection's thread)."""
        now = self._clock()
        if self._sqlite is not None:
            return await alone(self._sqlite, partial(_read_sqlite, keys=keys, now=now))
        async with reading(self._sessions) as session:
            rows = await session.execute(
                select(STATES.c.channel, STATES.c.chat, STATES.c.name, STATES.c.value).where(
                    tuple_(STATES.c.channel, STATES.c.chat, STATES.c.name).in_(keys),
                    STATES.c.expires_at > now,
                )
            )
            return {(r.channel, r.chat, r.name): str(r.value) for r in rows}

    async def delete(self, channel: str, chat_id: str, name: str) -> None:
        if self._writer is not None:
            await self._writer.submit(_write, ((channel, chat_id, name), None))
            return
        async with self._sessions.begin() as session:
            await session.execute(
                delete(ChatStateRow).where(
                    ChatStateRow.channel == channel,
                    ChatStateRow.chat == chat_id,
                    ChatStateRow.name == name,
                )
            )

    async def pop(self, channel: str, chat_id: str, name: str) -> str | None:
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(ChatStateRow)
                .where(
                    ChatStateRow.channel == channel,
                    ChatStateRow.chat == chat_id,
                    ChatStateRow.name == name,
                )
                .returning(ChatStateRow.value, ChatStateRow.expires_at)
            )
            row = result.first()
        if row is None or row.expires_at <= self._clock():
            return None
        return str(row.value)

    async def purge(self, now: dt.datetime | None = None) -> int:
        """Delete expired rows; return how many (run daily with the log purge)."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(ChatStateRow).where(ChatStateRow.expires_at <= (now or self._clock()))
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def forget_chat(self, channel: str, chat_id: str) -> int:
        """Everything kept about one chat (erasure on request)."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(ChatStateRow).where(
                    ChatStateRow.channel == channel, ChatStateRow.chat == chat_id
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)


STATES = cast(Table, ChatStateRow.__table__)
_Key = tuple[str, str, str]  # (channel, chat, name)
_Write = tuple[_Key, tuple[str, dt.datetime] | None]


_UPSERT_KEYS = ("channel", "chat", "name", "value", "expires_at")


def _upsert(statement: Any) -> Any:
    return statement.on_conflict_do_update(
        index_elements=["channel", "chat", "name"],
        set_={"value": statement.excluded.value, "expires_at": statement.excluded.expires_at},
    )


_UPSERT_SQLITE = Statement(_upsert(sqlite_insert(STATES)), _UPSERT_KEYS)
_DELETE_SQLITE = Statement(
    delete(STATES).where(
        STATES.c.channel == bindparam("b_channel"),
        STATES.c.chat == bindparam("b_chat"),
        STATES.c.name == bindparam("b_name"),
    )
)
_READ_SQLITE = Statement(
    select(STATES.c.value).where(
        STATES.c.channel == bindparam("b_channel"),
        STATES.c.chat == bindparam("b_chat"),
        STATES.c.name == bindparam("b_name"),
        STATES.c.expires_at > bindparam("b_now"),
    )
)


def _rows(items: Sequence[_Write]) -> tuple[list[dict[str, object]], list[_Key]]:
    """Puts (a value) and deletes (None) of concurrent answers: the last one per key counts."""
    last = dict(items)
    rows: list[dict[str, object]] = [
        {"channel": c, "chat": chat, "name": n, "value": kept[0], "expires_at": kept[1]}
        for (c, chat, n), kept in last.items()
        if kept is not None
    ]
    return rows, [key for key, kept in last.items() if kept is None]


def _write_sqlite(
    conn: sqlite3.Connection, dialect: Dialect, items: Sequence[_Write]
) -> list[None]:
    rows, gone = _rows(items)
    _UPSERT_SQLITE.many(conn, dialect, rows)
    _DELETE_SQLITE.many(
        conn, dialect, [{"b_channel": c, "b_chat": chat, "b_name": n} for c, chat, n in gone]
    )
    return [None] * len(items)


@sqlite_form(_write_sqlite)
async def _write(session: AsyncSession, items: Sequence[_Write]) -> list[None]:
    rows, gone = _rows(items)
    if rows:
        await session.execute(_upsert(dialect_insert(session, STATES)), rows)
    if gone:
        await session.execute(
            delete(STATES).where(tuple_(STATES.c.channel, STATES.c.chat, STATES.c.name).in_(gone))
        )
    return [None] * len(items)


def _read_sqlite(
    conn: sqlite3.Connection, dialect: Dialect, *, keys: Sequence[_Key], now: dt.datetime
) -> dict[_Key, str]:
    found: dict[_Key, str] = {}
    for key in keys:
        params = {"b_channel": key[0], "b_chat": key[1], "b_name": key[2], "b_now": now}
        for (value,) in _READ_SQLITE.each(conn, dialect, [params]):
            found[key] = str(value)
    return found
