"""The staff inbox: unanswered, ambiguous and thumbs-down questions, and suggested alternates."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.audit import add_audit
from bot.storage.engine import reading
from bot.storage.knowledge_repo import KnowledgeRepository, entry_from_row
from bot.storage.models import ConversationRow, InboxRow, KnowledgeEntryRow, utcnow
from bot.storage.textkey import fold_key

KINDS = ("no_match", "ambiguous", "negative_feedback")


@dataclass(frozen=True, slots=True)
class InboxItem:
    id: int
    kind: str
    text: str
    count: int
    faq_id: str | None
    first_seen: dt.datetime
    last_seen: dt.datetime
    status: str
    promoted_to: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "text": self.text,
            "count": self.count,
            "kind": self.kind,
            "faq_id": self.faq_id,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A wording citizens resolved ``count`` times by picking the same "did you mean" entry."""

    text: str
    faq_id: str
    count: int


class InboxError(LookupError):
    """The inbox item does not exist or was already handled."""


def item_from_row(row: InboxRow) -> InboxItem:
    return InboxItem(
        row.id,
        row.kind,
        row.text,
        row.count,
        row.faq_id,
        row.first_seen,
        row.last_seen,
        row.status,
        row.promoted_to,
    )


class InboxRepository:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], knowledge: KnowledgeRepository
    ) -> None:
        self._sessions = sessions
        self._knowledge = knowledge

    async def items(self, *, status: str = "open", limit: int = 200) -> list[InboxItem]:
        """Items newest first (by the last time the question was asked)."""
        async with reading(self._sessions) as session:
            rows = await session.scalars(
                select(InboxRow)
                .where(InboxRow.status == status)
                .order_by(InboxRow.last_seen.desc(), InboxRow.id.desc())
                .limit(limit)
            )
            return [item_from_row(r) for r in rows]

    async def count_open(self) -> int:
        async with reading(self._sessions) as session:
            total = await session.scalar(
                select(func.count(InboxRow.id)).where(InboxRow.status == "open")
            )
            return int(total or 0)

    async def get(self, item_id: int) -> InboxItem | None:
        async with reading(self._sessions) as session:
            row = await session.get(InboxRow, item_id)
            return item_from_row(row) if row else None

    async def promote(self, item_id: int, faq_id: str, *, by: str) -> bool:
        """Add the item's wording as an alternate of ``faq_id``; False if it was already one.

        Raises InboxError for an unknown or already handled item and KnowledgeError for an
        unknown FAQ id; the alternate and the item's new state land in one transaction.
        """
        async with self._sessions.begin() as session:
            row = await open_row(session, item_id)
            added = await self._knowledge.add_alternate_in(
                session, faq_id, row.text, by=by, action="inbox.promote"
            )
            resolve(row, "promoted", by)
            row.promoted_to = faq_id
            add_audit(
                session,
                by,
                "inbox.promote",
                f"inbox:{item_id}",
                old={"status": "open"},
                new={"status": "promoted", "faq_id": faq_id, "text": row.text},
            )
            return added

    async def dismiss(self, item_id: int, *, by: str) -> None:
        async with self._sessions.begin() as session:
            row = await open_row(session, item_id)
            resolve(row, "dismissed", by)
            add_audit(
                session,
                by,
                "inbox.dismiss",
                f"inbox:{item_id}",
                old={"status": "open"},
                new={"status": "dismissed", "text": row.text},
            )

    async def suggestions(self, *, min_count: int = 2, limit: int = 50) -> list[Suggestion]:
        """Wordings repeatedly resolved through the same "did you mean" choice."""
        async with reading(self._sessions) as session:
            # Identical wordings are counted by the database (a million-row log has few
            # distinct picked wordings); spelling variants are merged below by fold_key.
            picks = (
                await session.execute(
                    select(ConversationRow.text, ConversationRow.matched_id, func.count())
                    .where(
                        ConversationRow.picked.is_(True), ConversationRow.matched_id.is_not(None)
                    )
                    .group_by(ConversationRow.text, ConversationRow.matched_id)
                )
            ).all()
            faq_ids = {faq_id for _, faq_id, _ in picks}
            rows = await session.scalars(
                select(KnowledgeEntryRow).where(KnowledgeEntryRow.id.in_(faq_ids))
            )
            known = {row.id: {fold_key(p) for p in entry_from_row(row).phrasings} for row in rows}
        counts: Counter[tuple[str, str]] = Counter()
        sample: dict[tuple[str, str], str] = {}
        for text, faq_id, n in picks:
            if faq_id is None or faq_id not in known:
                continue
            key = (fold_key(text), faq_id)
            if not key[0] or key[0] in known[faq_id]:
                continue
            counts[key] += n
            sample.setdefault(key, text)
        return [
            Suggestion(sample[key], key[1], n)
            for key, n in counts.most_common(limit)
            if n >= min_count
        ]


async def open_row(session: AsyncSession, item_id: int) -> InboxRow:
    """The open item, locked for this transaction; InboxError when missing or handled."""
    row = await session.get(InboxRow, item_id, with_for_update=True)
    if row is None:
        raise InboxError(f"không có mục hộp thư số {item_id}")
    if row.status != "open":
        by = f" bởi {row.resolved_by}" if row.resolved_by else ""
        raise InboxError(f"mục hộp thư số {item_id} đã được xử lý ({row.status}{by})")
    return row


def resolve(row: InboxRow, status: str, by: str) -> None:
    row.status = status
    row.open_slot = row.id
    row.resolved_at = utcnow()
    row.resolved_by = by
