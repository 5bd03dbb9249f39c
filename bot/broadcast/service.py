"""The broadcast facade: create runs, deliver them, resume after a crash, report.

Used by the scheduler, the ``broadcast`` CLI, the staff console and staff commands in chats
(through bot.staff). Each channel's sender comes from its channel package; a run targets the
subscribers of every channel that has one, each channel at its sender's own pace:

    text = service.preview(raw)                      # BroadcastInputError: say why, in Vietnamese
    run_id = await service.create_announcement(raw, by="web:lan")
    service.deliver_in_background(run_id)            # returns at once
    [report] = await service.reports([run_id])       # progress: sent, failed, blocked, pending
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.broadcast import texts
from bot.broadcast.clock import Clock, SystemClock
from bot.broadcast.delivery import ChannelPacer, RunWorker, WorkerStats
from bot.broadcast.holding import LeaseKeeper
from bot.broadcast.lease import Holder, LeaseInfo, Leases
from bot.broadcast.ledger import Claimed
from bot.broadcast.models import BroadcastRunRow
from bot.broadcast.options import BroadcastOptions, options_from_settings
from bot.broadcast.runs import NewRun, RunReport, Runs
from bot.broadcast.senders import ChannelError, Sender
from bot.broadcast.tipfile import render_announcement, render_tip
from bot.broadcast.tips_store import TipRepository
from bot.config import Settings
from bot.core.knowledge import nfc

log = logging.getLogger(__name__)

RunId = int
Waiting = Callable[[LeaseInfo | None], Awaitable[None]]


class BroadcastInputError(ValueError):
    """Staff asked for something that cannot be sent; the message says why, in Vietnamese."""


class BroadcastService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        options: BroadcastOptions,
        senders: Mapping[str, Sender],
        *,
        clock: Clock | None = None,
        holder: Holder | None = None,
    ) -> None:
        self.options = options
        self.senders = dict(senders)
        self.clock = clock or SystemClock()
        self.holder = holder or Holder.for_this_process()
        self.runs = Runs(sessions)
        self.sessions = sessions
        self.ledger = self.runs.ledger
        self.tips = TipRepository(sessions)
        self.leases = Leases(sessions, self.holder, self.clock)
        self.keeper = LeaseKeeper(self.leases, self.clock, options.lease_ttl, options.heartbeat)
        self.stats = WorkerStats()
        self._pacers = {
            ch: ChannelPacer.create(sender.pace or options.default_pace, self.clock)
            for ch, sender in self.senders.items()
        }
        self._active: dict[int, asyncio.Task[RunReport]] = {}
        self._workers: set[RunWorker] = set()
        self._closing = False
        self._closed = asyncio.Event()

    @classmethod
    async def open(
        cls,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        *,
        senders: Mapping[str, Sender] | None = None,
        clock: Clock | None = None,
        start: bool = True,
    ) -> BroadcastService:
        """Validate settings, seed tips, connect the channels' senders (raises ChannelError).

        ``start=False`` leaves the channels unconnected, so staff input can be checked first.
        """
        options = options_from_settings(settings)
        service = cls(sessions, options, senders or {}, clock=clock)
        await service.tips.seed_if_empty(settings.knowledge_dir / "tips.yaml")
        if start:
            await service.start()
        return service

    async def start(self) -> None:
        started: list[Sender] = []
        try:
            for sender in self.senders.values():
                await sender.start()
                started.append(sender)
        except BaseException:
            for sender in started:
                await sender.close()
            raise

    async def close(self, grace: float = 20.0) -> None:
        """Finish requests in flight and record them; runs resume at the next start."""
        self.stop_delivering()
        tasks = list(self._active.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await self.keeper.close()
        for sender in self.senders.values():
            await sender.close()

    def stop_delivering(self) -> None:
        """Ctrl-C: claim nothing more; requests in flight finish and are recorded."""
        self._closing = True
        self._closed.set()
        for worker in list(self._workers):
            worker.stop()

    # ------------------------------------------------------------------ creating runs

    def check_text(self, text: str) -> str:
        """Validate an announcement for every configured channel; return it NFC-normalised."""
        clean = nfc(text).strip()
        if not clean:
            raise BroadcastInputError(texts.TEXT_EMPTY)
        rendered = render_announcement(clean)
        for sender in self.senders.values():
            length = sender.length(rendered)
            if length > sender.max_text:
                overhead = length - sender.length(clean)
                raise BroadcastInputError(
                    texts.TEXT_TOO_LONG.format(
                        length=sender.length(clean),
                        limit=sender.max_text - overhead,
                        channel=sender.channel.capitalize(),
                    )
                )
        return clean

    def preview(self, text: str) -> str:
        """Exactly what subscribers will read (for /broadcast's confirmation step)."""
        return render_announcement(self.check_text(text))

    def check_time(self, at: dt.datetime | None) -> dt.datetime:
        now = self.clock.now()
        if at is None:
            return now
        if at.tzinfo is None:
            at = at.replace(tzinfo=self.options.timezone)
        if at <= now:
            local = self.options.timezone
            raise BroadcastInputError(
                texts.TIME_IN_PAST.format(
                    when=f"{at.astimezone(local):%Y-%m-%d %H:%M}",
                    now=f"{now.astimezone(local):%Y-%m-%d %H:%M}",
                )
            )
        return at.astimezone(dt.UTC)

    def _channels(self) -> tuple[str, ...]:
        if not self.senders:
            raise ChannelError(texts.NO_CHANNEL)
        return tuple(sorted(self.senders))

    async def check_request(
        self, *, text: str | None = None, tip_id: str | None = None, at: dt.datetime | None = None
    ) -> None:
        """Refuse bad staff input before anything is connected or recorded."""
        self._channels()
        if text is not None:
            self.check_text(text)
        elif tip_id is not None and await self.tips.get(tip_id) is None:
            raise BroadcastInputError(texts.UNKNOWN_TIP.format(tip_id=tip_id))
        self.check_time(at)

    async def create_announcement(self, text: str, by: str, at: dt.datetime | None = None) -> RunId:
        """Record an announcement run (sent now, or at ``at``); raises BroadcastInputError."""
        clean = self.check_text(text)
        when = self.check_time(at)
        new = NewRun("announcement", self._channels(), when, by, self.clock.now(), text=clean)
        run_id = await self.runs.create(new)
        assert run_id is not None
        log.info("announcement run %s created by %s for %s", run_id, by, when.isoformat())
        return run_id

    async def create_tip_run(
        self, by: str, tip_id: str | None = None, at: dt.datetime | None = None
    ) -> RunId:
        """A tip run: one named tip for everyone, or (no id) each subscriber's next tip."""
        if tip_id is not None and await self.tips.get(tip_id) is None:
            raise BroadcastInputError(texts.UNKNOWN_TIP.format(tip_id=tip_id))
        if tip_id is None and not await self.tips.count():
            raise BroadcastInputError(texts.NO_TIPS)
        when = self.check_time(at)
        new = NewRun("tip", self._channels(), when, by, self.clock.now(), tip_id=tip_id)
        run_id = await self.runs.create(new)
        assert run_id is not None
        return run_id

    async def create_scheduled_tip_run(self, schedule_id: str, slot: dt.datetime) -> RunId | None:
        """The run for one slot of a schedule; None when it exists already (any process)."""
        new = NewRun(
            "tip",
            self._channels(),
            slot,
            f"schedule:{schedule_id}",
            self.clock.now(),
            schedule_id=schedule_id,
            slot=slot,
        )
        return await self.runs.create(new)

    # ------------------------------------------------------------------ delivering

    async def deliver(self, run_id: RunId, *, waiting: Waiting | None = None) -> RunReport:
        """Deliver a run to the end (through quiet-hour pauses); return its report.

        Without ``waiting`` it returns at once when another process holds the channel's
        sender lease (that process delivers); with it, it waits and calls ``waiting``.
        """
        run = await self.runs.get(run_id)
        if run is None:
            raise BroadcastInputError(texts.NO_SUCH_RUN.format(run_id=run_id))
        if run.status == "scheduled":
            if run.not_before > self.clock.now():
                await self._sleep_until(run.not_before)
                if self._closing:
                    return (await self.runs.reports(self.clock.now(), run_ids=[run_id]))[0]
            await self.runs.start(
                run_id, self.clock.now(), [t.id for t in await self.tips.active()]
            )
            run = await self.runs.get(run_id)
            assert run is not None
        if run.status in ("running", "paused") and not self._closing:
            render = await self._renderer(run)
            channels = [ch for ch in run.channels if ch in self.senders]
            await asyncio.gather(
                *(self._deliver_channel(run_id, ch, render, waiting) for ch in channels)
            )
            if await self.runs.finish_if_done(run_id, self.clock.now()):
                log.info("run %s finished", run_id)
        return (await self.runs.reports(self.clock.now(), run_ids=[run_id]))[0]

    async def _renderer(self, run: BroadcastRunRow) -> Callable[[Claimed], str | None]:
        if run.kind == "announcement":
            message = render_announcement(run.text or "")
            return lambda _row: message
        tips = {tip.id: render_tip(tip.to_tip()) for tip in await self.tips.everything()}
        return lambda row: tips.get(row.tip_id or "")

    async def _deliver_channel(
        self,
        run_id: RunId,
        channel: str,
        render: Callable[[Claimed], str | None],
        waiting: Waiting | None,
    ) -> None:
        async def keep_waiting(info: LeaseInfo | None) -> bool:
            if waiting is None or self._closing:
                return False
            run = await self.runs.get(run_id)
            if run is None or run.status not in ("running", "paused"):
                return False
            await waiting(info)
            return True

        while not self._closing:
            async with self.keeper.hold(f"sender:{channel}", waiting=keep_waiting) as held:
                if held is None:
                    return
                live = await self.leases.live_holders()
                recovered = await self.ledger.recover(live, channel=channel)
                if not any(
                    w.run_id == run_id and w.sender.channel == channel for w in self._workers
                ):
                    # No worker of ours is on this run: our own 'sending' rows are orphans too.
                    recovered += await self.ledger.recover(
                        (), run_id=run_id, channel=channel, worker=self.holder.id
                    )
                if recovered:
                    log.warning("%s %s rows left 'sending' by a dead worker", recovered, channel)
                worker = RunWorker(
                    ledger=self.ledger,
                    run_id=run_id,
                    sender=self.senders[channel],
                    pacer=self._pacers[channel],
                    render=render,
                    options=self.options,
                    clock=self.clock,
                    worker_id=self.holder.id,
                    lease_ok=held.ok,
                )
                self._workers.add(worker)
                try:
                    result = await worker.run()
                finally:
                    self._workers.discard(worker)
                    _add_stats(self.stats, worker.result.stats)
            if result.fatal is not None:
                raise ChannelError(texts.FATAL_STOP.format(run_id=run_id, error=result.fatal))
            if result.paused_until is not None:
                until = result.paused_until
                await self.runs.set_paused(run_id, until)
                log.info(
                    texts.QUIET_PAUSE.format(
                        window=self.options.quiet.describe(),
                        run_id=run_id,
                        until=f"{until.astimezone(self.options.timezone):%H:%M %d/%m}",
                    )
                )
                await self._sleep_until(until)
                if self._closing:
                    return
                await self.runs.set_paused(run_id, None)
                continue
            if result.lost_lease:
                continue
            return

    async def _sleep_until(self, until: dt.datetime) -> None:
        """Sleep through quiet hours, waking early when the service stops."""
        sleeper = asyncio.ensure_future(self.clock.sleep_until(until))
        stopper = asyncio.ensure_future(self._closed.wait())
        await asyncio.wait((sleeper, stopper), return_when=asyncio.FIRST_COMPLETED)
        for task in (sleeper, stopper):
            task.cancel()
        await asyncio.gather(sleeper, stopper, return_exceptions=True)

    def deliver_in_background(self, run_id: RunId) -> asyncio.Task[RunReport] | None:
        """Start delivering unless this process already is; for the bot and /broadcast."""
        if self._closing:
            return None
        task = self._active.get(run_id)
        if task is not None and not task.done():
            return task
        task = asyncio.create_task(self.deliver(run_id), name=f"broadcast-run-{run_id}")
        self._active[run_id] = task
        task.add_done_callback(lambda t: self._finished(run_id, t))
        return task

    def _finished(self, run_id: RunId, task: asyncio.Task[RunReport]) -> None:
        if self._active.get(run_id) is task:
            del self._active[run_id]
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("broadcast run %s stopped: %s", run_id, exc, exc_info=exc)

    async def dispatch_open_runs(self) -> list[RunId]:
        """Start every due unfinished run in the background (idempotent)."""
        runs = await self.runs.open_runs(self.clock.now())
        started = []
        for run in runs:
            if run.id not in self._active and self.deliver_in_background(run.id) is not None:
                started.append(run.id)
        return started

    async def requeue(
        self, *, resend_unknown: bool = False, retry_failed: bool = False, run_id: int | None = None
    ) -> tuple[int, int]:
        """Staff's explicit choice to send again rows that may (unknown) or did fail."""
        counts = {"unknown": 0, "failed": 0}
        for wanted, status in ((resend_unknown, "unknown"), (retry_failed, "failed")):
            if wanted:
                counts[status], runs = await self.ledger.requeue(status, run_id)
                await self.runs.reopen(runs)
        return counts["unknown"], counts["failed"]

    def totals(self) -> dict[str, int]:
        """Messages by final status since start, the runs in progress included (for /metrics)."""
        total = WorkerStats()
        _add_stats(total, self.stats)
        for worker in tuple(self._workers):
            _add_stats(total, worker.result.stats)
        return {
            "sent": total.sent,
            "blocked": total.blocked,
            "failed": total.failed,
            "unknown": total.unknown,
            "retried": total.retried,
            "rate_limited": total.rate_limited,
        }

    async def reports(self, run_ids: list[int] | None = None, limit: int = 20) -> list[RunReport]:
        return await self.runs.reports(self.clock.now(), run_ids=run_ids, limit=limit)


def _add_stats(total: WorkerStats, part: WorkerStats) -> None:
    for name in WorkerStats.__slots__:
        setattr(total, name, getattr(total, name) + getattr(part, name))
