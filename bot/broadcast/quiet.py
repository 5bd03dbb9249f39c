"""Quiet hours: no broadcast message reaches a citizen between, by default, 21:00 and 07:00."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.broadcast import texts

_HHMM = re.compile(r"^([01]?\d|2[0-3])[:h]([0-5]\d)$")


def parse_hhmm(value: str, name: str) -> dt.time:
    match = _HHMM.match(value.strip())
    if not match:
        raise ValueError(texts.BAD_HHMM.format(name=name, value=value))
    return dt.time(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily window in local time; ``start == end`` means no quiet hours at all."""

    start: dt.time
    end: dt.time
    tz: ZoneInfo

    @classmethod
    def parse(cls, start: str, end: str, timezone: str) -> QuietHours:
        return cls(
            parse_hhmm(start, "QUIET_HOURS_START"),
            parse_hhmm(end, "QUIET_HOURS_END"),
            ZoneInfo(timezone),
        )

    @property
    def enabled(self) -> bool:
        return self.start != self.end

    def is_quiet(self, moment: dt.datetime) -> bool:
        if not self.enabled:
            return False
        local = moment.astimezone(self.tz).time()
        if self.start < self.end:  # e.g. 12:00-13:30 within one day
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # spans midnight

    def resume_at(self, moment: dt.datetime) -> dt.datetime:
        """When sending may continue: ``moment`` itself outside quiet hours, else the end."""
        if not self.is_quiet(moment):
            return moment
        local = moment.astimezone(self.tz)
        end_today = dt.datetime.combine(local.date(), self.end, tzinfo=self.tz)
        if end_today <= local:
            end_today = dt.datetime.combine(
                local.date() + dt.timedelta(days=1), self.end, tzinfo=self.tz
            )
        return end_today.astimezone(dt.UTC)

    def describe(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"
