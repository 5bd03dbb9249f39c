"""What every console page needs, built once from the runtime and kept on the application."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
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

log = logging.getLogger(__name__)
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

    _rebuild: asyncio.Task[None] | None = field(init=False, default=None)
    _again: bool = field(init=False, default=False)

    def refresh(self) -> None:
        """Make this process answer from the database soon, without holding up the page.

        Rebuilding the index takes seconds at 10,000 entries, so it runs in the background;
        clicks during a rebuild cause one more rebuild after it, not one each.
        """
        if self._rebuild is not None and not self._rebuild.done():
            self._again = True
            return
        self._rebuild = asyncio.create_task(self._rebuild_until_current(), name="console-reload")

    async def _rebuild_until_current(self) -> None:
        while True:
            self._again = False
            try:
                await self.reload()
            except Exception:
                log.exception("reloading the knowledge after a console change failed")
            if not self._again:
                return

    async def settled(self) -> None:
        """Wait until changes made so far are live in this process (for tests and shutdown)."""
        while self._rebuild is not None and not self._rebuild.done():
            await asyncio.shield(self._rebuild)

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
