"""Time as a dependency, so quiet hours, misfires and pacing can be tested without waiting."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """Aware UTC wall-clock time (database timestamps, quiet hours, schedules)."""

    def monotonic(self) -> float:
        """Seconds for pacing; never jumps."""

    async def sleep(self, seconds: float) -> None: ...

    async def sleep_until(self, when: dt.datetime) -> None:
        """Sleep until a wall-clock moment (e.g. the end of quiet hours)."""


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    async def sleep_until(self, when: dt.datetime) -> None:
        # Re-check in slices: a laptop that slept or a clock adjusted by NTP must not overshoot.
        while True:
            remaining = (when - self.now()).total_seconds()
            if remaining <= 0:
                return
            await asyncio.sleep(min(remaining, 60.0))
