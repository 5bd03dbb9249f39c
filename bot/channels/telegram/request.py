"""HTTP requests to the Bot API with sane timeouts, retries with backoff and RetryAfter honoured."""

from __future__ import annotations

import asyncio
import json
import logging
from http import HTTPStatus
from typing import Any

from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

from bot.channels.telegram.transport import NOT_SENT, AiohttpRequest
from bot.core import delivery

log = logging.getLogger(__name__)

# Calls that are harmless to repeat after a timeout (the first attempt may have gone through).
IDEMPOTENT = frozenset(
    {
        "getMe",
        "answerCallbackQuery",
        "sendChatAction",
        "setMyCommands",
        "deleteMyCommands",
        "deleteWebhook",
        "setWebhook",
        "getWebhookInfo",
        "editMessageText",
        "editMessageReplyMarkup",
        "getChat",
    }
)


class RetryingRequest(AiohttpRequest):
    """A request that retries network failures with exponential backoff and waits out 429s.

    A sendMessage is repeated only when the request certainly never left (connect errors), so a
    citizen never gets the same answer twice. A 429 is honoured up to ``max_retry_after``
    seconds; a longer ban reaches the caller as RetryAfter.

    Before a call a citizen would notice twice (anything not in IDEMPOTENT) the update being
    answered is marked "answering" in the journal, and "sent" once one succeeded: after a
    crash it is never sent again, and its conversation log is written only if it went out.
    """

    def __init__(
        self,
        *,
        attempts: int = 3,
        backoff: float = 0.5,
        max_retry_after: float = 8.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.attempts = attempts
        self.backoff = backoff
        self.max_retry_after = max_retry_after

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        noticeable = api_method not in IDEMPOTENT and api_method != "getUpdates"
        if noticeable:
            await delivery.before_send()
        code, payload = await self._attempts(
            url,
            method,
            api_method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        if noticeable and code < HTTPStatus.MULTIPLE_CHOICES:
            delivery.sent()
        return code, payload

    async def _attempts(
        self,
        url: str,
        method: str,
        api_method: str,
        request_data: RequestData | None,
        **timeouts: Any,
    ) -> tuple[int, bytes]:
        failures = 0
        waits = 0
        while True:
            try:
                code, payload = await super().do_request(url, method, request_data, **timeouts)
            except NetworkError as exc:
                failures += 1
                if failures >= self.attempts or not may_repeat(api_method, exc):
                    raise
                await self._backoff(api_method, failures, str(exc))
                continue
            if code == HTTPStatus.TOO_MANY_REQUESTS and waits < self.attempts:
                delay = retry_after(payload)
                if delay is not None and delay <= self.max_retry_after:
                    waits += 1
                    log.warning("Telegram asked to wait %.1f s before %s", delay, api_method)
                    await asyncio.sleep(delay + 0.1)
                    continue
            if code >= HTTPStatus.INTERNAL_SERVER_ERROR and api_method in IDEMPOTENT:
                failures += 1
                if failures < self.attempts:
                    await self._backoff(api_method, failures, f"HTTP {code}")
                    continue
            return code, payload

    async def _backoff(self, api_method: str, failures: int, reason: str) -> None:
        delay = self.backoff * 2 ** (failures - 1)
        log.warning("%s failed (%s); retry %s in %.1f s", api_method, reason, failures, delay)
        await asyncio.sleep(delay)


def may_repeat(api_method: str, exc: NetworkError) -> bool:
    # Timeouts and reset connections may hide a request Telegram already carried out.
    return isinstance(exc.__cause__, NOT_SENT) or api_method in IDEMPOTENT


def retry_after(payload: bytes) -> float | None:
    """parameters.retry_after of a 429 answer, if it has one."""
    try:
        data = json.loads(payload)
        value = data["parameters"]["retry_after"]
    except (ValueError, KeyError, TypeError):
        return None
    return float(value) if isinstance(value, int | float) else None
