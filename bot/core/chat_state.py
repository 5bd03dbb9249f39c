"""Per-chat state in this process's memory, for runs without storage (the console chat, tests)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

Key = tuple[str, str, str]
DEFAULT_MAX_ITEMS = 10_000


class MemoryChatState:
    """Implements ports.ChatState: bounded (oldest dropped first) and expiring."""

    def __init__(
        self, max_items: int = DEFAULT_MAX_ITEMS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_items = max(1, max_items)
        self._clock = clock
        self._items: OrderedDict[Key, tuple[float, str]] = OrderedDict()

    async def put(
        self, channel: str, chat_id: str, name: str, value: str, ttl_seconds: float
    ) -> None:
        key = (channel, chat_id, name)
        self._items.pop(key, None)
        self._items[key] = (self._clock() + ttl_seconds, value)
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)

    async def get(self, channel: str, chat_id: str, name: str) -> str | None:
        key = (channel, chat_id, name)
        item = self._items.get(key)
        if item is None:
            return None
        if item[0] <= self._clock():
            del self._items[key]
            return None
        return item[1]

    async def delete(self, channel: str, chat_id: str, name: str) -> None:
        self._items.pop((channel, chat_id, name), None)

    async def pop(self, channel: str, chat_id: str, name: str) -> str | None:
        value = await self.get(channel, chat_id, name)
        self._items.pop((channel, chat_id, name), None)
        return value

    def __len__(self) -> int:
        return len(self._items)
