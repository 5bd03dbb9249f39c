"""One shared HTTP server for every part that speaks HTTP.

Parts never open their own listener: they implement :class:`RouteProvider` and the composition
root mounts them before the server starts (aiohttp freezes the router on start).
"""

from __future__ import annotations

import logging
from typing import Protocol

from aiohttp import web

log = logging.getLogger(__name__)

# Bodies above this are refused by aiohttp with 413 before any handler reads them.
MAX_BODY_BYTES = 1024 * 1024


class RouteProvider(Protocol):
    """Anything that serves HTTP: a channel's webhook, the web chat, the staff console, health."""

    def add_routes(self, app: web.Application) -> None: ...


class HttpServer:
    """Owns the aiohttp application and its listener; mount providers, then start once."""

    def __init__(self, host: str, port: int, *, max_body: int = MAX_BODY_BYTES) -> None:
        self.host = host
        self.port = port
        self.app = web.Application(client_max_size=max_body)
        self._runner: web.AppRunner | None = None

    def mount(self, provider: RouteProvider) -> None:
        if self._runner is not None:
            raise RuntimeError("mount every route provider before the server starts")
        provider.add_routes(self.app)

    async def start(self) -> int:
        """Listen and return the bound port (useful with port 0 in tests)."""
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        if runner.addresses:
            self.port = int(runner.addresses[0][1])
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
