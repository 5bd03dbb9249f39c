"""The channel seam: what every channel gets from the core and what it gives the composition root.

A channel receives a :class:`ChannelContext` (the assistant's ``handle`` and narrow ports, never the
whole runtime), may add routes to the shared HTTP server, and has one lifecycle: ``start`` returns
once the channel is starting or serving (background tasks keep running), ``stop`` ends them and
raises what made the channel fail, if anything did. Its broadcast sender, when it has one, lives
in the same package.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import web

from bot.core.bookkeeping import WriteBehind
from bot.core.chat_state import MemoryChatState
from bot.core.messages import IncomingMessage, Reply
from bot.core.ports import ChatState, FloodWindows, InboundJournal, SubscriptionStore
from bot.core.staff import StaffDesk

log = logging.getLogger(__name__)

Handle = Callable[[IncomingMessage], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class ChannelContext:
    """What a channel may use. Extend with narrow ports, never with the runtime itself.

    ``stop`` is the process's: a channel that cannot go on sets it (and ``stop()`` raises why).
    """

    handle: Handle
    stop: asyncio.Event
    bookkeeping: WriteBehind = field(default_factory=WriteBehind)
    journal: InboundJournal | None = None  # durable intake (bot.core.dispatch)
    subscriptions: SubscriptionStore | None = None  # to withdraw a chat that blocked the bot
    chat_state: ChatState = field(default_factory=MemoryChatState)  # per-chat values
    staff: StaffDesk | None = None  # staff tools in chats
    flood: FloodWindows | None = None  # per-user flood windows shared by processes
    # Other processes take this channel's webhooks too (--role web behind a load balancer): a
    # starting process resumes only updates left long enough to be abandoned (bot.core.dispatch).
    shared_intake: bool = False


class Channel(Protocol):
    name: str

    def add_routes(self, app: web.Application) -> None:
        """Add webhook or page routes to the shared server (a no-op when the channel has none)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class BackgroundChannel:
    """The lifecycle of a channel served by one background task: ``start`` runs :meth:`serve`
    until ``stop``; a failure stops the whole process (a supervisor restarts it) and ``stop``
    raises it. Subclasses set ``name`` and ``context`` and implement ``serve``."""

    name: str
    context: ChannelContext

    def __init__(self) -> None:
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def serve(self) -> None:
        """Take updates and answer them until ``self._stop`` is set."""
        raise NotImplementedError

    def failure(self, exc: Exception) -> str:
        """What the log says when ``serve`` fails (a wrong token says so in plain words)."""
        return f"the {self.name} channel failed; stopping"

    async def start(self) -> None:
        """Serve in the background (the messenger's getMe is retried while unreachable)."""
        self._task = asyncio.create_task(self._serve_reporting(), name=self.name)

    async def stop(self) -> None:
        """Stop taking updates, finish the answers in hand; raise what made the channel fail."""
        self._stop.set()
        if self._task is not None:
            task, self._task = self._task, None
            await task

    async def _serve_reporting(self) -> None:
        try:
            await self.serve()
        except Exception as exc:
            log.error("%s", self.failure(exc))
            self.context.stop.set()  # the process exits and says why
            raise
