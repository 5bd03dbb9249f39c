"""Keys seen lately, in bounded memory: forgotten after a time, the oldest first past a cap."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class RecentKeys(Generic[K]):
    """Which keys were marked within the last ``seconds``; at most ``max_items`` are kept.

    Keys are kept in the order they were last marked, so the expired ones are always at the
    front: marking is O(1) amortised and the size follows recent activity, not everyone ever
    seen. Past the cap the oldest are forgotten early (a caller then just does its work again).
    """

    def __init__(
        self, seconds: float, max_items: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.max_items = max(1, max_items)
        self._clock = clock
        self._marked: OrderedDict[K, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._marked)

    def __contains__(self, key: K) -> bool:
        marked = self._marked.get(key)
        return marked is not None and self._clock() - marked < self.seconds

    def mark(self, key: K) -> None:
        now = self._clock()
        self._marked.pop(key, None)
        self._marked[key] = now
        self._forget(now)

    def _forget(self, now: float) -> None:
        marked = self._marked
        while len(marked) > self.max_items:
            marked.popitem(last=False)
        horizon = now - self.seconds
        while marked:
            oldest = next(iter(marked.values()))
            if oldest > horizon:
                break
            marked.popitem(last=False)
