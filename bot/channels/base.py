"""The channel seam: what every channel gets from the core and what it gives the composition root.

A channel receives a :class:`ChannelContext` (the assistant's ``handle`` and narrow ports, never the
whole runtime), may add routes to the shared HTTP server, and has one lifecycle: ``start`` returns
once the channel is serving (background tasks keep running), ``stop`` ends them. Its broadcast
sender, when it has one, lives in the same package.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from bot.core.messages import IncomingMessage, Reply

Handle = Callable[[IncomingMessage], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class ChannelContext:
    """What a channel may use. Extend with narrow ports, never with the runtime itself."""

    handle: Handle
    stop: asyncio.Event


class Channel(Protocol):
    name: str

    def add_routes(self, app: web.Application) -> None:
        """Add webhook or page routes to the shared server (a no-op when the channel has none)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
