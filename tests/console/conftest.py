"""The console on a real aiohttp server (port 0) over each database backend, and a staff client.

The shared HTTP server of bot.web is not on main yet; ``StaffConsole.add_routes`` is what it
will call, so the tests mount it the same way on a bare application.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.broadcast.tips_store import TipRepository
from bot.config import PROJECT_ROOT
from bot.console.accounts import AccountRepository
from bot.console.web.app import StaffConsole
from bot.console.web.context import Console
from bot.core.assistant import Ports
from bot.core.knowledge import KnowledgeBase, load_knowledge_dir
from bot.core.messages import IncomingMessage, Reply
from bot.runtime import Runtime, make_runtime
from bot.storage import Storage
from tests.storage.backends import Backend
from tests.storage.conftest import db

__all__ = ["db"]
KNOWLEDGE = PROJECT_ROOT / "knowledge"
PASSWORD = "mật khẩu đủ dài 123"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class FakeClock:
    """Real time plus whatever the test skipped ahead (rows the assistant stamps stay "now")."""

    def __init__(self) -> None:
        self.offset = dt.timedelta(0)
        self.frozen: dt.datetime | None = None

    def __call__(self) -> dt.datetime:
        base = self.frozen if self.frozen is not None else dt.datetime.now(dt.UTC)
        return base + self.offset

    def freeze(self) -> None:
        """Stop real time: only ``advance`` moves the clock (for waits the test reads exactly)."""
        self.frozen = dt.datetime.now(dt.UTC)

    def advance(self, **delta: float) -> None:
        self.offset += dt.timedelta(**delta)


@dataclass
class Page:
    status: int
    text: str
    headers: Any
    url: str

    @property
    def csrf(self) -> str:
        found = CSRF_RE.search(self.text)
        assert found, self.text[:500]
        return found.group(1)


@dataclass
class StaffClient:
    """One browser-like staff member: its own cookie jar."""

    client: TestClient[Any, Any]
    csrf: str = ""
    origin: str = field(default="")

    async def get(self, path: str, **kwargs: Any) -> Page:
        async with self.client.get(path, allow_redirects=kwargs.pop("follow", True), **kwargs) as r:
            page = Page(r.status, await r.text(), r.headers, str(r.url))
        found = CSRF_RE.search(page.text)
        if found and "/staff/login" not in page.url:
            self.csrf = found.group(1)
        return page

    async def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        csrf: bool = True,
        follow: bool = True,
        **kwargs: Any,
    ) -> Page:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf)
        headers = kwargs.pop("headers", {"Origin": self.origin})
        async with self.client.post(
            path, data=form, allow_redirects=follow, headers=headers, **kwargs
        ) as r:
            page = Page(r.status, await r.text(), r.headers, str(r.url))
        found = CSRF_RE.search(page.text)
        if found and "/staff/login" not in page.url:
            self.csrf = found.group(1)
        return page

    async def login(self, username: str, password: str = PASSWORD) -> Page:
        form = await self.get("/staff/login")
        return await self.post(
            "/staff/login", {"username": username, "password": password, "csrf_token": form.csrf}
        )


@dataclass
class ConsoleEnv:
    storage: Storage
    runtime: Runtime
    console: Console
    server: TestServer
    clock: FakeClock
    clients: list[TestClient[Any, Any]] = field(default_factory=list)

    @property
    def accounts(self) -> AccountRepository:
        return self.console.accounts

    async def staff(self, username: str | None = None, role: str = "editor") -> StaffClient:
        """A new client; logged in as a new account of ``role`` when a name is given."""
        client: TestClient[Any, Any] = TestClient(self.server)
        await client.start_server()
        self.clients.append(client)
        staff = StaffClient(client, origin=str(self.server.make_url("")).rstrip("/"))
        if username:
            if await self.accounts.get(username) is None:
                await self.accounts.add(username, PASSWORD, role, by="test")
            page = await staff.login(username)
            assert page.status == 200 and "/staff/login" not in page.url, page.text[:300]
        return staff

    async def ask(self, text: str, user: str = "citizen-1") -> Reply:
        """A citizen asks through the assistant (the web chat's POST /api/chat once it lands),
        once the console's latest change is live."""
        await self.console.settled()
        reply = await self.runtime.assistant.handle(
            IncomingMessage(channel="web", user_id=user, chat_id=user, text=text)
        )
        await self.runtime.assistant.bookkeeping.drain()  # logs are written behind answers
        return reply


def runtime_for(storage: Storage, kb: Any, version: int) -> Runtime:
    ports = Ports(
        log=storage.conversations,
        feedback=storage.feedback,
        subscriptions=storage.subscriptions,
        users=storage.users,
        tips=TipRepository(storage.session_factory),
    )
    return make_runtime(storage.settings, kb, version=version, ports=ports, storage=storage)


StartConsole = Callable[..., Awaitable[ConsoleEnv]]


@pytest.fixture(scope="session")
def real_kb() -> KnowledgeBase:
    return load_knowledge_dir(KNOWLEDGE)


@pytest.fixture
async def storage(db: Backend, real_kb: KnowledgeBase) -> AsyncIterator[Storage]:
    """The project's own knowledge in a fresh database of each backend."""
    store = await Storage.open(db.settings(knowledge_dir=KNOWLEDGE))
    try:
        await store.knowledge.seed_if_empty(real_kb)
        yield store
    finally:
        await store.close()


@pytest.fixture
async def env(storage: Storage) -> AsyncIterator[ConsoleEnv]:
    clock = FakeClock()
    runtime = runtime_for(
        storage, await storage.knowledge.load(), await storage.knowledge.version()
    )
    console = Console.from_runtime(runtime)
    console.clock = clock
    console.__post_init__()  # repositories take the fake clock
    app = web.Application()
    StaffConsole(console).add_routes(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    environment = ConsoleEnv(storage, runtime, console, server, clock)
    try:
        yield environment
    finally:
        await console.settled()
        for client in environment.clients:
            await client.close()
        await server.close()
        await storage.writer.drain()
