"""Broadcast runs: create (a scheduled slot at most once), start with a recipient snapshot,
pause, finish, and report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import exists, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.broadcast.ledger import Ledger
from bot.broadcast.models import OPEN_RUN_STATUSES, BroadcastRunRow, DeliveryRow, TipDeliveryRow
from bot.storage.engine import reading
from bot.storage.models import SubscriptionRow

TIPS_TOPIC = "tips"
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class NewRun:
    kind: str
    channels: tuple[str, ...]
    not_before: dt.datetime
    created_by: str
    created_at: dt.datetime
    text: str | None = None
    tip_id: str | None = None
    schedule_id: str | None = None
    slot: dt.datetime | None = None

    @property
    def topic(self) -> str | None:
        # Tips go to those who asked for tips; announcements to every active subscriber.
        return TIPS_TOPIC if self.kind == "tip" else None


@dataclass(frozen=True, slots=True)
class RunReport:
    id: int
    kind: str
    status: str
    created_by: str
    created_at: str
    scheduled_for: str
    started_at: str | None
    finished_at: str | None
    total: int
    sent: int
    failed: int
    blocked: int
    pending: int
    sending: int
    unknown: int
    skipped: int
    rate: float  # messages per second between the first and the last delivery
    duration: float  # seconds from start to finish (or until now)
    summary: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class Runs:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self.sessions = sessions
        self.ledger = Ledger(sessions)

    async def create(self, new: NewRun) -> int | None:
        """Insert a run; None when this schedule slot already has one (in any process)."""
        async with self._sessions.begin() as session:
            if new.schedule_id is not None:
                found = await session.scalar(
                    select(BroadcastRunRow.id).where(
                        BroadcastRunRow.schedule_id == new.schedule_id,
                        BroadcastRunRow.slot == new.slot,
                    )
                )
                if found is not None:
                    return None
            row = BroadcastRunRow(
                kind=new.kind,
                status="scheduled",
                text=new.text,
                tip_id=new.tip_id,
                topic=new.topic,
                channels=list(new.channels),
                schedule_id=new.schedule_id,
                slot=new.slot,
                not_before=new.not_before,
                created_by=new.created_by,
                created_at=new.created_at,
                total=0,
                note="",
            )
            try:
                async with session.begin_nested():
                    session.add(row)
            except IntegrityError:
                return None
            return row.id

    async def slot_taken(self, schedule_id: str, slot: dt.datetime) -> bool:
        async with self._sessions() as session:
            found = await session.scalar(
                select(BroadcastRunRow.id).where(
                    BroadcastRunRow.schedule_id == schedule_id, BroadcastRunRow.slot == slot
                )
            )
            return found is not None

    async def get(self, run_id: int) -> BroadcastRunRow | None:
        async with self._sessions() as session:
            return await session.get(BroadcastRunRow, run_id)

    async def start(self, run_id: int, now: dt.datetime, active_tips: Sequence[str]) -> bool:
        """scheduled → running with one ledger row per current subscriber; True if we did it.

        The conditional UPDATE lets exactly one process take the snapshot.
        """
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(BroadcastRunRow)
                .where(
                    BroadcastRunRow.id == run_id,
                    BroadcastRunRow.status == "scheduled",
                    BroadcastRunRow.not_before <= now,
                )
                .values(status="running", started_at=now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return False
            run = await session.get(BroadcastRunRow, run_id)
            assert run is not None
            recipients = await _recipients(session, run)
            rows = await _ledger_rows(session, run, recipients, active_tips)
            for start in range(0, len(rows), _CHUNK):
                await session.execute(insert(DeliveryRow), rows[start : start + _CHUNK])
            run.total = len(rows)
            if run.kind == "tip" and run.tip_id is None and not active_tips and recipients:
                run.note = "no active tips"
        return True

    async def set_paused(self, run_id: int, resume_at: dt.datetime | None) -> None:
        status = "paused" if resume_at is not None else "running"
        async with self._sessions.begin() as session:
            await session.execute(
                update(BroadcastRunRow)
                .where(
                    BroadcastRunRow.id == run_id, BroadcastRunRow.status.in_(("running", "paused"))
                )
                .values(status=status, resume_at=resume_at)
                .execution_options(synchronize_session=False)
            )

    async def finish_if_done(self, run_id: int, now: dt.datetime) -> bool:
        open_rows = exists().where(
            DeliveryRow.run_id == run_id, DeliveryRow.status.in_(("pending", "sending"))
        )
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(BroadcastRunRow)
                .where(
                    BroadcastRunRow.id == run_id,
                    BroadcastRunRow.status.in_(("running", "paused")),
                    ~open_rows,
                )
                .values(status="finished", finished_at=now, resume_at=None)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]

    async def reopen(self, run_ids: Collection[int]) -> None:
        """Runs that got rows back to pending (staff resend) are running again."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(BroadcastRunRow)
                .where(BroadcastRunRow.id.in_(list(run_ids)), BroadcastRunRow.status == "finished")
                .values(status="running", finished_at=None)
                .execution_options(synchronize_session=False)
            )

    async def open_runs(self, now: dt.datetime) -> list[BroadcastRunRow]:
        """Unfinished runs whose time has come, oldest first."""
        async with reading(self._sessions) as session:
            rows = await session.scalars(
                select(BroadcastRunRow)
                .where(
                    BroadcastRunRow.status.in_(OPEN_RUN_STATUSES),
                    BroadcastRunRow.not_before <= now,
                )
                .order_by(BroadcastRunRow.not_before, BroadcastRunRow.id)
            )
            return list(rows)

    async def upcoming(self, now: dt.datetime) -> list[BroadcastRunRow]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(BroadcastRunRow)
                .where(BroadcastRunRow.status == "scheduled", BroadcastRunRow.not_before > now)
                .order_by(BroadcastRunRow.not_before)
            )
            return list(rows)

    async def reports(
        self, now: dt.datetime, *, run_ids: Collection[int] | None = None, limit: int = 20
    ) -> list[RunReport]:
        async with reading(self._sessions) as session:
            query = select(BroadcastRunRow).order_by(BroadcastRunRow.id.desc())
            if run_ids is not None:
                query = query.where(BroadcastRunRow.id.in_(list(run_ids)))
            else:
                query = query.limit(limit)
            runs = list(await session.scalars(query))
        ids = [r.id for r in runs]
        counts = await self.ledger.counts(ids)
        spans = await self.ledger.sent_span(ids)
        return [_report(run, counts[run.id], spans.get(run.id), now) for run in runs]


