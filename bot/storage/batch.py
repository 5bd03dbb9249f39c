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
import sqlite3
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.ports import StorageUnavailable
from bot.storage.availability import describe, unavailable
from bot.storage.engine import WAIT_MS
from bot.storage.sqlite_direct import alone, in_thread, sqlite_engine

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

# Writes several items of one kind inside an open transaction; one result per item, in order.
BatchWork = Callable[[AsyncSession, Sequence[Item]], Awaitable[Sequence[Result]]]

# The same writes on SQLite's own connection, run on its thread (see storage.sqlite_direct).
SqliteWork = Callable[[sqlite3.Connection, Dialect, Sequence[Item]], Sequence[Result]]
_SQLITE_FORMS: dict[Any, SqliteWork[Any, Any]] = {}


def sqlite_form(
    form: SqliteWork[Item, Result],
) -> Callable[[BatchWork[Item, Result]], BatchWork[Item, Result]]:
    """Declare ``form`` the SQLite version of the decorated work: on SQLite a batch runs the
    forms of all its works in one call to the connection's thread, not statement by statement
    through the session. Both must write the same rows and return the same results."""

    def register(work: BatchWork[Item, Result]) -> BatchWork[Item, Result]:
        _SQLITE_FORMS[work] = form
        return work

    return register


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
        self._wait_ms = wait_ms
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
        # Not shielded: the future is this caller's alone, so cancelling the caller cancels only
        # it; the batch (its own task) still writes the item, and nothing is set on it after.
        return await future

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
                    if not future.done():  # done: its caller was cancelled
                        future.set_exception(single)
                else:
                    if not future.done():
                        future.set_result(result)
            return
        for (_, _, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    async def _transaction(self, jobs: Sequence[tuple[BatchWork[Any, Any], Any]]) -> list[Any]:
        """Run every kind of work once over its items, in one transaction."""
        kinds: dict[BatchWork[Any, Any], list[int]] = {}
        for index, (work, _) in enumerate(jobs):
            kinds.setdefault(work, []).append(index)
        results: list[Any] = [None] * len(jobs)

        def place(step: Sequence[BatchWork[Any, Any]], done_by_work: list[Sequence[Any]]) -> None:
            for work, done in zip(step, done_by_work, strict=True):
                for index, result in zip(kinds[work], done, strict=True):
                    results[index] = result

        engine = sqlite_engine(self._sessions)
        if (
            engine is not None
            and self._wait_ms is not None
            and all(w in _SQLITE_FORMS for w in kinds)
        ):
            # Nothing needs the session: the whole transaction in one call to SQLite's thread.
            run = _run_forms(_SQLITE_FORMS, list(kinds), kinds, jobs)
            place(list(kinds), await alone(engine, run, write_wait_ms=self._wait_ms))
        else:
            await self._in_session(kinds, jobs, place)
        self.batches += 1
        self.writes += len(jobs)
        return results

    async def _in_session(
        self,
        kinds: dict[BatchWork[Any, Any], list[int]],
        jobs: Sequence[tuple[BatchWork[Any, Any], Any]],
        place: Callable[[Sequence[BatchWork[Any, Any]], list[Sequence[Any]]], None],
    ) -> None:
        async with self._sessions() as session, session.begin():
            connection = await session.connection(execution_options=self._options)
            forms = _SQLITE_FORMS if connection.dialect.name == "sqlite" else {}
            # Consecutive works with a SQLite form share one call to the connection's thread;
            # every work still runs in the order its kind was first submitted.
            steps: list[list[BatchWork[Any, Any]]] = []
            for work in kinds:
                if work in forms and steps and steps[-1][0] in forms:
                    steps[-1].append(work)
                else:
                    steps.append([work])
            for step in steps:
                if step[0] in forms:
                    if session.new or session.dirty or session.deleted:
                        await session.flush()  # what the works before changed, in order
                    place(step, await in_thread(connection, _run_forms(forms, step, kinds, jobs)))
                else:
                    place(step, [await step[0](session, [jobs[i][1] for i in kinds[step[0]]])])


def _run_forms(
    forms: dict[Any, SqliteWork[Any, Any]],
    step: Sequence[BatchWork[Any, Any]],
    kinds: dict[BatchWork[Any, Any], list[int]],
    jobs: Sequence[tuple[BatchWork[Any, Any], Any]],
) -> Callable[[sqlite3.Connection, Dialect], list[Sequence[Any]]]:
    """The SQLite forms of ``step``'s works over their items, as one call for the thread."""

    def run(conn: sqlite3.Connection, dialect: Dialect) -> list[Sequence[Any]]:
        return [forms[work](conn, dialect, [jobs[i][1] for i in kinds[work]]) for work in step]

    return run


def _fail(batch: Sequence[tuple[Any, Any, asyncio.Future[Any]]], exc: Exception) -> None:
    """Fail every write of ``batch``: with StorageUnavailable when the database is away."""
    _fail_all([future for _, _, future in batch], exc)


def _fail_all(futures: Sequence[asyncio.Future[Any]], exc: Exception) -> None:
    outage = unavailable(exc)
    for future in futures:
        if not future.done():
            # One exception object each: raised in several tasks, one would collect them all.
            future.set_exception(StorageUnavailable(describe(exc)) if outage else exc)


Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")
# Reads the values of several keys at once; keys without a value are left out.
ReadMany = Callable[[Sequence[Key]], Awaitable[dict[Key, Value]]]


class GroupRead(Generic[Key, Value]):
    """Reads by key that arrive together share one query, as writes share a transaction: an
    answer's small read (e.g. a citizen's pending comment) costs no connection of its own."""

    def __init__(self, read_many: ReadMany[Key, Value], *, max_batch: int = 300) -> None:
        self._read_many = read_many
        self._max_batch = max_batch
        self._wanted: dict[Key, list[asyncio.Future[Value | None]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.queries = 0  # read by tests

    async def get(self, key: Key) -> Value | None:
        future: asyncio.Future[Value | None] = asyncio.get_running_loop().create_future()
        self._wanted.setdefault(key, []).append(future)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_all(), name="storage-group-read")
        # Not shielded: each caller has a future of its own (see GroupCommit.submit).
        return await future

    async def _read_all(self) -> None:
        batch: dict[Key, list[asyncio.Future[Value | None]]] = {}
        try:
            for _ in range(_GATHER_TURNS):
                await asyncio.sleep(0)
            while self._wanted:
                keys = list(self._wanted)[: self._max_batch]
                batch = {key: self._wanted.pop(key) for key in keys}
                try:
                    found = await self._read_many(keys)
                except Exception as exc:
                    _fail_all([f for futures in batch.values() for f in futures], exc)
                    continue
                finally:
                    self.queries += 1
                for key, futures in batch.items():
                    for future in futures:
                        if not future.done():
                            future.set_result(found.get(key))
                batch = {}
        except BaseException:
            # Cancelled (shutdown): nobody may wait forever.
            waiting = [*batch.values(), *self._wanted.values()]
            self._wanted.clear()
            _fail_all(
                [f for futures in waiting for f in futures],
                RuntimeError("storage closed before this read"),
            )
            raise
