"""Overview figures: questions per local day by outcome and channel, feedback, top misses.

Counted in the database (one GROUP BY each over the range, served by an index on
(created_at, channel, outcome, picked)), so a period of 1,000,000 questions needs no rows in
Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.console.memo import Memo
from bot.storage.engine import reading
from bot.storage.models import ConversationRow, FeedbackRow, InboxRow
from bot.storage.stats import Counts, day_start


@dataclass(slots=True)
class DayRow:
    day: dt.date
    counts: Counts = field(default_factory=Counts)


@dataclass(slots=True)
class Missed:
    id: int
    kind: str
    text: str
    count: int


@dataclass(slots=True)
class Usage:
    since: dt.datetime
    until: dt.datetime
    days: list[DayRow]
    totals: Counts
    by_channel: dict[str, Counts]
    top_missed: list[Missed]


def _local_day(session: AsyncSession, column: Any, offset: dt.timedelta) -> Any:
    # Vietnam keeps one offset all year; a zone with DST would shift at most an hour twice a year.
    seconds = int(offset.total_seconds())
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column, f"{seconds:+d} seconds")
    return func.date(column + literal(dt.timedelta(seconds=seconds)))


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


SETTLED = dt.timedelta(minutes=10)  # a day this long over gets no more rows (logging lags)


class UsageRepository:
    """Counts per local day and channel; days that are over are counted once and remembered,
    so a page view counts only today's rows (and any day it has not seen yet)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], timezone: str) -> None:
        self._sessions = sessions
        self._zone = ZoneInfo(timezone)
        self._timezone = timezone
        self._days: Memo[dict[str, Counts]] = Memo(400)

    async def usage(self, days: int, now: dt.datetime, *, top: int = 10) -> Usage:
        since = day_start(now, self._timezone, days - 1)
        first = since.astimezone(self._zone).date()
        wanted = [first + dt.timedelta(days=n) for n in range(days)]
        known = {day: self._days.get(day) for day in wanted}
        missing = [day for day, counts in known.items() if counts is None]
        async with reading(self._sessions) as session:
            if missing:
                start = day_start(now, self._timezone, (wanted[-1] - missing[0]).days)
                counted = await self._count(session, start, now)
                for day in missing:
                    per_channel = counted.get(day, {})
                    known[day] = per_channel
                    day_over = dt.datetime.combine(
                        day + dt.timedelta(days=1), dt.time(), self._zone
                    )
                    if now - day_over >= SETTLED:
                        self._days.put(day, per_channel)
            missed = await session.execute(
                select(InboxRow.id, InboxRow.kind, InboxRow.text, InboxRow.count)
                .where(InboxRow.status == "open", InboxRow.kind.in_(("no_match", "ambiguous")))
                .order_by(InboxRow.count.desc(), InboxRow.id.desc())
                .limit(top)
            )
            top_missed = [Missed(*row) for row in missed]
        rows: list[DayRow] = []
        by_channel: dict[str, Counts] = {}
        for day in wanted:
            row = DayRow(day)
            for channel, counts in (known[day] or {}).items():
                row.counts.add(counts)
                by_channel.setdefault(channel, Counts()).add(counts)
            rows.append(row)
        totals = Counts()
        for counts in by_channel.values():
            totals.add(counts)
        return Usage(since, now, rows, totals, by_channel, top_missed)

    async def _count(
        self, session: AsyncSession, since: dt.datetime, until: dt.datetime
    ) -> dict[dt.date, dict[str, Counts]]:
        offset = until.astimezone(self._zone).utcoffset() or dt.timedelta(0)
        found: dict[dt.date, dict[str, Counts]] = {}

        def counts(raw_day: Any, channel: str) -> Counts:
            return found.setdefault(_as_date(raw_day), {}).setdefault(channel, Counts())

        day = _local_day(session, ConversationRow.created_at, offset).label("day")
        rows = await session.execute(
            select(
                day,
                ConversationRow.channel,
                ConversationRow.outcome,
                ConversationRow.picked,
                func.count(),
            )
            .where(ConversationRow.created_at >= since, ConversationRow.created_at < until)
            .group_by(day, ConversationRow.channel, ConversationRow.outcome, ConversationRow.picked)
        )
        for raw_day, channel, outcome, picked, n in rows:
            counts(raw_day, channel).count(outcome, picked, n)
        fday = _local_day(session, FeedbackRow.created_at, offset).label("day")
        feedback = await session.execute(
            select(fday, FeedbackRow.channel, FeedbackRow.helpful, func.count())
            .where(FeedbackRow.created_at >= since, FeedbackRow.created_at < until)
            .group_by(fday, FeedbackRow.channel, FeedbackRow.helpful)
        )
        for raw_day, channel, helpful, n in feedback:
            target = counts(raw_day, channel)
            if helpful:
                target.helpful += n
            else:
                target.not_helpful += n
        return found
