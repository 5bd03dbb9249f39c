"""The web chat: a page any portal can embed, and the JSON API behind it.

Routes: GET /chat (the page), GET /chat/static/… (its CSS, JS, icon), GET /embed.js (the
loader portals add), POST /api/chat, GET /api/chat/history. Mounted on the shared HTTP server.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.channels.base import Handle
from bot.channels.web import texts as web_texts
from bot.channels.web.assets import Assets
from bot.channels.web.protocol import (
    BadRequest,
    ChatRequest,
    entry_json,
    parse_request,
    plausible_choice,
    present,
    reply_json,
    valid_token,
)
from bot.channels.web.security import Origins, api_headers
from bot.core import texts
from bot.core.commands import command_name
from bot.core.messages import Choice, IncomingMessage, MessageKind, Outcome, Reply
from bot.core.redact import redact
from bot.storage.web_chat import (
    Admission,
    Admitted,
    Exchange,
    HistoryEntry,
    WebChatRepository,
    new_token,
    session_key,
)

log = logging.getLogger(__name__)

CHANNEL = "web"
MAX_BODY = 16 * 1024
# Choices any page may send without having been offered: the topic menu and the greeting.
MENU, START = "menu", "start"
SAFE_CHOICES = {MENU: texts.MENU_BUTTON, START: None}
TIPS_COMMANDS = ("subscribe", "unsubscribe")


@dataclass(frozen=True, slots=True)
class WebChatOptions:
    allowed_origins: tuple[str, ...] = ()
    max_input_chars: int = 2000
    trust_forwarded_for: bool = False
    telegram_link: str = ""
    zalo_link: str = ""


@dataclass(frozen=True, slots=True)
class _Turn:
    """What one request becomes: the message for the assistant (or a reply made here)."""

    message: IncomingMessage | None
    visitor: str | None
    reply: Reply | None = None


class WebChat:
    """RouteProvider for the web chat; answers through the assistant's ``handle``."""

    name = CHANNEL

    def __init__(
        self, handle: Handle, store: WebChatRepository, options: WebChatOptions | None = None
    ) -> None:
        self.handle = handle
        self.store = store
        self.options = options or WebChatOptions()
        self.origins = Origins(
            self.options.allowed_origins, trust_forwarded_for=self.options.trust_forwarded_for
        )
        self.assets = Assets.load()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/chat", self.page)
        app.router.add_get("/chat/static/{name}", self.static)
        app.router.add_get("/embed.js", self.loader)
        app.router.add_post("/api/chat", self.chat)
        app.router.add_get("/api/chat/history", self.history)
        app.router.add_route("OPTIONS", "/api/chat", self.preflight)
        app.router.add_route("OPTIONS", "/api/chat/history", self.preflight)

    # ------------------------------------------------------------------ files

    async def page(self, request: web.Request) -> web.Response:
        response = self.assets.response("chat.html")
        self.origins.page_headers(response)
        return response

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.assets.public:
            raise web.HTTPNotFound()
        response = self.assets.response(name, cache=True)
        self.origins.page_headers(response)
        return response

    async def loader(self, request: web.Request) -> web.Response:
        response = self.assets.response("embed.js", cache=True)
        api_headers(response, "*")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    # ------------------------------------------------------------------ API

    async def preflight(self, request: web.Request) -> web.Response:
        allow = self.origins.cors(request)
        if allow is None:
            return _refused()
        response = web.Response(status=204)
        api_headers(response, allow)
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
        return response

    async def chat(self, request: web.Request) -> web.Response:
        allow = self.origins.cors(request)
        if allow is None:
            return _refused()
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _error(413, "too_large", web_texts.TOO_LARGE, allow)
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return _error(413, "too_large", web_texts.TOO_LARGE, allow)
        try:
            asked = parse_request(body)
        except BadRequest as exc:
            return _error(400, "bad_request", f"{web_texts.NOT_JSON} ({exc})", allow)
        admitted = await self._admit(asked, self.origins.client(request))
        if admitted is not None and admitted.retry_after:
            response = _error(429, "rate_limited", web_texts.RATE_LIMITED, allow)
            response.headers["Retry-After"] = str(int(admitted.retry_after + 0.999))
            return response
        token = admitted.token if admitted is not None else asked.session or new_token()
        # Logs and feedback know the visitor by a hash of the token, the same during an outage.
        user = session_key(token)[:32]
        turn = self._turn(asked, admitted, user)
        reply = turn.reply
        if reply is None:
            assert turn.message is not None
            reply = await self.handle(turn.message)
        shown = present(reply)
        if admitted is not None:
            await self._remember(admitted, turn.visitor, reply, shown)
        return _json({"session": token, "reply": reply_json(shown)}, allow)

    async def history(self, request: web.Request) -> web.Response:
        allow = self.origins.cors(request)
        if allow is None:
            return _refused()
        token = valid_token(request.query.get("session"))
        entries = await self.store.history(token) if token is not None else None
        if entries is None:
            return _json({"session": None, "messages": []}, allow)
        return _json({"session": token, "messages": [entry_json(e) for e in entries]}, allow)

    # ------------------------------------------------------------------ internals

    async def _admit(self, asked: ChatRequest, client: str) -> Admitted | None:
        try:
            choosing = asked.choice is not None
            return await self.store.admit(Admission(asked.session, client, choosing))
        except Exception:
            # Answering matters more than remembering: no history, no limits until it is back.
            log.warning("web chat storage unavailable: answering without a stored session")
            return None

    def _turn(self, asked: ChatRequest, admitted: Admitted | None, user: str) -> _Turn:
        if asked.text is not None:
            # Redacted once, here: the history keeps it and the assistant reads it.
            visitor = redact(asked.text[: self.options.max_input_chars])
            message = IncomingMessage(
                CHANNEL, user, user, text=visitor, typed_length=len(asked.text), redacted=True
            )
            if command_name(asked.text) in TIPS_COMMANDS:
                return _Turn(None, visitor, Reply(self._tips_elsewhere(), Outcome.COMMAND))
            return _Turn(message, visitor)
        choice = asked.choice or ""
        offered = dict(admitted.offered) if admitted is not None else {}
        if plausible_choice(choice) and choice in offered:
            label: str | None = offered[choice]
        elif choice in SAFE_CHOICES:
            label = SAFE_CHOICES[choice]
        else:
            stale = Reply(
                web_texts.STALE_CHOICE, Outcome.STALE, choices=(Choice(texts.MENU_BUTTON, MENU),)
            )
            return _Turn(None, None, stale)
        if choice == START:
            return _Turn(IncomingMessage(CHANNEL, user, user, text="/start"), None)
        message = IncomingMessage(CHANNEL, user, user, kind=MessageKind.ACTION, action=choice)
        return _Turn(message, label)

    def _tips_elsewhere(self) -> str:
        lines = [web_texts.NO_TIPS_HERE]
        for name, link in (
            ("Telegram", self.options.telegram_link),
            ("Zalo", self.options.zalo_link),
        ):
            if link:
                lines.append(web_texts.TIPS_ON.format(name=name, link=link))
        return "\n".join(lines)

    async def _remember(
        self, admitted: Admitted, visitor: str | None, reply: Reply, shown: HistoryEntry
    ) -> None:
        try:
            if reply.text in (texts.ERASED, texts.ERASE_NOTHING_STORED):
                await self.store.forget(admitted.key)  # erased on request: this page too
                return
            await self.store.record(Exchange(admitted.key, visitor, shown))
        except Exception:
            log.warning("web chat history not stored (storage unavailable)")


def _json(body: dict[str, Any], allow: str, status: int = 200) -> web.Response:
    response = web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        content_type="application/json",
        charset="utf-8",
    )
    api_headers(response, allow)
    return response


def _refused() -> web.Response:
    """A browser on an origin WEB_ALLOWED_ORIGINS does not list (no CORS header: it cannot
    read even this)."""
    return _error(403, "origin_not_allowed", web_texts.ORIGIN_REFUSED, "")


def _error(status: int, code: str, message: str, allow: str) -> web.Response:
    return _json({"error": code, "message": message}, allow, status)
