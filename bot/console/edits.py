"""Saving an entry from the console: optimistic version check, so no edit is lost silently.

The editor form carries the version it was opened at. Saving locks the row, and when someone
saved in between, nothing is written: the caller gets the other person's version to show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.knowledge import FaqEntry, KnowledgeError, KnowledgeIssue
from bot.storage.engine import reading
from bot.storage.knowledge_repo import ImportPlan, KnowledgeRepository, entry_from_row
from bot.storage.models import KnowledgeEntryRow


@dataclass(frozen=True, slots=True)
class Stored:
    entry: FaqEntry
    version: int
    updated_at: dt.datetime
    updated_by: str


class EditConflict(Exception):
    """Someone saved the entry after this editor opened it."""

    def __init__(self, current: Stored) -> None:
        self.current = current
        super().__init__(f"{current.entry.id} changed (now version {current.version})")


class EntryExists(Exception):
    """A new entry's id is taken."""


def _stored(row: KnowledgeEntryRow) -> Stored:
    return Stored(entry_from_row(row), row.version, row.updated_at, row.updated_by)


class Editor:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], knowledge: KnowledgeRepository
    ) -> None:
        self._sessions = sessions
        self._knowledge = knowledge

    async def load(self, faq_id: str) -> Stored | None:
        async with reading(self._sessions) as session:
            row = await session.get(KnowledgeEntryRow, faq_id)
            return _stored(row) if row else None

    async def save(
        self, entry: FaqEntry, *, expected: int | None, by: str, action: str = "kb.edit"
    ) -> ImportPlan:
        """Write ``entry`` if its row is still at version ``expected`` (None: a new entry).

        Raises EditConflict, EntryExists or KnowledgeError; returns the plan with warnings.
        """
        async with self._sessions.begin() as session:
            row = (
                await session.scalars(
                    select(KnowledgeEntryRow)
                    .where(KnowledgeEntryRow.id == entry.id)
                    .with_for_update()
                )
            ).first()
            if expected is None and row is not None:
                raise EntryExists(entry.id)
            if expected is not None:
                if row is None:
                    raise KnowledgeError(
                        [KnowledgeIssue("console", None, entry.id, "id", "mục này đã bị xoá")]
                    )
                if row.version != expected:
                    raise EditConflict(_stored(row))
            return await self._knowledge.apply_in(
                session, [(entry, "console", None)], by=by, action=action, detail="console"
            )