def _report(
    run: BroadcastRunRow,
    counts: dict[str, int],
    span: tuple[dt.datetime, dt.datetime] | None,
    now: dt.datetime,
) -> RunReport:
    sent = counts.get("sent", 0)
    rate = 0.0
    if span is not None and sent > 1:
        seconds = (span[1] - span[0]).total_seconds()
        rate = (sent - 1) / seconds if seconds > 0 else 0.0
    duration = 0.0
    if run.started_at is not None:
        duration = ((run.finished_at or now) - run.started_at).total_seconds()
    if run.kind == "announcement":
        summary = (run.text or "").replace("\n", " ")[:60]
    else:
        summary = f"tip {run.tip_id}" if run.tip_id else "tip rotation"
    return RunReport(
        id=run.id,
        kind=run.kind,
        status=run.status,
        created_by=run.created_by,
        created_at=run.created_at.isoformat(),
        scheduled_for=run.not_before.isoformat(),
        started_at=_iso(run.started_at),
        finished_at=_iso(run.finished_at),
        total=run.total,
        sent=sent,
        failed=counts.get("failed", 0),
        blocked=counts.get("blocked", 0),
        pending=counts.get("pending", 0),
        sending=counts.get("sending", 0),
        unknown=counts.get("unknown", 0),
        skipped=counts.get("skipped", 0),
        rate=round(rate, 2),
        duration=round(max(0.0, duration), 2),
        summary=summary,
    )


async def _recipients(session: AsyncSession, run: BroadcastRunRow) -> list[SubscriptionRow]:
    rows = await session.scalars(
        select(SubscriptionRow)
        .where(SubscriptionRow.active.is_(True), SubscriptionRow.channel.in_(run.channels))
        .order_by(SubscriptionRow.id)
    )
    # JSON containment is not portable; topics are filtered here.
    return [r for r in rows if run.topic is None or not r.topics or run.topic in r.topics]


async def _ledger_rows(
    session: AsyncSession,
    run: BroadcastRunRow,
    recipients: Sequence[SubscriptionRow],
    active_tips: Sequence[str],
) -> list[dict[str, Any]]:
    tips: dict[int, str | None] = {}
    if run.kind == "tip" and run.tip_id is None:
        tips = await next_tips(session, recipients, active_tips)
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for sub in recipients:
        key = (sub.channel, sub.chat_id)
        if key in seen:  # two subscriptions on one chat still get one message
            continue
        seen.add(key)
        tip_id = run.tip_id if run.kind == "tip" and run.tip_id else tips.get(sub.id)
        if run.kind == "tip" and tip_id is None:
            continue
        rows.append(
            {
                "run_id": run.id,
                "channel": sub.channel,
                "chat_id": sub.chat_id,
                "user_id": sub.user_id,
                "subscription_id": sub.id,
                "tip_id": tip_id,
                "status": "pending",
                "attempts": 0,
                "rate_limited": 0,
                "error": "",
            }
        )
    return rows


async def next_tips(
    session: AsyncSession, recipients: Sequence[SubscriptionRow], active_tips: Sequence[str]
) -> dict[int, str | None]:
    """Each subscriber's next tip: the first in order they have not had, else the oldest had."""
    if not active_tips:
        return {}
    order = {tip_id: i for i, tip_id in enumerate(active_tips)}
    chosen: dict[int, str | None] = {}
    for start in range(0, len(recipients), _CHUNK):
        chunk = recipients[start : start + _CHUNK]
        keys = [(r.channel, r.user_id) for r in chunk]
        had: dict[tuple[str, str], dict[str, dt.datetime]] = {}
        rows = await session.execute(
            select(
                TipDeliveryRow.channel,
                TipDeliveryRow.user_id,
                TipDeliveryRow.tip_id,
                TipDeliveryRow.delivered_at,
            ).where(tuple_(TipDeliveryRow.channel, TipDeliveryRow.user_id).in_(keys))
        )
        for channel, user_id, tip_id, delivered_at in rows:
            if tip_id in order:
                had.setdefault((channel, user_id), {})[tip_id] = delivered_at
        for sub in chunk:
            seen = had.get((sub.channel, sub.user_id), {})
            fresh = next((t for t in active_tips if t not in seen), None)
            if fresh is None:  # had them all: start the cycle again, oldest first
                fresh = min(seen, key=lambda t: (seen[t], order[t]))
            chosen[sub.id] = fresh
    return chosen
