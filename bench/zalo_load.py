"""Citizen load on the fake Zalo Bot API, driven over HTTP control endpoints (bench/load_loop.py).

Run in its own process. Questions reach the bot through getUpdates (one update per call, as
Zalo hands them out) or, once the bot has set a webhook, as POSTs to it.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from bench.load_loop import LoadLoop, serve_forever
from tests.fakes.zalo_server import FakeZalo, ZaloSent


class ZaloLoad(LoadLoop, FakeZalo):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.record = False
        self.on_accept = self._answered
        self.reset()

    def reset(self) -> None:
        super().reset()
        self.updates.clear()

    def post_question(self, user: Any, text: str, number: int) -> Any:
        return self.text(str(user), text, message_id=f"q{number}-{time.monotonic_ns()}")

    def _answered(self, message: ZaloSent) -> None:
        self.arrived(message.chat_id)

    def add_routes(self, app: web.Application) -> None:
        super().add_routes(app)
        self.load_routes(app)


async def serve(port: int, rate_limit: float | None = None) -> None:
    await serve_forever(ZaloLoad(rate_limit=rate_limit), port)
