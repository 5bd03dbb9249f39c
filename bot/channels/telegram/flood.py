"""Per-user flood control: the database's windows, shared by every process taking the
messenger's updates (bot.storage.flood), or a sliding window in this process's memory, bounded
by recent activity, when there is no database or it is away."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.core.health import StorageHealth, short_reason
from bot.core.ports import FloodVerdict, FloodWindows

log = logging.getLogger(__name__)

Verdict = FloodVerdict
# A shared check waits at most this long; then this process's own window decides.
_WAIT_SECONDS = 2.0


@dataclass(slots=True)
class _UserWindow:
    stamps: deque[float] = field(default_factory=deque)
    muted_until: float = 0.0
    last_seen: float = 0.0


class FloodGuard:
    """More than ``max_messages`` in ``window`` seconds → one notice, then silence for a window.

    Users are kept in least-recently-seen order; anyone silent for a whole window is forgotten,
    and ``max_users`` caps memory even under a flood of distinct senders.
    """

    def __init__(
        self,
        max_messages: int,
        window: float,
        *,
        max_users: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_messages < 1 or window <= 0:
            raise ValueError("flood limits must be positive")
        self.max_messages = max_messages
        self.window = window
        self.max_users = max_users
        self._clock = clock
        self._users: OrderedDict[str, _UserWindow] = OrderedDict()

    def __len__(self) -> int:
        return len(self._users)

    def check(self, user_key: str) -> Verdict:
        now = self._clock()
        self._forget_idle(now)
        state = self._users.get(user_key)
        if state is None:
            state = _UserWindow()
            self._users[user_key] = state
            while len(self._users) > self.max_users:
                self._users.popitem(last=False)
        else:
            self._users.move_to_end(user_key)
        state.last_seen = now
        if state.muted_until:
            if now < state.muted_until:
                return Verdict.IGNORE
            state.muted_until = 0.0
            state.stamps.clear()
        stamps = state.stamps
        horizon = now - self.window
        while stamps and stamps[0] <= horizon:
            stamps.popleft()
        stamps.append(now)
        if len(stamps) > self.max_messages:
            stamps.clear()
            state.muted_until = now + self.window
            return Verdict.NOTIFY
        return Verdict.ALLOW

    def _forget_idle(self, now: float) -> None:
        horizon = now - self.window
        users = self._users
        while users:
            key, oldest = next(iter(users.items()))
            if oldest.last_seen > horizon:
                break
            del users[key]


class FloodControl:
    """The shared windows when there are and the database answers; ``local`` otherwise."""

    def __init__(
        self,
        local: FloodGuard,
        shared: FloodWindows | None = None,
        health: StorageHealth | None = None,
        *,
        channel: str = "",
    ) -> None:
        self.local = local
        self.shared = shared
        self.health = health or StorageHealth()
        self.channel = channel

    async def check(self, user_key: str) -> Verdict:
        if self.shared is not None and self.health.usable():
            try:
                async with asyncio.timeout(_WAIT_SECONDS):
                    return await self.shared.check(f"{self.channel}:{user_key}")
            except Exception as exc:
                log.warning(
                    "flood window of a %s user counted in this process only: %s",
                    self.channel,
                    short_reason(exc),
                )
        return self.local.check(user_key)
