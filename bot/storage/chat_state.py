"""Per-chat state in the database: survives a restart and is shared by every process.

Writes (a reply's numbered choices are one per answer) go through the group-commit writer when
there is one: the writes of concurrent answers share a transaction, and each caller still
returns only once its write is committed. Reads that arrive together (every text message
looks for a pending comment) share one query (storage.batch.GroupRead).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import cast

from sqlalchemy import Table, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.batch import GroupCommit, GroupRead
from bot.storage.engine import dialect_insert, reading
from bot.storage.models import ChatStateRow, utcnow

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
        """The live values of ``keys`` (one query for the reads of concurrent answers)."""
        async with reading(self._sessions) as session:
            rows = await session.execute(
                select(STATES.c.channel, STATES.c.chat, STATES.c.name, STATES.c.value).where(
                    tuple_(STATES.c.channel, STATES.c.chat, STATES.c.name).in_(keys),
                    STATES.c.expires_at > self._clock(),
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


async def _write(session: AsyncSession, items: Sequence[_Write]) -> list[None]:
    """Puts (a value) and deletes (None) of concurrent answers: the last one per key counts."""
    last = dict(items)
    rows = [
        {"channel": c, "chat": chat, "name": n, "value": kept[0], "expires_at": kept[1]}
        for (c, chat, n), kept in last.items()
        if kept is not None
    ]
    gone = [key for key, kept in last.items() if kept is None]
    if rows:
        statement = dialect_insert(session, STATES)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["channel", "chat", "name"],
                set_={
                    "value": statement.excluded.value,
                    "expires_at": statement.excluded.expires_at,
                },
            ),
            rows,
        )
    if gone:
        await session.execute(
            delete(STATES).where(tuple_(STATES.c.channel, STATES.c.chat, STATES.c.name).in_(gone))
        )
    return [None] * len(items)
