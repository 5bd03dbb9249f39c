"""One worker delivering one run on one channel: pace, claim, send, record.

Crash safety comes from the order of writes: a row is committed as 'sending' (with this
worker's id) before its request and gets its outcome after. Rows a dead worker left in
'sending' become 'unknown' and are not resent (see ledger.Ledger.recover).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from bot.broadcast.clock import Clock
from bot.broadcast.ledger import Claimed, Decision, Ledger
from bot.broadcast.options import BroadcastOptions
from bot.broadcast.pacing import ChatSpacing, TokenBucket
from bot.broadcast.senders import Outcome, Pace, Sender, SendResult

log = logging.getLogger(__name__)

DB_ERRORS = (DBAPIError, OSError)


def db_outage(exc: BaseException) -> bool:
    """An error that waiting can cure (database down, locked, restarting), not a bug."""
    if isinstance(exc, OperationalError | InterfaceError | OSError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


# Above this many transient errors in a row, the channel itself looks down: pause everyone.
_OUTAGE_STREAK = 3


@dataclass(slots=True)
class ChannelPacer:
    """Per process and channel: shared by every run sent on that channel, at its own pace."""

    bucket: TokenBucket
    spacing: ChatSpacing
    max_in_flight: int

    @classmethod
    def create(cls, pace: Pace, clock: Clock) -> ChannelPacer:
        return cls(
            TokenBucket(pace.rate, pace.burst, clock),
            ChatSpacing(pace.per_chat_interval, clock),
            max(1, pace.max_in_flight),
        )


@dataclass(slots=True)
class WorkerStats:
    sent: int = 0
    rate_limited: int = 0
    blocked: int = 0
    failed: int = 0
    unknown: int = 0
    retried: int = 0
    db_errors: int = 0


@dataclass(slots=True)
class WorkerResult:
    done: bool = False
    paused_until: dt.datetime | None = None
    fatal: str | None = None
    lost_lease: bool = False
    stats: WorkerStats = field(default_factory=WorkerStats)


Renderer = Callable[[Claimed], str | None]


class RunWorker:
    """Delivers the due rows of ``run_id`` on ``sender.channel`` until none are left."""

    def __init__(
        self,
        *,
        ledger: Ledger,
        run_id: int,
        sender: Sender,
        pacer: ChannelPacer,
        render: Renderer,
        options: BroadcastOptions,
        clock: Clock,
        worker_id: str,
        lease_ok: Callable[[], bool] = lambda: True,
    ) -> None:
        self.ledger = ledger
        self.run_id = run_id
        self.sender = sender
        self.pacer = pacer
        self.render = render
        self.options = options
        self.clock = clock
        self.worker_id = worker_id
        self.lease_ok = lease_ok
        self.result = WorkerResult()
        self._open = 0  # rows claimed and not yet recorded
        self._changed = asyncio.Event()
        self._results: asyncio.Queue[tuple[Claimed, Decision, SendResult]] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._streak = 0
        self._recorder: asyncio.Task[None] | None = None

    def stop(self) -> None:
        """Finish the requests in flight, record them, claim nothing more."""
        self._stopping = True
        self._changed.set()

    async def run(self) -> WorkerResult:
        recorder = asyncio.create_task(self._record_loop())
        self._recorder = recorder
        try:
            await self._claim_loop()
        finally:
            while self._open and not recorder.done():
                self._changed.clear()
                await self._changed.wait()
            recorder.cancel()
            await asyncio.gather(recorder, return_exceptions=True)
        if not recorder.cancelled() and recorder.exception() is not None:
            # A bug, not an outage: the rows stay 'sending' and a restart reports them unknown.
            raise RuntimeError("broadcast recorder failed") from recorder.exception()
        return self.result

    async def _claim_loop(self) -> None:
        channel = self.sender.channel
        bucket = self.pacer.bucket
        db_backoff = 0.5
        while not self._stopping and self.result.fatal is None:
            if self._recorder is not None and self._recorder.done():
                return
            if not self.lease_ok():
                self.result.lost_lease = True
                return
            now = self.clock.now()
            if self.options.quiet.is_quiet(now):
                self.result.paused_until = self.options.quiet.resume_at(now)
                return
            free = self.pacer.max_in_flight - self._open
            if free <= 0:
                await self._wait_change(self.options.poll_interval)
                continue
            granted = await bucket.acquire(free)
            if self._stopping or self.options.quiet.is_quiet(self.clock.now()):
                bucket.refund(granted)
                continue  # the loop's checks stop or pause us
            try:
                claimed = await self.ledger.claim(
                    self.run_id, channel, self.worker_id, granted, self.clock.now()
                )
                db_backoff = 0.5
            except DB_ERRORS as exc:
                bucket.refund(granted)
                if not db_outage(exc):
                    raise
                self.result.stats.db_errors += 1
                log.warning("run %s: cannot claim rows (%s); retrying", self.run_id, exc)
                await self.clock.sleep(db_backoff)
                db_backoff = min(db_backoff * 2, 30.0)
                continue
            bucket.refund(granted - len(claimed))
            if claimed:
                self._open += len(claimed)
                for row in claimed:
                    task = asyncio.create_task(self._send(row))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                continue
            if await self._idle():
                self.result.done = True
                return

    async def _idle(self) -> bool:
        """Nothing claimable right now: True when the run has nothing left on this channel."""
        if self._open:
            await self._wait_change(self.options.poll_interval)
            return False
        try:
            state = await self.ledger.state(
                self.run_id, self.sender.channel, self.worker_id, self.clock.now()
            )
        except DB_ERRORS as exc:
            if not db_outage(exc):
                raise
            log.warning("run %s: cannot read progress (%s)", self.run_id, exc)
            await self.clock.sleep(1.0)
            return False
        now = self.clock.now()
        if state.done:
            return True
        if state.ready(now):
            return False  # another worker took the rows we aimed at; try again
        wait = self.options.poll_interval
        if state.pending and state.next_at is not None:
            wait = min(wait, max(0.05, (state.next_at - now).total_seconds()))
        await self._wait_change(wait)
        return False

    async def _wait_change(self, seconds: float) -> None:
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), seconds)

    async def _send(self, row: Claimed) -> None:
        try:
            text = self.render(row)
            if text is None:
                result = SendResult(Outcome.REJECTED, detail="nothing to send (unknown tip)")
            else:
                await self.pacer.spacing.wait(f"{row.channel}:{row.chat_id}")
                result = await self.sender.send(row.chat_id, text)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a sender bug: the request may have gone out
            log.exception("run %s: sender failed on row %s", self.run_id, row.id)
            result = SendResult(Outcome.AMBIGUOUS, detail=f"{type(exc).__name__}: {exc}")
        decision = self._decide(row, result)
        await self._results.put((row, decision, result))

    def _decide(self, row: Claimed, result: SendResult) -> Decision:
        now = self.clock.now()
        opts = self.options
        outcome = result.outcome
        if outcome is not Outcome.TRANSIENT:
            self._streak = 0
        if outcome is Outcome.SENT:
            return Decision(
                "sent", row.attempts, row.rate_limited, message_id=result.message_id, sent_at=now
            )
        if outcome is Outcome.RATE_LIMITED:
            wait = max(1.0, result.retry_after)
            self.pacer.bucket.pause(wait)
            self.pacer.spacing.defer(f"{row.channel}:{row.chat_id}", wait)
            limited = row.rate_limited + 1
            if limited > opts.max_rate_limited:
                return Decision("failed", row.attempts, limited, error=result.detail)
            later = now + dt.timedelta(seconds=wait)
            return Decision("pending", row.attempts, limited, not_before=later, error=result.detail)
        if outcome is Outcome.BLOCKED:
            return Decision("blocked", row.attempts, row.rate_limited, error=result.detail)
        if outcome is Outcome.REJECTED:
            return Decision("failed", row.attempts + 1, row.rate_limited, error=result.detail)
        if outcome is Outcome.AMBIGUOUS:
            return Decision("unknown", row.attempts + 1, row.rate_limited, error=result.detail)
        if outcome is Outcome.FATAL:
            self.result.fatal = result.detail or "channel refused the bot"
            self._changed.set()
            return Decision("pending", row.attempts, row.rate_limited, error=result.detail)
        attempts = row.attempts + 1
        self._streak += 1
        if self._streak >= _OUTAGE_STREAK:
            self.pacer.bucket.pause(min(2.0**self._streak, 60.0))
        if attempts >= opts.max_attempts:
            return Decision("failed", attempts, row.rate_limited, error=result.detail)
        delay = min(opts.backoff_base * 2.0 ** (attempts - 1), opts.backoff_max)
        later = now + dt.timedelta(seconds=delay)
        return Decision(
            "pending", attempts, row.rate_limited, not_before=later, error=result.detail
        )

    async def _record_loop(self) -> None:
        try:
            while True:
                batch = [await self._results.get()]
                while not self._results.empty() and len(batch) < 500:
                    batch.append(self._results.get_nowait())
                await self._record(batch)
        finally:
            self._changed.set()  # wake the claim loop, which notices the recorder stopped

    async def _record(self, batch: list[tuple[Claimed, Decision, SendResult]]) -> None:
        delay = 0.2
        while True:
            try:
                await self.ledger.record(
                    self.worker_id, [(row, d) for row, d, _ in batch], self.clock.now()
                )
                break
            except DB_ERRORS as exc:
                if not db_outage(exc):
                    raise
                # The rows stay 'sending' meanwhile: a crash now leaves them unknown, never resent.
                self.result.stats.db_errors += 1
                log.warning("run %s: cannot record outcomes (%s); retrying", self.run_id, exc)
                await self.clock.sleep(delay)
                delay = min(delay * 2, 30.0)
        stats = self.result.stats
        for _, decision, result in batch:
            if result.outcome is Outcome.RATE_LIMITED:
                stats.rate_limited += 1
            if decision.status == "sent":
                stats.sent += 1
            elif decision.status == "blocked":
                stats.blocked += 1
            elif decision.status == "failed":
                stats.failed += 1
            elif decision.status == "unknown":
                stats.unknown += 1
            elif result.outcome is Outcome.TRANSIENT:
                stats.retried += 1
        self._open -= len(batch)
        self._changed.set()
