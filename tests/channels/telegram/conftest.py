from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.channels.telegram.runner import TelegramService
from bot.config import PROJECT_ROOT, Settings
from bot.runtime import Runtime
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
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(autouse=True)
def _timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    """As run_telegram does: RetryAfter would otherwise warn (and warnings are errors here)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def staff() -> MemoryStaffBackend:
    return MemoryStaffBackend()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


class RunningBot:
    """A TelegramService served in the test's loop against the fake server."""

    def __init__(self, service: TelegramService, fake: FakeTelegram) -> None:
        self.service = service
        self.fake = fake
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


async def start_bot(
    fake: FakeTelegram,
    runtime: Runtime,
    staff: MemoryStaffBackend | None = None,
    **overrides: Any,
) -> RunningBot:
    settings = make_settings(telegram_api_base_url=fake.base_url, **overrides)
    service = TelegramService(settings, runtime)
    if staff is not None:
        service.handlers.staff.backend = staff
    bot = RunningBot(service, fake)
    await bot.start()
    return bot


@pytest.fixture
async def running(
    fake: FakeTelegram, runtime: Runtime, staff: MemoryStaffBackend
) -> AsyncIterator[RunningBot]:
    bot = await start_bot(fake, runtime, staff)
    yield bot
    await bot.close()
