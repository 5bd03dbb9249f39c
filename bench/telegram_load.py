"""Citizen load on the fake Bot API server, driven over HTTP control endpoints (bench/load_loop.py).

Run in its own process so the server's CPU does not compete with the bot under test. Besides the
latency a citizen sees, it reports the service time: from the getUpdates that handed a question
to the bot to its answer.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from aiohttp import web

from bench.load_loop import LoadLoop, serve_forever
from tests.fakes.telegram_server import FakeTelegram, SentMessage


class LoadFake(LoadLoop, FakeTelegram):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.record_calls = False
        self.keep_messages = False
        self.reset()

    def reset(self) -> None:
        super().reset()
        self.delivered: dict[int, float] = {}
        self.service: list[float] = []
        self.updates.clear()

    def post_question(self, user: Any, text: str, number: int) -> Any:
        return self.text(int(user), text)  # the update id

    def on_message_sent(self, message: SentMessage) -> None:
        asked = self.arrived(message.chat_id)
        if asked is None:
            return
        delivered = self.delivered.pop(asked[1], None)
        if delivered is not None:
            self.service.append(time.perf_counter() - delivered)

    async def api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        result = await super().api_getUpdates(params)
        now = time.perf_counter()
        for update in result:
            self.delivered.setdefault(update["update_id"], now)
        return result

    def figures(self) -> dict[str, Any]:
        service = statistics.median(self.service) if self.service else 0.0
        return {**super().figures(), "service_p50": service}

    def extra_routes(self, app: web.Application) -> None:
        self.load_routes(app)


async def serve(port: int, rtt: float = 0.0) -> None:
    fake = LoadFake()
    if rtt > 0:
        # A round trip to the real Bot API from a province's server, not loopback's 0.1 ms.
        for method in ("sendMessage", "sendChatAction", "answerCallbackQuery", "getMe"):
            fake.delays[method] = rtt
    await serve_forever(fake, port)
