"""Audit log: who changed what, when, from what to what."""

from __future__ import annotations

import datetime as dt
import getpass
import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import AuditRow, utcnow


def current_actor() -> str:
    """The OS user running a staff command (who is accountable for the change)."""
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return os.environ.get("USER") or "unknown"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    old: Any
    new: Any
    detail: str


def audit_row(
    actor: str,
    action: str,
    target: str,
    *,
    old: Any = None,
    new: Any = None,
    detail: str = "",
    at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Values for one audit row (inserted in the caller's transaction, so both land or neither)."""
    return {
        "at": at or utcnow(),
        "actor": actor[:100],
        "action": action,
        "target": target[:100],
        "old": old,
        "new": new,
        "detail": detail,
    }


def add_audit(session: AsyncSession, actor: str, action: str, target: str, **kwargs: Any) -> None:
    session.add(AuditRow(**audit_row(actor, action, target, **kwargs)))


class AuditRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def history(self, target: str) -> list[AuditRecord]:
        """Every audited change of one target, oldest first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(AuditRow).where(AuditRow.target == target).order_by(AuditRow.id)
            )
            return [_record(r) for r in rows]

    async def recent(self, limit: int = 50) -> list[AuditRecord]:
        async with self._sessions() as session:
            rows = await session.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit))
            return [_record(r) for r in rows]


def _record(row: AuditRow) -> AuditRecord:
    return AuditRecord(
        row.id, row.at, row.actor, row.action, row.target, row.old, row.new, row.detail
    )
