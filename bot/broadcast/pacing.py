"""Pacing: a token bucket for the whole bot and a minimum interval per chat."""

from __future__ import annotations

import asyncio

from bot.broadcast.clock import Clock

# Float sums like 0.04 * 25 may land a hair under 1.0; never sleep for nothing.
_EPSILON = 1e-9


class TokenBucket:
    """At most ``rate`` per second on average and ``burst`` at once; callers wait in turn.

    A flood-control answer (429) pauses the whole bucket: Telegram counts per bot, so the
    next message would be refused as well.
    """

    def __init__(self, rate: float, burst: float, clock: Clock) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        # Start with one token, not a full bucket: a run's first second stays within the rate.
        self._tokens = 1.0
        self._stamp = clock.monotonic()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(self, most: int = 1) -> int:
        """Wait for at least one token; take up to ``most`` and return how many were taken."""
        async with self._lock:
            while True:
                now = self._clock.monotonic()
                if now < self._paused_until:
                    await self._clock.sleep(self._paused_until - now)
                    continue
                self._refill(now)
                if self._tokens >= 1.0 - _EPSILON:
                    taken = max(1, min(most, int(self._tokens + _EPSILON)))
                    self._tokens -= taken
                    return taken
                await self._clock.sleep(max((1.0 - self._tokens) / self.rate, 1e-4))

    def refund(self, count: int) -> None:
        """Give back tokens that were not used (nothing was claimable)."""
        if count > 0:
            self._refill(self._clock.monotonic())
            self._tokens = min(self.burst, self._tokens + count)

    def pause(self, seconds: float) -> None:
        """Nobody sends for ``seconds`` (a 429 said so); the tokens saved are dropped."""
        until = self._clock.monotonic() + seconds
        if until > self._paused_until:
            self._paused_until = until
            self._tokens = 0.0
            self._stamp = until

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock.monotonic())


class ChatSpacing:
    """Keeps at least ``interval`` seconds between two messages to one chat."""

    def __init__(self, interval: float, clock: Clock, max_entries: int = 50_000) -> None:
        self.interval = interval
        self._clock = clock
        self._next: dict[str, float] = {}
        self._max_entries = max_entries

    def reserve(self, chat: str) -> float:
        """Book the chat's next slot; return how long the caller must wait for it."""
        now = self._clock.monotonic()
        slot = max(now, self._next.get(chat, 0.0))
        self._next[chat] = slot + self.interval
        if len(self._next) > self._max_entries:
            self._next = {k: v for k, v in self._next.items() if v > now}
        return slot - now

    def defer(self, chat: str, seconds: float) -> None:
        """The chat itself was rate limited: nothing to it before ``seconds`` from now."""
        until = self._clock.monotonic() + seconds
        self._next[chat] = max(self._next.get(chat, 0.0), until)

    async def wait(self, chat: str) -> None:
        delay = self.reserve(chat)
        if delay > 0:
            await self._clock.sleep(delay)
