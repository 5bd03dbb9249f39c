"""Simulated citizens for the fake messenger servers (bench/telegram_load.py, bench/zalo_load.py).

Closed loop: each user has one question outstanding and asks the next the moment the first
message of the answer arrives. Burst: every question queued at once. Paced (open loop):
questions arrive at a fixed rate whatever the bot does, which shows the latency a citizen sees
at that load. A fake mixes this in, says how a question is asked (``post_question``) and calls
``arrived(chat)`` when the bot sends a message; the control routes start a run and report it.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import deque
from collections.abc import Hashable
from typing import Any

from aiohttp import web


class LoadLoop:
    """The questions asked, the answers awaited and their latencies; mixed into a fake server."""

    pacer: asyncio.Task[None] | None = None

    def reset(self) -> None:
        if self.pacer is not None:
            self.pacer.cancel()
        self.pacer = None
        self.questions: list[str] = ["xin chào"]
        self.total = self.issued = self.answered = 0
        self.burst = False
        self.rate = 0.0
        # Per chat, in order: when each outstanding question was asked and the fake's tag for it.
        self.outstanding: dict[Hashable, deque[tuple[float, Any]]] = {}
        self.latencies: list[float] = []
        self.started = self.finished = 0.0
        self.done = asyncio.Event()

    def post_question(self, user: Any, text: str, number: int) -> Any:
        """Hand question ``number`` to the bot as ``user``'s; a tag kept with it (the fake's)."""
        raise NotImplementedError

    def start_load(
        self, users: list[Any], total: int, questions: list[str], *, burst: bool, rate: float
    ) -> None:
        self.reset()
        self.questions, self.total, self.burst, self.rate = questions, total, burst, rate
        self.started = time.perf_counter()
        if rate > 0:
            self.pacer = asyncio.get_running_loop().create_task(self._pace(users))
        elif burst:
            for index in range(total):
                self._ask(users[index % len(users)])
        else:
            for user in users:
                self._ask(user)

    def _ask(self, user: Any) -> None:
        if self.issued >= self.total:
            return
        question = self.questions[self.issued % len(self.questions)]
        self.issued += 1
        asked = time.perf_counter()
        tag = self.post_question(user, question, self.issued)
        self.outstanding.setdefault(user, deque()).append((asked, tag))

    async def _pace(self, users: list[Any]) -> None:
        index = 0
        while self.issued < self.total:
            due = int((time.perf_counter() - self.started) * self.rate) + 1
            while self.issued < min(due, self.total):
                self._ask(users[index % len(users)])
                index += 1
            await asyncio.sleep(0.005)

    def arrived(self, chat: Hashable) -> tuple[float, Any] | None:
        """The bot sent a message to ``chat``: the oldest question it answers (when and its tag),
        or None for a later part of a split answer or a chat outside the load."""
        queue = self.outstanding.get(chat)
        if not queue:
            return None
        asked = queue.popleft()
        if not queue:
            del self.outstanding[chat]
        now = time.perf_counter()
        self.latencies.append(now - asked[0])
        self.answered += 1
        if self.answered >= self.total:
            self.finished = now
            self.done.set()
        elif not self.burst and not self.rate:
            self._ask(chat)
        return asked

    def figures(self) -> dict[str, Any]:
        """Answers per second and latency percentiles of the finished run."""
        seconds = self.finished - self.started
        return {
            "ok": True,
            "answered": self.answered,
            "seconds": seconds,
            "per_second": self.answered / seconds,
            "latency_p50": statistics.median(self.latencies),
            "latency_p90": statistics.quantiles(self.latencies, n=10)[-1],
            "latency_p99": statistics.quantiles(self.latencies, n=100)[-1],
        }

    # ------------------------------------------------------------------ control

    def load_routes(self, app: web.Application) -> None:
        app.router.add_post("/_load/start", self._start)
        app.router.add_get("/_load/status", self._status)
        app.router.add_get("/_load/result", self._result)
        app.router.add_post("/_load/reset", self._reset)

    async def _start(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.start_load(
            list(body["users"]),
            int(body["total"]),
            list(body["questions"]),
            burst=bool(body.get("burst")),
            rate=float(body.get("rate") or 0.0),
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
        try:
            await asyncio.wait_for(self.done.wait(), float(request.query.get("timeout", "900")))
        except TimeoutError:
            return web.json_response({"ok": False, "answered": self.answered}, status=504)
        return web.json_response(self.figures())


async def serve_forever(fake: Any, port: int) -> None:
    """Start ``fake`` on ``port`` (0: any), print the port it got, serve until killed."""
    await fake.start(port)
    print(f"PORT {fake.port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()
