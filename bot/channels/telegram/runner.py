"""Running the Telegram channel: polling or webhook, in the caller's event loop, until a signal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import NetworkError

from bot.channels.telegram.app import TelegramApp, build_application
from bot.channels.telegram.convert import CHANNEL
from bot.channels.telegram.polling import Poller
from bot.channels.telegram.transport import AiohttpRequest
from bot.channels.telegram.webhook import WebhookServer, check_secret
from bot.core.dispatch import InboundDispatcher
from bot.core.ports import Inbound
from bot.lifecycle import Stopped, retry_until_stopped, stop_on_signals

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]
LONG_POLL = 10.0  # seconds
STOP_BUDGET = 7.0  # seconds for in-flight answers; the whole stop stays under 10 s
# Past this many recorded and unanswered updates intake waits (polling stops fetching, the
# webhook answers later), so Telegram holds the backlog instead of our memory.
MAX_QUEUED = 1000


def webhook_mode(settings: Settings) -> bool:
    if settings.telegram_webhook_url and settings.telegram_webhook_secret is None:
        raise ValueError(
            "TELEGRAM_WEBHOOK_URL needs TELEGRAM_WEBHOOK_SECRET (1-256 of A-Za-z0-9_-)"
        )
    return bool(settings.telegram_webhook_url)


def quiet_http_logs() -> None:
    # httpx (python-telegram-bot's default client, used by other parts) logs request URLs, which
    # contain the bot token, at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)


async def _initialize(application: TelegramApp, stop: asyncio.Event) -> bool:
    """getMe until Telegram answers (network trouble is not fatal); False when stopped first."""
    try:
        await retry_until_stopped(
            application.initialize,
            stop,
            what="Telegram not reachable",
            reason=lambda exc: str(exc) if isinstance(exc, NetworkError) else None,
        )
    except Stopped:
        return False
    return True


class TelegramService:
    """One Telegram bot: built on construction, served by ``run`` until ``stop`` is set.

    Updates reach the dispatcher (bot.core.dispatch) from our poller or the webhook server; it
    records them before Telegram is told they arrived and answers them through the
    python-telegram-bot Application's handlers. Tests drive this class directly
    (``application``, ``dispatcher`` and ``webhook_port`` are exposed); ``run_telegram`` adds
    signal handling.
    """

    def __init__(
        self,
        settings: Settings,
        runtime: Runtime,
        *,
        concurrent_updates: int | None = None,
    ) -> None:
        self.settings = settings
        self.webhook = webhook_mode(settings)
        secret = settings.telegram_webhook_secret
        self.secret = check_secret(secret.get_secret_value()) if self.webhook and secret else ""
        concurrency = max(1, concurrent_updates or settings.telegram_concurrent_updates)
        self.updates_request = AiohttpRequest(connection_pool_size=2)
        self.application, self.handlers = build_application(
            settings,
            runtime,
            concurrent_updates=concurrency,
            updates_request=self.updates_request,
        )
        self.dispatcher = InboundDispatcher(
            CHANNEL,
            self.process,
            journal=runtime.storage.inbound if runtime.storage is not None else None,
            bookkeeping=runtime.assistant.bookkeeping,
            concurrency=concurrency,
            max_queued=MAX_QUEUED,
            wait_seconds=settings.journal_wait_seconds,
        )
        self.ready = asyncio.Event()
        self.webhook_port: int | None = None

    # ------------------------------------------------------------------ updates

    def inbound(self, raw: dict[str, Any]) -> Inbound:
        """A raw update as the journal keeps it: its id, its chat (for ordering), its JSON."""
        try:
            update = Update.de_json(raw, self.application.bot)
        except Exception:
            log.warning("update %s cannot be read; recorded as failed", raw.get("update_id"))
            return Inbound(str(raw.get("update_id")), None, raw)
        chat, user = update.effective_chat, update.effective_user
        order = str(chat.id) if chat else (f"user:{user.id}" if user else None)
        return Inbound(str(update.update_id), order, raw, update)

    async def accept_json(self, raw: dict[str, Any]) -> None:
        """The webhook's way in: one update, recorded before the 200 goes out."""
        if not isinstance(raw.get("update_id"), int):
            raise ValueError("no update_id")
        await self.dispatcher.room()
        await self.dispatcher.accept([self.inbound(raw)])

    async def process(self, item: Inbound) -> None:
        update = item.native
        if not isinstance(update, Update):
            update = Update.de_json(item.payload, self.application.bot)
        await self.application.process_update(update)

    # ------------------------------------------------------------------ lifecycle

    async def run(self, stop: asyncio.Event) -> None:
        application = self.application
        if not await _initialize(application, stop):
            await application.shutdown()
            return
        try:
            await self._serve(stop)
        finally:
            await application.shutdown()
        log.info("Telegram channel stopped")

    async def _serve(self, stop: asyncio.Event) -> None:
        application = self.application
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        server: WebhookServer | None = None
        polling: asyncio.Task[None] | None = None
        try:
            # What an earlier run recorded and did not answer goes first, in order per chat.
            await self.dispatcher.start()
            if self.webhook:
                server = await self._start_webhook()
            else:
                poller = Poller(
                    application.bot,
                    self.updates_request,
                    self.dispatcher,
                    self.inbound,
                    timeout=LONG_POLL,
                    allowed_updates=ALLOWED_UPDATES,
                )
                if not await poller.prepare(stop):
                    return
                polling = asyncio.create_task(poller.run(stop), name="telegram-polling")
            log.info(
                "Telegram bot @%s answering (%s)",
                application.bot.username,
                "webhook" if server else "polling",
            )
            self.ready.set()
            await _until_stopped(stop, polling)
            log.info("stopping Telegram: no new updates, finishing answers in flight")
        finally:
            # Stop taking updates first, then let the answers in hand finish.
            if server is not None:
                await server.stop()
            if polling is not None:
                stop.set()
                await asyncio.gather(polling, return_exceptions=True)
            await self.dispatcher.stop(STOP_BUDGET)
            await application.stop()

    async def _start_webhook(self) -> WebhookServer:
        settings = self.settings
        server = WebhookServer(
            self.accept_json,
            secret=self.secret,
            host=settings.telegram_webhook_host,
            port=settings.telegram_webhook_port,
            path=settings.telegram_webhook_path,
        )
        self.webhook_port = await server.start()
        try:
            await self.application.bot.set_webhook(
                str(settings.telegram_webhook_url),
                secret_token=self.secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        except BaseException:
            await server.stop()
            raise
        return server


async def _until_stopped(stop: asyncio.Event, polling: asyncio.Task[None] | None) -> None:
    """Wait for ``stop``; a poller that ended on its own (an invalid token) ends the wait too."""
    if polling is None:
        await stop.wait()
        return
    waiter = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({waiter, polling}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if polling.done() and not stop.is_set():
        polling.result()


async def run_telegram(
    settings: Settings,
    runtime: Runtime,
    *,
    stop: asyncio.Event | None = None,
    handle_signals: bool = True,
) -> None:
    """Serve Telegram until SIGINT/SIGTERM (or ``stop``), then finish in-flight answers.

    Polling by default; a webhook server when TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET
    are set. Returns normally after a clean stop.
    """
    quiet_http_logs()
    # Opt in to python-telegram-bot's timedelta periods: we read none of them, and without it
    # every RetryAfter logs a deprecation warning.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    service = TelegramService(settings, runtime)
    stop = stop or asyncio.Event()
    with stop_on_signals(stop) if handle_signals else contextlib.nullcontext():
        await service.run(stop)


def main_telegram() -> int:
    """Stand-alone entry (for manual tests): settings from the environment, then serve."""
    from bot.config import Settings
    from bot.runtime import open_runtime

    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    async def _main() -> None:
        async with open_runtime(settings) as runtime:
            await run_telegram(settings, runtime)

    asyncio.run(_main())
    return 0
