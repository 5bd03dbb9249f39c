"""chat state: small per-chat values shared by processes (numbered text choices, …)

Revision ID: 0007_chat_state
Revises: 0006_staff
Create Date: 2026-11-30

Table of bot.storage.models.ChatStateRow. Rows expire; the daily purge deletes them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_chat_state"
down_revision: str | None = "0006_staff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_state",
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("chat", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "chat", "name", name=op.f("pk_chat_state")),
    )
    with op.batch_alter_table("chat_state", schema=None) as batch_op:
        batch_op.create_index("ix_chat_state_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chat_state", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_state_expires_at")
    op.drop_table("chat_state")
