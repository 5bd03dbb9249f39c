"""A fast fake Bot API server that enforces Telegram's broadcast limits.

Answers getMe and sendMessage like Telegram: 429 with ``parameters.retry_after`` when the bot
exceeds ``limit`` messages in any one-second window or a chat gets two messages within
``chat_interval``; 403 for chats in ``blocked``; 500 for the first ``flaky[chat]`` requests of a
chat; 429 for the sendMessage requests whose numbers are in ``refuse`` (1 is the first), so a
test sees flood control whether or not its machine is fast enough to exceed a limit. It
records what it accepted, so a test counts duplicates and measures the rate from the receiving
side. Run it standalone for the benchmark (``python -m tests.fakes.bot_api_limits``);
``GET /_stats`` then returns the figures as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "4242:broadcast-test"


@dataclass
class Accepted:
    chat_id: str
    text: str
    at: float  # monotonic seconds


@dataclass
class BotApiLimits:
    limit: float = 30.0
    chat_interval: float = 1.0
    token: str = TOKEN
    blocked: set[str] = field(default_factory=set)
    flaky: dict[str, int] = field(default_factory=dict)
    refuse: set[int] = field(default_factory=set)  # request numbers answered 429 on demand
    latency: float = 0.0
    # Called with each accepted message (before the answer is sent).
    on_accept: Callable[[Accepted], None] | None = None

    def __post_init__(self) -> None:
        self.accepted: list[Accepted] = []
        self.rate_limited = 0
        self.chat_limited = 0
        self.forbidden = 0
        self.server_errors = 0
        self.requests = 0
        self.request_times: list[float] = []  # every sendMessage that was not refused with 429
        self._window: deque[float] = deque()
        self._last_by_chat: dict[str, float] = {}
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Event()
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_route("*", "/_stats", self._stats)
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------ figures

    def per_chat(self) -> Counter[str]:
        return Counter(a.chat_id for a in self.accepted)

    def duplicates(self) -> dict[str, int]:
        return {chat: n for chat, n in self.per_chat().items() if n > 1}

    def max_in_window(self, seconds: float = 1.0) -> int:
        """Most messages counted against the limit within any window of ``seconds``."""
        stamps = self.request_times
        best, start = 0, 0
        for end, stamp in enumerate(stamps):
            while stamp - stamps[start] >= seconds:
                start += 1
            best = max(best, end - start + 1)
        return best

    def min_chat_gap(self) -> float:
        last: dict[str, float] = {}
        gap = math.inf
        for item in self.accepted:
            if item.chat_id in last:
                gap = min(gap, item.at - last[item.chat_id])
            last[item.chat_id] = item.at
        return gap

    def achieved_rate(self) -> float:
        """Messages the bot got through per second (accepted or refused with 403/500)."""
        stamps = self.request_times
        if len(stamps) < 2 or stamps[-1] == stamps[0]:
            return 0.0
        return (len(stamps) - 1) / (stamps[-1] - stamps[0])

    def stats(self) -> dict[str, Any]:
        return {
            "accepted": len(self.accepted),
            "requests": self.requests,
            "rate_limited": self.rate_limited,
            "chat_limited": self.chat_limited,
            "forbidden": self.forbidden,
            "server_errors": self.server_errors,
            "duplicates": sum(n - 1 for n in self.duplicates().values()),
            "max_per_second": self.max_in_window(),
            "achieved_rate": round(self.achieved_rate(), 2),
        }

    async def wait_for(self, predicate: Callable[[], bool], within: float = 30.0) -> None:
        async with asyncio.timeout(within):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    # ------------------------------------------------------------------ HTTP

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        if method == "getMe":
            return _ok({"id": 4242, "is_bot": True, "first_name": "DVC", "username": "dvc_bot"})
        if method != "sendMessage":
            return _error(404, "Not Found")
        try:
            params = await _params(request)
        except ConnectionResetError:  # the client was killed mid-request (crash tests)
            return _error(400, "client went away")
        self.requests += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            return self._send(params)
        finally:
            self._changed.set()

    def _send(self, params: dict[str, Any]) -> web.Response:
        chat = str(params.get("chat_id", ""))
        text = str(params.get("text", ""))
        if not chat or not text:
            return _error(400, "Bad Request: chat_id and text are required")
        now = time.monotonic()
        if self.requests in self.refuse:
            self.rate_limited += 1
            return _error(429, "Too Many Requests: retry after 1", 1)
        window = self._window
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= self.limit:
            self.rate_limited += 1
            retry = max(1, math.ceil(window[0] + 1.0 - now))
            return _error(429, f"Too Many Requests: retry after {retry}", retry)
        last = self._last_by_chat.get(chat)
        if last is not None and now - last < self.chat_interval:
            self.chat_limited += 1
            return _error(429, "Too Many Requests: retry after 1", 1)
        # Everything past flood control counts against it, refused or not (as on Telegram).
        window.append(now)
        self._last_by_chat[chat] = now
        self.request_times.append(now)
        if chat in self.blocked:
            self.forbidden += 1
            return _error(403, "Forbidden: bot was blocked by the user")
        if self.flaky.get(chat, 0) > 0:
            self.flaky[chat] -= 1
            self.server_errors += 1
            return _error(500, "Internal Server Error")
        item = Accepted(chat, text, now)
        self.accepted.append(item)
        if self.on_accept is not None:
            self.on_accept(item)
        message_id = len(self.accepted)
        chat_id = int(chat) if chat.lstrip("-").isdigit() else chat
        return _ok(
            {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": text,
            }
        )


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        data = await request.json()
        return dict(data) if isinstance(data, dict) else {}
    form = await request.post()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _ok(result: Any) -> web.Response:
    return web.Response(
        body=json.dumps({"ok": True, "result": result}), content_type="application/json"
    )


def _error(code: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.Response(status=code, body=json.dumps(body), content_type="application/json")


async def _serve(args: argparse.Namespace) -> None:
    fake = BotApiLimits(limit=args.limit, blocked=set(args.blocked.split(",")) - {""})
    await fake.start(args.port)
    print(fake.port, flush=True)
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--limit", type=float, default=30.0)
    parser.add_argument("--blocked", default="", help="comma-separated chat ids answering 403")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
