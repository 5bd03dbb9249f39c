"""Warm-up at server start: the first staff to open each page should not pay for the start.

What a first request paid (measured by bench/bench_console.py): compiling the page's Jinja
template, opening database connections, loading the knowledge list's catalog (10,000 rows),
matching the inbox's first page against the knowledge, counting the suggestions and the
overview's days, creating the broadcast service, and working out the trial panel's base for
the live index. All of it is done here once, in the background, right after the start; a page
opened meanwhile just does its own part as before.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.console.catalog import Filters
from bot.console.inbox_actions import SORTS
from bot.console.trial import prepare
from bot.console.web import broadcasts, inbox, knowledge_list
from bot.console.web.context import CONSOLE, Console
from bot.console.web.overview import PERIODS, USAGE

log = logging.getLogger(__name__)
WARMING: web.AppKey[asyncio.Task[float]] = web.AppKey("console_warming", asyncio.Task)


async def start_warming(app: web.Application) -> None:
    """on_startup: warm in the background (the server starts serving at once)."""
    app[WARMING] = asyncio.create_task(warm_up(app), name="console-warm-up")


async def stop_warming(app: web.Application) -> None:
    task = app.get(WARMING)
    if task is not None and not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def warmed(app: web.Application) -> float:
    """Wait for the warm-up; its duration in seconds (for the benchmark and tests)."""
    task = app[WARMING]
    return await task


async def warm_up(app: web.Application) -> float:
    started = time.perf_counter()
    console = app[CONSOLE]
    steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("templates", lambda: asyncio.to_thread(_compile_templates, console)),
        ("connections", lambda: _open_connections(console)),
        ("knowledge list", lambda: _catalog(app)),
        ("inbox", lambda: _inbox(app)),
        ("overview", lambda: _overview(app)),
        ("broadcasts", lambda: _broadcasts(app)),
        ("trial", lambda: asyncio.to_thread(prepare, console.live.current, console.normalizer)),
    ]
    spent: list[str] = []
    for name, step in steps:
        begun = time.perf_counter()
        try:
            await step()
        except Exception:
            # Only the first page view is slower for it; the page itself reports real errors.
            log.warning("console warm-up: %s failed", name, exc_info=True)
        spent.append(f"{name} {time.perf_counter() - begun:.2f} s")
    seconds = time.perf_counter() - started
    log.info("console warmed up in %.2f s (%s)", seconds, ", ".join(spent))
    return seconds


def _compile_templates(console: Console) -> None:
    for name in console.templates.list_templates():
        if name.endswith(".html"):
            console.templates.get_template(name)


async def _open_connections(console: Console) -> None:
    """Fill the pool: each page view then reuses an open connection."""
    engine = console.storage.engine
    size = max(1, min(getattr(engine.pool, "size", lambda: 1)(), 8))

    async def hold(ready: asyncio.Event, count: list[int]) -> None:
        async with engine.connect():
            count[0] += 1
            if count[0] >= size:
                ready.set()
            await ready.wait()

    ready, count = asyncio.Event(), [0]
    await asyncio.gather(*(hold(ready, count) for _ in range(size)))


async def _catalog(app: web.Application) -> None:
    console = app[CONSOLE]
    await app[knowledge_list.CATALOG].listing(
        Filters(),
        today=knowledge_list.today(console),
        stale_days=console.settings.knowledge_stale_days,
        offset=0,
        limit=knowledge_list.PAGE_SIZE,
    )


async def _inbox(app: web.Application) -> None:
    console = app[CONSOLE]
    queue = inbox.inbox_of(console)
    for sort in SORTS:
        page = await queue.page(kind=None, sort=sort, offset=0, limit=inbox.PAGE_SIZE)
        await inbox.guesses(console.live.current, app[inbox.GUESSES], page.items)
    await app[inbox.SUGGESTIONS].get(console)


async def _overview(app: web.Application) -> None:
    console = app[CONSOLE]
    await app[USAGE].usage(max(PERIODS), console.clock())
    await console.storage.inbox.count_open()


async def _broadcasts(app: web.Application) -> None:
    service, _ = await broadcasts.service_for(app[CONSOLE], app[broadcasts.OFFLINE])
    await service.tips.active()
    await service.reports(limit=20)
