"""Reading the time staff type for ``--at`` (local time of the configured zone)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from bot.broadcast import texts

_TIME_ONLY = re.compile(r"^(\d{1,2})[:h](\d{2})$")
_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M")


def parse_when(value: str, tz: ZoneInfo, now: dt.datetime) -> dt.datetime:
    """'2026-12-01 08:00', '01/12/2026 08:00', ISO with offset, or 'HH:MM' (today).

    Naive values are in ``tz``; the result is aware UTC. Raises ValueError with a message.
    """
    text = value.strip()
    match = _TIME_ONLY.match(text)
    if match and int(match.group(1)) < 24 and int(match.group(2)) < 60:
        local_today = now.astimezone(tz).date()
        moment = dt.datetime.combine(
            local_today, dt.time(int(match.group(1)), int(match.group(2))), tzinfo=tz
        )
        return moment.astimezone(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        for fmt in _FORMATS:
            try:
                moment = dt.datetime.strptime(text, fmt)  # noqa: DTZ007 - zone added below
                break
            except ValueError:
                continue
        else:
            raise ValueError(texts.TIME_UNREADABLE.format(value=value, tz=tz.key)) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(dt.UTC)
