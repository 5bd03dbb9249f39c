"""Broadcast tables on the storage's declarative Base (migration: 0002_broadcast).

A run is a record and every (run, recipient) a ledger row, so a crash resumes instead of
re-sending. Statuses of a ledger row:

- pending: not sent yet (``not_before`` delays a retry)
- sending: marked and committed just before the request; ``worker`` names who holds it
- sent / failed / blocked: final
- unknown: found in ``sending`` after its worker died; maybe delivered, never resent
  unless staff ask (``broadcast resume --resend-unknown``)
- skipped: the subscriber withdrew before their turn
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, UTCDateTime, utcnow

ROW_STATUSES = ("pending", "sending", "sent", "failed", "blocked", "unknown", "skipped")
RUN_STATUSES = ("scheduled", "running", "paused", "finished", "cancelled")
RUN_KINDS = ("tip", "announcement")
OPEN_ROW_STATUSES = ("pending", "sending")
OPEN_RUN_STATUSES = ("scheduled", "running", "paused")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class BroadcastRunRow(Base):
    __tablename__ = "broadcast_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    text: Mapped[str | None] = mapped_column(Text, nullable=True)  # announcements
    # A tip run with tip_id sends that tip to everyone; without it, each their next tip.
    tip_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    topic: Mapped[str | None] = mapped_column(String(30), nullable=True)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A scheduled slot yields at most one run: UNIQUE(schedule_id, slot).
    schedule_id: Mapped[str | None] = mapped_column(String(50), nullable=True)
    slot: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    resume_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        UniqueConstraint("schedule_id", "slot"),
        CheckConstraint(_in("status", RUN_STATUSES), name="status"),
        CheckConstraint(_in("kind", RUN_KINDS), name="kind"),
        Index("ix_broadcast_runs_status_not_before", "status", "not_before"),
    )


class DeliveryRow(Base):
    """The ledger: one row per (run, recipient)."""

    __tablename__ = "broadcast_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("broadcast_runs.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(30))
    chat_id: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[str] = mapped_column(String(100))
    subscription_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tip_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    rate_limited: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    sending_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(50), nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        UniqueConstraint("run_id", "channel", "chat_id"),
        CheckConstraint(_in("status", ROW_STATUSES), name="status"),
        Index("ix_broadcast_deliveries_run_status", "run_id", "status", "channel"),
    )


class ScheduleRow(Base):
    """Recurring schedules, written from settings at start and registered with APScheduler."""

    __tablename__ = "broadcast_schedules"

    id: Mapped[str] = mapped_column(String(50), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    cron: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(50))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TipRow(Base):
    __tablename__ = "tips"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text, nullable=True)
    faq_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Removed from the file: kept (deliveries refer to it) but never sent again.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TipDeliveryRow(Base):
    """Which tip each subscriber has had (rotation picks the next one they have not)."""

    __tablename__ = "tip_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[str] = mapped_column(String(100))
    tip_id: Mapped[str] = mapped_column(String(100))
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    delivered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("channel", "user_id", "tip_id"),)


class LeaseRow(Base):
    """Named leases: ``scheduler`` (who runs scheduled jobs), ``sender:<channel>`` (who sends)."""

    __tablename__ = "broadcast_leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200), default="")
    host: Mapped[str] = mapped_column(String(200), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    acquired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def row_dict(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}
