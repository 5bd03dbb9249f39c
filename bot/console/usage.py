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

from bot.storage.engine import reading
from bot.storage.models import ConversationRow, InboxRow
from bot.storage.stats import Counts, count_feedback, day_start


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


class UsageRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], timezone: str) -> None:
        self._sessions = sessions
        self._zone = ZoneInfo(timezone)
        self._timezone = timezone

    async def usage(self, days: int, now: dt.datetime, *, top: int = 10) -> Usage:
        since = day_start(now, self._timezone, days - 1)
        offset = now.astimezone(self._zone).utcoffset() or dt.timedelta(0)
        first = since.astimezone(self._zone).date()
        by_day = {
            first + dt.timedelta(days=n): DayRow(first + dt.timedelta(days=n)) for n in range(days)
        }
        by_channel: dict[str, Counts] = {}
        async with reading(self._sessions) as session:
            day = _local_day(session, ConversationRow.created_at, offset).label("day")
            rows = await session.execute(
                select(
                    day,
                    ConversationRow.channel,
                    ConversationRow.outcome,
                    ConversationRow.picked,
                    func.count(),
                )
                .where(ConversationRow.created_at >= since, ConversationRow.created_at < now)
                .group_by(
                    day, ConversationRow.channel, ConversationRow.outcome, ConversationRow.picked
                )
            )
            for raw_day, channel, outcome, picked, count in rows:
                by_channel.setdefault(channel, Counts()).count(outcome, picked, count)
                row = by_day.get(_as_date(raw_day))
                if row is not None:
                    row.counts.count(outcome, picked, count)
            await count_feedback(session, since, now, by_channel)
            missed = await session.execute(
                select(InboxRow.id, InboxRow.kind, InboxRow.text, InboxRow.count)
                .where(InboxRow.status == "open", InboxRow.kind.in_(("no_match", "ambiguous")))
                .order_by(InboxRow.count.desc(), InboxRow.id.desc())
                .limit(top)
            )
            top_missed = [Missed(*row) for row in missed]
        totals = Counts()
        for counts in by_channel.values():
            totals.add(counts)
        return Usage(since, now, list(by_day.values()), totals, by_channel, top_missed)
