"""Broadcast tunables derived from Settings and validated once, with messages staff understand."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.broadcast import texts
from bot.broadcast.quiet import QuietHours
from bot.broadcast.senders import Pace
from bot.config import Settings


class BroadcastConfigError(ValueError):
    """Settings that make broadcasting unsafe or impossible."""


@dataclass(frozen=True, slots=True)
class BroadcastOptions:
    """Everything the delivery and scheduling code reads; tests build their own.

    ``rate`` … ``per_chat_interval`` and ``max_in_flight`` are the default pace, for a sender
    that brings none (each channel's real sender brings its own: bot.broadcast.senders.Pace).
    """

    timezone: ZoneInfo
    rate: float = 25.0
    paid_broadcast: bool = False
    per_chat_interval: float = 1.0
    # Requests marked "sending" at once; bounds what a crash can leave unknown.
    max_in_flight: int = 10
    max_attempts: int = 5
    max_rate_limited: int = 20
    backoff_base: float = 1.0
    backoff_max: float = 300.0
    quiet: QuietHours = field(
        default_factory=lambda: QuietHours(dt.time(21), dt.time(7), ZoneInfo("Asia/Ho_Chi_Minh"))
    )
    tip_cron: str = "0 8 * * tue"
    # A scheduled slot missed by less than this (process down, database down) is still sent.
    catch_up: dt.timedelta = dt.timedelta(hours=12)
    lease_ttl: float = 30.0
    heartbeat: float = 5.0
    poll_interval: float = 5.0
    purge_cron: str = "30 3 * * *"

    @property
    def burst(self) -> float:
        """Tokens that may accumulate: any window of T seconds sees at most rate x T + burst.

        Without paid broadcast there is no slack at all (any second holds at most rate + 1
        sends, and a stalled event loop can still bunch a few on the wire). Paid rates need
        slack so a slow database commit does not cost pace.
        """
        if not self.paid_broadcast:
            return 1.0
        return max(2.0, self.rate * 0.05)

    def with_rate(self, rate: float) -> BroadcastOptions:
        return replace(self, rate=rate, max_in_flight=default_in_flight(rate))

    @property
    def default_pace(self) -> Pace:
        return Pace(self.rate, self.burst, self.per_chat_interval, self.max_in_flight)


def default_in_flight(rate: float) -> int:
    # Enough concurrency to hide a 300 ms round trip at 25/s, capped because every request in
    # flight needs its own HTTP/1.1 connection (and may turn 'unknown' if we crash).
    return min(64, max(4, math.ceil(rate * 0.4)))


def options_from_settings(settings: Settings) -> BroadcastOptions:
    """Validate the broadcast part of Settings; raise BroadcastConfigError naming the variable."""
    try:
        tz = ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BroadcastConfigError(texts.BAD_TIMEZONE.format(value=settings.timezone)) from exc
    try:
        quiet = QuietHours.parse(settings.quiet_hours_start, settings.quiet_hours_end, str(tz))
    except ValueError as exc:
        raise BroadcastConfigError(str(exc)) from exc
    return BroadcastOptions(
        timezone=tz,
        quiet=quiet,
        tip_cron=settings.tip_cron,
    )
