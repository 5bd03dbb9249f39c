"""The staff backend over the project's storage (inbox and stats repositories)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.core.knowledge import KnowledgeError
from bot.core.staff import InboxView, PeriodStats
from bot.storage import InboxError

if TYPE_CHECKING:
    from bot.storage import Storage

log = logging.getLogger(__name__)


class StorageStaffBackend:
    """Implements bot.core.staff.StaffBackend with bot.storage.Storage."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def stats(self, days: int) -> PeriodStats:
        totals = (await self.storage.stats.for_days(days)).totals
        return PeriodStats(
            questions=totals.questions,
            answered=totals.answered,
            ambiguous=totals.ambiguous,
            no_match=totals.no_match,
            helpful=totals.helpful,
            not_helpful=totals.not_helpful,
        )

    async def inbox(self, limit: int) -> tuple[int, Sequence[InboxView]]:
        total = await self.storage.inbox.count_open()
        items = await self.storage.inbox.items(limit=limit)
        return total, [InboxView(i.id, i.kind, i.text, i.count, i.faq_id) for i in items]

    async def promote(self, item_id: int, faq_id: str, actor: str) -> bool:
        try:
            await self.storage.inbox.promote(item_id, faq_id, by=actor)
        except (InboxError, KnowledgeError) as exc:
            log.info("inbox item %s not promoted: %s", item_id, exc)
            return False
        return True

    async def dismiss(self, item_id: int, actor: str) -> bool:
        try:
            await self.storage.inbox.dismiss(item_id, by=actor)
        except InboxError as exc:
            log.info("inbox item %s not dismissed: %s", item_id, exc)
            return False
        return True
