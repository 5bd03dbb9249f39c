from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.storage import migrate
from bot.storage.engine import create_engine, session_factory
from tests.fakes.bot_api_limits import BotApiLimits
from tests.storage.backends import BACKENDS, Backend, backend


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # python-telegram-bot warns (an error under -W error) when it builds RetryAfter unless
    # timedelta periods are opted into.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@dataclass
class Db:
    backend: Backend
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    async def open_second(self) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
        """Another engine on the same database, as a second process would have."""
        engine = create_engine(self.settings)
        return engine, session_factory(engine)


@pytest.fixture(params=BACKENDS)
def backend_info(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with backend(request.param, tmp_path) as value:
        yield value


@pytest.fixture
async def db(backend_info: Backend) -> AsyncIterator[Db]:
    settings = backend_info.settings()
    engine = create_engine(settings)
    await migrate.upgrade(engine)
    try:
        yield Db(backend_info, settings, engine, session_factory(engine))
    finally:
        await engine.dispose()


@pytest.fixture
async def fake() -> AsyncIterator[BotApiLimits]:
    server = BotApiLimits(limit=300.0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
