"""Inbound updates: recorded durably before they are acknowledged, answered from that record,
each chat's in order, none twice, and the unanswered ones again after a restart.

A channel (Telegram polling or webhook; later Zalo and the web chat) hands every batch it
receives to ``accept`` and acknowledges it to the platform only when ``accept`` returns: by then
the batch is in the journal (one transaction). Each update is then answered by ``handle``;
its row is marked "answering" (durably) just before the first message leaves, and "answered"
after, off the answer path. A restart answers what was recorded and never claimed; rows caught
in "answering" may have reached the citizen and are never sent again.

When the database is locked or down the updates are answered anyway, from memory, without
the crash-safe record (StorageHealth reports what that costs); a short wait, not the database's
busy timeout, decides that.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial

from bot.core import delivery, texts
from bot.core.bookkeeping import UPDATE_STATES, WriteBehind
from bot.core.health import short_reason
from bot.core.ports import Inbound, InboundJournal, StorageUnavailable

log = logging.getLogger(__name__)

Handle = Callable[[Inbound], Awaitable[None]]
# Sends one short text to a chat outside any answer (the restart notice).
Notify = Callable[[str, str], Awaitable[None]]
NO_RECORD = "answers without a crash-safe record"
_REMEMBERED = 10_000  # recent keys kept to drop re-deliveries even without the database
# With several processes taking one channel's updates (webhooks behind a load balancer), a
# starting process resumes only updates this old: a live process answers its own in seconds.
ABANDONED_AFTER = 120.0
# On top of the database's own wait: past this an answer stops waiting for a hung database.
_BACKSTOP = 4.0


@dataclass(slots=True)
class _Job:
    item: Inbound
    recorded: bool  # its journal row exists and waits: claim it before sending
    close: bool  # a state mark is due when done (recorded, or maybe recorded)


class InboundDispatcher:
    """Durable intake and ordered, bounded, exactly-once-where-possible answering."""

    def __init__(
        self,
        channel: str,
        handle: Handle,
        *,
        journal: InboundJournal | None,
        bookkeeping: WriteBehind,
        concurrency: int = 16,
        max_queued: int = 1000,
        wait_seconds: float = 1.0,
        notify: Notify | None = None,
        resume_older_than: float = 0.0,
    ) -> None:
        self.channel = channel
        self._resume_older_than = resume_older_than
        self._sweeper: asyncio.Task[None] | None = None
        self._handle = handle
        self._notify = notify
        self._journal = journal
        self.bookkeeping = bookkeeping
        self.health = bookkeeping.health
        if journal is not None:
            self.health.watch(journal.ping)  # how an outage is found to be over
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self.max_queued = max(1, max_queued)
        self._backstop = wait_seconds + _BACKSTOP
        self._lanes: dict[str, deque[_Job]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._notices: set[asyncio.Future[None]] = set()
        # The last _REMEMBERED keys, oldest first in the deque: a set and a deque cost about
        # 60 bytes a key beside its string, an OrderedDict about 100 (0.4 MiB at the bound).
        self._seen: set[str] = set()
        self._seen_order: deque[str] = deque()
        self._queued = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._room = asyncio.Event()
        self._room.set()
        self.duplicates = 0  # read by tests
        self.answered = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> int:
        """Queue what an earlier run recorded and did not answer; return how many.

        With ``resume_older_than`` (other live processes share this channel's intake) only
        updates that old are taken, now and then again every half of that period, so those a
        dead process left waiting are answered by a live one."""
        taken = await self._take_over(sweep_claimed=True)
        if self._resume_older_than > 0 and self._journal is not None:
            self._sweeper = asyncio.create_task(self._sweep(), name=f"{self.channel}-sweep")
        return taken

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self._resume_older_than / 2)
            # Rows claimed long ago by a process that died are closed ("unknown", their
            # chats told to ask again); this process's own in hand are left alone.
            in_hand = {job.item.key for lane in self._lanes.values() for job in lane}
            await self._take_over(sweep_claimed=True, in_hand=in_hand)

    async def _take_over(self, *, sweep_claimed: bool, in_hand: set[str] | None = None) -> int:
        if self._journal is None:
            return 0
        try:
            resumed = await self._journal.resume(
                self.channel,
                self._resume_older_than,
                sweep_claimed=sweep_claimed,
                in_hand=in_hand or (),
            )
        except Exception as exc:
            log.warning("could not read unanswered %s updates: %s", self.channel, short_reason(exc))
            return 0
        if resumed.unknown:
            log.warning(
                "%d %s updates were being answered when the bot stopped: not sent again "
                "(the answer may or may not have reached the citizen)",
                resumed.unknown,
                self.channel,
            )
            if self._notify is not None:
                for chat in resumed.unknown_chats:
                    notice = asyncio.ensure_future(self._tell_restarted(chat))
                    self._notices.add(notice)
                    notice.add_done_callback(self._notices.discard)
        # Those still in hand here (a slow answer in this process) are not queued twice.
        pending = [item for item in resumed.pending if item.key not in self._seen]
        for item in pending:
            self._remember(item.key)
            self._enqueue(_Job(item, recorded=True, close=True))
        if pending:
            log.info(
                "answering %d %s updates recorded before the restart", len(pending), self.channel
            )
        return len(pending)

    async def _tell_restarted(self, chat: str) -> None:
        """A citizen whose answer may not have left before the stop is asked to ask again."""
        assert self._notify is not None
        try:
            await self._notify(chat, texts.ASK_AGAIN_AFTER_RESTART)
        except Exception as exc:
            log.warning("could not send the restart notice on %s: %s", self.channel, exc)

    async def stop(self, budget: float) -> None:
        """Let the updates in hand finish for up to ``budget`` seconds; the rest stay recorded."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None
        tasks = set(self._tasks)
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=budget)
        if late:
            log.warning(
                "%d %s updates not answered after %.0f s: they stay recorded for the next start",
                self._queued,
                self.channel,
                budget,
            )
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    @property
    def queued(self) -> int:
        return self._queued

    async def idle(self) -> None:
        """Wait until every accepted update has been handled and every restart notice sent."""
        await self._idle.wait()
        if self._notices:
            await asyncio.gather(*self._notices)

    async def room(self) -> None:
        """Wait until fewer than ``max_queued`` updates are waiting (backpressure)."""
        await self._room.wait()

    # ------------------------------------------------------------------ intake

    async def accept(self, items: Sequence[Inbound]) -> None:
        """Record ``items`` (one transaction) and queue them; acknowledge them after this."""
        fresh: list[Inbound] = []
        for item in items:
            if item.key in self._seen or any(f.key == item.key for f in fresh):
                self.duplicates += 1
            else:
                fresh.append(item)
        if not fresh:
            return
        for item in fresh:
            self._remember(item.key)  # before waiting: a concurrent re-delivery is a duplicate
        recorded, maybe = await self._record(fresh)
        for item in fresh:
            if recorded is None:
                self._enqueue(_Job(item, recorded=False, close=maybe))
            elif item.key in recorded:
                self._enqueue(_Job(item, recorded=True, close=True))
            else:
                self.duplicates += 1  # delivered before (e.g. before a crash): already handled

    async def _record(self, items: Sequence[Inbound]) -> tuple[set[str] | None, bool]:
        """The keys recorded as new, or None when the journal could not be used (and whether
        the write may still have happened)."""
        if self._journal is None:
            return None, False
        if not self.health.usable():
            self.health.lost(NO_RECORD, len(items))
            return None, False
        try:
            async with asyncio.timeout(self._backstop):
                return await self._journal.record(self.channel, items), False
        except StorageUnavailable as exc:
            self.health.failed(short_reason(exc))
            maybe = False
        except TimeoutError:
            self.health.failed("no answer from the database")
            maybe = True
        except Exception:
            log.exception("could not record %d %s updates", len(items), self.channel)
            maybe = True
        self.health.lost(NO_RECORD, len(items))
        return None, maybe

    def _remember(self, key: str) -> None:
        if key in self._seen:
            return
        self._seen.add(key)
        self._seen_order.append(key)
        if len(self._seen_order) > _REMEMBERED:
            self._seen.discard(self._seen_order.popleft())

    # ------------------------------------------------------------------ answering

    def _enqueue(self, job: _Job) -> None:
        self._queued += 1
        self._idle.clear()
        if self._queued >= self.max_queued:
            self._room.clear()
        chat = job.item.chat
        if chat is None:
            self._spawn(self._run_lane(deque([job])))
            return
        lane = self._lanes.get(chat)
        if lane is not None:
            lane.append(job)
            return
        lane = self._lanes[chat] = deque([job])
        self._spawn(self._run_lane(lane, chat))

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_lane(self, lane: deque[_Job], chat: str | None = None) -> None:
        """One chat's updates, one after another; at most ``concurrency`` chats at once."""
        try:
            while lane:
                async with self._slots:
                    await self._answer(lane[0])
                lane.popleft()
                self._done()
        finally:
            if chat is not None and self._lanes.get(chat) is lane:
                del self._lanes[chat]

    def _done(self) -> None:
        self._queued -= 1
        self.answered += 1
        if self._queued < self.max_queued:
            self._room.set()
        if self._queued == 0:
            self._idle.set()

    async def _answer(self, job: _Job) -> None:
        key = job.item.key
        current = delivery.Delivery(self.channel, key, self._claim if job.recorded else None)
        token = delivery.current.set(current)
        state = "answered"
        try:
            await self._handle(job.item)
        except delivery.AnswerClaimed:
            log.warning("%s update %s was answered before; not sent again", self.channel, key)
        except Exception:
            log.exception("could not answer %s update %s", self.channel, key)
            self.health.metrics.error("update_failed")
            state = "failed"
        finally:
            delivery.current.reset(token)
            current.close()
        if job.close and self._journal is not None:
            finish = partial(self._journal.finish, self.channel, key, state)
            self.bookkeeping.put(UPDATE_STATES, finish)

    async def _claim(self, current: delivery.Delivery) -> None:
        assert self._journal is not None
        if not self.health.usable():
            self.health.lost(NO_RECORD)
            return
        try:
            async with asyncio.timeout(self._backstop):
                claimed = await self._journal.claim(self.channel, current.key)
        except StorageUnavailable as exc:
            self.health.failed(short_reason(exc))
        except TimeoutError:
            self.health.failed("no answer from the database")
        except Exception:
            log.exception("could not mark %s update %s as answering", self.channel, current.key)
        else:
            current.claimed = claimed
            if not claimed:
                raise delivery.AnswerClaimed(current.key)
            return
        self.health.lost(NO_RECORD)
