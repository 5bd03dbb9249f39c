"""What every console page needs, built once from the runtime and kept on the application."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from bot.config import Settings
from bot.console.accounts import AccountRepository
from bot.console.sessions import SessionRepository
from bot.core.live import LiveKnowledge
from bot.core.match import Thresholds
from bot.core.normalize import Normalizer
from bot.storage import Storage
from bot.storage.models import utcnow

if TYPE_CHECKING:
    import jinja2

    from bot.broadcast.service import BroadcastService
    from bot.runtime import Runtime

Clock = Callable[[], dt.datetime]
BroadcastProvider = Callable[[], Awaitable["BroadcastService | None"]]


@dataclass
class Console:
    settings: Settings
    storage: Storage
    live: LiveKnowledge
    normalizer: Normalizer
    thresholds: Thresholds
    reload: Callable[[], Awaitable[object]]  # make this process answer from the database now
    broadcasts: BroadcastProvider
    clock: Clock = utcnow
    accounts: AccountRepository = field(init=False)
    sessions: SessionRepository = field(init=False)
    templates: jinja2.Environment = field(init=False)

    def __post_init__(self) -> None:
        from bot.console.web.render import environment

        self.accounts = AccountRepository(self.storage.session_factory, self.clock)
        self.sessions = SessionRepository(
            self.storage.session_factory,
            idle=dt.timedelta(minutes=self.settings.staff_session_idle_minutes),
            absolute=dt.timedelta(hours=self.settings.staff_session_max_hours),
            clock=self.clock,
        )
        self.templates = environment()

    @classmethod
    def from_runtime(cls, runtime: Runtime, broadcasts: BroadcastProvider | None = None) -> Console:
        assert runtime.storage is not None, "the console needs the database"

        async def live_service() -> BroadcastService | None:
            return runtime.broadcast

        return cls(
            settings=runtime.settings,
            storage=runtime.storage,
            live=runtime.live,
            normalizer=runtime.normalizer,
            thresholds=runtime.thresholds,
            reload=runtime.reload,
            broadcasts=broadcasts or live_service,
        )


CONSOLE: web.AppKey[Console] = web.AppKey("console", Console)


def console_of(request: web.Request) -> Console:
    return request.config_dict[CONSOLE]
