"""Write-behind bookkeeping: user touches, conversation logs, feedback and update states are
written after the answer, in batches, never in front of it.

A bounded queue in memory, flushed by one background task. While the database is unavailable
the writes wait (the oldest are dropped past ``max_items``, update states last) and are retried
with backoff; a write that fails for any other reason is dropped alone. Stopping flushes what is
left; a process killed with SIGKILL loses what had not been flushed yet (about the last second).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Hashable, Sequence

from bot.core.health import StorageHealth, short_reason
from bot.core.ports import StorageUnavailable

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]
# A queued write: what it is (for counts), the job, and an order key: writes that share a key
# run one after another in the order they were put (a 👎 before the comment that amends it);
# writes without a key run side by side.
_Item = tuple[str, Job, Hashable | None]
# Dropped last when the queue is full: losing one makes a restart answer an update again.
UPDATE_STATES = "update states"
_BATCH = 256  # a queue shorter than this waits FLUSH_EVERY to gather more
_BACKOFF = (0.5, 1.0, 2.0, 5.0)
# Writes gather this long before a flush: one transaction then carries the bookkeeping of many
# answers (a question, its user touch and its update state cost one commit, not three).
FLUSH_EVERY = 0.05


class WriteBehind:
    """``put(what, job)`` returns at once; ``job()`` runs soon, off the caller's path."""

    def __init__(
        self,
        health: StorageHealth | None = None,
        *,
        max_items: int = 10_000,
        backoff: Sequence[float] = _BACKOFF,
        flush_every: float = FLUSH_EVERY,
    ) -> None:
        self.health = health or StorageHealth()
        self.max_items = max(1, max_items)
        self._backoff = tuple(backoff) or (0.0,)
        self._flush_every = flush_every
        self._queue: deque[_Item] = deque()
        self._in_flight: list[_Item] = []
        self._task: asyncio.Task[None] | None = None
        self.written = 0
        self.dropped: Counter[str] = Counter()
        self.health.gauge("writes waiting in memory", self.__len__)

    def __len__(self) -> int:
        """Writes not done yet: queued or being attempted."""
        return len(self._queue) + len(self._in_flight)

    def put(self, what: str, job: Job, *, order: Hashable | None = None) -> None:
        """Queue ``job``; jobs put with the same ``order`` key run in the order they were put."""
        if len(self._queue) >= self.max_items:
            self._evict()
        self._queue.append((what, job, order))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush(), name="write-behind")

    async def drain(self) -> None:
        """Wait until every queued write is done (retrying while the database is away)."""
        while self._task is not None and not self._task.done():
            await asyncio.wait([self._task])

    async def close(self, budget: float = 5.0) -> None:
        """Flush what is queued, giving up after ``budget`` seconds (the loss is logged)."""
        await self.health.close()
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait([task], timeout=budget)
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._queue:
            kinds = Counter(item[0] for item in self._queue)
            log.warning(
                "stopped with the database unavailable: %s not written",
                ", ".join(f"{count} {what}" for what, count in sorted(kinds.items())),
            )
            self._queue.clear()

    def _evict(self) -> None:
        for index, (what, _, _) in enumerate(self._queue):
            if what != UPDATE_STATES:
                del self._queue[index]
                break
        else:
            what = self._queue.popleft()[0]
        self.dropped[what] += 1
        self.health.lost(f"{what} dropped (memory queue full)")

    async def _flush(self) -> None:
        failures = 0
        while self._queue:
            if len(self._queue) < _BATCH:
                await asyncio.sleep(self._flush_every)  # let a batch gather
            # Everything queued: a backlog is written in one go, not at _BATCH per pause, so
            # at the busiest the writes keep up with the answers instead of filling the queue.
            batch = list(self._queue)
            self._queue.clear()
            self._in_flight = batch
            try:
                results = await _run(batch)
            except asyncio.CancelledError:
                self._queue.extendleft(reversed(batch))  # counted as not written by close()
                raise
            finally:
                self._in_flight = []
            retry: list[_Item] = []
            reason = ""
            for item, result in zip(batch, results, strict=True):
                if isinstance(result, StorageUnavailable):
                    retry.append(item)
                    reason = short_reason(result)
                elif isinstance(result, asyncio.CancelledError):
                    raise result
                elif isinstance(result, BaseException):
                    self.health.lost(f"{item[0]} failed ({short_reason(result)})")
                else:
                    self.written += 1
            if not retry:
                failures = 0
                self.health.recovered()
                continue
            self._queue.extendleft(reversed(retry))
            self.health.failed(reason)
            await asyncio.sleep(self._backoff[min(failures, len(self._backoff) - 1)])
            failures += 1


async def _run(batch: Sequence[_Item]) -> list[object]:
    """Each job's result or exception, in batch order: keyed jobs in sequence per key (after a
    failure the rest of that key's jobs are not tried, and report the same exception so they
    are retried together, in order), everything else at once."""
    results: list[object] = [None] * len(batch)
    chains: dict[Hashable, list[int]] = {}
    loose: list[int] = []
    for index, (_, _, order) in enumerate(batch):
        if order is None:
            loose.append(index)
        else:
            chains.setdefault(order, []).append(index)

    async def one(index: int) -> None:
        try:
            results[index] = await batch[index][1]()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            results[index] = exc

    async def chain(indexes: list[int]) -> None:
        for position, index in enumerate(indexes):
            await one(index)
            failure = results[index]
            if isinstance(failure, StorageUnavailable):
                for later in indexes[position + 1 :]:
                    results[later] = failure
                return

    await asyncio.gather(*(one(i) for i in loose), *(chain(c) for c in chains.values()))
    return results
