"""The "typing…" indicator, sent only when an answer is slow to come.

An answer ready within the delay goes out alone: the indicator would cost one API call per
answer and show nothing a citizen could see. A slower answer waits until the indicator call
has finished, so the indicator never arrives after the message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

Answer = TypeVar("Answer")
Shown = TypeVar("Shown")


async def indicated(
    answer: Awaitable[Answer], indicate: Callable[[], Awaitable[Shown]], delay: float
) -> tuple[Answer, Shown | None]:
    """Await ``answer``; once it has taken ``delay`` seconds (at once when 0 or less) call
    ``indicate`` beside it. The answer's value, and what ``indicate`` returned (None when it
    was not called)."""
    loop = asyncio.get_running_loop()
    shown: asyncio.Task[Shown] | None = None

    def start() -> None:
        nonlocal shown
        shown = loop.create_task(_called(indicate))

    timer = loop.call_later(delay, start) if delay > 0 else None
    if timer is None:
        start()
    try:
        value = await answer
    finally:
        if timer is not None:
            timer.cancel()
        result = await shown if shown is not None else None
    return value, result


async def _called(indicate: Callable[[], Awaitable[Shown]]) -> Shown:
    return await indicate()
