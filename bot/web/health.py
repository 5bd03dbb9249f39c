"""GET /healthz, /readyz and /metrics on the shared HTTP server.

/healthz says the process is alive and touches nothing else; /readyz says it can answer
(the database replies to a cheap query within a short time and a knowledge index is loaded),
so a load balancer sends traffic only to processes that can serve it; /metrics is Prometheus text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from bot.core.health import short_reason
from bot.metrics import CONTENT_TYPE, AppMetrics

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

Ping = Callable[[], Awaitable[None]]
# A database slower than this to answer SELECT 1 counts as not ready.
READY_TIMEOUT = 2.0


class HealthRoutes:
    """RouteProvider for the three monitoring endpoints."""

    def __init__(
        self,
        metrics: AppMetrics,
        *,
        ping: Ping | None,
        knowledge_loaded: Callable[[], bool],
        timeout: float = READY_TIMEOUT,
    ) -> None:
        self.metrics = metrics
        self._ping = ping
        self._knowledge_loaded = knowledge_loaded
        self._timeout = timeout

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.render_metrics)

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(self, request: web.Request) -> web.Response:
        reason = await self._not_ready()
        if reason is None:
            return web.json_response({"status": "ready"})
        return web.json_response({"status": "not ready", "reason": reason}, status=503)

    async def render_metrics(self, request: web.Request) -> web.Response:
        body = await asyncio.to_thread(self.metrics.render)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    async def _not_ready(self) -> str | None:
        if not self._knowledge_loaded():
            return "knowledge index not loaded"
        if self._ping is None:
            return None
        try:
            async with asyncio.timeout(self._timeout):
                await self._ping()
        except TimeoutError:
            return f"database did not answer within {self._timeout:g} s"
        except Exception as exc:
            return f"database unavailable: {short_reason(exc)}"
        return None


def health_routes(runtime: Runtime) -> HealthRoutes:
    """The monitoring endpoints of one running assistant, counting from now on."""
    metrics = AppMetrics(
        knowledge_version=lambda: runtime.snapshot.version,
        broadcasts=lambda: runtime.broadcast.totals() if runtime.broadcast is not None else None,
    )
    runtime.use_metrics(metrics)
    storage = runtime.storage
    return HealthRoutes(
        metrics,
        ping=storage.ping if storage is not None else None,
        knowledge_loaded=lambda: runtime.knowledge_loaded,
    )
