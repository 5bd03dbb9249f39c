"""The webhook receiver: an aiohttp server that checks Telegram's secret and records updates.

Telegram takes a 200 as "delivered" and never sends that update again, so the 200 goes out
only after the update is recorded (``accept`` returns); a failure before that makes Telegram
retry, and a retried update that was recorded already is dropped by the journal.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
MAX_BODY = 1 << 20  # updates are small; a bigger body is not from Telegram

# Records one update (JSON object); raises ValueError when it is not one. Waits while too many
# updates are queued, so that Telegram slows down instead of memory growing without bound.
Accept = Callable[[dict[str, Any]], Awaitable[None]]


def check_secret(secret: str) -> str:
    """Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and -."""
    if not SECRET_RE.match(secret):
        raise ValueError(
            "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
        )
    return secret


class WebhookServer:
    """POST ``path`` → ``accept(update)`` → 200; a wrong secret gets 403, a bad body 400."""

    def __init__(self, accept: Accept, *, secret: str, host: str, port: int, path: str) -> None:
        self.accept = accept
        self._secret = check_secret(secret).encode("ascii")
        self.host = host
        self.port = port
        self.path = path if path.startswith("/") else "/" + path
        self._runner: web.AppRunner | None = None

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self.path, self.receive)
        app.router.add_get("/healthz", self.health)
        return app

    async def start(self) -> int:
        """Listen; returns the bound port (useful with port 0)."""
        self._runner = web.AppRunner(self.make_app(), access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        bound = self._runner.addresses[0][1] if self._runner.addresses else self.port
        log.info("webhook listening on %s:%s%s", self.host, bound, self.path)
        return int(bound)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self._secret):
            log.warning("webhook call with a missing or wrong secret from %s", request.remote)
            return web.Response(status=403)
        body = await request.read()  # over MAX_BODY: aiohttp answers 413 itself
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            await self.accept(data)
        except ValueError as exc:  # JSONDecodeError included
            log.warning("webhook body is not an update: %s", exc)
            return web.Response(status=400)
        return web.Response(status=200)
