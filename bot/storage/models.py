"""Tables. Generic column types only, so one schema serves SQLite and PostgreSQL.

Later features (broadcast runs, delivery ledger, tips) add their tables to ``Base.metadata`` in
their own modules and their own migration after ``0001``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names so later migrations (and SQLite batch mode) can refer to them.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in Python, naive UTC in the column (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware values")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class KnowledgeEntryRow(Base):
    __tablename__ = "knowledge_entries"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    category: Mapped[str] = mapped_column(String(50), index=True)
    question: Mapped[str] = mapped_column(Text)
    alternates: Mapped[list[str]] = mapped_column(JSON, default=list)
    answer: Mapped[str] = mapped_column(Text)
    links: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    related: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(Text, default="")
    reviewed: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="published")
    # Keeps the order staff gave (file order, then spreadsheet row order).
    position: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100), default="")

    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'disabled')", name="status"),
    )


class KnowledgeState(Base):
    """A single row whose version every process polls to notice knowledge changes."""

    __tablename__ = "knowledge_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(30))
    # No display name: nothing needs it, and what is not stored cannot leak.
    external_id: Mapped[str] = mapped_column(String(100))
    first_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("channel", "external_id"),)


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[str] = mapped_column(String(100))
    chat_id: Mapped[str] = mapped_column(String(100))
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    consent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("channel", "user_id"),
        Index("ix_subscriptions_active_channel", "active", "channel"),
    )


class ConversationRow(Base):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)  # redacted
    normalized: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(20))
    matched_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    # True when the citizen tapped a "did you mean" choice: text is then the original question.
    picked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    __table_args__ = (
        # The console's overview counts a period from this index alone (migration 0006).
        Index("ix_conversations_created_outcome", "created_at", "channel", "outcome", "picked"),
        Index("ix_conversations_picked_matched", "picked", "matched_id", "normalized"),
    )


class FeedbackRow(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[str] = mapped_column(String(100))
    faq_id: Mapped[str] = mapped_column(String(100), index=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    question: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class InboxRow(Base):
    """Questions staff should look at, grouped by kind and normalized key."""

    __tablename__ = "inbox_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(30))
    key: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)  # the latest redacted wording
    faq_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    # 0 while open, the row id once resolved: keeps "one open item per key" unique across
    # processes with a plain unique constraint (partial indexes are not generic).
    open_slot: Mapped[int] = mapped_column(Integer, default=0)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    promoted_to: Mapped[str | None] = mapped_column(String(100), nullable=True)

    __table_args__ = (
        UniqueConstraint("kind", "key", "open_slot"),
        # The console sorts open items by last time asked or by count (migration 0006).
        Index("ix_inbox_items_status_last_seen", "status", "last_seen"),
        Index("ix_inbox_items_status_count", "status", "count"),
        Index("ix_inbox_items_status_kind_count", "status", "kind", "count"),
    )


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(100), index=True)
    old: Mapped[Any] = mapped_column(JSON, nullable=True)
    new: Mapped[Any] = mapped_column(JSON, nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")


INBOUND_STATES = ("pending", "answering", "answered", "failed", "unknown")


class InboundUpdateRow(Base):
    """One update a channel received (bot.core.dispatch): its payload is kept only until it
    is answered, its key a little longer so that a re-delivery is recognised."""

    __tablename__ = "inbound_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(30))
    key: Mapped[str] = mapped_column(String(100))
    chat: Mapped[str | None] = mapped_column(String(100), nullable=True)
    state: Mapped[str] = mapped_column(String(12), default="pending")
    payload: Mapped[Any] = mapped_column(JSON, nullable=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When it became "answering": one left so for long was abandoned by a process that died.
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("channel", "key"),
        Index("ix_inbound_updates_channel_state", "channel", "state"),
        CheckConstraint(
            "state IN (" + ", ".join(f"'{s}'" for s in INBOUND_STATES) + ")", name="state"
        ),
    )


class ChatStateRow(Base):
    """A small per-chat value (bot.core.ports.ChatState), gone once ``expires_at`` passes."""

    __tablename__ = "chat_state"

    channel: Mapped[str] = mapped_column(String(30), primary_key=True)
    chat: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class FloodWindowRow(Base):
    """A messenger user's messages in the current flood window (bot.storage.flood), shared by
    every process taking that messenger's updates; ``muted_until`` after the limit was passed."""

    __tablename__ = "flood_windows"

    key: Mapped[str] = mapped_column(String(140), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    muted_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
