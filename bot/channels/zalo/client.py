"""Our own client for the Zalo Bot Platform: JSON POSTs to ``{base}{token}/{method}``.

No SDK: the PyPI packages are a python-telegram-bot fork with leftover code, a Python ≥ 3.14-only
package, or personal-account APIs that break Zalo's terms. Every answer is the envelope
``{ok, result, error_code, description}``; HTTP 200 with ``ok: false`` is an error like any other.

The token sits in the URL path, so no URL ever reaches an exception message or a log line: every
aiohttp error is turned into a :class:`ZaloNetworkError` whose text has the token taken out and
whose cause is dropped (a traceback would print the original exception).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
from yarl import URL

from bot.core import delivery

log = logging.getLogger(__name__)

MAX_TEXT = 2000  # sendMessage refuses longer texts
SECRET_MIN, SECRET_MAX = 8, 256
EMPTY_POLL = 408  # getUpdates answers this (as HTTP status or error_code) when nothing came
TYPING = "typing"
_HIDDEN = "<token>"


class ZaloError(Exception):
    """Zalo refused a call, or answered something that is not the envelope."""

    def __init__(self, error_code: int, description: str, *, method: str = "") -> None:
        super().__init__(f"{method or 'call'} failed: {error_code} {description}".strip())
        self.error_code = error_code
        self.description = description
        self.method = method


class ZaloUnauthorized(ZaloError):
    """401: the token is wrong or was reset in Zalo Bot Manager; retrying cannot help."""

    def __init__(self, error_code: int, description: str, *, method: str = "") -> None:
        super().__init__(error_code, description, method=method)
        self.args = (
            "Zalo refused the bot token (401): it is wrong or was reset. Copy the current "
            "token from Zalo Bot Manager into ZALO_BOT_TOKEN.",
        )


class ZaloRateLimited(ZaloError):
    """429 "Quota exceeded": nothing was sent; wait ``retry_after`` seconds before the next."""

    def __init__(
        self, error_code: int, description: str, *, method: str = "", retry_after: float = 1.0
    ) -> None:
        super().__init__(error_code, description, method=method)
        self.retry_after = retry_after


class ZaloForbidden(ZaloError):
    """403: the bot may not write to this chat (blocked, or never written to by the user)."""


class ZaloServerError(ZaloError):
    """5xx: Zalo did not accept the call; retrying later is safe."""


class ZaloNetworkError(ZaloError):
    """No answer from Zalo. ``maybe_sent``: the request may have arrived (do not resend a
    message); False when it certainly never left (connection refused)."""

    def __init__(self, description: str, *, method: str = "", maybe_sent: bool) -> None:
        super().__init__(0, description, method=method)
        self.maybe_sent = maybe_sent


def check_secret(secret: str) -> str:
    if not SECRET_MIN <= len(secret) <= SECRET_MAX:
        raise ValueError(
            f"ZALO_WEBHOOK_SECRET must be {SECRET_MIN}-{SECRET_MAX} characters (Zalo's rule)"
        )
    return secret


def check_text(text: str) -> str:
    if not 1 <= len(text) <= MAX_TEXT:
        raise ValueError(f"a Zalo message holds 1-{MAX_TEXT} characters, not {len(text)}")
    return text


class ZaloClient:
    """One bot token, one connection pool. ``close`` when done."""

    def __init__(
        self,
        token: str,
        base_url: str,
        *,
        pool_size: int = 8,
        connect_timeout: float = 10.0,
        read_timeout: float = 20.0,
    ) -> None:
        if not token or "/" in token:
            raise ValueError("ZALO_BOT_TOKEN is empty or malformed")
        self._token = token
        self._prefix = f"{base_url.rstrip('/')}{token}/"
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None
        # Built once, not per call: a method's URL and the timeouts of a given wait.
        self._urls: dict[str, URL] = {}
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                timeout=aiohttp.ClientTimeout(total=None, connect=self._connect_timeout),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def hide(self, text: str) -> str:
        """``text`` with the token taken out (for messages that quote a URL)."""
        return text.replace(self._token, _HIDDEN)

    # ------------------------------------------------------------------ the call

    async def call(
        self, method: str, payload: dict[str, Any] | None = None, *, wait: float = 0.0
    ) -> Any:
        """POST one method; the envelope's ``result``, or a ZaloError. ``wait``: seconds Zalo
        may hold the request (long polling) on top of the read timeout."""
        session = self._open()
        timeout = self._timeouts.get(wait)
        if timeout is None:
            timeout = self._timeouts[wait] = aiohttp.ClientTimeout(
                total=None, connect=self._connect_timeout, sock_read=self._read_timeout + wait
            )
        url = self._urls.get(method)
        if url is None:
            url = self._urls[method] = URL(self._prefix + method)
        try:
            async with session.post(url, json=payload or {}, timeout=timeout) as response:
                status = response.status
                retry_header = response.headers.get("Retry-After")
                body = await response.read()
        except aiohttp.ClientConnectorError as exc:
            raise self._network(method, exc, maybe_sent=False) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise self._network(method, exc, maybe_sent=True) from None
        return self._result(method, status, body, retry_header)

    def _network(self, method: str, exc: BaseException, *, maybe_sent: bool) -> ZaloNetworkError:
        reason = self.hide(f"{type(exc).__name__}: {exc}".rstrip(": "))
        return ZaloNetworkError(reason[:300], method=method, maybe_sent=maybe_sent)

    def _result(self, method: str, status: int, body: bytes, retry_header: str | None) -> Any:
        try:
            envelope = json.loads(body)
        except ValueError:
            envelope = None
        if not isinstance(envelope, dict):
            description = self.hide(body[:200].decode("utf-8", "replace")) or "empty body"
            raise _error(method, status if status >= 400 else 502, description, retry_header)
        if status < 400 and envelope.get("ok") is True:
            return envelope.get("result")
        code = envelope.get("error_code")
        if not isinstance(code, int) or isinstance(code, bool):
            code = status if status >= 400 else 400
        description = self.hide(str(envelope.get("description") or "no description"))[:300]
        retry = (
            envelope.get("parameters", {}) if isinstance(envelope.get("parameters"), dict) else {}
        )
        raise _error(method, code, description, retry_header or retry.get("retry_after"))

    # ------------------------------------------------------------------ methods

    async def get_me(self) -> dict[str, Any]:
        result = await self.call("getMe")
        return result if isinstance(result, dict) else {}

    async def get_update(self, seconds: float) -> Any:
        """One long poll; what Zalo returned (one update, or a list), None when nothing came."""
        try:
            return await self.call("getUpdates", {"timeout": int(seconds)}, wait=seconds)
        except ZaloError as exc:
            if exc.error_code == EMPTY_POLL and not isinstance(exc, ZaloNetworkError):
                return None
            raise

    async def set_webhook(self, url: str, secret: str) -> Any:
        return await self.call("setWebhook", {"url": url, "secret_token": check_secret(secret)})

    async def delete_webhook(self) -> Any:
        return await self.call("deleteWebhook")

    async def get_webhook_info(self) -> Any:
        return await self.call("getWebhookInfo")

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        """Send one text; inside a dispatched update it is claimed durably first."""
        check_text(text)
        await delivery.before_send()
        result = await self.call("sendMessage", {"chat_id": chat_id, "text": text})
        delivery.sent()
        return result if isinstance(result, dict) else {}

    async def send_chat_action(self, chat_id: str, action: str = TYPING) -> Any:
        return await self.call("sendChatAction", {"chat_id": chat_id, "action": action})


def _error(method: str, code: int, description: str, retry: object) -> ZaloError:
    if code == 401:
        return ZaloUnauthorized(code, description, method=method)
    if code == 429:
        return ZaloRateLimited(code, description, method=method, retry_after=_seconds(retry))
    if code == 403:
        return ZaloForbidden(code, description, method=method)
    if code >= 500:
        return ZaloServerError(code, description, method=method)
    return ZaloError(code, description, method=method)


def _seconds(value: object) -> float:
    try:
        seconds = float(str(value))
    except ValueError:
        return 1.0
    return min(max(seconds, 1.0), 3600.0) if seconds == seconds else 1.0


__all__ = [
    "MAX_TEXT",
    "ZaloClient",
    "ZaloError",
    "ZaloForbidden",
    "ZaloNetworkError",
    "ZaloRateLimited",
    "ZaloServerError",
    "ZaloUnauthorized",
]
