"""A python-telegram-bot request backend on aiohttp.

httpx's connection pool inspects every pooled connection on every request (a getpeername
system call each), so with a dozen updates in flight it costs more CPU than the answers; aiohttp's
connector does not. bench/bench_telegram.py measures the difference.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_JSON = {"Content-Type": "application/json"}
_json_body = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# Failures where the request certainly never reached Telegram (safe to repeat any call).
NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)


class AiohttpRequest(BaseRequest):
    """BaseRequest over one aiohttp session, created in the running loop by ``initialize``."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 8,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        write_timeout: float = 10.0,
        pool_timeout: float = 5.0,
    ) -> None:
        self.pool_size = connection_pool_size
        self._connect = connect_timeout
        self._read = read_timeout
        self._write = write_timeout
        self._pool = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.pool_size, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                raise_for_status=False,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _timeout(self, read: Any, write: Any, connect: Any, pool: Any) -> aiohttp.ClientTimeout:
        def pick(value: Any, default: float) -> float | None:
            return default if value is BaseRequest.DEFAULT_NONE else value

        connect_s = pick(connect, self._connect)
        pool_s = pick(pool, self._pool)
        read_s = pick(read, self._read)
        write_s = pick(write, self._write)
        # aiohttp has no write timeout; a whole request is bounded by connect + write + read.
        parts = (connect_s, pool_s, read_s, write_s)
        total = None if None in parts else sum(p for p in parts if p is not None)
        connect_total = None if connect_s is None else connect_s + (pool_s or 0)
        return aiohttp.ClientTimeout(
            total=total, connect=connect_total, sock_connect=connect_s, sock_read=read_s
        )

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
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout)
        data: Any = None
        headers = None
        if request_data is not None:
            files = request_data.multipart_data
            if files:
                form = aiohttp.FormData(request_data.json_parameters)
                for name, (filename, content, mime) in files.items():
                    form.add_field(name, content, filename=filename, content_type=mime)
                data = form
            else:
                # A JSON body (the Bot API takes one): one C-encoded dump instead of URL-quoting
                # every field, nested objects (keyboards) as objects.
                data = _json_body(request_data.parameters).encode()
                headers = _JSON
        try:
            async with self._session.request(
                method, url, data=data, timeout=timeout, headers=headers
            ) as answer:
                return answer.status, await answer.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise TimedOut(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
