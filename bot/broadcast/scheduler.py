"""APScheduler wiring: the tip schedule, due runs, the daily log purge, one leader at a time.

Our tables are the source of truth, not APScheduler's memory: a slot's run is created at most
once (UNIQUE(schedule_id, slot)), so a catch-up after a restart, a second process or a
retried tick can never send a slot twice; a slot missed by less than ``options.catch_up``
(process or database down at 08:00) is still sent once when we are back.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from bot.broadcast import texts
from bot.broadcast.clock import Clock
from bot.broadcast.cron import CronError, latest_fire_time, parse_cron
from bot.broadcast.models import ScheduleRow
from bot.broadcast.options import BroadcastConfigError
from bot.broadcast.senders import ChannelError, Sender
from bot.broadcast.service import BroadcastService, RunId
from bot.config import Settings
from bot.storage.engine import dialect_insert

if TYPE_CHECKING:
    from bot.storage import Storage

log = logging.getLogger(__name__)

TIPS_SCHEDULE = "tips"
SCHEDULER_LEASE = "scheduler"
JOB_TICK = "broadcast:tick"
STOP_WAIT_SECONDS = 10.0  # how long stop() lets a tick in progress finish
JOB_TIPS = "broadcast:tips"
JOB_PURGE = "broadcast:purge-logs"

Purge = Callable[[], Awaitable[int]]


class BroadcastScheduler:
    """Registers the jobs; every process runs them, only the lease holder acts."""

    def __init__(self, service: BroadcastService, *, purge: Purge | None = None) -> None:
        self.service = service
        self.options = service.options
        self.clock: Clock = service.clock
        self._purge = purge
        try:
            self.tip_trigger = parse_cron(self.options.tip_cron, self.options.timezone)
            self.purge_trigger = parse_cron(self.options.purge_cron, self.options.timezone)
        except CronError as exc:
            raise BroadcastConfigError(f"TIP_CRON: {exc}") from exc
        self.is_leader = False
        self._aps: AsyncIOScheduler | None = None
        self._missed: set[dt.datetime] = set()
        # A tick in progress finishes before stop() lets the storage close under it.
        self._ticking = asyncio.Lock()
        self._stopping = False

    async def start(self) -> None:
        await self._save_schedule()
        opts = self.options
        aps = AsyncIOScheduler(
            timezone=opts.timezone,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )
        grace = int(opts.catch_up.total_seconds())
        aps.add_job(
            self.tick,
            IntervalTrigger(seconds=opts.poll_interval, timezone=opts.timezone),
            id=JOB_TICK,
            replace_existing=True,
            next_run_time=self.clock.now(),
            misfire_grace_time=max(1, int(opts.poll_interval * 2)),
        )
        aps.add_job(
            self.tick,
            self.tip_trigger,
            id=JOB_TIPS,
            replace_existing=True,
            misfire_grace_time=grace,
            coalesce=True,
        )
        aps.add_job(
            self.purge_logs,
            self.purge_trigger,
            id=JOB_PURGE,
            replace_existing=True,
            misfire_grace_time=6 * 3600,
            coalesce=True,
        )
        aps.start()
        self._aps = aps
        log.info(
            "broadcast scheduler started: tips '%s' (%s), quiet hours %s, %.0f msg/s",
            opts.tip_cron,
            opts.timezone.key,
            opts.quiet.describe(),
            opts.rate,
        )

    @property
    def jobs(self) -> list[Any]:
        return self._aps.get_jobs() if self._aps is not None else []

    async def stop(self) -> None:
        self._stopping = True
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        try:
            async with asyncio.timeout(STOP_WAIT_SECONDS), self._ticking:
                pass  # the tick in progress, if any, is done
        except TimeoutError:
            log.warning(
                "a scheduler tick did not finish within %.0f s of stopping", STOP_WAIT_SECONDS
            )
        await self.service.close()
        if self.is_leader:
            try:
                await self.service.leases.release(SCHEDULER_LEASE)
            except Exception:
                log.warning("could not release the scheduler lease; it expires by itself")
        self.is_leader = False

    async def tick(self, now: dt.datetime | None = None) -> None:
        """Renew leadership; the leader creates due slots' runs and delivers open runs."""
        if self._stopping:
            return
        async with self._ticking:
            if not self._stopping:
                await self._tick(now)

    async def _tick(self, now: dt.datetime | None) -> None:
        try:
            leader = await self.service.leases.acquire(SCHEDULER_LEASE, self.options.lease_ttl)
        except (SQLAlchemyError, OSError) as exc:
            log.error(texts.DB_UNAVAILABLE.format(error=exc))
            self.is_leader = False
            return
        if leader != self.is_leader:
            log.info("this process %s the scheduler", "now runs" if leader else "no longer runs")
        self.is_leader = leader
        if not leader:
            return
        try:
            await self.catch_up(now)
            await self.service.dispatch_open_runs()
            await self._plan_upcoming()
        except (SQLAlchemyError, OSError) as exc:
            # Nothing was half-done: the next tick retries, and the slot's unique key keeps
            # a late retry from sending twice.
            log.error(texts.DB_UNAVAILABLE.format(error=exc))

    async def catch_up(self, now: dt.datetime | None = None) -> RunId | None:
        """Create the run for the latest tip slot if it is recent and has none yet."""
        now = now or self.clock.now()
        slot = latest_fire_time(self.tip_trigger, now, self.options.catch_up)
        if slot is None:
            await self._report_missed(now)
            return None
        run_id = await self.service.create_scheduled_tip_run(TIPS_SCHEDULE, slot.astimezone(dt.UTC))
        if run_id is not None:
            log.info("tip run %s created for the %s slot", run_id, slot.isoformat())
        return run_id

    async def _report_missed(self, now: dt.datetime) -> None:
        """A slot too old to send late is skipped, but never silently."""
        slot = latest_fire_time(self.tip_trigger, now, dt.timedelta(days=8))
        if slot is None or slot in self._missed:
            return
        self._missed.add(slot)
        if not await self.service.runs.slot_taken(TIPS_SCHEDULE, slot.astimezone(dt.UTC)):
            log.warning(texts.SLOT_MISSED.format(slot=f"{slot:%Y-%m-%d %H:%M}"))

    async def _plan_upcoming(self) -> None:
        """One-off announcements due soon get a date job, so they start on the second."""
        if self._aps is None:
            return
        horizon = self.clock.now() + dt.timedelta(seconds=self.options.poll_interval * 3)
        for run in await self.service.runs.upcoming(self.clock.now()):
            if run.not_before > horizon:
                break
            self._aps.add_job(
                self._deliver,
                DateTrigger(run.not_before),
                args=[run.id],
                id=f"broadcast:run:{run.id}",
                replace_existing=True,
                misfire_grace_time=int(self.options.catch_up.total_seconds()),
            )

    async def _deliver(self, run_id: RunId) -> None:
        if self.is_leader:
            self.service.deliver_in_background(run_id)

    async def purge_logs(self) -> None:
        if not self.is_leader or self._purge is None:
            return
        try:
            removed = await self._purge()
            log.info("log purge removed %s old conversations", removed)
        except Exception:
            log.exception("log purge failed; it runs again tomorrow")

    async def _save_schedule(self) -> None:
        """Keep the schedule table in step with settings (staff read it; runs refer to it)."""
        opts = self.options
        async with self.service.runs.sessions.begin() as session:
            # Processes starting together (a bot and its standby) may both find it missing:
            # the database keeps the first insert and the other does nothing.
            fresh = dialect_insert(session, ScheduleRow).values(
                id=TIPS_SCHEDULE,
                kind="tip",
                cron=opts.tip_cron,
                timezone=opts.timezone.key,
                enabled=True,
                updated_at=self.clock.now(),
            )
            await session.execute(fresh.on_conflict_do_nothing(index_elements=["id"]))
            row = await session.get(ScheduleRow, TIPS_SCHEDULE)
            if row is None:
                return  # deleted meanwhile by staff: the next start writes it again
            if row.cron != opts.tip_cron or row.timezone != opts.timezone.key:
                row.cron, row.timezone, row.updated_at = (
                    opts.tip_cron,
                    opts.timezone.key,
                    self.clock.now(),
                )


async def start_scheduler(
    settings: Settings,
    storage: Storage | None,
    senders: Mapping[str, Sender],
    *,
    clock: Clock | None = None,
) -> BroadcastScheduler | None:
    """Start-up: validate settings, connect every channel's sender, register the jobs.

    Runs whichever channels answer citizens in this process. Returns None (and logs why) when
    there is no storage or no channel to send on. Raises BroadcastConfigError for invalid
    settings (rate, cron, quiet hours, timezone) and ChannelError when a channel refuses its
    credentials.
    """
    if storage is None:
        log.warning("broadcasts disabled: no storage")
        return None
    service = await BroadcastService.open(
        settings, storage.session_factory, senders=senders, clock=clock
    )
    if not service.senders:
        log.warning("broadcasts disabled: %s", texts.NO_CHANNEL)
        await service.close()
        return None
    try:
        scheduler = BroadcastScheduler(service, purge=getattr(storage, "purge_old_logs", None))
        await scheduler.start()
    except BaseException:
        await service.close()
        raise
    return scheduler


__all__ = ["BroadcastScheduler", "ChannelError", "start_scheduler"]
