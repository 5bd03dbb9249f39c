"""Web chat tables on the storage's declarative Base (migration: 0008_web_chat).

A visitor's session is stored under the SHA-256 of its random token, so the database alone
cannot be used to read anyone's history. Messages hold only redacted text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, UTCDateTime, utcnow


class WebChatSessionRow(Base):
    __tablename__ = "web_chat_sessions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Choices shown recently, [[id, label], ...], newest first: only these may be acted on.
    offered: Mapped[list[Any]] = mapped_column(JSON, default=list)
    messages: Mapped[int] = mapped_column(Integer, default=0)


class WebChatMessageRow(Base):
    __tablename__ = "web_chat_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_key: Mapped[str] = mapped_column(
        ForeignKey("web_chat_sessions.key", ondelete="CASCADE")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    role: Mapped[str] = mapped_column(String(10))  # "visitor" or "assistant"
    text: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    faq_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    choices: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)

    __table_args__ = (Index("ix_web_chat_messages_session_id", "session_key", "id"),)


class WebChatRateRow(Base):
    """A fixed-window request counter per key (a session, a hashed client address)."""

    __tablename__ = "web_chat_rate_limits"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
