"""broadcast: runs, delivery ledger, schedules, tips, tip deliveries, leases

Revision ID: 0002_broadcast
Revises: 0001
Create Date: 2026-11-27

Tables of bot.broadcast.models. Generic types only; datetimes are naive UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_broadcast"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROW_STATUSES = (
    "status IN ('pending', 'sending', 'sent', 'failed', 'blocked', 'unknown', 'skipped')"
)
_RUN_STATUSES = "status IN ('scheduled', 'running', 'paused', 'finished', 'cancelled')"


def upgrade() -> None:
    op.create_table(
        "broadcast_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("tip_id", sa.String(length=100), nullable=True),
        sa.Column("topic", sa.String(length=30), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("schedule_id", sa.String(length=50), nullable=True),
        sa.Column("slot", sa.DateTime(), nullable=True),
        sa.Column("not_before", sa.DateTime(), nullable=False),
        sa.Column("resume_at", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(_RUN_STATUSES, name=op.f("ck_broadcast_runs_status")),
        sa.CheckConstraint("kind IN ('tip', 'announcement')", name=op.f("ck_broadcast_runs_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_runs")),
        sa.UniqueConstraint("schedule_id", "slot", name=op.f("uq_broadcast_runs_schedule_id_slot")),
    )
    with op.batch_alter_table("broadcast_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_broadcast_runs_status_not_before", ["status", "not_before"], unique=False
        )

    op.create_table(
        "broadcast_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("chat_id", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("tip_id", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("rate_limited", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("sending_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("message_id", sa.String(length=50), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.CheckConstraint(_ROW_STATUSES, name=op.f("ck_broadcast_deliveries_status")),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["broadcast_runs.id"],
            name=op.f("fk_broadcast_deliveries_run_id_broadcast_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_deliveries")),
        sa.UniqueConstraint(
            "run_id",
            "channel",
            "chat_id",
            name=op.f("uq_broadcast_deliveries_run_id_channel_chat_id"),
        ),
    )
    with op.batch_alter_table("broadcast_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_broadcast_deliveries_run_status", ["run_id", "status", "channel"], unique=False
        )

    op.create_table(
        "broadcast_schedules",
        sa.Column("id", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("cron", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=50), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_schedules")),
    )
    op.create_table(
        "tips",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("faq_id", sa.String(length=100), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tips")),
    )
    op.create_table(
        "tip_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("tip_id", sa.String(length=100), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tip_deliveries")),
        sa.UniqueConstraint(
            "channel", "user_id", "tip_id", name=op.f("uq_tip_deliveries_channel_user_id_tip_id")
        ),
    )
    op.create_table(
        "broadcast_leases",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("acquired_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_broadcast_leases")),
    )
    # The scheduler lease row exists from the start (expired), so taking it is one UPDATE.
    leases = sa.table(
        "broadcast_leases",
        sa.column("name", sa.String()),
        sa.column("holder", sa.String()),
        sa.column("host", sa.String()),
        sa.column("pid", sa.Integer()),
        sa.column("acquired_at", sa.DateTime()),
        sa.column("expires_at", sa.DateTime()),
    )
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC).replace(tzinfo=None)  # columns hold naive UTC
    op.bulk_insert(
        leases,
        [
            {
                "name": name,
                "holder": "",
                "host": "",
                "pid": 0,
                "acquired_at": epoch,
                "expires_at": epoch,
            }
            for name in ("scheduler", "sender:telegram", "sender:zalo")
        ],
    )


def downgrade() -> None:
    op.drop_table("broadcast_leases")
    op.drop_table("tip_deliveries")
    op.drop_table("tips")
    op.drop_table("broadcast_schedules")
    with op.batch_alter_table("broadcast_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_broadcast_deliveries_run_status")
    op.drop_table("broadcast_deliveries")
    with op.batch_alter_table("broadcast_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_broadcast_runs_status_not_before")
    op.drop_table("broadcast_runs")
