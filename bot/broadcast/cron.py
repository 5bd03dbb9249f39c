"""Crontab expressions with standard (Vixie cron) meaning, turned into APScheduler triggers.

APScheduler 3 numbers weekdays from Monday = 0, while crontab uses Sunday = 0 (and 7): a
literal hand-over would move "0 8 * * 2" (Tuesday) to Wednesday. We expand the weekday field
ourselves and give APScheduler names.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.broadcast import texts

# Index = crontab weekday number (0 = Sunday).
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class CronError(ValueError):
    """A schedule expression staff wrote cannot be used."""


_FULL_NAMES = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


def _day_number(token: str, expr: str) -> int:
    token = token.strip().lower()
    if token in _CRON_DAYS:
        return _CRON_DAYS.index(token)
    if token in _FULL_NAMES:
        return _FULL_NAMES.index(token)
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token) % 7
    raise CronError(texts.CRON_BAD_WEEKDAY.format(expr=expr, token=token))


def expand_weekdays(field: str, expr: str) -> set[int] | None:
    """Crontab weekday field → set of crontab day numbers; None means every day."""
    if field.strip() in ("*", "?"):
        return None
    days: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(texts.CRON_BAD_WEEKDAY.format(expr=expr, token=part))
            step = int(step_text)
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            low, _, high = base.partition("-")
            first, last = _day_number(low, expr), _day_number(high, expr)
            if high.strip() == "7":
                last = 7
            if last < first:
                raise CronError(texts.CRON_BAD_WEEKDAY.format(expr=expr, token=part))
        else:
            first = last = _day_number(base, expr)
            if step_text:
                last = 6
        days.update(day % 7 for day in range(first, last + 1, step))
    return days


def parse_cron(expr: str, timezone: str | ZoneInfo) -> CronTrigger:
    """Validate a five-field crontab expression and build a trigger in ``timezone``."""
    tz = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
    fields = expr.split()
    if len(fields) != 5:
        raise CronError(texts.CRON_FIELDS.format(expr=expr, count=len(fields)))
    minute, hour, day, month, weekday = fields
    days = expand_weekdays(weekday, expr)
    if days is not None and day not in ("*", "?"):
        # crontab runs when EITHER matches, APScheduler when BOTH match: refuse the ambiguity.
        raise CronError(texts.CRON_DAY_AND_WEEKDAY.format(expr=expr))
    day_of_week = "*" if days is None else ",".join(_CRON_DAYS[d] for d in sorted(days))
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day.replace("?", "*"),
            month=month,
            day_of_week=day_of_week,
            timezone=tz,
        )
    except ValueError as exc:
        raise CronError(texts.CRON_INVALID.format(expr=expr, reason=exc)) from exc


def latest_fire_time(
    trigger: CronTrigger, now: dt.datetime, window: dt.timedelta
) -> dt.datetime | None:
    """The last moment ≤ ``now`` the trigger fires, looking back at most ``window``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    moment: dt.datetime | None = trigger.get_next_fire_time(None, now - window)
    latest: dt.datetime | None = None
    while moment is not None and moment <= now:
        latest = moment
        moment = trigger.get_next_fire_time(moment, moment + dt.timedelta(seconds=1))
    return latest


def next_fire_time(trigger: CronTrigger, now: dt.datetime) -> dt.datetime | None:
    moment: dt.datetime | None = trigger.get_next_fire_time(None, now)
    return moment
