from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr

from bot.channels.base import ChannelContext
from bot.channels.zalo import ZaloChannel
from bot.config import Settings
from bot.runtime import Runtime, channel_context, staff_service
from bot.storage import Storage
from bot.web.server import HttpServer
from tests.channels.conftest import KNOWLEDGE
from tests.fakes.ports import MemoryStaffBackend
from tests.fakes.zalo_server import TOKEN, FakeZalo

CITIZEN = "6001"
SECRET = "zalo-webhook-secret-42"


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "knowledge_dir": KNOWLEDGE,
        "zalo_bot_token": TOKEN,
        "database_url": "sqlite:///unused.db",
        # "typing…" before every answer, so tests see it; the default delay is tested apart.
        "zalo_typing_delay": 0.0,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as server:
        yield server


class RunningZalo:
    """The Zalo channel served in the test's loop against the fake (its webhook route on a
    shared HttpServer of its own in webhook mode)."""

    def __init__(self, channel: ZaloChannel, fake: FakeZalo, server: HttpServer | None) -> None:
        self.channel = channel
        self.fake = fake
        self.server = server

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}/zalo"

    async def idle(self) -> None:
        await asyncio.wait_for(self.channel.dispatcher.idle(), 30)
        await asyncio.wait_for(self.channel.dispatcher.bookkeeping.drain(), 30)

    async def close(self) -> None:
        await self.channel.stop()
        if self.server is not None:
            await self.server.stop()


def zalo_context(runtime: Runtime, staff: MemoryStaffBackend | None = None) -> ChannelContext:
    desk = staff_service(runtime)
    if staff is not None:
        desk.backend = staff
    return channel_context(runtime, asyncio.Event(), desk)


async def start_zalo(
    fake: FakeZalo,
    runtime: Runtime,
    *,
    webhook: bool = False,
    staff: MemoryStaffBackend | None = None,
    store: Storage | None = None,
    **overrides: Any,
) -> RunningZalo:
    """``store``: this process's database (the journal and the shared flood windows), as in
    ``--role bot`` or ``web`` on PostgreSQL; in-memory ports without it."""
    settings = make_settings(zalo_api_base_url=fake.base_url, **overrides)
    server: HttpServer | None = None
    if webhook:
        server = HttpServer("127.0.0.1", 0)
        port = await _bind(server)
        url = f"http://127.0.0.1:{port}/zalo"
        settings = settings.model_copy(
            update={"zalo_webhook_url": url, "zalo_webhook_secret": SecretStr(SECRET)}
        )
    context = zalo_context(runtime, staff)
    if store is not None:
        context = dataclasses.replace(context, journal=store.inbound, flood=store.flood)
    channel = ZaloChannel.from_settings(settings, context)
    channel.long_poll = 2.0
    if server is not None:
        server.mount(channel)
        await server.start()
    running = RunningZalo(channel, fake, server)
    await channel.start()
    await serving(channel)
    return running


async def serving(channel: ZaloChannel) -> None:
    """Until the channel answers (its start failing ends the wait with the error)."""
    ready = asyncio.ensure_future(channel.ready.wait())
    task = channel._task
    assert task is not None
    done, _ = await asyncio.wait({ready, task}, return_when=asyncio.FIRST_COMPLETED, timeout=60)
    if task in done:
        ready.cancel()
        task.result()
        raise AssertionError("the channel stopped before it was ready")
    assert ready in done


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
