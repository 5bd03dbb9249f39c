"""The inbound journal: implements bot.core.ports.InboundJournal on the group-commit writer.

Recording a batch, claiming an update before its answer leaves and closing it afterwards are
small writes that concurrent answers share transactions for (see storage.batch). A closed row
keeps its key for ``KEEP_FINISHED`` (re-deliveries are recognised) but not its payload, so no
citizen's words stay here beyond the answer.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import cast

from sqlalchemy import Table, bindparam, delete, func, null, or_, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from bot.core.ports import Inbound, Resumed
from bot.storage.availability import outages_as_unavailable
from bot.storage.batch import GroupCommit, sqlite_form
from bot.storage.engine import dialect_insert, reading
from bot.storage.models import InboundUpdateRow, utcnow
from bot.storage.sqlite_direct import Statement

INBOUND = cast(Table, InboundUpdateRow.__table__)
# Telegram keeps an undelivered update for a day; its ids restart at random after a week idle.
KEEP_FINISHED = dt.timedelta(days=2)
_OPEN = ("pending", "answering")
_FINISHED = ("answered", "failed")


class InboundRepository:
    """Implements bot.core.ports.InboundJournal."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], writer: GroupCommit) -> None:
        self._sessions = sessions
        self._writer = writer

    async def record(self, channel: str, items: Sequence[Inbound]) -> set[str]:
        new: set[str] = await self._writer.submit(_record, (channel, tuple(items)))
        return new

    async def claim(self, channel: str, key: str) -> bool:
        claimed: bool = await self._writer.submit(_claim, (channel, key))
        return claimed

    async def finish(self, channel: str, key: str, state: str) -> None:
        if state not in _FINISHED:
            raise ValueError(f"not a final state: {state!r}")
        await self._writer.submit(_finish, (channel, key, state))

    async def ping(self) -> None:
        await self._writer.submit(_ping, None)

    async def resume(
        self,
        channel: str,
        older_than: float = 0.0,
        *,
        sweep_claimed: bool = True,
        in_hand: Collection[str] = (),
    ) -> Resumed:
        now = utcnow()
        cutoff = now - dt.timedelta(seconds=older_than)
        mine = (INBOUND.c.channel == channel, INBOUND.c.received_at <= cutoff)
        # Claimed that long ago (rows claimed before claimed_at existed: received) and not
        # being answered by the caller: a process that died left it.
        abandoned: tuple[ColumnElement[bool], ...] = (
            *mine,
            INBOUND.c.state == "answering",
            func.coalesce(INBOUND.c.claimed_at, INBOUND.c.received_at) <= cutoff,
        )
        if in_hand:
            abandoned = (*abandoned, INBOUND.c.key.not_in(sorted(in_hand)))
        with outages_as_unavailable():
            async with self._sessions.begin() as session:
                chats: list[str] = []
                swept = 0
                if sweep_claimed:
                    caught = await session.execute(
                        select(INBOUND.c.chat).where(*abandoned).distinct()
                    )
                    chats = sorted({str(chat) for (chat,) in caught if chat is not None})
                    result = await session.execute(
                        update(INBOUND)
                        .where(*abandoned)
                        .values(state="unknown", payload=null(), finished_at=now)
                    )
                    swept = int(result.rowcount)  # type: ignore[attr-defined]
                rows = await session.execute(
                    select(INBOUND.c.key, INBOUND.c.chat, INBOUND.c.payload)
                    .where(*mine, INBOUND.c.state == "pending")
                    .order_by(INBOUND.c.id)
                )
                pending = [Inbound(r.key, r.chat, r.payload or {}) for r in rows]
        return Resumed(pending, swept, chats)

    async def states(self, channel: str | None = None) -> dict[str, int]:
        """Rows per state (for tests, probes and the operator)."""
        async with reading(self._sessions) as session:
            query = select(INBOUND.c.state, func.count()).group_by(INBOUND.c.state)
            if channel:
                query = query.where(INBOUND.c.channel == channel)
            return {state: int(count) for state, count in await session.execute(query)}

    async def purge(self, now: dt.datetime | None = None) -> int:
        """Forget closed rows older than KEEP_FINISHED; return how many."""
        cutoff = (now or utcnow()) - KEEP_FINISHED
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(INBOUND).where(INBOUND.c.state.not_in(_OPEN), INBOUND.c.received_at < cutoff)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]


def _record_rows(batches: Sequence[tuple[str, tuple[Inbound, ...]]]) -> list[dict[str, object]]:
    now = utcnow()
    return [
        {
            "channel": channel,
            "key": item.key,
            "chat": item.chat,
            "state": "pending",
            "payload": item.payload,
            "received_at": now,
        }
        for channel, items in batches
        for item in items
    ]


