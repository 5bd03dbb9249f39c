"""Usage figures for staff: questions, answers, misses and feedback, per channel."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.engine import reading
from bot.storage.models import ConversationRow, FeedbackRow, utcnow

QUESTION_OUTCOMES = ("answered", "ambiguous", "no_match")


@dataclass(slots=True)
class Counts:
    questions: int = 0
    answered: int = 0
    ambiguous: int = 0
    no_match: int = 0
    # A "did you mean" choice tapped: counted apart so a question is not counted twice.
    picked: int = 0
    helpful: int = 0
    not_helpful: int = 0

    def count(self, outcome: str, picked: bool, n: int) -> None:
        """Add ``n`` logged rows of one outcome (a tapped choice is not a new question)."""
        if picked:
            self.picked += n
        elif outcome in QUESTION_OUTCOMES:
            self.questions += n
            setattr(self, outcome, getattr(self, outcome) + n)

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(slots=True)
class TopItem:
    text: str
    count: int


@dataclass(slots=True)
class StatsReport:
    since: dt.datetime
    until: dt.datetime
    totals: Counts = field(default_factory=Counts)
    by_channel: dict[str, Counts] = field(default_factory=dict)
    top_questions: list[TopItem] = field(default_factory=list)
    top_misses: list[TopItem] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            **asdict(self.totals),
            "by_channel": {name: asdict(c) for name, c in sorted(self.by_channel.items())},
            "top_questions": [asdict(t) for t in self.top_questions],
            "top_misses": [asdict(t) for t in self.top_misses],
        }


def day_start(now: dt.datetime, timezone: str, days_back: int = 0) -> dt.datetime:
    """Midnight (local time) ``days_back`` days before ``now``, in UTC."""
    local = now.astimezone(ZoneInfo(timezone))
    midnight = dt.datetime.combine(
        local.date() - dt.timedelta(days=days_back), dt.time(), local.tzinfo
    )
    return midnight.astimezone(dt.UTC)


class StatsRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], timezone: str) -> None:
        self._sessions = sessions
        self._timezone = timezone

    async def for_days(self, days: int, *, now: dt.datetime | None = None) -> StatsReport:
        """Today (days=1) or the last ``days`` local calendar days including today."""
        now = now or utcnow()
        return await self.report(day_start(now, self._timezone, max(days, 1) - 1), now)

    async def report(
        self, since: dt.datetime, until: dt.datetime | None = None, *, top: int = 10
    ) -> StatsReport:
        until = until or utcnow()
        result = StatsReport(since, until)
        in_range = (ConversationRow.created_at >= since, ConversationRow.created_at < until)
        async with reading(self._sessions) as session:
            rows = await session.execute(
                select(
                    ConversationRow.channel,
                    ConversationRow.outcome,
                    ConversationRow.picked,
                    func.count(),
                )
                .where(*in_range)
                .group_by(ConversationRow.channel, ConversationRow.outcome, ConversationRow.picked)
            )
            for channel, outcome, picked, count in rows:
                result.by_channel.setdefault(channel, Counts()).count(outcome, picked, count)
            await count_feedback(session, since, until, result.by_channel)
            result.top_questions = await _top(session, in_range, QUESTION_OUTCOMES, top)
            result.top_misses = await _top(session, in_range, ("no_match", "ambiguous"), top)
        for counts in result.by_channel.values():
            result.totals.add(counts)
        return result


async def count_feedback(
    session: AsyncSession, since: dt.datetime, until: dt.datetime, by_channel: dict[str, Counts]
) -> None:
    """Add 👍 / 👎 counts of the period to each channel's counts."""
    feedback = await session.execute(
        select(FeedbackRow.channel, FeedbackRow.helpful, func.count())
        .where(FeedbackRow.created_at >= since, FeedbackRow.created_at < until)
        .group_by(FeedbackRow.channel, FeedbackRow.helpful)
    )
    for channel, helpful, n in feedback:
        counts = by_channel.setdefault(channel, Counts())
        if helpful:
            counts.helpful += n
        else:
            counts.not_helpful += n


async def _top(
    session: AsyncSession, in_range: tuple[object, ...], outcomes: tuple[str, ...], top: int
) -> list[TopItem]:
    count = func.count().label("n")
    rows = await session.execute(
        select(func.max(ConversationRow.text), count)
        .where(
            *in_range,  # type: ignore[arg-type]
            ConversationRow.outcome.in_(outcomes),
            ConversationRow.picked.is_(False),
            ConversationRow.normalized != "",
        )
        .group_by(ConversationRow.normalized)
        .order_by(count.desc(), func.max(ConversationRow.text))
        .limit(top)
    )
    return [TopItem(text, n) for text, n in rows]
