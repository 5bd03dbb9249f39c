"""A fake Zalo Bot Platform API on 127.0.0.1 that answers like the documented one.

``POST /bot{token}/{method}`` with JSON, a form (urlencoded or multipart) or the query string
(GET too), as the platform's docs allow; every answer is the envelope ``{ok, result,
error_code, description}``. getUpdates long-polls and hands out ONE update (no offset; an
empty poll is ``ok: false, error_code: 408``); with a webhook set it refuses to poll and POSTs
each update to the webhook with ``X-Bot-Api-Secret-Token``. sendMessage refuses texts over
2,000 characters with HTTP 200 and ``ok: false`` (as Zalo does), 403 for chats in ``blocked``,
``ok: false`` "chat not found" for ``unknown_chats``, and 429 "Quota exceeded" on demand
(``fail_next``) or when more than ``rate_limit`` messages fall in one second. It records every
message it accepted, so tests read the conversation and count duplicates.

Run standalone for the bench: ``python -m tests.fakes.zalo_server`` (see bench/bench_zalo.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.web.server import HttpServer

TOKEN = "2718281828:zalo-fake-secret-part-of-the-token-ABCDEFGH"
BOT_ID = "2718281828"
BOT_NAME = "Bot Dịch vụ công"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_TEXT = 2000


@dataclass
class ZaloSent:
    chat_id: str
    text: str
    message_id: str
    at: float  # monotonic seconds


@dataclass
class FakeZalo:
    token: str = TOKEN
    rate_limit: float | None = None  # sendMessage per second (any one-second window)
    record: bool = True  # the bench turns it off to keep memory flat
    blocked: set[str] = field(default_factory=set)
    unknown_chats: set[str] = field(default_factory=set)
    latency: float = 0.0
    on_accept: Callable[[ZaloSent], None] | None = None

    def __post_init__(self) -> None:
        self.sent: list[ZaloSent] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.actions: list[tuple[str, str]] = []
        self.errors: list[tuple[str, int, str]] = []
        self.updates: deque[dict[str, Any]] = deque()
        self.webhook: dict[str, str] | None = None
        self.webhook_statuses: list[int] = []
        self.fail: dict[str, deque[tuple[int, int, str]]] = {}
        self.rate_limited = 0
        self.accepted = 0
        self.accepted_at: list[float] = []  # monotonic time of every accepted message
        self.per_chat: Counter[str] = Counter()
        self._window: deque[float] = deque()
        self._ids = itertools.count(1)
        self._sent_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._arrived = asyncio.Event()
        self._server: HttpServer | None = None
        self._http: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self, port: int = 0) -> str:
        self._server = HttpServer("127.0.0.1", port, max_body=4 << 20)
        self._server.mount(self)
        self.port = await self._server.start()
        return self.base_url

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("POST", "/bot{token}/{method}", self._dispatch)
        app.router.add_route("GET", "/bot{token}/{method}", self._dispatch)
        app.router.add_get("/_stats", self._stats)
        app.router.add_post("/_push", self._push)
        app.router.add_get("/_sent", self._sent)

    async def __aenter__(self) -> FakeZalo:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
        if self._server is not None:
            await self._server.stop()

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], within: float = 30.0) -> None:
        """Wait until ``predicate()`` holds (``within`` guards against hanging, not a timing)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), within)

    # ------------------------------------------------------------------ driving

    def fail_next(self, method: str, error_code: int, *, http: int = 200, text: str = "") -> None:
        """Answer the next call of ``method`` with this error (queued, first in first out)."""
        description = text or {429: "Quota exceeded", 401: "Unauthorized"}.get(error_code, "error")
        self.fail.setdefault(method, deque()).append((http, error_code, description))

    @staticmethod
    def event(
        user_id: str,
        event_name: str = "message.text.received",
        *,
        text: str | None = None,
        chat_id: str | None = None,
        chat_type: str = "PRIVATE",
        message_id: str | None = None,
        name: str = "Lan",
        **extra: Any,
    ) -> dict[str, Any]:
        """One update's ``result`` as Zalo sends it (polling samples use first_name)."""
        message: dict[str, Any] = {
            "from": {"id": user_id, "display_name": name, "is_bot": False},
            "chat": {"id": chat_id or user_id, "chat_type": chat_type},
            "message_id": message_id or f"m{time.monotonic_ns()}",
            "date": int(time.time() * 1000),
            **extra,
        }
        if text is not None:
            message["text"] = text
        return {"event_name": event_name, "message": message}

    def push(self, result: dict[str, Any]) -> None:
        """Hand an update to the bot: queued for getUpdates, or POSTed to the webhook."""
        if self.webhook is not None:
            self._spawn(self._deliver_logged(result))
        else:
            self.updates.append(result)
            self._arrived.set()

    def text(self, user_id: str, text: str, **kwargs: Any) -> dict[str, Any]:
        update = self.event(user_id, text=text, **kwargs)
        self.push(update)
        return update

    async def deliver(
        self,
        result: dict[str, Any] | None = None,
        *,
        secret: str | None = None,
        body: bytes | None = None,
        url: str | None = None,
    ) -> int:
        """POST one webhook call now; the HTTP status the bot answered."""
        assert self.webhook is not None or url is not None
        target = url or (self.webhook or {})["url"]
        headers = {"Content-Type": "application/json"}
        given = (self.webhook or {}).get("secret") if secret is None else secret
        if given:
            headers[SECRET_HEADER] = given
        data = body if body is not None else json.dumps({"ok": True, "result": result}).encode()
        if self._http is None:
            self._http = aiohttp.ClientSession()
        async with self._http.post(target, data=io.BytesIO(data), headers=headers) as response:
            await response.read()
            return response.status

    async def _deliver_logged(self, result: dict[str, Any]) -> None:
        status = await self.deliver(result)
        self.webhook_statuses.append(status)
        await self._notify()

    def to(self, chat_id: str, since: int = 0) -> list[ZaloSent]:
        return [m for m in self.sent[since:] if m.chat_id == chat_id]

    async def replies(self, chat_id: str, count: int = 1, since: int = 0) -> list[ZaloSent]:
        """Wait for ``count`` messages to ``chat_id`` sent after ``since``; return them all."""
        await self.wait_for(lambda: len(self.to(chat_id, since)) >= count)
        return self.to(chat_id, since)

    # ------------------------------------------------------------------ the API

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, 401, "Unauthorized")
        payload = await _parameters(request)
        if payload is NOT_JSON:
            return _error(400, 400, "Bad request: body is not JSON")
        if not isinstance(payload, dict):
            return _error(400, 400, "Bad request: body is not an object")
        if self.record:
            self.calls.append((method, payload))
        if self.latency:
            await asyncio.sleep(self.latency)
        scripted = self.fail.get(method)
        if scripted:
            http, code, description = scripted.popleft()
            self.errors.append((method, code, description))
            if code == 429:
                self.rate_limited += 1
            return _error(http, code, description)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404, 404, "Method not found")
        response: web.Response = await handler(payload)
        return response

    async def _m_getMe(self, payload: dict[str, Any]) -> web.Response:
        return _ok(
            {
                "id": BOT_ID,
                "account_name": "bot.dichvucong",
                "account_type": "BASIC",
                "display_name": BOT_NAME,
                "can_join_groups": True,
            }
        )

    async def _m_getUpdates(self, payload: dict[str, Any]) -> web.Response:
        if self.webhook is not None:
            return _error(200, 400, "Webhook is set: polling is not allowed")
        timeout = float(payload.get("timeout") or 0)
        if not self.updates and timeout > 0:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), min(timeout, 30.0))
        if not self.updates:
            return _error(200, 408, "Request timeout")
        return _ok(self.updates.popleft())

    async def _m_setWebhook(self, payload: dict[str, Any]) -> web.Response:
        url, secret = payload.get("url"), payload.get("secret_token")
        if not isinstance(url, str) or not url.startswith(("https://", "http://127.0.0.1")):
            return _error(200, 400, "url must be https")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            return _error(200, 400, "secret_token must be 8-256 characters")
        self.webhook = {"url": url, "secret": secret}
        # Updates queued for polling go to the webhook from now on.
        while self.updates:
            self.push(self.updates.popleft())
        return _ok({"url": url, "updated_at": int(time.time() * 1000)})

    async def _m_deleteWebhook(self, payload: dict[str, Any]) -> web.Response:
        self.webhook = None
        return _ok({"url": "", "updated_at": int(time.time() * 1000)})

    async def _m_getWebhookInfo(self, payload: dict[str, Any]) -> web.Response:
        return _ok({"url": (self.webhook or {}).get("url", ""), "updated_at": 0})

    async def _m_sendChatAction(self, payload: dict[str, Any]) -> web.Response:
        chat_id = str(payload.get("chat_id") or "")
        if payload.get("action") != "typing" or not chat_id:
            return _error(200, 400, "Bad request: action")
        if self.record:
            self.actions.append((chat_id, "typing"))
        return _ok({})

    async def _m_sendMessage(self, payload: dict[str, Any]) -> web.Response:
        chat_id, text = payload.get("chat_id"), payload.get("text")
        if not isinstance(chat_id, str | int) or not str(chat_id):
            return self._refuse("sendMessage", 400, "Bad request: chat_id")
        chat_id = str(chat_id)
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT:
            length = len(text) if isinstance(text, str) else 0
            return self._refuse("sendMessage", 400, f"Text length must be 1-2000, got {length}")
        if chat_id in self.blocked:
            return self._refuse("sendMessage", 403, "Forbidden: user blocked the bot", http=403)
        if chat_id in self.unknown_chats:
            return self._refuse("sendMessage", 400, "Bad request: chat not found")
        now = time.monotonic()
        if self.rate_limit is not None:
            while self._window and self._window[0] <= now - 1.0:
                self._window.popleft()
            # A token bucket at rate R lets R + 1 through in a window that starts on a send.
            if len(self._window) >= math.floor(self.rate_limit) + 1:
                self.rate_limited += 1
                return self._refuse("sendMessage", 429, "Quota exceeded", http=429)
            self._window.append(now)
        message = ZaloSent(chat_id, text, f"z{next(self._sent_ids)}", now)
        self.accepted += 1
        self.accepted_at.append(now)
        self.per_chat[chat_id] += 1
        if self.on_accept is not None:
            self.on_accept(message)
        if self.record:
            self.sent.append(message)
            self._spawn(self._notify())
        return _ok({"message_id": message.message_id, "date": int(time.time() * 1000)})

    def _refuse(self, method: str, code: int, description: str, http: int = 200) -> web.Response:
        self.errors.append((method, code, description))
        self._spawn(self._notify())
        return _error(http, code, description)

    async def _push(self, request: web.Request) -> web.Response:
        """Control: queue (or deliver) the posted update; for manual tries and benches."""
        self.push(await request.json())
        return _ok(True)

    async def _sent(self, request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        return _ok([{"chat_id": m.chat_id, "text": m.text} for m in self.sent[since:]])

    def max_in_window(self, seconds: float = 1.0) -> int:
        """The most messages accepted within any ``seconds``."""
        most, start = 0, 0
        for end, at in enumerate(self.accepted_at):
            while at - self.accepted_at[start] >= seconds:
                start += 1
            most = max(most, end - start + 1)
        return most

    async def _stats(self, request: web.Request) -> web.Response:
        times = self.accepted_at
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        return web.json_response(
            {
                "accepted": self.accepted,
                "rate_limited": self.rate_limited,
                "errors": len(self.errors),
                "achieved_rate": (len(times) - 1) / span if span else 0.0,
                "max_per_second": self.max_in_window(),
                "duplicates": sum(1 for n in self.per_chat.values() if n > 1),
            }
        )


async def _main(port: int, rate: float | None) -> None:
    fake = FakeZalo(rate_limit=rate)
    await fake.start(port)
    print(f"fake Zalo Bot API at {fake.base_url} (token {fake.token})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
NOT_JSON = object()


async def _parameters(request: web.Request) -> Any:
    """A call's parameters, taken as Zalo takes them: from the query string and from a JSON,
    urlencoded-form or multipart body (python-zalo-bot, a third-party SDK, posts forms with
    every value a string: ``timeout=30``). NOT_JSON for a body that is none of these."""
    parameters: dict[str, Any] = dict(request.query)
    if request.content_type in FORMS:
        form = await request.post()
        parameters.update((k, v) for k, v in form.items() if isinstance(v, str))
        return parameters
    if not request.body_exists:
        return parameters
    try:
        body = await request.json()
    except ValueError:
        return NOT_JSON
    if isinstance(body, dict):
        return {**parameters, **body}
    return body


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(http: int, code: int, description: str) -> web.Response:
    body = {"ok": False, "error_code": code, "description": description}
    return web.json_response(body, status=http)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--rate", type=float, default=None, help="sendMessage per second")
    options = parser.parse_args()
    asyncio.run(_main(options.port, options.rate))
