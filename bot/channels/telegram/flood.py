"""Per-user flood control: a sliding window with memory bounded by recent activity."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum


class Verdict(Enum):
    ALLOW = "allow"
    NOTIFY = "notify"  # the first message over the limit: send one polite notice
    IGNORE = "ignore"  # further messages until the window has passed


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
