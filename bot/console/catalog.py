"""The knowledge list: search (accent-insensitive), category, status and stale filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

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


class Catalog:
    """Reads light columns only and keeps each question's folded form per entry version,
    so filtering 10,000 entries costs one indexed-free scan of short strings."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._folded: dict[str, tuple[int, str]] = {}
        # Rows of the last read, by knowledge version: every write bumps the version.
        self._rows: tuple[int, list[Any]] | None = None

    async def listing(
        self, filters: Filters, *, today: dt.date, stale_days: int, offset: int, limit: int
    ) -> Listing:
        limit_date = today - dt.timedelta(days=stale_days)
        columns = (
            KnowledgeEntryRow.id,
            KnowledgeEntryRow.category,
            KnowledgeEntryRow.question,
            KnowledgeEntryRow.status,
            KnowledgeEntryRow.reviewed,
            KnowledgeEntryRow.updated_at,
            KnowledgeEntryRow.updated_by,
            KnowledgeEntryRow.version,
            KnowledgeEntryRow.position,
        )
        query = select(*columns).order_by(KnowledgeEntryRow.category, KnowledgeEntryRow.position)
        async with reading(self._sessions) as session:
            current = int(
                await session.scalar(select(KnowledgeState.version).where(KnowledgeState.id == 1))
                or 0
            )
            if self._rows is None or self._rows[0] != current:
                self._rows = (current, list((await session.execute(query)).all()))
            rows = self._rows[1]
        needle = fold_key(filters.query)
        found: list[Listed] = []
        total = len(rows)
        for faq_id, category, question, status, reviewed, updated_at, by, version, _ in rows:
            if filters.category and category != filters.category:
                continue
            if filters.status and status != filters.status:
                continue
            stale = reviewed is None or reviewed < limit_date
            if filters.stale and not stale:
                continue
            if (
                needle
                and needle not in self._fold(faq_id, version, question)
                and needle not in faq_id
            ):
                continue
            found.append(
                Listed(faq_id, category, question, status, reviewed, updated_at, by, stale)
            )
        return Listing(found[offset : offset + limit], len(found), total)

    def _fold(self, faq_id: str, version: int, question: str) -> str:
        cached = self._folded.get(faq_id)
        if cached is None or cached[0] != version:
            cached = (version, fold_key(question))
            self._folded[faq_id] = cached
        return cached[1]
