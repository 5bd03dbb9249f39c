"""The webhook receiver: a route on the shared server that checks Telegram's secret and records
updates.

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


class WebhookRoute:
    """POST ``path`` on the shared server → ``accept(update)`` → 200; a wrong secret gets 403,
    a bad body 400, and 503 while the channel is not taking updates (Telegram retries)."""

    def __init__(self, accept: Accept, *, secret: str, path: str) -> None:
        self.accept = accept
        self._secret = check_secret(secret).encode("ascii")
        self.path = path if path.startswith("/") else "/" + path
        self.open = False  # set once the channel answers, cleared when it stops

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(self.path, self.receive)

    async def receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self._secret):
            log.warning("webhook call with a missing or wrong secret from %s", request.remote)
            return web.Response(status=403)
        if not self.open:
            return web.Response(status=503, headers={"Retry-After": "5"})
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413)
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return web.Response(status=413)
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            await self.accept(data)
        except ValueError as exc:  # JSONDecodeError included
            log.warning("webhook body is not an update: %s", exc)
            return web.Response(status=400)
        return web.Response(status=200)
