"""The update being answered right now, as the channel's sending code and the assistant see it.

A channel's transport calls ``before_send()`` before any request that a citizen would notice
twice (a new message) and ``sent()`` once one went out; the assistant hands its conversation log
to ``after_sent``. Outside a dispatched update (console, tests, broadcasts) all three do nothing
special: logs are written at once and nothing is claimed.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable

Claim = Callable[["Delivery"], Awaitable[None]]


class AnswerClaimed(Exception):
    """This update was answered (or is being answered) elsewhere: do not send anything."""


class Delivery:
    """One update on its way to an answer: claimed durably once, then sent, then closed."""

    def __init__(self, channel: str, key: str, claim: Claim | None) -> None:
        self.channel = channel
        self.key = key
        self._claim = claim
        self._claiming: asyncio.Future[None] | None = None
        self.claimed = False
        self.was_sent = False
        self.closed = False
        self._after_sent: list[Callable[[], None]] = []

    def claim_soon(self) -> None:
        """Start the durable claim without waiting for it (``before_send`` waits for it), so
        that it is written beside whatever the caller writes meanwhile."""
        if self._claiming is None and not self.closed and self._claim is not None:
            self._claiming = asyncio.ensure_future(self._claim(self))

    async def before_send(self) -> None:
        """Durably mark the update "answering" before the first message leaves (once)."""
        if self.closed or self._claim is None:
            return
        self.claim_soon()
        assert self._claiming is not None
        await asyncio.shield(self._claiming)

    def sent(self) -> None:
        if not self.closed:
            self.was_sent = True

    def after_sent(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` when the update closes with something sent; drop it otherwise."""
        if self.closed:
            callback()
        else:
            self._after_sent.append(callback)

    def close(self) -> int:
        """End of the update: run the held callbacks if an answer went out; return how many
        were dropped because none did."""
        self.closed = True
        held, self._after_sent = self._after_sent, []
        if not self.was_sent:
            return len(held)
        for callback in held:
            callback()
        return 0


current: contextvars.ContextVar[Delivery | None] = contextvars.ContextVar(
    "current_delivery", default=None
)


def claim_soon() -> None:
    """Start the current update's claim now (see ``Delivery.claim_soon``); nothing outside one."""
    delivery = current.get()
    if delivery is not None:
        delivery.claim_soon()


async def before_send() -> None:
    delivery = current.get()
    if delivery is not None:
        await delivery.before_send()


def sent() -> None:
    delivery = current.get()
    if delivery is not None:
        delivery.sent()


def after_sent(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current update's answer went out (at once outside one)."""
    delivery = current.get()
    if delivery is None:
        callback()
    else:
        delivery.after_sent(callback)
