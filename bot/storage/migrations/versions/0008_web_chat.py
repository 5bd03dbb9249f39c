"""web chat: visitor sessions, their redacted history, shared rate-limit counters

Revision ID: 0008_web_chat
Revises: 0006_staff
Create Date: 2026-11-30

Tables of bot.storage.web_chat_models. Sessions are keyed by the SHA-256 of the visitor's
token; rate counters by session and by hashed client address, shared by every process.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_web_chat"
down_revision: str | None = "0007_chat_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_chat_sessions",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("offered", sa.JSON(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_web_chat_sessions")),
    )
    with op.batch_alter_table("web_chat_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_web_chat_sessions_last_seen"), ["last_seen"], unique=False
        )
    op.create_table(
        "web_chat_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("faq_id", sa.String(length=100), nullable=True),
        sa.Column("choices", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_key"],
            ["web_chat_sessions.key"],
            name=op.f("fk_web_chat_messages_session_key_web_chat_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_chat_messages")),
    )
    with op.batch_alter_table("web_chat_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_web_chat_messages_session_id", ["session_key", "id"], unique=False
        )
    op.create_table(
        "web_chat_rate_limits",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_web_chat_rate_limits")),
    )
    with op.batch_alter_table("web_chat_rate_limits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_web_chat_rate_limits_window_start"), ["window_start"], unique=False
        )


def downgrade() -> None:
    op.drop_table("web_chat_rate_limits")
    op.drop_table("web_chat_messages")
    op.drop_table("web_chat_sessions")
