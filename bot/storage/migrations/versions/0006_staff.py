"""staff console: accounts, sessions, failed-login throttle; indexes for the console's pages

Revision ID: 0006_staff
Revises: 0003_redact_at_rest
Create Date: 2026-11-30

Tables of bot.console.models. The indexes serve the console at 1,000,000 logged questions:
the overview reads (created_at, channel, outcome, picked) from the index alone, and the inbox
sorts open items by last time asked or by count without a sort over the table, and counts
them per kind from an index.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_staff"
down_revision: str | None = "0004_inbound_journal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "role IN ('viewer', 'editor', 'admin')", name=op.f("ck_staff_accounts_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_accounts")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_accounts_username")),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_staff_sessions_account_id_staff_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_sessions_token_hash")),
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_sessions_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_staff_sessions_last_seen"), ["last_seen"], unique=False
        )
    op.create_table(
        "staff_login_failures",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure", sa.DateTime(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_staff_login_failures")),
    )
    with op.batch_alter_table("inbox_items", schema=None) as batch_op:
        batch_op.create_index("ix_inbox_items_status_last_seen", ["status", "last_seen"])
        batch_op.create_index("ix_inbox_items_status_count", ["status", "count"])
        # Counts per kind (and the kind filter sorted by count) from the index alone.
        batch_op.create_index("ix_inbox_items_status_kind_count", ["status", "kind", "count"])
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversations_created_outcome", ["created_at", "channel", "outcome", "picked"]
        )
        batch_op.create_index(
            "ix_conversations_picked_matched", ["picked", "matched_id", "normalized"]
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_picked_matched")
        batch_op.drop_index("ix_conversations_created_outcome")
    with op.batch_alter_table("inbox_items", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_items_status_kind_count")
        batch_op.drop_index("ix_inbox_items_status_count")
        batch_op.drop_index("ix_inbox_items_status_last_seen")
    op.drop_table("staff_login_failures")
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_sessions_last_seen"))
        batch_op.drop_index(batch_op.f("ix_staff_sessions_account_id"))
    op.drop_table("staff_sessions")
    op.drop_table("staff_accounts")
