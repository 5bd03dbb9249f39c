"""Inbox reads and one-click fixes for the console (each fix and its audit in one transaction)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.knowledge import FaqEntry, nfc
from bot.storage.audit import add_audit
from bot.storage.engine import reading
from bot.storage.inbox import InboxItem, item_from_row, open_row, resolve
from bot.storage.knowledge_repo import KnowledgeRepository
from bot.storage.models import InboxRow, KnowledgeEntryRow
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
            items = [item_from_row(r) for r in rows]
            kinds = await session.execute(
                select(InboxRow.kind, func.count(), func.sum(InboxRow.count))
                .where(InboxRow.status == "open")
                .group_by(InboxRow.kind)
            )
            by_kind = {k: (int(n), int(s or 0)) for k, n, s in kinds}
        total = by_kind.get(kind, (0, 0))[0] if kind else sum(n for n, _ in by_kind.values())
        return InboxPage(items, total, by_kind)

    async def draft(self, item_id: int, category: str, *, by: str) -> str:
        """A new draft entry whose question is the citizen's wording; return its id."""
        async with self._sessions.begin() as session:
            row = await open_row(session, item_id)
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
            resolve(row, "promoted", by)
            row.promoted_to = faq_id
            add_audit(
                session,
                by,
                "inbox.draft",
                f"inbox:{item_id}",
                old={"status": "open"},
                new={"status": "promoted", "faq_id": faq_id, "text": row.text},
            )
            return faq_id


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
