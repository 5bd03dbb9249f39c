"""Inbox reads and one-click fixes for the console (each fix and its audit in one transaction)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.knowledge import FaqEntry, nfc
from bot.storage.audit import add_audit
from bot.storage.engine import reading
from bot.storage.inbox import InboxError, InboxItem
from bot.storage.knowledge_repo import KnowledgeRepository, entry_from_row
from bot.storage.models import ConversationRow, InboxRow, KnowledgeEntryRow, utcnow
from bot.storage.textkey import fold_key

KIND_LABELS = {
    "no_match": "Chưa trả lời được",
    "ambiguous": "Đưa lựa chọn",
    "negative_feedback": "Bị đánh giá 👎",
}
SORTS = {"new": "Mới nhất", "frequent": "Hỏi nhiều nhất"}
DRAFT_ANSWER = "(Bản nháp: hãy viết câu trả lời, thêm cách hỏi rồi xuất bản.)"


@dataclass(frozen=True, slots=True)
class InboxPage:
    items: list[InboxItem]
    total: int  # open items matching the filter
    by_kind: dict[str, tuple[int, int]]  # kind -> (items, times asked)


@dataclass(frozen=True, slots=True)
class PickSuggestion:
    text: str
    faq_id: str
    count: int


def _item(row: InboxRow) -> InboxItem:
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


class ConsoleInbox:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], knowledge: KnowledgeRepository
    ) -> None:
        self._sessions = sessions
        self._knowledge = knowledge

    async def page(self, *, kind: str | None, sort: str, offset: int, limit: int) -> InboxPage:
        """Open items of one kind (or all), newest or most asked first; served by indexes."""
        where = [InboxRow.status == "open"]
        if kind:
            where.append(InboxRow.kind == kind)
        order = (
            (InboxRow.count.desc(), InboxRow.id.desc())
            if sort == "frequent"
            else (InboxRow.last_seen.desc(), InboxRow.id.desc())
        )
        async with reading(self._sessions) as session:
            rows = await session.scalars(
                select(InboxRow).where(*where).order_by(*order).offset(offset).limit(limit)
            )
            items = [_item(r) for r in rows]
            kinds = await session.execute(
                select(InboxRow.kind, func.count(), func.sum(InboxRow.count))
                .where(InboxRow.status == "open")
                .group_by(InboxRow.kind)
            )
            by_kind = {k: (int(n), int(s or 0)) for k, n, s in kinds}
        total = by_kind.get(kind, (0, 0))[0] if kind else sum(n for n, _ in by_kind.values())
        return InboxPage(items, total, by_kind)

    async def suggestions(self, *, min_count: int = 2, limit: int = 20) -> list[PickSuggestion]:
        """Wordings citizens resolved repeatedly by tapping the same "did you mean" entry."""
        n = func.count().label("n")
        async with reading(self._sessions) as session:
            rows = (
                await session.execute(
                    select(
                        ConversationRow.normalized,
                        ConversationRow.matched_id,
                        func.max(ConversationRow.text),
                        n,
                    )
                    .where(
                        ConversationRow.picked.is_(True), ConversationRow.matched_id.is_not(None)
                    )
                    .group_by(ConversationRow.normalized, ConversationRow.matched_id)
                    .having(func.count() >= min_count)
                    .order_by(n.desc())
                    .limit(limit * 3)
                )
            ).all()
            ids = {faq_id for _, faq_id, _, _ in rows}
            entries = await session.scalars(
                select(KnowledgeEntryRow).where(KnowledgeEntryRow.id.in_(ids))
            )
            known = {e.id: {fold_key(p) for p in entry_from_row(e).phrasings} for e in entries}
        found: list[PickSuggestion] = []
        for _, faq_id, text, count in rows:
            if faq_id in known and fold_key(text) not in known[faq_id]:
                found.append(PickSuggestion(text, faq_id, int(count)))
        return found[:limit]

    async def promote(self, item_id: int, faq_id: str, *, by: str) -> bool:
        """The item's wording becomes a phrasing of ``faq_id``; False if it already was one."""
        async with self._sessions.begin() as session:
            row = await _open_row(session, item_id)
            added = await self._knowledge.add_alternate_in(
                session, faq_id, row.text, by=by, action="inbox.promote"
            )
            _resolve(row, "promoted", by, faq_id)
            add_audit(
                session,
                by,
                "inbox.promote",
                f"inbox:{item_id}",
                old={"status": "open"},
                new={"status": "promoted", "faq_id": faq_id, "text": row.text},
            )
            return added

    async def draft(self, item_id: int, category: str, *, by: str) -> str:
        """A new draft entry whose question is the citizen's wording; return its id."""
        async with self._sessions.begin() as session:
            row = await _open_row(session, item_id)
            faq_id = await _free_id(session, category, row.text, item_id)
            entry = FaqEntry(
                id=faq_id,
                category=category,
                question=nfc(row.text.strip())[:500],
                alternates=(),
                answer=DRAFT_ANSWER,
                status="draft",
            )
            await self._knowledge.apply_in(
                session, [(entry, "hộp thư", None)], by=by, action="inbox.draft"
            )
            _resolve(row, "promoted", by, faq_id)
            add_audit(
                session,
                by,
                "inbox.draft",
                f"inbox:{item_id}",
                old={"status": "open"},
                new={"status": "promoted", "faq_id": faq_id, "text": row.text},
            )
            return faq_id

    async def dismiss(self, item_id: int, *, by: str) -> None:
        async with self._sessions.begin() as session:
            row = await _open_row(session, item_id)
            _resolve(row, "dismissed", by, None)
            add_audit(
                session,
                by,
                "inbox.dismiss",
                f"inbox:{item_id}",
                old={"status": "open"},
                new={"status": "dismissed", "text": row.text},
            )


async def _open_row(session: AsyncSession, item_id: int) -> InboxRow:
    row = await session.get(InboxRow, item_id, with_for_update=True)
    if row is None:
        raise InboxError("Không có câu hỏi này trong hộp thư.")
    if row.status != "open":
        who = row.resolved_by or "người khác"
        raise InboxError(f"Câu hỏi này đã được {who} xử lý rồi; không cần làm lại.")
    return row


def _resolve(row: InboxRow, status: str, by: str, faq_id: str | None) -> None:
    row.status = status
    row.open_slot = row.id
    row.resolved_at = utcnow()
    row.resolved_by = by
    row.promoted_to = faq_id


def slug(text: str, limit: int = 40) -> str:
    folded = fold_key(text)
    words = re.sub(r"[^a-z0-9 ]", "", folded).split()
    return "_".join(words)[:limit].strip("_") or "cau_hoi"


async def _free_id(session: AsyncSession, category: str, text: str, item_id: int) -> str:
    base = f"{category}.{slug(text)}"
    for candidate in (base, f"{base}_{item_id}"):
        if await session.get(KnowledgeEntryRow, candidate) is None:
            return candidate
    return f"{category}.moi_{item_id}_{int(dt.datetime.now(dt.UTC).timestamp())}"


def with_phrasing(entry: FaqEntry, text: str) -> FaqEntry:
    return dataclasses.replace(entry, alternates=(*entry.alternates, nfc(text.strip())))