def _record_results(
    batches: Sequence[tuple[str, tuple[Inbound, ...]]], new: set[tuple[str, str]]
) -> list[set[str]]:
    results: list[set[str]] = []
    for channel, items in batches:
        mine: set[str] = set()
        for item in items:
            if (channel, item.key) in new:
                # The same key twice in one transaction (two deliveries at once): first wins.
                new.discard((channel, item.key))
                mine.add(item.key)
        results.append(mine)
    return results


_RECORD_KEYS = ("channel", "key", "chat", "state", "payload", "received_at")
_RECORD_SQLITE = Statement(
    sqlite_insert(INBOUND)
    .on_conflict_do_nothing(index_elements=["channel", "key"])
    .returning(INBOUND.c.channel, INBOUND.c.key),
    _RECORD_KEYS,
)


def _record_sqlite(
    conn: sqlite3.Connection, dialect: Dialect, batches: Sequence[tuple[str, tuple[Inbound, ...]]]
) -> list[set[str]]:
    new = {(str(c), str(k)) for c, k in _RECORD_SQLITE.each(conn, dialect, _record_rows(batches))}
    return _record_results(batches, new)


@sqlite_form(_record_sqlite)
async def _record(
    session: AsyncSession, batches: Sequence[tuple[str, tuple[Inbound, ...]]]
) -> list[set[str]]:
    statement = (
        dialect_insert(session, INBOUND)
        .on_conflict_do_nothing(index_elements=["channel", "key"])
        .returning(INBOUND.c.channel, INBOUND.c.key)
    )
    rows = await session.execute(statement, _record_rows(batches))
    return _record_results(batches, {(row.channel, row.key) for row in rows})


_CLAIM_SQLITE = Statement(
    update(INBOUND)
    .where(
        INBOUND.c.channel == bindparam("b_channel"),
        INBOUND.c.key == bindparam("b_key"),
        INBOUND.c.state == "pending",
    )
    .values(state="answering", claimed_at=bindparam("b_now"))
    .returning(INBOUND.c.key)
)


def _claim_sqlite(
    conn: sqlite3.Connection, dialect: Dialect, items: Sequence[tuple[str, str]]
) -> list[bool]:
    """One statement per key: a key given twice is claimed by its first occurrence only."""
    now = utcnow()
    return [
        bool(_CLAIM_SQLITE.each(conn, dialect, [{"b_channel": c, "b_key": k, "b_now": now}]))
        for c, k in items
    ]


@sqlite_form(_claim_sqlite)
async def _claim(session: AsyncSession, items: Sequence[tuple[str, str]]) -> list[bool]:
    keys: defaultdict[str, list[str]] = defaultdict(list)
    for channel, key in items:
        keys[channel].append(key)
    claimed: set[tuple[str, str]] = set()
    for channel, wanted in keys.items():
        result = await session.execute(
            update(INBOUND)
            .where(
                INBOUND.c.channel == channel,
                INBOUND.c.key.in_(wanted),
                INBOUND.c.state == "pending",
            )
            .values(state="answering", claimed_at=utcnow())
            .returning(INBOUND.c.key)
        )
        claimed.update((channel, key) for (key,) in result)
    results = []
    for item in items:
        results.append(item in claimed)
        claimed.discard(item)
    return results


_FINISH = (
    update(INBOUND)
    .where(
        INBOUND.c.channel == bindparam("b_channel"),
        INBOUND.c.key == bindparam("b_key"),
        # Not IN (…): an expanding parameter cannot be used with executemany.
        or_(*(INBOUND.c.state == state for state in _OPEN)),
    )
    .values(state=bindparam("b_state"), payload=null(), finished_at=bindparam("b_now"))
)
_FINISH_SQLITE = Statement(_FINISH)


def _finish_params(items: Sequence[tuple[str, str, str]]) -> list[dict[str, object]]:
    now = utcnow()
    return [{"b_channel": c, "b_key": k, "b_state": s, "b_now": now} for c, k, s in items]


def _finish_sqlite(
    conn: sqlite3.Connection, dialect: Dialect, items: Sequence[tuple[str, str, str]]
) -> list[None]:
    _FINISH_SQLITE.many(conn, dialect, _finish_params(items))
    return [None] * len(items)


@sqlite_form(_finish_sqlite)
async def _finish(session: AsyncSession, items: Sequence[tuple[str, str, str]]) -> list[None]:
    await session.execute(_FINISH, _finish_params(items))
    return [None] * len(items)


async def _ping(session: AsyncSession, items: Sequence[None]) -> list[None]:
    await session.execute(text("SELECT 1"))
    return [None] * len(items)
