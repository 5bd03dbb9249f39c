"""Closed-loop citizen load on the fake Bot API server, driven over HTTP control endpoints.

Each simulated user has one question outstanding; the moment the bot's answer (its first
sendMessage to that chat) arrives, that user asks the next one. Or paced (open loop): questions
arrive at a fixed rate whatever the bot does, which shows the latency a citizen sees at that
load. Run in its own process so the server's CPU does not compete with the bot under test.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import deque
from typing import Any

from aiohttp import web

from tests.fakes.telegram_server import FakeTelegram, SentMessage


class LoadFake(FakeTelegram):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.record_calls = False
        self.keep_messages = False
        self.pacer: asyncio.Task[None] | None = None
        self.reset()

    def reset(self) -> None:
        if self.pacer is not None:
            self.pacer.cancel()
        self.questions: list[str] = ["xin chào"]
        self.total = 0
        self.issued = 0
        self.answered = 0
        self.burst = False
        self.rate = 0.0
        self.pacer = None
        self.outstanding: dict[int, deque[tuple[float, int]]] = {}
        self.delivered: dict[int, float] = {}
        self.latencies: list[float] = []
        self.service: list[float] = []
        self.started = 0.0
        self.finished = 0.0
        self.done = asyncio.Event()
        self.updates.clear()

    # ------------------------------------------------------------------ the loop

    def start_load(
        self,
        users: list[int],
        total: int,
        questions: list[str],
        burst: bool = False,
        rate: float = 0.0,
    ) -> None:
        """Closed loop (each user asks again once answered), a burst (everything queued now),
        or paced at ``rate`` questions per second."""
        self.reset()
        self.questions, self.total, self.burst, self.rate = questions, total, burst, rate
        self.started = time.perf_counter()
        if rate > 0:
            self.pacer = asyncio.get_running_loop().create_task(self._pace(users))
        elif burst:
            for index in range(total):
                self._ask(users[index % len(users)])
        else:
            for user_id in users:
                self._ask(user_id)

    def _ask(self, user_id: int) -> None:
        if self.issued >= self.total:
            return
        question = self.questions[self.issued % len(self.questions)]
        self.issued += 1
        update_id = self.text(user_id, question)
        self.outstanding.setdefault(user_id, deque()).append((time.perf_counter(), update_id))

    async def _pace(self, users: list[int]) -> None:
        index = 0
        while self.issued < self.total:
            due = int((time.perf_counter() - self.started) * self.rate) + 1
            while self.issued < min(due, self.total):
                self._ask(users[index % len(users)])
                index += 1
            await asyncio.sleep(0.005)

    def on_message_sent(self, message: SentMessage) -> None:
        queue = self.outstanding.get(message.chat_id)
        if not queue:
            return  # a second chunk, or not part of the load
        asked, update_id = queue.popleft()
        if not queue:
            del self.outstanding[message.chat_id]
        now = time.perf_counter()
        self.latencies.append(now - asked)
        delivered = self.delivered.pop(update_id, None)
        if delivered is not None:
            self.service.append(now - delivered)
        self.answered += 1
        if self.answered >= self.total:
            self.finished = now
            self.done.set()
        elif not self.burst and not self.rate:
            self._ask(message.chat_id)

    async def api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        result = await super().api_getUpdates(params)
        now = time.perf_counter()
        for update in result:
            self.delivered.setdefault(update["update_id"], now)
        return result

    # ------------------------------------------------------------------ control

    def extra_routes(self, app: web.Application) -> None:
        app.router.add_post("/_load/start", self._start)
        app.router.add_get("/_load/status", self._status)
        app.router.add_get("/_load/result", self._result)
        app.router.add_post("/_load/reset", self._reset)

    async def _start(self, request: web.Request) -> web.Response:
        body = await request.json()
        users, questions = list(body["users"]), list(body["questions"])
        self.start_load(
            users,
            int(body["total"]),
            questions,
            bool(body.get("burst")),
            float(body.get("rate") or 0.0),
        )
        return web.json_response({"ok": True})

    async def _status(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"answered": self.answered, "issued": self.issued, "total": self.total}
        )

    async def _reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})

    async def _result(self, request: web.Request) -> web.Response:
        limit = float(request.query.get("timeout", "600"))
        try:
            await asyncio.wait_for(self.done.wait(), limit)
        except TimeoutError:
            return web.json_response({"ok": False, "answered": self.answered}, status=504)
        seconds = self.finished - self.started
        return web.json_response(
            {
                "ok": True,
                "answered": self.answered,
                "seconds": seconds,
                "per_second": self.answered / seconds,
                "latency_p50": statistics.median(self.latencies),
                "latency_p90": statistics.quantiles(self.latencies, n=10)[-1],
                "latency_p99": statistics.quantiles(self.latencies, n=100)[-1],
                "service_p50": statistics.median(self.service) if self.service else 0.0,
            }
        )


async def serve(port: int, rtt: float = 0.0) -> None:
    fake = LoadFake()
    if rtt > 0:
        # A round trip to the real Bot API from a province's server, not loopback's 0.1 ms.
        for method in ("sendMessage", "sendChatAction", "answerCallbackQuery", "getMe"):
            fake.delays[method] = rtt
    await fake.start(port)
    print(f"PORT {fake.port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()
