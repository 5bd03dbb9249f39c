"""The staff service every channel's staff tools call; channels only render what it returns."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence

from bot.core.ports import ChatState
from bot.core.staff import (
    Announcer,
    InboxView,
    PeriodStats,
    Reloaded,
    StaffBackend,
    StaffUnavailable,
)

log = logging.getLogger(__name__)

# A prepared announcement waits this long for its confirmation, in the shared chat state so
# that the confirmation may reach another process (or this one after a restart).
PENDING_SECONDS = 3600.0
STATE_CHANNEL = "staff"
STATE_NAME = "broadcast"


class StaffService:
    """Implements bot.core.staff.StaffDesk. ``backend`` is None without storage; ``announcer``
    is set once the broadcast scheduler runs."""

    def __init__(
        self,
        identities: Iterable[str],
        *,
        backend: StaffBackend | None,
        reload: Callable[[], Awaitable[Reloaded]],
        state: ChatState,
        announcer: Announcer | None = None,
    ) -> None:
        self.identities = frozenset(identities)
        self.backend = backend
        self._reload = reload
        self.state = state
        self.announcer = announcer

    def is_staff(self, actor: str) -> bool:
        return actor in self.identities

    def _backend(self) -> StaffBackend:
        if self.backend is None:
            raise StaffUnavailable("no storage")
        return self.backend

    async def stats(self, days: int) -> PeriodStats:
        return await self._backend().stats(days)

    async def inbox(self, limit: int) -> tuple[int, Sequence[InboxView]]:
        return await self._backend().inbox(limit)

    async def promote(self, actor: str, item_id: int, faq_id: str) -> bool:
        done = await self._backend().promote(item_id, faq_id, actor)
        if done:
            log.info("%s added inbox item %s to %s", actor, item_id, faq_id)
            try:
                await self.reload()  # the new wording is answered right away
            except Exception:
                log.exception("reload after a promotion failed; the watcher picks it up")
        return done

    async def dismiss(self, actor: str, item_id: int) -> bool:
        done = await self._backend().dismiss(item_id, actor)
        if done:
            log.info("%s dismissed inbox item %s", actor, item_id)
        return done

    async def reload(self) -> Reloaded:
        return await self._reload()

    async def prepare_broadcast(self, actor: str, text: str) -> str:
        if self.announcer is None:
            raise StaffUnavailable("no broadcast service")
        text = text.strip()
        if not text:
            raise ValueError("empty")
        preview = self.announcer.preview(text)  # ValueError with a reason
        await self.state.put(STATE_CHANNEL, actor, STATE_NAME, text, PENDING_SECONDS)
        return preview

    async def confirm_broadcast(self, actor: str) -> int | None:
        # Taken in one step: a double tap on "send" must not create two runs.
        text = await self.state.pop(STATE_CHANNEL, actor, STATE_NAME)
        if text is None:
            return None
        if self.announcer is None:
            raise StaffUnavailable("no broadcast service")
        run_id = await self.announcer.create_announcement(text, by=actor)
        self.announcer.deliver_in_background(run_id)
        log.info("%s started announcement run %s", actor, run_id)
        return run_id

    async def cancel_broadcast(self, actor: str) -> bool:
        return await self.state.pop(STATE_CHANNEL, actor, STATE_NAME) is not None
