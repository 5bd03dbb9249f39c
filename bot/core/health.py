"""Whether the database takes writes right now, and what is lost while it does not.

Answers never wait for a database that is locked or down: the parts that write (the inbound
journal, the write-behind bookkeeping) report failures and successes here, skip the database
while it is unavailable, and count what that costs. The operator reads one line when the
outage starts, at most one a minute while it lasts (with counts), and one when it ends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from bot.core.observe import NO_METRICS, Metrics

log = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[None]]
REPORT_EVERY = 60.0  # seconds between two lines about the same outage
PROBE_EVERY = 2.0  # seconds between two background checks whether the database is back


class Throttle:
    """True at most once per ``every`` seconds."""

    def __init__(self, every: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self._clock = clock
        self._last = float("-inf")

    def ready(self) -> bool:
        now = self._clock()
        if now - self._last < self.every:
            return False
        self._last = now
        return True


class StorageHealth:
    """Availability of the database for the answer path; a breaker with a background probe."""

    def __init__(
        self,
        *,
        report_every: float = REPORT_EVERY,
        probe_every: float = PROBE_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.available = True
        self.reason = ""
        self._clock = clock
        self._since = 0.0
        self._report = Throttle(report_every, clock)
        self._probe_throttle = Throttle(probe_every, clock)
        self._probe: Probe | None = None
        self._probing: asyncio.Task[None] | None = None
        self._lost: Counter[str] = Counter()
        self._gauges: dict[str, Callable[[], int]] = {}
        self.outages = 0  # read by tests
        self.metrics: Metrics = NO_METRICS

    def watch(self, probe: Probe) -> None:
        """How to check, in the background, whether the database is back."""
        self._probe = probe

    def gauge(self, what: str, value: Callable[[], int]) -> None:
        """A figure shown in every report, e.g. the writes waiting in memory."""
        self._gauges[what] = value

    def usable(self) -> bool:
        """True when the answer path should use the database; starts a probe when not."""
        if self.available:
            return True
        if (
            self._probe is not None
            and (self._probing is None or self._probing.done())
            and self._probe_throttle.ready()
        ):
            self._probing = asyncio.create_task(self._run_probe(self._probe), name="db-probe")
        return False

    async def close(self) -> None:
        """Stop a probe still running (at shutdown)."""
        probing, self._probing = self._probing, None
        if probing is not None and not probing.done():
            probing.cancel()
            await asyncio.gather(probing, return_exceptions=True)

    def failed(self, reason: str) -> None:
        self.reason = reason
        if self.available:
            self.available = False
            self.outages += 1
            self.metrics.error("database_unavailable")
            self._since = self._clock()
            self._report.ready()  # the next report is a minute from now
            self._probe_throttle.ready()
            log.warning(
                "database unavailable (%s): answering from memory until it is back; "
                "what this loses is reported once a minute",
                reason,
            )
            return
        self.report()

    def recovered(self) -> None:
        if self.available:
            return
        self.available = True
        log.warning(
            "database available again after %.0f s%s",
            self._clock() - self._since,
            self._figures(),
        )
        self._lost.clear()

    def lost(self, what: str, count: int = 1) -> None:
        """Count something the outage cost (e.g. "answers without a crash-safe record")."""
        self._lost[what] += count
        self.metrics.error("lost_while_database_unavailable", count)
        self.report()

    def report(self) -> None:
        if not self._lost and self.available:
            return
        if not self._report.ready():
            return
        state = (
            "database available"
            if self.available
            else f"database unavailable for {self._clock() - self._since:.0f} s ({self.reason})"
        )
        log.warning("%s%s", state, self._figures())
        self._lost.clear()

    def _figures(self) -> str:
        parts = [f"{count} {what}" for what, count in sorted(self._lost.items())]
        lost = f": in the last minute {', '.join(parts)}" if parts else ""
        gauges = [f"{value()} {what}" for what, value in sorted(self._gauges.items())]
        return lost + (f"; {', '.join(gauges)}" if gauges else "")

    async def _run_probe(self, probe: Probe) -> None:
        try:
            await probe()
        except Exception as exc:
            self.failed(short_reason(exc))
        else:
            self.recovered()


def short_reason(exc: BaseException) -> str:
    """The first line of an error, without a driver's SQL or links: for a one-line log."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
