"""API fixtures: the web chat mounted on a bare aiohttp app, an aiohttp test client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.web import WebChat
from bot.runtime import Runtime
from bot.storage import Storage
from tests.channels.web.support import KNOWLEDGE, Clock, build
from tests.storage.backends import Backend
from tests.storage.conftest import db

__all__ = ["db"]
PORTAL = "https://dichvucong.example.gov.vn"


@dataclass
class ChatEnv:
    client: TestClient[Any, Any]
    chat: WebChat
    runtime: Runtime
    storage: Storage
    clock: Clock

    async def post(self, body: Any, **headers: str) -> tuple[int, Any]:
        async with self.client.post("/api/chat", json=body, headers=headers) as response:
            return response.status, await response.json()

    async def ask(self, text: str, session: str | None = None) -> dict[str, Any]:
        status, data = await self.post({"text": text, "session": session})
        assert status == 200, data
        return dict(data)

    async def choose(self, choice: str, session: str | None) -> dict[str, Any]:
        status, data = await self.post({"choice": choice, "session": session})
        assert status == 200, data
        return dict(data)

    async def history(self, session: str) -> dict[str, Any]:
        async with self.client.get("/api/chat/history", params={"session": session}) as r:
            assert r.status == 200
            return dict(await r.json())


MakeEnv = Callable[..., Awaitable[ChatEnv]]


@pytest.fixture
async def make_env(db: Backend) -> AsyncIterator[MakeEnv]:
    made: list[ChatEnv] = []

    async def make(**overrides: Any) -> ChatEnv:
        settings = db.settings(
            **{"knowledge_dir": KNOWLEDGE, "web_allowed_origins": PORTAL, **overrides}
        )
        storage = await Storage.open(settings)
        runtime, chat = build(storage, settings)
        clock = Clock()
        chat.store.clock = clock
        app = web.Application()
        chat.add_routes(app)
        client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        made.append(ChatEnv(client, chat, runtime, storage, clock))
        return made[-1]

    yield make
    for env in made:
        await env.client.close()
        # Logs and touches are written behind the answers: let them land before closing.
        await env.runtime.assistant.bookkeeping.drain()
        await env.storage.writer.drain()
        await env.storage.close()


@pytest.fixture
async def env(make_env: MakeEnv) -> ChatEnv:
    return await make_env()
