"""Long polling that acknowledges updates only once they are recorded.

python-telegram-bot's Updater confirms a batch to Telegram (the next getUpdates offset) as soon
as it sits in a queue in memory, so a crash loses every update fetched and not yet answered.
Here the next getUpdates, which confirms the previous batch, is sent only after the dispatcher
has recorded that batch in the journal (one transaction).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from telegram import Bot
from telegram.error import InvalidToken, TelegramError
from telegram.request import BaseRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.core.dispatch import InboundDispatcher
from bot.core.ports import Inbound
from bot.lifecycle import Stopped, retry_until_stopped, wait_or_stop

log = logging.getLogger(__name__)

BACKOFF_MAX = 30.0
BATCH = 100  # Telegram's maximum per getUpdates


class Poller:
    """getUpdates in a loop: fetch a batch, record it, only then ask for the next one."""

    def __init__(
        self,
        bot: Bot,
        request: BaseRequest,
        dispatcher: InboundDispatcher,
        to_inbound: Callable[[dict[str, Any]], Inbound],
        *,
        timeout: float,
        allowed_updates: list[str],
    ) -> None:
        self.bot = bot
        self.request = request
        self.dispatcher = dispatcher
        self.to_inbound = to_inbound
        self.timeout = timeout
        self.allowed_updates = allowed_updates
        self.offset = 0

    async def prepare(self, stop: asyncio.Event) -> bool:
        """Remove a webhook left from an earlier run (polling is refused while one is set);
        network trouble is retried. False when stopped first."""
        try:
            await retry_until_stopped(
                self.bot.delete_webhook, stop, what="deleteWebhook failed", reason=_retryable
            )
        except Stopped:
            return False
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop``; then confirm the last recorded batch to Telegram."""
        delay = 1.0
        while not stop.is_set():
            batch = await self._next(stop)
            if batch is None:
                break
            if isinstance(batch, TelegramError):
                log.warning("getUpdates failed (%s); retrying in %.0f s", batch, delay)
                if await wait_or_stop(stop, delay):
                    break
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            delay = 1.0
            if batch:
                # Not interrupted by stop: once recorded, a batch is answered (now or after
                # the restart), so it may be confirmed.
                await self.dispatcher.accept([self.to_inbound(raw) for raw in batch])
                self.offset = int(batch[-1]["update_id"]) + 1
        await self._confirm()

    async def _next(self, stop: asyncio.Event) -> list[dict[str, Any]] | TelegramError | None:
        """The next batch (waiting for room first); an error to retry; None when stopped."""
        fetch = asyncio.ensure_future(self._fetch_when_room())
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not fetch.done():
            # Updates this call may have fetched are not confirmed: they come back next time.
            fetch.cancel()
            await asyncio.gather(fetch, return_exceptions=True)
            return None
        try:
            return fetch.result()
        except InvalidToken:
            raise
        except TelegramError as exc:
            return exc

    async def _fetch_when_room(self) -> list[dict[str, Any]]:
        await self.dispatcher.room()
        return await self._get_updates(self.offset, self.timeout)

    async def _get_updates(self, offset: int, wait: float) -> list[dict[str, Any]]:
        """One getUpdates call, long-polling for ``wait`` seconds; the raw JSON updates."""
        values: dict[str, Any] = {
            "timeout": int(wait),
            "limit": BATCH,
            "allowed_updates": self.allowed_updates,
        }
        if offset:
            values["offset"] = offset
        data = RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])
        result = await self.request.post(
            f"{self.bot.base_url}/getUpdates",
            request_data=data,
            read_timeout=(self.request.read_timeout or 0) + wait,
        )
        if not isinstance(result, list):
            return []
        return [item for item in result if isinstance(item, dict)]

    async def _confirm(self) -> None:
        """Tell Telegram the last batch arrived, so the next start does not fetch it again."""
        if not self.offset:
            return
        try:
            await self._get_updates(self.offset, 0)
        except TelegramError as exc:
            log.info("last batch not confirmed (%s): the journal drops it when it comes back", exc)


def _retryable(exc: Exception) -> str | None:
    """Network trouble and Telegram's own errors are retried; a wrong token is not."""
    if isinstance(exc, TelegramError) and not isinstance(exc, InvalidToken):
        return str(exc)
    return None
