from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.channels.zalo import build_channel
from bot.channels.zalo.channel import ZaloChannel
from bot.config import Settings
from bot.runtime import Runtime
from bot.web.server import HttpServer
from tests.channels.conftest import KNOWLEDGE
from tests.fakes.zalo_server import TOKEN, FakeZalo

CITIZEN = "6001"
SECRET = "zalo-webhook-secret-42"


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "knowledge_dir": KNOWLEDGE,
        "zalo_bot_token": TOKEN,
        "database_url": "sqlite:///unused.db",
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as server:
        yield server


class RunningZalo:
    """The Zalo channel served in the test's loop against the fake (and, for webhooks, on a
    shared HttpServer on a free port)."""

    def __init__(self, channel: ZaloChannel, fake: FakeZalo, stop: asyncio.Event) -> None:
        self.channel = channel
        self.fake = fake
        self.stop = stop
        self.server: HttpServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}/zalo"

    async def idle(self) -> None:
        await asyncio.wait_for(self.channel.dispatcher.idle(), 30)
        await asyncio.wait_for(self.channel.dispatcher.bookkeeping.drain(), 30)

    async def close(self) -> None:
        self.stop.set()
        await self.channel.stop()
        if self.server is not None:
            await self.server.stop()


async def start_zalo(
    fake: FakeZalo, runtime: Runtime, *, webhook: bool = False, **overrides: Any
) -> RunningZalo:
    stop = asyncio.Event()
    server: HttpServer | None = None
    if webhook:
        server = HttpServer("127.0.0.1", 0)
        # The URL is known once the port is: set it before the channel sets the webhook.
        overrides = {"zalo_webhook_secret": SECRET, **overrides}
    settings = make_settings(zalo_api_base_url=fake.base_url, **overrides)
    if server is not None:
        port = await _bind(server)
        settings = settings.model_copy(update={"zalo_webhook_url": f"http://127.0.0.1:{port}/zalo"})
    channel = build_channel(settings, runtime, stop)
    channel.long_poll = 2.0
    running = RunningZalo(channel, fake, stop)
    if server is not None:
        server.mount(channel)
        running.server = server
        await server.start()
    await channel.start()
    return running


async def _bind(server: HttpServer) -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        server.port = int(sock.getsockname()[1])
    return server.port


@pytest.fixture
async def polling(fake: FakeZalo, runtime: Runtime) -> AsyncIterator[RunningZalo]:
    bot = await start_zalo(fake, runtime)
    yield bot
    await bot.close()


@pytest.fixture
async def webhook(fake: FakeZalo, runtime: Runtime) -> AsyncIterator[RunningZalo]:
    bot = await start_zalo(fake, runtime, webhook=True)
    yield bot
    await bot.close()
