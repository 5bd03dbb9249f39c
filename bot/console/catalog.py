"""The knowledge list: search (accent-insensitive), category, status and stale filters."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.engine import reading
from bot.storage.models import KnowledgeEntryRow, KnowledgeState
from bot.storage.textkey import fold_key


@dataclass(frozen=True, slots=True)
class Listed:
    id: str
    category: str
    question: str
    status: str
    reviewed: dt.date | None
    updated_at: dt.datetime
    updated_by: str
    stale: bool


@dataclass(frozen=True, slots=True)
class Filters:
    query: str = ""
    category: str = ""
    status: str = ""
    stale: bool = False


@dataclass(frozen=True, slots=True)
class Listing:
    rows: list[Listed]
    matched: int
    total: int


@dataclass(frozen=True, slots=True)
class _Row:
    listed: Listed
    folded: str  # question and id, lower-case without tone marks, for search


class Catalog:
    """Keeps the light columns of every entry, with each question's folded form, per knowledge
    version (every write bumps it): a page view reads one number, then filters in memory."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._rows: tuple[int, list[_Row]] | None = None

    async def listing(
        self, filters: Filters, *, today: dt.date, stale_days: int, offset: int, limit: int
    ) -> Listing:
        limit_date = today - dt.timedelta(days=stale_days)
        rows = await self._current()
        needle = fold_key(filters.query)
        found = [
            row.listed
            for row in rows
            if (not filters.category or row.listed.category == filters.category)
            and (not filters.status or row.listed.status == filters.status)
            and (not needle or needle in row.folded)
            and (not filters.stale or _stale(row.listed, limit_date))
        ]
        page = [
            dataclasses.replace(listed, stale=_stale(listed, limit_date))
            for listed in found[offset : offset + limit]
        ]
        return Listing(page, len(found), len(rows))

    async def _current(self) -> list[_Row]:
        columns = (
            KnowledgeEntryRow.id,
            KnowledgeEntryRow.category,
            KnowledgeEntryRow.question,
            KnowledgeEntryRow.status,
            KnowledgeEntryRow.reviewed,
            KnowledgeEntryRow.updated_at,
            KnowledgeEntryRow.updated_by,
        )
        async with reading(self._sessions) as session:
            version = int(
                await session.scalar(select(KnowledgeState.version).where(KnowledgeState.id == 1))
                or 0
            )
            if self._rows is not None and self._rows[0] == version:
                return self._rows[1]
            result = await session.execute(
                select(*columns).order_by(KnowledgeEntryRow.category, KnowledgeEntryRow.position)
            )
            rows = [
                _Row(Listed(*values, stale=False), f"{fold_key(values[2])} {values[0]}")
                for values in result
            ]
        self._rows = (version, rows)
        return rows


def _stale(listed: Listed, limit_date: dt.date) -> bool:
    return listed.reviewed is None or listed.reviewed < limit_date
