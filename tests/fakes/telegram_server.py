"""A fake Telegram Bot API server on 127.0.0.1 that answers like Telegram does.

The real python-telegram-bot client talks to it over HTTP (``base_url=fake.base_url``). It keeps
an update queue with Telegram's offset semantics and long polling, records every call, and
refuses what Telegram refuses: 400 for text over 4,096 characters, callback_data over 64 bytes or
HTML it cannot parse; 403 for a chat that blocked the bot; 429 with ``retry_after`` when a chat
gets more than ``chat_rate_limit`` messages in a second. With a webhook set it POSTs updates to it
(and, with ``redeliver``, retries a delivery that got no answer, as Telegram does).

For crash tests it counts deliveries per update and answers per chat, and can hold every
sendMessage after the first ``hold_sends_after`` unanswered: the bot then has updates recorded
and claimed but not answered, whatever the machine's speed, when the test kills it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import json
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.telegram_methods import SimpleMethods
from tests.fakes.telegram_objects import (
    BOT_ID,
    BOT_USERNAME,
    JSON_FIELDS,
    TOKEN,
    ApiError,
    SentMessage,
    auto_entities,
    check_markup,
    check_text,
    group_chat,
    private_chat,
    user,
)

# The request being answered (each aiohttp handler runs in its own task and context).
_REQUEST: contextvars.ContextVar[web.Request] = contextvars.ContextVar("request")

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "TOKEN",
    "FakeTelegram",
    "SentMessage",
    "auto_entities",
    "group_chat",
    "private_chat",
    "user",
]


@dataclass
class FakeTelegram(SimpleMethods):
    token: str = TOKEN
    chat_rate_limit: int | None = None  # messages per second per chat before a 429
    retry_after: int = 1
    record_calls: bool = True
    keep_messages: bool = True  # the bench turns both off to keep the fake's memory flat
    updates: list[dict[str, Any]] = field(default_factory=list)
    sent: list[SentMessage] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    errors: list[tuple[str, int, str]] = field(default_factory=list)
    actions: list[tuple[int, str]] = field(default_factory=list)
    callback_answers: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    webhook: dict[str, Any] | None = None
    webhook_deliveries: list[int] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    highest_offset: int = 0
    get_updates_calls: int = 0
    polling: int = 0  # getUpdates requests in flight
    poll_generation: int = 0
    conflicts: int = 0  # getUpdates ended by a newer one (two pollers on one token)
    # Scripted trouble: method → statuses to answer next (500 …), and method → seconds to stall.
    scripted: dict[str, list[int]] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    # Crash tests: sendMessage requests past this many are held unanswered (never delivered).
    hold_sends_after: int | None = None
    held: int = 0
    redeliver: bool = False  # retry webhook deliveries that got no answer, like Telegram
    webhook_acked: set[int] = field(default_factory=set)  # update ids answered 200
    deliveries: Counter[int] = field(default_factory=Counter)  # update id → times handed out

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._messages: dict[tuple[int, int], SentMessage] = {}
        self._chat_sends: dict[int, deque[float]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._pushes: set[asyncio.Task[None]] = set()
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self, port: int = 0) -> str:
        app = web.Application(client_max_size=4 << 20)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self.extra_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self.base_url

    def extra_routes(self, app: web.Application) -> None:
        """Hook for subclasses (the bench adds control endpoints)."""

    async def stop(self) -> None:
        for task in list(self._pushes):
            task.cancel()
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], within: float = 10.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), within)

    # ------------------------------------------------------------------ driving

    def push(self, update: dict[str, Any]) -> int:
        """Queue a raw update (an update_id is added); returns the update id."""
        update = {"update_id": next(self._update_ids), **update}
        if self.webhook:
            task = asyncio.ensure_future(self._deliver(update))
            self._pushes.add(task)
            task.add_done_callback(self._pushes.discard)
        else:
            self.updates.append(update)
        task = asyncio.ensure_future(self._notify())
        self._pushes.add(task)
        task.add_done_callback(self._pushes.discard)
        return int(update["update_id"])

    def message(
        self,
        user_id: int,
        *,
        chat: dict[str, Any] | None = None,
        kind: str = "message",
        name: str = "Lan",
        **content: Any,
    ) -> int:
        """A message from a user (any content: text=…, sticker=…, voice=…)."""
        text = content.get("text")
        if isinstance(text, str) and "entities" not in content:
            entities = auto_entities(text)
            if entities:
                content["entities"] = entities
        payload = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": chat or private_chat(user_id, name),
            "from": user(user_id, name),
            **content,
        }
        return self.push({kind: payload})

    def text(self, user_id: int, text: str, **kwargs: Any) -> int:
        return self.message(user_id, text=text, **kwargs)

    def press(self, user_id: int, message: SentMessage, data: str, name: str = "Lan") -> str:
        """A tap on an inline button of a message the bot sent; returns the query id."""
        query_id = str(next(self._ids))
        self.callback_answers[query_id] = None
        self.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user(user_id, name),
                    "message": self.message_json(message),
                    "chat_instance": f"ci{message.chat_id}",
                    "data": data,
                }
            }
        )
        return query_id

    def block(self, user_id: int, *, notify: bool = True) -> None:
        """The user blocks the bot; Telegram then sends my_chat_member (kicked)."""
        self.blocked.add(user_id)
        if notify:
            member = {"user": {"id": BOT_ID, "is_bot": True, "first_name": "Trợ lý"}}
            self.push(
                {
                    "my_chat_member": {
                        "chat": private_chat(user_id),
                        "from": user(user_id),
                        "date": int(time.time()),
                        "old_chat_member": {**member, "status": "member"},
                        "new_chat_member": {**member, "status": "kicked", "until_date": 0},
                    }
                }
            )

    def message_json(self, message: SentMessage) -> dict[str, Any]:
        chat = private_chat(message.chat_id) if message.chat_id > 0 else group_chat(message.chat_id)
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Trợ lý",
                "username": BOT_USERNAME,
            },
            "text": message.text,
        }
        if message.reply_markup:
            data["reply_markup"] = message.reply_markup
        return data

    # ------------------------------------------------------------------ reading

    def to(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.sent if m.chat_id == chat_id]

    async def replies(
        self, chat_id: int, count: int = 1, *, since: int = 0, within: float = 10.0
    ) -> list[SentMessage]:
        """Wait for ``count`` messages to ``chat_id`` sent after ``since`` (an index in sent)."""

        def ready() -> bool:
            return sum(1 for m in self.sent[since:] if m.chat_id == chat_id) >= count

        await self.wait_for(ready, within)
        return [m for m in self.sent[since:] if m.chat_id == chat_id]

    async def confirmed(self, update_id: int, within: float = 10.0) -> None:
        """Wait until the bot has fetched and acknowledged ``update_id`` (offset past it)."""
        await self.wait_for(lambda: self.highest_offset > update_id, within)

    def called(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    def answers(self) -> Counter[int]:
        """Messages delivered per chat."""
        return Counter(message.chat_id for message in self.sent)

    def acknowledged(self) -> set[int]:
        """Update ids the bot confirmed: offset past them (polling) or a 200 (webhook)."""
        return set(self.webhook_acked) | set(range(1, self.highest_offset))

    # ------------------------------------------------------------------ HTTP

    async def _dispatch(self, request: web.Request) -> web.Response:
        parts = request.path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            return self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        token, method = parts[0][3:], parts[1]
        if token != self.token:
            return self._json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        params = await self._params(request)
        _REQUEST.set(request)
        if self.record_calls:
            self.calls.append((method, params))
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            return self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        if method in self.delays:
            await asyncio.sleep(self.delays[method])
        try:
            if self.scripted.get(method):
                status = self.scripted[method].pop(0)
                raise ApiError(status, f"Scripted error {status}")
            result = await handler(params)
        except ApiError as exc:
            self.errors.append((method, exc.code, exc.description))
            body: dict[str, Any] = {
                "ok": False,
                "error_code": exc.code,
                "description": exc.description,
            }
            if exc.parameters:
                body["parameters"] = exc.parameters
            await self._notify()
            return self._json(exc.code, body)
        await self._notify()
        return self._json(200, {"ok": True, "result": result})

    @staticmethod
    def _json(status: int, body: dict[str, Any]) -> web.Response:
        return web.Response(
            status=status, body=json.dumps(body).encode(), content_type="application/json"
        )

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            data = await request.json()
            return dict(data) if isinstance(data, dict) else {}
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if not isinstance(value, str):
                continue
            if key in JSON_FIELDS:
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(value)
                    continue
            params[key] = value
        return params

    async def _deliver(self, update: dict[str, Any]) -> None:
        assert self.webhook is not None
        if self._http is None:
            self._http = aiohttp.ClientSession()
        update_id = int(update["update_id"])
        while True:
            headers = {}
            if self.webhook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
            self.deliveries[update_id] += 1
            try:
                async with self._http.post(
                    self.webhook["url"], json=update, headers=headers
                ) as answer:
                    self.webhook_deliveries.append(answer.status)
                    if answer.status == 200:
                        self.webhook_acked.add(update_id)
                    await self._notify()
                    return
            except aiohttp.ClientError:
                if not self.redeliver:
                    raise
            await asyncio.sleep(0.1)

    # ------------------------------------------------------------------ checks

    def _chat(self, params: dict[str, Any]) -> int:
        try:
            chat_id = int(params["chat_id"])
        except (KeyError, ValueError) as exc:
            raise ApiError(400, "Bad Request: chat not found") from exc
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _rate(self, chat_id: int) -> None:
        if self.chat_rate_limit is None:
            return
        now = time.monotonic()
        stamps = self._chat_sends.setdefault(chat_id, deque())
        while stamps and stamps[0] <= now - 1.0:
            stamps.popleft()
        if len(stamps) >= self.chat_rate_limit:
            raise ApiError(
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                {"retry_after": self.retry_after},
            )
        stamps.append(now)

    def _message(self, params: dict[str, Any]) -> SentMessage:
        chat_id = self._chat(params)
        try:
            message_id = int(params["message_id"])
        except (KeyError, ValueError) as exc:
            raise ApiError(400, "Bad Request: message identifier is not specified") from exc
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    # ------------------------------------------------------------------ methods

    async def api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        self.get_updates_calls += 1
        if self.polling:
            # Two pollers on one token: Telegram ends the older request with 409 (a conflict
            # unless that poller is gone: a killed process leaves its long poll open).
            self.poll_generation += 1
            await self._notify()
        generation = self.poll_generation
        self.polling += 1
        await self._notify()
        try:
            batch = await self._get_updates(params, generation)
        finally:
            self.polling -= 1
        if generation != self.poll_generation:
            request = _REQUEST.get(None)
            transport = request.transport if request is not None else None
            if transport is not None and not transport.is_closing():
                self.conflicts += 1  # its poller is still there: two poll at once
            raise ApiError(409, "Conflict: terminated by other getUpdates request")
        return batch

    async def _get_updates(self, params: dict[str, Any], generation: int) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0) or 0)
        limit = max(1, min(100, int(params.get("limit", 100) or 100)))
        timeout = float(params.get("timeout", 0) or 0)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            if offset > self.highest_offset:
                self.highest_offset = offset
                await self._notify()
        if not self.updates and timeout > 0:
            with contextlib.suppress(TimeoutError):
                await self.wait_for(
                    lambda: bool(self.updates) or generation != self.poll_generation, timeout
                )
        if generation != self.poll_generation:
            return []
        batch = self.updates[:limit]
        for update in batch:
            self.deliveries[int(update["update_id"])] += 1
        return batch

    async def api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.hold_sends_after is not None and len(self.sent) >= self.hold_sends_after:
            self.held += 1
            await self._notify()
            await asyncio.Event().wait()  # never answered: the bot is killed meanwhile
        chat_id = self._chat(params)
        visible = check_text(params)
        markup = check_markup(params)
        self._rate(chat_id)
        reply = params.get("reply_parameters")
        message = SentMessage(
            message_id=next(self._ids),
            chat_id=chat_id,
            text=visible,
            raw=str(params.get("text", "")),
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
            reply_to=reply.get("message_id") if isinstance(reply, dict) else None,
        )
        if self.keep_messages:
            self.sent.append(message)
            self._messages[(chat_id, message.message_id)] = message
        self.on_message_sent(message)
        return self.message_json(message)

    def on_message_sent(self, message: SentMessage) -> None:
        """Hook for subclasses (the bench reacts to answers)."""
