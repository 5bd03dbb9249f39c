"""Zalo broadcast sender: its own client and connection pool, paced at ZALO_BROADCAST_RATE.

Zalo publishes no sending rate, so the default is conservative (5/s) and a 429 "Quota exceeded"
pauses the channel: the first for ``BACKOFF_FIRST`` seconds, each one after that twice as long,
back to the first after a message goes through. A chat Zalo refuses (403, or unknown) makes the
subscriber inactive; a message that may have arrived is never sent again.
"""

from __future__ import annotations

import asyncio
import logging
import time

from bot.broadcast.options import default_in_flight
from bot.broadcast.senders import ChannelError, Outcome, Pace, SendResult
from bot.channels.zalo import texts as zalo_texts
from bot.channels.zalo.client import (
    MAX_TEXT,
    ZaloClient,
    ZaloError,
    ZaloForbidden,
    ZaloNetworkError,
    ZaloRateLimited,
    ZaloServerError,
    ZaloUnauthorized,
)
from bot.config import Settings

log = logging.getLogger(__name__)

BACKOFF_FIRST = 5.0
# Paced this much under ZALO_BROADCAST_RATE: requests bunched on their way (a slow event loop, a
# busy network) must still fit the rate as Zalo counts it on arrival.
PACE = 0.98
BACKOFF_MAX = 300.0
_UNKNOWN_CHAT = ("not found", "not exist", "invalid user", "invalid chat", "not a follower")


def classify(exc: Exception, backoff: float) -> SendResult:
    """Map a client error onto a delivery outcome."""
    detail = f"{type(exc).__name__}: {exc}"[:500]
    if isinstance(exc, ZaloRateLimited):
        return SendResult(Outcome.RATE_LIMITED, max(backoff, exc.retry_after), detail)
    if isinstance(exc, ZaloUnauthorized):
        return SendResult(Outcome.FATAL, detail=detail)
    if isinstance(exc, ZaloForbidden):
        return SendResult(Outcome.BLOCKED, detail=detail)
    if isinstance(exc, ZaloNetworkError):
        return SendResult(Outcome.AMBIGUOUS if exc.maybe_sent else Outcome.TRANSIENT, detail=detail)
    if isinstance(exc, ZaloServerError):
        return SendResult(Outcome.TRANSIENT, detail=detail)
    if isinstance(exc, ZaloError):
        description = exc.description.lower()
        if exc.error_code == 404 or (
            ("chat" in description or "user" in description)
            and any(words in description for words in _UNKNOWN_CHAT)
        ):
            return SendResult(Outcome.BLOCKED, detail=detail)
        return SendResult(Outcome.REJECTED, detail=detail)
    if isinstance(exc, ValueError):  # a text the client refuses to send (length)
        return SendResult(Outcome.REJECTED, detail=detail)
    return SendResult(Outcome.AMBIGUOUS, detail=detail)


class ZaloSender:
    """Implements bot.broadcast.senders.Sender for Zalo; ``rate`` paces this channel."""

    channel = "zalo"
    max_text = MAX_TEXT

    def __init__(
        self,
        token: str,
        base_url: str,
        *,
        pool_size: int,
        rate: float,
        backoff: float = BACKOFF_FIRST,
    ) -> None:
        self._client = ZaloClient(token, base_url, pool_size=pool_size)
        self.rate = rate
        # No burst: no slack to spend. One message per chat per second, like Telegram's.
        self.pace: Pace | None = Pace(
            rate=rate * PACE, burst=1.0, max_in_flight=default_in_flight(rate)
        )
        self._first_backoff = self._backoff = backoff
        # The last gate before the wire: requests paced upstream can still bunch (a slow
        # database read between token and request, a stalled event loop); here they leave
        # one by one, never closer than the pace, measured when they actually go.
        self._spacing = 1.0 / (rate * PACE)
        self._gate = asyncio.Lock()
        self._next = 0.0

    @staticmethod
    def length(text: str) -> int:
        """Zalo's limit, counted in characters."""
        return len(text)

    @classmethod
    def from_settings(cls, settings: Settings) -> ZaloSender | None:
        """The sender when ZALO_BOT_TOKEN is set, paced at ZALO_BROADCAST_RATE."""
        if settings.zalo_bot_token is None:
            return None
        rate = settings.zalo_broadcast_rate
        return cls(
            settings.zalo_bot_token.get_secret_value(),
            settings.zalo_api_base_url,
            pool_size=default_in_flight(rate) + 2,
            rate=rate,
        )

    async def start(self) -> None:
        try:
            await self._client.get_me()  # a refused token fails here, not per message
        except ZaloUnauthorized as exc:
            await self._client.close()
            raise ChannelError(zalo_texts.TOKEN_REFUSED) from exc
        except ZaloError as exc:
            await self._client.close()
            raise ChannelError(zalo_texts.UNREACHABLE.format(error=exc)) from exc

    async def _leave_in_turn(self) -> None:
        async with self._gate:
            wait = self._next - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next = time.monotonic() + self._spacing

    async def send(self, chat_id: str, text: str) -> SendResult:
        await self._leave_in_turn()
        try:
            result = await self._client.send_message(chat_id, text)
        except (ZaloError, ValueError) as exc:
            outcome = classify(exc, self._backoff)
            if outcome.outcome is Outcome.RATE_LIMITED:
                log.warning("Zalo quota exceeded: broadcast pauses %.0f s", outcome.retry_after)
                self._backoff = min(self._backoff * 2, BACKOFF_MAX)
            return outcome
        self._backoff = self._first_backoff
        message_id = result.get("message_id")
        return SendResult(Outcome.SENT, message_id=str(message_id) if message_id else None)

    async def close(self) -> None:
        await self._client.close()
