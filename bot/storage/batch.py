"""Group commit: small writes that arrive together share one transaction.

Every citizen message writes a conversation row (and now and then a user row). One transaction
per row costs more CPU than answering the question, so under load the writes of concurrent
answers queue while the previous transaction runs and are then committed together, whatever
repository they come from. A caller still awaits its own write: when ``submit`` returns, the
row is committed, so nothing is acknowledged before it is on disk.

If a batch fails, its writes are retried one by one, so one bad row fails only its own caller;
if the database is unavailable (locked, down) every write of the batch fails at once with
StorageUnavailable. On SQLite a transaction of this writer waits ``wait_ms`` for the write lock,
not the full busy timeout: its callers answer citizens and would rather degrade than wait.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.ports import StorageUnavailable
from bot.storage.availability import describe, unavailable
from bot.storage.engine import WAIT_MS

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

# Writes several items of one kind inside an open transaction; one result per item, in order.
BatchWork = Callable[[AsyncSession, Sequence[Item]], Awaitable[Sequence[Result]]]

# Loop turns the writer waits before taking a batch, so that answers being computed right now
# can join it. Costs nothing when nobody else is running.
_GATHER_TURNS = 2


class GroupCommit:
    """One writer per database; repositories submit (work, item) pairs."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        max_batch: int = 500,
        wait_ms: int | None = None,
    ) -> None:
        self._sessions = sessions
        self._max_batch = max_batch
        self._options = {WAIT_MS: wait_ms} if wait_ms is not None else {}
        self._pending: list[tuple[BatchWork[Any, Any], Any, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.batches = 0  # transactions committed (read by tests)
        self.writes = 0

    async def submit(self, work: BatchWork[Item, Result], item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((work, item, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_all(), name="storage-group-commit")
        # Shielded: a cancelled caller does not cancel the batch other callers wait on.
        return await asyncio.shield(future)

    async def drain(self) -> None:
        """Wait until every submitted write is committed (or has failed)."""
        while self._flusher is not None and not self._flusher.done():
            await asyncio.wait([self._flusher])

    async def _flush_all(self) -> None:
        batch: list[tuple[BatchWork[Any, Any], Any, asyncio.Future[Any]]] = []
        try:
            for _ in range(_GATHER_TURNS):
                await asyncio.sleep(0)
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                await self._write(batch)
        except BaseException:
            # Cancelled (shutdown) or a bug: nobody may wait forever.
            for _, _, future in batch + self._pending:
                if not future.done():
                    future.set_exception(RuntimeError("storage closed before this write"))
            self._pending.clear()
            raise

    async def _write(
        self, batch: list[tuple[BatchWork[Any, Any], Any, asyncio.Future[Any]]]
    ) -> None:
        try:
            results = await self._transaction([(work, item) for work, item, _ in batch])
        except Exception as exc:
            if len(batch) == 1 or unavailable(exc):
                _fail(batch, exc)
                return
            log.warning("a batch of %d writes failed; retrying them one by one", len(batch))
            for index, (work, item, future) in enumerate(batch):
                try:
                    (result,) = await self._transaction([(work, item)])
                except Exception as single:
                    if unavailable(single):
                        _fail(batch[index:], single)
                        return
                    future.set_exception(single)
                else:
                    future.set_result(result)
            return
        for (_, _, future), result in zip(batch, results, strict=True):
            future.set_result(result)

    async def _transaction(self, jobs: Sequence[tuple[BatchWork[Any, Any], Any]]) -> list[Any]:
        """Run every kind of work once over its items, in one transaction."""
        kinds: dict[BatchWork[Any, Any], list[int]] = {}
        for index, (work, _) in enumerate(jobs):
            kinds.setdefault(work, []).append(index)
        results: list[Any] = [None] * len(jobs)
        async with self._sessions() as session, session.begin():
            await session.connection(execution_options=self._options)
            for work, indexes in kinds.items():
                done = await work(session, [jobs[i][1] for i in indexes])
                for index, result in zip(indexes, done, strict=True):
                    results[index] = result
        self.batches += 1
        self.writes += len(jobs)
        return results


def _fail(batch: Sequence[tuple[Any, Any, asyncio.Future[Any]]], exc: Exception) -> None:
    """Fail every write of ``batch``: with StorageUnavailable when the database is away."""
    outage = unavailable(exc)
    for _, _, future in batch:
        if not future.done():
            # One exception object each: raised in several tasks, one would collect them all.
            future.set_exception(StorageUnavailable(describe(exc)) if outage else exc)
