"""Telegram's broadcast sender: its text limit and length rule, its pace, its error mapping.

Live answers use the channel's Bot; a broadcast must never queue behind, or in front of, a
citizen's reply, so it gets a separate ``Bot`` and connection pool.
"""

from __future__ import annotations

import datetime as dt
import logging
import math

import httpx
from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot.broadcast.options import BroadcastConfigError, default_in_flight
from bot.broadcast.senders import ChannelError, Outcome, Pace, SendResult
from bot.channels.telegram import texts
from bot.channels.telegram.convert import CHANNEL
from bot.channels.telegram.render import MAX_TEXT
from bot.channels.text_split import visible_length
from bot.config import Settings

log = logging.getLogger(__name__)

# About 30 messages per second overall for bulk sending, 1,000/s with paid broadcast.
FREE_RATE_LIMIT = 30.0
PAID_RATE_LIMIT = 1000.0

# httpx failures after which the request certainly never reached Telegram.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def retry_after_seconds(exc: RetryAfter) -> float:
    """Read RetryAfter without PTB's int-vs-timedelta deprecation warning."""
    value = getattr(exc, "_retry_after", None)
    if isinstance(value, dt.timedelta):
        return max(1.0, value.total_seconds())
    return 1.0


def classify(exc: Exception) -> SendResult:
    """Map a python-telegram-bot exception onto a delivery outcome."""
    detail = f"{type(exc).__name__}: {exc}"[:500]
    if isinstance(exc, RetryAfter):
        return SendResult(Outcome.RATE_LIMITED, retry_after_seconds(exc), detail)
    if isinstance(exc, Forbidden):
        return SendResult(Outcome.BLOCKED, detail=detail)
    if isinstance(exc, InvalidToken):
        return SendResult(Outcome.FATAL, detail=detail)
    if isinstance(exc, BadRequest | ChatMigrated):
        return SendResult(Outcome.REJECTED, detail=detail)
    cause = exc.__cause__
    if isinstance(exc, TimedOut):
        if isinstance(cause, _NOT_SENT) or "Pool timeout" in str(exc):
            return SendResult(Outcome.TRANSIENT, detail=detail)
        return SendResult(Outcome.AMBIGUOUS, detail=detail)
    if isinstance(exc, NetworkError):
        if cause is None or isinstance(cause, _NOT_SENT):
            # No cause: Telegram answered with a 5xx, so the message was not accepted.
            return SendResult(Outcome.TRANSIENT, detail=detail)
        return SendResult(Outcome.AMBIGUOUS, detail=detail)
    if isinstance(exc, TelegramError):
        return SendResult(Outcome.TRANSIENT, detail=detail)
    return SendResult(Outcome.AMBIGUOUS, detail=detail)


def check_rate(rate: float, paid: bool) -> float:
    if not math.isfinite(rate) or rate <= 0:
        raise BroadcastConfigError(texts.RATE_NOT_POSITIVE.format(rate=rate))
    if rate > FREE_RATE_LIMIT and not paid:
        raise BroadcastConfigError(texts.RATE_TOO_HIGH.format(rate=rate, limit=FREE_RATE_LIMIT))
    if rate > PAID_RATE_LIMIT:
        message = texts.RATE_TOO_HIGH_PAID.format(rate=rate, limit=PAID_RATE_LIMIT)
        raise BroadcastConfigError(message)
    return float(rate)


def telegram_pace(settings: Settings) -> Pace:
    """TELEGRAM_BROADCAST_RATE within Telegram's limits; paid broadcasts get some slack so a
    slow database commit does not cost pace, free ones none."""
    paid = settings.telegram_paid_broadcast
    rate = check_rate(settings.telegram_broadcast_rate, paid)
    burst = max(2.0, rate * 0.05) if paid else 1.0
    return Pace(rate=rate, burst=burst, max_in_flight=default_in_flight(rate))


class TelegramSender:
    """Sends plain text (no parse mode, so no escaping) through a dedicated Bot."""

    channel = CHANNEL
    max_text = MAX_TEXT

    def __init__(
        self,
        token: str,
        base_url: str,
        *,
        pool_size: int,
        paid: bool = False,
        pace: Pace | None = None,
    ) -> None:
        request = HTTPXRequest(
            connection_pool_size=pool_size,
            pool_timeout=5.0,
            connect_timeout=10.0,
            read_timeout=20.0,
            write_timeout=20.0,
        )
        self._bot = Bot(token, base_url=base_url, request=request, get_updates_request=request)
        self._paid = paid
        self.pace = pace
        self._started = False

    @staticmethod
    def length(text: str) -> int:
        """Telegram counts UTF-16 code units (an emoji counts twice)."""
        return visible_length(text)

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramSender | None:
        """The sender when TELEGRAM_BOT_TOKEN is set (raises BroadcastConfigError on a bad rate)."""
        if settings.telegram_bot_token is None:
            return None
        pace = telegram_pace(settings)
        return cls(
            settings.telegram_bot_token.get_secret_value(),
            settings.telegram_api_base_url,
            pool_size=pace.max_in_flight + 2,
            paid=settings.telegram_paid_broadcast,
            pace=pace,
        )

    async def start(self) -> None:
        try:
            await self._bot.initialize()  # getMe: a revoked token fails here, not per message
        except InvalidToken as exc:
            raise ChannelError(texts.TOKEN_REFUSED) from exc
        except TelegramError as exc:
            raise ChannelError(texts.TELEGRAM_UNREACHABLE.format(error=exc)) from exc
        self._started = True

    async def send(self, chat_id: str, text: str) -> SendResult:
        try:
            message = await self._bot.send_message(
                chat_id=int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id,
                text=text,
                allow_paid_broadcast=True if self._paid else None,
            )
        except Exception as exc:
            return classify(exc)
        return SendResult(Outcome.SENT, message_id=str(message.message_id))

    async def close(self) -> None:
        if self._started:
            self._started = False
            try:
                await self._bot.shutdown()
            except Exception:
                log.warning("closing the broadcast Telegram client failed", exc_info=True)
