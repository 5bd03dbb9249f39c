"""How long ago an entry was checked, and why staff (and citizens) should re-check it.

One rule for both audiences: an entry is outdated when its ``reviewed`` date is missing or more
than the limit of days before today. Staff additionally re-check entries that name no source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import StrEnum

from bot.core.knowledge import FaqEntry

DEFAULT_STALE_DAYS = 180

# Today's date where the citizens are; a function so tests (and `kb review --as-of`) choose it.
Clock = Callable[[], dt.date]


class Reason(StrEnum):
    """Why an entry needs re-checking; the values are the stable `kb review --json` codes."""

    STALE = "stale"
    NO_REVIEWED_DATE = "no_reviewed_date"
    NO_SOURCE = "no_source"


def age_days(entry: FaqEntry, today: dt.date) -> int | None:
    """Days since the entry was reviewed; None when it has no date. A future date counts as 0."""
    if entry.reviewed is None:
        return None
    return max(0, (today - entry.reviewed).days)


def is_outdated(entry: FaqEntry, today: dt.date, limit_days: int) -> bool:
    """Whether a citizen must be told the answer may have changed."""
    age = age_days(entry, today)
    return age is None or age > limit_days


def review_reasons(entry: FaqEntry, today: dt.date, limit_days: int) -> tuple[Reason, ...]:
    """Every reason to re-check the entry, in a fixed order; empty when it is up to date."""
    reasons: list[Reason] = []
    age = age_days(entry, today)
    if age is None:
        reasons.append(Reason.NO_REVIEWED_DATE)
    elif age > limit_days:
        reasons.append(Reason.STALE)
    if not entry.source.strip():
        reasons.append(Reason.NO_SOURCE)
    return tuple(reasons)
