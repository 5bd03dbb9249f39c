"""The delivery ledger: claim rows atomically, record outcomes, recover after a crash.

Protocol: a row goes pending → sending (committed, with this worker's id) before its request,
and to its final status after. Two workers never get one row: the claim is an UPDATE ... WHERE
status = 'pending', which on PostgreSQL re-checks a row a concurrent claimer just changed and on
SQLite runs under the single write lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.broadcast.models import DeliveryRow, TipDeliveryRow
from bot.storage.engine import reading
from bot.storage.models import SubscriptionRow

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
UNSUBSCRIBED = "unsubscribed before delivery"
CRASHED = "worker stopped while sending: maybe delivered"


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    run_id: int
    channel: str
    chat_id: str
    user_id: str
    subscription_id: int | None
    tip_id: str | None
    attempts: int
    rate_limited: int


@dataclass(frozen=True, slots=True)
class Decision:
    """What to write for one claimed row after its request."""

    status: str
    attempts: int
    rate_limited: int
    not_before: dt.datetime | None = None
    error: str = ""
    message_id: str | None = None
    sent_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class OpenState:
    """Unfinished rows of one run and channel, as one worker sees them."""

    pending: int
    next_at: dt.datetime | None  # earliest moment a pending row may be sent
    sending_mine: int
    sending_others: int

    def ready(self, now: dt.datetime) -> bool:
        return self.pending > 0 and self.next_at is not None and self.next_at <= now

    @property
    def done(self) -> bool:
        return self.pending == 0 and self.sending_mine == 0 and self.sending_others == 0


# Core table statements: the ORM's bulk-update machinery costs more than the SQL here.
LEDGER = cast(Table, DeliveryRow.__table__)
_CLAIM_COLUMNS = (
    LEDGER.c.id,
    LEDGER.c.run_id,
    LEDGER.c.channel,
    LEDGER.c.chat_id,
    LEDGER.c.user_id,
    LEDGER.c.subscription_id,
    LEDGER.c.tip_id,
    LEDGER.c.attempts,
    LEDGER.c.rate_limited,
)


class Ledger:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def claim(
        self, run_id: int, channel: str, worker: str, limit: int, now: dt.datetime
    ) -> list[Claimed]:
        """Mark up to ``limit`` due pending rows as sending for ``worker`` and commit."""
        async with self._sessions.begin() as session:
            t = LEDGER
            subs = cast(Table, SubscriptionRow.__table__)
            candidates = (
                await session.execute(
                    select(t.c.id, subs.c.active)
                    .select_from(t.outerjoin(subs, subs.c.id == t.c.subscription_id))
                    .where(
                        t.c.run_id == run_id,
                        t.c.channel == channel,
                        t.c.status == "pending",
                        or_(t.c.not_before.is_(None), t.c.not_before <= now),
                    )
                    .order_by(t.c.id)
                    .limit(limit)
                )
            ).all()
            withdrawn = [row.id for row in candidates if row.active is False]
            wanted = [row.id for row in candidates if row.active is not False]
            if withdrawn:
                await session.execute(
                    update(t)
                    .where(t.c.id.in_(withdrawn), t.c.status == "pending")
                    .values(status="skipped", error=UNSUBSCRIBED)
                )
            if not wanted:
                return []
            result = await session.execute(
                update(t)
                .where(t.c.id.in_(wanted), t.c.status == "pending")
                .values(status="sending", worker=worker, sending_at=now)
                .returning(*_CLAIM_COLUMNS)
            )
            claimed = [Claimed(*row) for row in result.all()]
        claimed.sort(key=lambda c: c.id)
        return claimed

    async def record(
        self,
        worker: str,
        outcomes: Sequence[tuple[Claimed, Decision]],
        now: dt.datetime,
    ) -> None:
        """Write final or retry states in one transaction (plus their side effects)."""
        if not outcomes:
            return
        table = LEDGER
        statement = (
            update(table)
            .where(
                table.c.id == bindparam("b_id"),
                table.c.worker == worker,
                # "unknown": another process thought this worker dead; the truth wins.
                # (Two comparisons, not IN: an expanding IN cannot be used with executemany.)
                or_(table.c.status == "sending", table.c.status == "unknown"),
            )
            .values(
                status=bindparam("b_status"),
                attempts=bindparam("b_attempts"),
                rate_limited=bindparam("b_rate_limited"),
                not_before=bindparam("b_not_before", type_=DeliveryRow.not_before.type),
                error=bindparam("b_error"),
                message_id=bindparam("b_message_id"),
                sent_at=bindparam("b_sent_at", type_=DeliveryRow.sent_at.type),
                worker=bindparam("b_worker"),
            )
        )
        params = [
            {
                "b_id": row.id,
                "b_status": d.status,
                "b_attempts": d.attempts,
                "b_rate_limited": d.rate_limited,
                "b_not_before": d.not_before,
                "b_error": d.error,
                "b_message_id": d.message_id,
                "b_sent_at": d.sent_at,
                "b_worker": None if d.status == "pending" else worker,
            }
            for row, d in outcomes
        ]
        blocked = [row for row, d in outcomes if d.status == "blocked"]
        tipped = [row for row, d in outcomes if d.status == "sent" and row.tip_id]
        async with self._sessions.begin() as session:
            await session.execute(statement, params)
            if blocked:
                await _deactivate(session, blocked, now)
            if tipped:
                await remember_tips(session, tipped, now)

    async def state(self, run_id: int, channel: str, worker: str, now: dt.datetime) -> OpenState:
        del now
        async with reading(self._sessions) as session:
            rows = (
                await session.execute(
                    select(
                        DeliveryRow.status,
                        DeliveryRow.worker,
                        func.count(),
                        func.min(func.coalesce(DeliveryRow.not_before, EPOCH)),
                    )
                    .where(
                        DeliveryRow.run_id == run_id,
                        DeliveryRow.channel == channel,
                        DeliveryRow.status.in_(("pending", "sending")),
                    )
                    .group_by(DeliveryRow.status, DeliveryRow.worker)
                )
            ).all()
        pending = mine = others = 0
        next_at: dt.datetime | None = None
        for status, row_worker, count, earliest in rows:
            if status == "pending":
                pending += count
                earliest = _aware(earliest)
                next_at = earliest if next_at is None else min(next_at, earliest)
            elif row_worker == worker:
                mine += count
            else:
                others += count
        return OpenState(pending, next_at, mine, others)

    async def recover(
        self,
        live_workers: Collection[str],
        *,
        run_id: int | None = None,
        channel: str | None = None,
        worker: str | None = None,
    ) -> int:
        """Rows left in 'sending' by a worker that is gone become 'unknown' (never resent).

        ``worker`` names one gone worker instead of "everyone not in ``live_workers``".
        """
        condition = [DeliveryRow.status == "sending"]
        if worker is not None:
            condition.append(DeliveryRow.worker == worker)
        elif live_workers:
            condition.append(
                or_(DeliveryRow.worker.is_(None), DeliveryRow.worker.not_in(list(live_workers)))
            )
        if run_id is not None:
            condition.append(DeliveryRow.run_id == run_id)
        if channel is not None:
            condition.append(DeliveryRow.channel == channel)
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(DeliveryRow)
                .where(*condition)
                .values(status="unknown", error=CRASHED)
                .execution_options(synchronize_session=False)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    async def requeue(self, status: str, run_id: int | None = None) -> tuple[int, list[int]]:
        """Staff's choice: put 'unknown' (or 'failed') rows back to pending.

        Returns the number of rows and the runs they belong to.
        """
        condition = [DeliveryRow.status == status]
        if run_id is not None:
            condition.append(DeliveryRow.run_id == run_id)
        async with self._sessions.begin() as session:
            runs = (
                await session.scalars(select(DeliveryRow.run_id).where(*condition).distinct())
            ).all()
            result = await session.execute(
                update(DeliveryRow)
                .where(*condition)
                .values(status="pending", worker=None, not_before=None, attempts=0, error="")
                .execution_options(synchronize_session=False)
            )
        return int(result.rowcount), sorted(runs)  # type: ignore[attr-defined]

    async def counts(self, run_ids: Collection[int]) -> dict[int, dict[str, int]]:
        async with reading(self._sessions) as session:
            rows = (
                await session.execute(
                    select(DeliveryRow.run_id, DeliveryRow.status, func.count())
                    .where(DeliveryRow.run_id.in_(list(run_ids)))
                    .group_by(DeliveryRow.run_id, DeliveryRow.status)
                )
            ).all()
        result: dict[int, dict[str, int]] = {run_id: {} for run_id in run_ids}
        for run_id, status, count in rows:
            result[run_id][status] = int(count)
        return result

    async def sent_span(
        self, run_ids: Collection[int]
    ) -> dict[int, tuple[dt.datetime, dt.datetime]]:
        async with reading(self._sessions) as session:
            rows = (
                await session.execute(
                    select(
                        DeliveryRow.run_id,
                        func.min(DeliveryRow.sent_at),
                        func.max(DeliveryRow.sent_at),
                    )
                    .where(DeliveryRow.run_id.in_(list(run_ids)), DeliveryRow.sent_at.is_not(None))
                    .group_by(DeliveryRow.run_id)
                )
            ).all()
        return {r: (_aware(first), _aware(last)) for r, first, last in rows if first is not None}


def _aware(value: object) -> dt.datetime:
    # Aggregates bypass the column type, so SQLite hands back a naive datetime or a string.
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


async def _deactivate(session: AsyncSession, rows: Sequence[Claimed], now: dt.datetime) -> None:
    """A 403 means the citizen blocked the bot: stop sending to them, on every run."""
    ids = [row.subscription_id for row in rows if row.subscription_id is not None]
    if ids:
        await session.execute(
            update(SubscriptionRow)
            .where(SubscriptionRow.id.in_(ids), SubscriptionRow.active.is_(True))
            .values(active=False, withdrawn_at=now)
            .execution_options(synchronize_session=False)
        )


async def remember_tips(session: AsyncSession, rows: Sequence[Claimed], now: dt.datetime) -> None:
    """Upsert (channel, user, tip) so rotation moves on to a tip they have not had."""
    values = [
        {
            "channel": row.channel,
            "user_id": row.user_id,
            "tip_id": row.tip_id,
            "run_id": row.run_id,
            "delivered_at": now,
        }
        for row in rows
    ]
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(TipDeliveryRow).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=["channel", "user_id", "tip_id"],
        set_={"delivered_at": statement.excluded.delivered_at, "run_id": statement.excluded.run_id},
    )
    await session.execute(statement)
