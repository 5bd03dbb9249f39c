"""Hot reload: poll the knowledge version and hand every new knowledge base to a callback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.core.knowledge import KnowledgeBase

if TYPE_CHECKING:
    from bot.storage import Storage

log = logging.getLogger(__name__)

OnChange = Callable[[KnowledgeBase, int], Awaitable[None]]


class KnowledgeWatcher:
    """Polls ``storage.knowledge.version()``; on a change loads the entries and calls back.

    A database error or a failing callback is logged and retried at the next poll, so a
    restarted database or a bad edit never stops the watcher.
    """

    def __init__(
        self,
        storage: Storage,
        interval: float,
        on_change: OnChange,
        *,
        initial_version: int | None = None,
    ) -> None:
        self._storage = storage
        self._interval = max(interval, 0.05)
        self._on_change = on_change
        self._seen = initial_version
        self._task: asyncio.Task[None] | None = None
        self.changes = 0

    @property
    def version(self) -> int | None:
        return self._seen

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="knowledge-watcher")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def check(self) -> bool:
        """Poll once; return True when a new version was delivered."""
        version = await self._storage.knowledge.version()
        # With no initial version the first poll delivers too: a change made between the
        # caller's own load and this poll must not be missed (the callback ignores old versions).
        if version == self._seen:
            return False
        kb = await self._storage.knowledge.load()
        await self._on_change(kb, version)
        self._seen = version
        self.changes += 1
        return True

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                await self.check()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                # One line per outage, not one per poll.
                if failures == 1 or failures % 100 == 0:
                    log.exception("knowledge reload failed (%s in a row); will retry", failures)
            await asyncio.sleep(self._interval)
