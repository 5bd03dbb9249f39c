"""shared windows: per-user flood windows in the database; when an update was claimed

Revision ID: 0009_shared_windows
Revises: 0008_web_chat
Create Date: 2026-11-30

Table of bot.storage.models.FloodWindowRow (a messenger user's message count in the current
window, shared by every process taking that messenger's updates) and the column
inbound_updates.claimed_at: an update left "answering" that long ago by a process that died is
closed by another one (bot.core.dispatch).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_shared_windows"
down_revision: str | None = "0008_web_chat"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flood_windows",
        sa.Column("key", sa.String(length=140), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("muted_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_flood_windows")),
    )
    with op.batch_alter_table("flood_windows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_flood_windows_window_start"), ["window_start"], unique=False
        )
    with op.batch_alter_table("inbound_updates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_updates", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")
    op.drop_table("flood_windows")
