"""The assistant's short memory of each citizen, kept in a ChatState: the database when the bot
has one, so that another process serving the same citizen (a standby after a takeover, the
other web process behind a load balancer) remembers it too; this process's memory otherwise.

What it holds: the last question (a 👍 / 👎 or a comment refers to it), a pending comment
after a 👎, and whether the citizen was already asked not to send personal numbers. Values
that change with every question are written behind the answer (``remember``); this process
reads its own writes at once, other processes once they are flushed (within about 50 ms,
long before a citizen taps a button). A database that fails or is away never holds up an
answer: the memory then reads as empty.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial

from bot.core.bookkeeping import WriteBehind
from bot.core.health import short_reason
from bot.core.ports import ChatState

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (channel, user id)
Read = Callable[[str, str, str], Awaitable[str | None]]
CHAT_STATE = "chat state"  # what the write-behind queue calls these writes
# A read waits at most this long before the answer goes on without it.
_WAIT_SECONDS = 2.0
_MAX_UNFLUSHED = 10_000  # writes the database refused for long are not kept forever


class UserMemory:
    """Named, expiring values per (channel, user) in ``state``."""

    def __init__(self, state: ChatState, bookkeeping: WriteBehind) -> None:
        self.state = state
        self.bookkeeping = bookkeeping
        # Written behind and not flushed yet: read from here, so this process sees them now.
        self._unflushed: dict[tuple[str, str, str], str] = {}

    async def get(self, key: Key, name: str) -> str | None:
        unflushed = self._unflushed.get((*key, name))
        if unflushed is not None:
            return unflushed
        return await self._read(self.state.get, key, name)

    async def take(self, key: Key, name: str) -> str | None:
        """The value, gone for every process (of two processes taking it, one gets it)."""
        unflushed = self._unflushed.pop((*key, name), None)
        found = await self._read(self.state.get, key, name)
        if found is None:
            return unflushed
        taken = await self._read(self.state.pop, key, name)
        return taken if taken is not None else unflushed

    async def put(self, key: Key, name: str, value: str, ttl_seconds: float) -> None:
        """Store now (rare values: a pending comment)."""
        self._unflushed.pop((*key, name), None)
        try:
            async with asyncio.timeout(_WAIT_SECONDS):
                await self.state.put(*key, name, value, ttl_seconds)
        except Exception as exc:
            log.warning("%s of a %s user not remembered: %s", name, key[0], short_reason(exc))

    def remember(self, key: Key, name: str, value: str, ttl_seconds: float) -> None:
        """Store behind the answer (values written with every question)."""
        slot = (*key, name)
        self._unflushed.pop(slot, None)
        self._unflushed[slot] = value
        if len(self._unflushed) > _MAX_UNFLUSHED:
            del self._unflushed[next(iter(self._unflushed))]
        job = partial(self._flush, slot, value, ttl_seconds)
        self.bookkeeping.put(CHAT_STATE, job, order=(CHAT_STATE, *key))

    async def _flush(self, slot: tuple[str, str, str], value: str, ttl_seconds: float) -> None:
        await self.state.put(*slot, value, ttl_seconds)
        if self._unflushed.get(slot) == value:
            del self._unflushed[slot]

    async def forget(self, key: Key, names: tuple[str, ...]) -> None:
        for name in names:
            self._unflushed.pop((*key, name), None)
            try:
                await self.state.delete(*key, name)
            except Exception as exc:
                log.warning("%s of a %s user not forgotten: %s", name, key[0], short_reason(exc))

    async def _read(self, method: Read, key: Key, name: str) -> str | None:
        if not self.bookkeeping.health.usable():
            return None  # the database is away: answer without the memory
        try:
            async with asyncio.timeout(_WAIT_SECONDS):
                value = await method(*key, name)
        except Exception as exc:
            log.warning("%s of a %s user not readable: %s", name, key[0], short_reason(exc))
            return None
        return value
