"""Citizen load on the fake Zalo Bot API, driven over HTTP control endpoints (its own process).

Closed loop (each simulated user has one question outstanding and asks the next the moment the
first message of the answer arrives) or paced (questions arrive at a fixed rate whatever the bot
does: the latency a citizen sees at that load). Questions reach the bot through getUpdates (one
update per call, as Zalo hands them out) or, once the bot has set a webhook, as POSTs to it.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import deque
from typing import Any

from aiohttp import web

from tests.fakes.zalo_server import FakeZalo, ZaloSent


class ZaloLoad(FakeZalo):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.record = False
        self.on_accept = self._answered
        self.pacer: asyncio.Task[None] | None = None
        self.reset()

    def reset(self) -> None:
        if self.pacer is not None:
            self.pacer.cancel()
        self.pacer = None
        self.questions: list[str] = ["xin chào"]
        self.total = self.issued = self.answered = 0
        self.rate = 0.0
        self.outstanding: dict[str, deque[float]] = {}
        self.latencies: list[float] = []
        self.started = self.finished = 0.0
        self.done = asyncio.Event()
        self.updates.clear()

    def start_load(self, users: list[str], total: int, questions: list[str], rate: float) -> None:
        self.reset()
        self.questions, self.total, self.rate = questions, total, rate
        self.started = time.perf_counter()
        if rate > 0:
            self.pacer = asyncio.get_running_loop().create_task(self._pace(users))
        else:
            for user in users:
                self._ask(user)

    def _ask(self, user: str) -> None:
        if self.issued >= self.total:
            return
        question = self.questions[self.issued % len(self.questions)]
        self.issued += 1
        self.outstanding.setdefault(user, deque()).append(time.perf_counter())
        self.text(user, question, message_id=f"q{self.issued}-{time.monotonic_ns()}")

    async def _pace(self, users: list[str]) -> None:
        index = 0
        while self.issued < self.total:
            due = int((time.perf_counter() - self.started) * self.rate) + 1
            while self.issued < min(due, self.total):
                self._ask(users[index % len(users)])
                index += 1
            await asyncio.sleep(0.005)

    def _answered(self, message: ZaloSent) -> None:
        queue = self.outstanding.get(message.chat_id)
        if not queue:
            return  # a later part of a split answer, or not part of the load
        asked = queue.popleft()
        if not queue:
            del self.outstanding[message.chat_id]
        now = time.perf_counter()
        self.latencies.append(now - asked)
        self.answered += 1
        if self.answered >= self.total:
            self.finished = now
            self.done.set()
        elif not self.rate:
            self._ask(message.chat_id)

    # ------------------------------------------------------------------ control

    def add_routes(self, app: web.Application) -> None:
        super().add_routes(app)
        app.router.add_post("/_load/start", self._start)
        app.router.add_get("/_load/result", self._result)

    async def _start(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.start_load(
            [str(u) for u in body["users"]],
            int(body["total"]),
            list(body["questions"]),
            float(body.get("rate") or 0.0),
        )
        return web.json_response({"ok": True})

    async def _result(self, request: web.Request) -> web.Response:
        try:
            await asyncio.wait_for(self.done.wait(), float(request.query.get("timeout", "900")))
        except TimeoutError:
            return web.json_response({"ok": False, "answered": self.answered}, status=504)
        seconds = self.finished - self.started
        result: dict[str, Any] = {
            "ok": True,
            "answered": self.answered,
            "seconds": seconds,
            "per_second": self.answered / seconds,
            "latency_p50": statistics.median(self.latencies),
            "latency_p90": statistics.quantiles(self.latencies, n=10)[-1],
            "latency_p99": statistics.quantiles(self.latencies, n=100)[-1],
        }
        return web.json_response(result)


async def serve(port: int, rate_limit: float | None = None) -> None:
    fake = ZaloLoad(rate_limit=rate_limit)
    await fake.start(port)
    print(f"PORT {fake.port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()
