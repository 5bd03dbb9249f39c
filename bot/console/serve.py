"""Run the console on its own listener until the shared HTTP server (bot.web) serves it.

Once the shared server is in the composition root, mount ``StaffConsole`` there instead:
``server.mount(StaffConsole(Console.from_runtime(runtime)))``.
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from aiohttp import web

from bot.console.web.app import StaffConsole
from bot.console.web.context import Console

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


async def start_console(stack: AsyncExitStack, runtime: Runtime) -> int | None:
    """Listen on STAFF_HOST:STAFF_PORT; return the bound port (None when switched off)."""
    settings = runtime.settings
    if not settings.staff_console or runtime.storage is None:
        return None
    app = web.Application()
    console = Console.from_runtime(runtime)
    StaffConsole(console).add_routes(app)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    site = web.TCPSite(runner, settings.staff_host, settings.staff_port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        log.error(
            "staff console not started on %s:%s: %s", settings.staff_host, settings.staff_port, exc
        )
        return None
    stack.push_async_callback(runner.cleanup)
    stack.push_async_callback(console.settled)  # a reload in progress finishes first
    port = int(runner.addresses[0][1]) if runner.addresses else settings.staff_port
    log.warning("staff console: http://%s:%s/staff", settings.staff_host, port)
    return port
