"""Process lifecycle: a stop event set by SIGINT / SIGTERM, sleeps and retries it interrupts,
a deadline for the stop itself; the C allocator's arenas limited at start; the built heap
kept out of the cyclic garbage collector's walks."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import os
import signal
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

_M_ARENA_MAX = -8  # glibc's mallopt parameter, the one MALLOC_ARENA_MAX sets
MALLOC_ARENAS = 2


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Ask glibc for at most ``arenas`` malloc arenas, as ``MALLOC_ARENA_MAX`` would; call it
    before any thread starts. Each thread (aiosqlite runs one per connection) otherwise gets
    arenas of its own that keep what it freed: RSS then climbs with traffic (the memory bench,
    8,000 users: +14.0 % with glibc's default, +6.2 % with two). An operator's
    MALLOC_ARENA_MAX stands; without glibc (musl, macOS) nothing is done. True when applied."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))


def settle_heap() -> None:
    """Move everything alive now (the knowledge index above all: millions of objects that
    never change) out of the cyclic garbage collector's reach, so that its full collections
    walk only what answering creates. Those walks over the index were the largest single cost
    per answer in the Zalo bench's profile. Call it once serving starts and after each hot swap:
    what was frozen before is first given back to the collector, so the old index's reference
    cycles are freed, not kept for the life of the process."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGINT / SIGTERM set ``stop``; the previous handlers come back afterwards."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread, or Windows: the caller must set ``stop``
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


# SIGTERM / Ctrl+C end the process within 10 s (README): what has not finished by then waits
# for the next start (updates are recorded before they are acknowledged).
STOP_DEADLINE_SECONDS = 9.0


def arm_stop_deadline(
    exit_code: Callable[[], int], seconds: float = STOP_DEADLINE_SECONDS
) -> threading.Timer:
    """End the process ``seconds`` from now whatever is still running (a database call that
    never returns, a thread the event loop waits for at exit), with ``exit_code()``: a stop
    was asked for, so a supervisor must not read the cut as a crash. A thread, not a task:
    it fires even when the event loop itself is stuck. Armed once the stop has begun."""

    def cut() -> None:
        code = exit_code()
        log.warning("not stopped %.0f s after the stop began: exiting now (code %d)", seconds, code)
        for handler in logging.getLogger().handlers:
            with contextlib.suppress(Exception):
                handler.flush()
        os._exit(code)

    timer = threading.Timer(seconds, cut)
    timer.daemon = True
    timer.name = "stop-deadline"
    timer.start()
    return timer


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep, waking early on stop; True when stop was requested."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()


class Stopped(Exception):
    """``stop`` was set before the action could succeed."""


async def retry_until_stopped(
    action: Callable[[], Awaitable[T]],
    stop: asyncio.Event,
    *,
    what: str,
    reason: Callable[[Exception], str | None],
    max_delay: float = 30.0,
) -> T:
    """``await action()`` until it succeeds, with backoff and one log line per failed attempt.

    ``reason(exc)`` says why an error is worth retrying (the line shows it) or returns None to
    let the error through. Raises Stopped when ``stop`` is set first.
    """
    delay, attempt = 1.0, 0
    while not stop.is_set():
        attempt += 1
        try:
            return await action()
        except Exception as exc:
            why = reason(exc)
            if why is None:
                raise
        # The first failure is a warning; later attempts are INFO so that the log guard (which
        # writes a repeated warning once a minute) still shows every attempt while we wait.
        level = logging.WARNING if attempt == 1 else logging.INFO
        log.log(level, "%s (%s); attempt %d, retrying in %.0f s", what, why, attempt, delay)
        if await wait_or_stop(stop, delay):
            break
        delay = min(delay * 2, max_delay)
    raise Stopped


async def until_stopped(stop: asyncio.Event, polling: asyncio.Task[None] | None) -> None:
    """Wait for ``stop``; a poller that ended on its own (a refused token) ends the wait too,
    with its error."""
    if polling is None:
        await stop.wait()
        return
    waiter = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({waiter, polling}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if polling.done() and not stop.is_set():
        polling.result()
