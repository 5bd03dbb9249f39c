from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.channels.base import ChannelContext
from bot.channels.telegram.runner import TelegramService
from bot.config import PROJECT_ROOT, Settings
from bot.core.knowledge import KnowledgeBase
from bot.runtime import Runtime, channel_context, make_runtime, staff_service
from bot.web.server import HttpServer
from tests.fakes.ports import MemoryStaffBackend
from tests.fakes.telegram_server import TOKEN, FakeTelegram

KNOWLEDGE = PROJECT_ROOT / "knowledge"
ADMIN_ID = 999
CITIZEN = 501


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "knowledge_dir": KNOWLEDGE,
        "telegram_bot_token": TOKEN,
        "telegram_admin_ids": str(ADMIN_ID),
        "flood_max_messages": 8,
        "flood_window_seconds": 10.0,
        "database_url": "sqlite:///unused.db",
        # "typing…" before every answer, so tests see it; the default delay is tested apart.
        "telegram_typing_delay": 0.0,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(autouse=True)
def _timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    """As TelegramService does: RetryAfter would otherwise warn (and warnings are errors here)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture(scope="session")
def base_runtime(kb: KnowledgeBase) -> Runtime:
    """With Telegram's settings (the shared fixtures in tests/channels/conftest.py use it)."""
    return make_runtime(make_settings(), kb)


@pytest.fixture
def staff() -> MemoryStaffBackend:
    return MemoryStaffBackend()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


def context_for(runtime: Runtime, staff: MemoryStaffBackend | None = None) -> ChannelContext:
    """What the composition root gives the channel, with the staff backend in memory."""
    desk = staff_service(runtime)
    if staff is not None:
        desk.backend = staff
    return channel_context(runtime, asyncio.Event(), desk)


class RunningBot:
    """A TelegramService served in the test's loop against the fake server (its webhook route
    on a shared HttpServer of its own in webhook mode)."""

    def __init__(
        self, service: TelegramService, fake: FakeTelegram, server: HttpServer | None = None
    ) -> None:
        self.service = service
        self.fake = fake
        self.server = server
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    @property
    def application(self) -> Any:
        return self.service.application

    async def start(self) -> None:
        self.task = asyncio.create_task(self.service.run(self.stop))
        ready = asyncio.create_task(self.service.ready.wait())
        done, _ = await asyncio.wait({self.task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if self.task in done:
            ready.cancel()
            self.task.result()
            raise AssertionError("the bot stopped before it was ready")

    async def settle(self, update_id: int) -> None:
        """Wait until ``update_id`` was fetched and every fetched update fully handled, its
        logs and feedback written."""
        await self.fake.confirmed(update_id)
        await self.idle()

    async def idle(self) -> None:
        """Wait until every update received so far is handled and its bookkeeping written."""
        dispatcher = self.service.dispatcher
        await asyncio.wait_for(dispatcher.idle(), 10)
        await asyncio.wait_for(dispatcher.bookkeeping.drain(), 10)

    async def close(self) -> None:
        self.stop.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 15)
        if self.server is not None:
            await self.server.stop()


async def start_bot(
    fake: FakeTelegram,
    runtime: Runtime,
    staff: MemoryStaffBackend | None = None,
    **overrides: Any,
) -> RunningBot:
    settings = make_settings(telegram_api_base_url=fake.base_url, **overrides)
    service = TelegramService(settings, context_for(runtime, staff))
    server: HttpServer | None = None
    if service.webhook:
        server = HttpServer(settings.web_host, settings.web_port)
        server.mount(service)
        await server.start()
    bot = RunningBot(service, fake, server)
    try:
        await bot.start()
    except BaseException:
        if server is not None:
            await server.stop()
        raise
    return bot


@pytest.fixture
async def running(
    fake: FakeTelegram, runtime: Runtime, staff: MemoryStaffBackend
) -> AsyncIterator[RunningBot]:
    bot = await start_bot(fake, runtime, staff)
    yield bot
    await bot.close()
