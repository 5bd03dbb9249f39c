"""Tips in the database: import/export (knowledge/tips.yaml is the seed), lookups, TipSource."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.broadcast.models import TipDeliveryRow, TipRow
from bot.broadcast.tipfile import TipEntry, load_tips_file
from bot.core.ports import Tip
from bot.storage.engine import reading, serialize
from bot.storage.models import utcnow

log = logging.getLogger(__name__)
# Imports of the tips table run one at a time across processes (PostgreSQL advisory lock).
_TIPS_LOCK_KEY = 7_311_017


@dataclass(slots=True)
class TipPlan:
    """What an import changes (a dry run prints it and changes nothing)."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def _entry(row: TipRow) -> TipEntry:
    return TipEntry(row.id, row.title, row.body, row.link, row.faq_id, tuple(row.tags))


class TipRepository:
    """Implements bot.core.ports.TipSource (``/tips`` shows the latest tip sent)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def active(self) -> list[TipEntry]:
        """Tips in rotation order."""
        async with reading(self._sessions) as session:
            rows = await session.scalars(
                select(TipRow).where(TipRow.active.is_(True)).order_by(TipRow.position, TipRow.id)
            )
            return [_entry(r) for r in rows]

    async def everything(self) -> list[TipEntry]:
        """Active and retired tips (a run may still carry a tip removed since)."""
        async with reading(self._sessions) as session:
            rows = await session.scalars(select(TipRow).order_by(TipRow.position, TipRow.id))
            return [_entry(r) for r in rows]

    async def get(self, tip_id: str) -> TipEntry | None:
        async with reading(self._sessions) as session:
            row = await session.get(TipRow, tip_id)
            return _entry(row) if row is not None else None

    async def by_ids(self, tip_ids: Sequence[str]) -> dict[str, Tip]:
        async with reading(self._sessions) as session:
            rows = await session.scalars(select(TipRow).where(TipRow.id.in_(list(tip_ids))))
            return {r.id: _entry(r).to_tip() for r in rows}

    async def latest_tip(self) -> Tip | None:
        """The tip most recently delivered to anyone, else the first in rotation."""
        async with reading(self._sessions) as session:
            latest = await session.scalar(
                select(TipRow)
                .join(TipDeliveryRow, TipDeliveryRow.tip_id == TipRow.id)
                .where(TipRow.active.is_(True))
                .order_by(TipDeliveryRow.delivered_at.desc(), TipDeliveryRow.id.desc())
                .limit(1)
            )
            if latest is None:
                latest = await session.scalar(
                    select(TipRow)
                    .where(TipRow.active.is_(True))
                    .order_by(TipRow.position, TipRow.id)
                    .limit(1)
                )
            return _entry(latest).to_tip() if latest is not None else None

    async def count(self) -> int:
        async with reading(self._sessions) as session:
            value = await session.scalar(
                select(func.count()).select_from(TipRow).where(TipRow.active.is_(True))
            )
            return int(value or 0)

    async def import_tips(
        self, tips: Sequence[TipEntry], *, dry_run: bool = False, only_if_empty: bool = False
    ) -> TipPlan:
        """Make the active tips exactly ``tips`` (in that order), in one transaction.

        A tip missing from the file is deactivated, not deleted: subscribers' history keeps it.
        Imports run one at a time across processes; ``only_if_empty`` changes nothing when the
        table already has tips (another process seeded it first).
        """
        plan = TipPlan()
        now = utcnow()
        async with self._sessions.begin() as session:
            await serialize(session, _TIPS_LOCK_KEY)
            existing = {r.id: r for r in (await session.scalars(select(TipRow))).all()}
            if only_if_empty and existing:
                return plan
            wanted = {t.id for t in tips}
            for position, tip in enumerate(tips):
                row = existing.get(tip.id)
                if row is None:
                    plan.added.append(tip.id)
                    if not dry_run:
                        session.add(_new_row(tip, position, now))
                    continue
                same = _entry(row) == tip and row.active and row.position == position
                if same:
                    plan.unchanged += 1
                    continue
                if _entry(row) != tip or not row.active:
                    plan.changed.append(tip.id)
                if not dry_run:
                    row.title, row.body, row.link = tip.title, tip.body, tip.link
                    row.faq_id, row.tags = tip.faq_id, list(tip.tags)
                    row.position, row.active, row.updated_at = position, True, now
            gone = [
                tip_id for tip_id, row in existing.items() if row.active and tip_id not in wanted
            ]
            plan.removed.extend(sorted(gone))
            if gone and not dry_run:
                await session.execute(
                    update(TipRow)
                    .where(TipRow.id.in_(gone))
                    .values(active=False, updated_at=now)
                    .execution_options(synchronize_session=False)
                )
            if dry_run:
                await session.rollback()
        return plan

    async def seed_if_empty(self, path: Path) -> int:
        """First start: load knowledge/tips.yaml into an empty table; return tips added."""
        async with reading(self._sessions) as session:
            if await session.scalar(select(func.count()).select_from(TipRow)):
                return 0
        if not await asyncio.to_thread(path.exists):
            log.info("no tips file at %s; tip broadcasts have nothing to send", path)
            return 0
        tips = await asyncio.to_thread(load_tips_file, path)
        plan = await self.import_tips(tips, only_if_empty=True)
        if not plan.added:
            return 0  # another process seeded them meanwhile
        log.info("seeded %s tips from %s", len(plan.added), path)
        return len(plan.added)


def _new_row(tip: TipEntry, position: int, now: dt.datetime) -> TipRow:
    return TipRow(
        id=tip.id,
        title=tip.title,
        body=tip.body,
        link=tip.link,
        faq_id=tip.faq_id,
        tags=list(tip.tags),
        position=position,
        active=True,
        updated_at=now,
    )
