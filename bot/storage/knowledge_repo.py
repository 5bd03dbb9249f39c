"""The live knowledge base in the database: load, version, seed, import, edit, history."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.knowledge import (
    Category,
    FaqEntry,
    KnowledgeBase,
    KnowledgeError,
    KnowledgeIssue,
    Link,
    check_entries,
    load_categories,
    nfc,
    split_warnings,
)
from bot.storage.audit import AuditRecord, AuditRepository, add_audit, audit_row
from bot.storage.engine import reading
from bot.storage.models import AuditRow, KnowledgeEntryRow, KnowledgeState, utcnow

Located = tuple[FaqEntry, str, int | None]
Progress = Callable[[int, int], None]
DB_SOURCE = "cơ sở dữ liệu"
_CHUNK = 500


@dataclass(slots=True)
class ImportPlan:
    """What an import changes; ``removed`` entries are disabled, never deleted."""

    added: list[FaqEntry] = field(default_factory=list)
    changed: list[tuple[FaqEntry, FaqEntry]] = field(default_factory=list)  # (old, new)
    removed: list[FaqEntry] = field(default_factory=list)
    unchanged: int = 0
    # Accepted but worth fixing (e.g. fewer than six alternates); each says what would help.
    warnings: list[KnowledgeIssue] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def entry_from_row(row: KnowledgeEntryRow) -> FaqEntry:
    return FaqEntry(
        id=row.id,
        category=row.category,
        question=row.question,
        alternates=tuple(row.alternates or ()),
        answer=row.answer,
        links=tuple(Link(link["title"], link["url"]) for link in row.links or ()),
        related=tuple(row.related or ()),
        source=row.source or "",
        reviewed=row.reviewed,
        status=row.status,
    )


def row_values(entry: FaqEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "category": entry.category,
        "question": entry.question,
        "alternates": list(entry.alternates),
        "answer": entry.answer,
        "links": [{"title": link.title, "url": link.url} for link in entry.links],
        "related": list(entry.related),
        "source": entry.source,
        "reviewed": entry.reviewed,
        "status": entry.status,
    }


class KnowledgeRepository:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        knowledge_dir: Path,
        audit: AuditRepository,
    ) -> None:
        self._sessions = sessions
        self._knowledge_dir = knowledge_dir
        self._audit = audit

    # ------------------------------------------------------------------ reading

    def categories(self) -> list[Category]:
        return load_categories(self._knowledge_dir / "categories.yaml")

    async def entries(self) -> list[FaqEntry]:
        """Every entry whatever its status, in category order then staff order."""
        order = {c.id: i for i, c in enumerate(self.categories())}
        async with reading(self._sessions) as session:
            rows = await session.scalars(select(KnowledgeEntryRow))
            ranked = sorted(rows, key=lambda r: (order.get(r.category, len(order)), r.position))
            return [entry_from_row(r) for r in ranked]

    async def load(self) -> KnowledgeBase:
        return KnowledgeBase.build(self.categories(), await self.entries())

    async def get(self, faq_id: str) -> FaqEntry | None:
        async with reading(self._sessions) as session:
            row = await session.get(KnowledgeEntryRow, faq_id)
            return entry_from_row(row) if row else None

    async def version(self) -> int:
        async with reading(self._sessions) as session:
            value = await session.scalar(
                select(KnowledgeState.version).where(KnowledgeState.id == 1)
            )
            return int(value or 0)

    async def count(self) -> int:
        async with reading(self._sessions) as session:
            return int(await session.scalar(select(func.count(KnowledgeEntryRow.id))) or 0)

    async def history(self, faq_id: str) -> list[AuditRecord]:
        return await self._audit.history(faq_id)

    # ------------------------------------------------------------------ writing

    async def seed_if_empty(self, kb: KnowledgeBase, *, by: str = "seed") -> bool:
        """Fill an empty database from the YAML seed; False when entries already exist."""
        async with self._sessions.begin() as session:
            await _lock_knowledge(session)
            if await session.scalar(select(func.count(KnowledgeEntryRow.id))):
                return False
            plan = ImportPlan(added=list(kb.entries))
            await self._write(session, plan, by=by, action="kb.seed", detail="knowledge/")
            return True

    async def import_entries(
        self,
        located: Sequence[Located],
        *,
        by: str,
        prune: bool = False,
        dry_run: bool = False,
        action: str = "kb.import",
        detail: str = "",
        progress: Progress | None = None,
    ) -> ImportPlan:
        """Validate ``located`` against the live entries and apply it in one transaction.

        Raises KnowledgeError (naming the import's files and lines) and changes nothing when any
        entry is invalid. With ``prune``, live entries missing from the import are disabled.
        """
        async with self._sessions.begin() as session:
            return await self.apply_in(
                session,
                located,
                by=by,
                prune=prune,
                dry_run=dry_run,
                action=action,
                detail=detail,
                progress=progress,
            )

    async def apply_in(
        self,
        session: AsyncSession,
        located: Sequence[Located],
        *,
        by: str,
        prune: bool = False,
        dry_run: bool = False,
        action: str = "kb.import",
        detail: str = "",
        progress: Progress | None = None,
    ) -> ImportPlan:
        """:meth:`import_entries` inside the caller's transaction (e.g. with an inbox change)."""
        await _lock_knowledge(session)
        current = await _current(session)
        warnings = self._validate(located, current)
        plan = _plan([e for e, _, _ in located], current, prune=prune)
        plan.warnings = warnings
        if not dry_run and plan.has_changes:
            await self._write(session, plan, by=by, action=action, detail=detail, progress=progress)
        return plan

    async def save(self, entry: FaqEntry, *, by: str, action: str, source: str = "kb") -> bool:
        """Add or replace one entry after validating it; False when nothing changed."""
        plan = await self.import_entries(
            [(entry, source, None)], by=by, action=action, detail=source
        )
        return plan.has_changes

    async def set_status(self, faq_id: str, status: str, *, by: str) -> FaqEntry | None:
        """Change an entry's status (e.g. disable it); None when the id does not exist."""
        entry = await self.get(faq_id)
        if entry is None:
            return None
        await self.save(dataclasses.replace(entry, status=status), by=by, action=f"kb.{status}")
        return await self.get(faq_id)

    async def add_alternate(self, faq_id: str, text: str, *, by: str, action: str) -> bool:
        """Append a wording as an alternate; False when it was already there."""
        async with self._sessions.begin() as session:
            return await self.add_alternate_in(session, faq_id, text, by=by, action=action)

    async def add_alternate_in(
        self, session: AsyncSession, faq_id: str, text: str, *, by: str, action: str
    ) -> bool:
        row = await session.get(KnowledgeEntryRow, faq_id)
        if row is None:
            raise KnowledgeError(
                [KnowledgeIssue(DB_SOURCE, None, faq_id, "id", "không có mục FAQ với mã này")]
            )
        entry = entry_from_row(row)
        text = nfc(text.strip())
        if not text or text in entry.alternates or text == entry.question:
            return False
        new = dataclasses.replace(entry, alternates=(*entry.alternates, text))
        plan = await self.apply_in(session, [(new, action, None)], by=by, action=action)
        return plan.has_changes

    # ------------------------------------------------------------------ internals

    async def check(self, located: Sequence[Located]) -> list[KnowledgeIssue]:
        """Every issue importing ``located`` would hit (warnings included), writing nothing."""
        async with reading(self._sessions) as session:
            current = await _current(session)
        try:
            return self._validate(located, current)
        except KnowledgeError as exc:
            return exc.issues

    def _validate(
        self, located: Sequence[Located], current: dict[str, KnowledgeEntryRow]
    ) -> list[KnowledgeIssue]:
        """Raise KnowledgeError on errors of ``located``; return its warnings."""
        incoming = {e.id for e, _, _ in located}
        kept: list[Located] = [
            (entry_from_row(row), DB_SOURCE, None)
            for faq_id, row in current.items()
            if faq_id not in incoming
        ]
        sources = {source for _, source, _ in located}
        issues = check_entries(
            [*located, *kept], (c.id for c in self.categories()), strict_content=True
        )
        # Problems already in the database are not this import's fault.
        errors, warnings = split_warnings([i for i in issues if i.source in sources])
        if errors:
            raise KnowledgeError([*errors, *warnings])
        return warnings

    async def _write(
        self,
        session: AsyncSession,
        plan: ImportPlan,
        *,
        by: str,
        action: str,
        detail: str,
        progress: Progress | None = None,
    ) -> None:
        now = utcnow()
        total = len(plan.added) + len(plan.changed) + len(plan.removed)
        done = 0
        position = int(await session.scalar(select(func.max(KnowledgeEntryRow.position))) or 0)
        audits: list[dict[str, Any]] = []
        inserts: list[dict[str, Any]] = []
        for entry in plan.added:
            position += 1
            values = row_values(entry)
            values.update(
                position=position, version=1, created_at=now, updated_at=now, updated_by=by
            )
            inserts.append(values)
            audits.append(
                audit_row(by, action, entry.id, new=entry.to_dict(), detail=detail, at=now)
            )
        updates: list[dict[str, Any]] = []
        for old, new in plan.changed:
            updates.append({**row_values(new), "updated_at": now, "updated_by": by})
            audits.append(
                audit_row(
                    by, action, new.id, old=old.to_dict(), new=new.to_dict(), detail=detail, at=now
                )
            )
        for old in plan.removed:
            updates.append(
                {"id": old.id, "status": "disabled", "updated_at": now, "updated_by": by}
            )
            audits.append(
                audit_row(
                    by,
                    action,
                    old.id,
                    old=old.to_dict(),
                    new=dataclasses.replace(old, status="disabled").to_dict(),
                    detail=detail,
                    at=now,
                )
            )
        for start in range(0, len(inserts), _CHUNK):
            await session.execute(insert(KnowledgeEntryRow), inserts[start : start + _CHUNK])
            done += len(inserts[start : start + _CHUNK])
            if progress:
                progress(done, total)
        for start in range(0, len(updates), _CHUNK):
            chunk = updates[start : start + _CHUNK]
            await session.execute(update(KnowledgeEntryRow), chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
        if updates:
            ids = [u["id"] for u in updates]
            for start in range(0, len(ids), _CHUNK):
                await session.execute(
                    update(KnowledgeEntryRow)
                    .where(KnowledgeEntryRow.id.in_(ids[start : start + _CHUNK]))
                    .values(version=KnowledgeEntryRow.version + 1)
                    .execution_options(synchronize_session=False)
                )
        for start in range(0, len(audits), _CHUNK):
            await session.execute(insert(AuditRow), audits[start : start + _CHUNK])
        await bump_version(session)


async def _lock_knowledge(session: AsyncSession) -> None:
    # Serializes knowledge writers on PostgreSQL; on SQLite BEGIN IMMEDIATE already did.
    await session.execute(select(KnowledgeState.id).where(KnowledgeState.id == 1).with_for_update())


async def bump_version(session: AsyncSession) -> None:
    await session.execute(
        update(KnowledgeState)
        .where(KnowledgeState.id == 1)
        .values(version=KnowledgeState.version + 1, updated_at=utcnow())
    )


async def _current(session: AsyncSession) -> dict[str, KnowledgeEntryRow]:
    rows = await session.scalars(select(KnowledgeEntryRow))
    return {row.id: row for row in rows}


def _plan(
    entries: Sequence[FaqEntry], current: dict[str, KnowledgeEntryRow], *, prune: bool
) -> ImportPlan:
    plan = ImportPlan()
    seen: set[str] = set()
    for entry in entries:
        seen.add(entry.id)
        row = current.get(entry.id)
        if row is None:
            plan.added.append(entry)
            continue
        old = entry_from_row(row)
        if old == entry:
            plan.unchanged += 1
        else:
            plan.changed.append((old, entry))
    if prune:
        for faq_id, row in current.items():
            if faq_id not in seen and row.status != "disabled":
                plan.removed.append(entry_from_row(row))
    return plan


__all__ = [
    "DB_SOURCE",
    "ImportPlan",
    "KnowledgeRepository",
    "Located",
    "add_audit",
    "entry_from_row",
]
