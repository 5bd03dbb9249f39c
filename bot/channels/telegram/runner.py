"""The Telegram channel: polling, or a webhook route on the shared server, in the process's loop."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import NetworkError

from bot.channels.base import BackgroundChannel
from bot.channels.telegram.app import TelegramApp, build_application
from bot.channels.telegram.convert import CHANNEL
from bot.channels.telegram.polling import Poller
from bot.channels.telegram.transport import AiohttpRequest
from bot.channels.telegram.webhook import WebhookRoute, check_secret
from bot.core.dispatch import ABANDONED_AFTER, InboundDispatcher
from bot.core.ports import Inbound
from bot.lifecycle import Stopped, retry_until_stopped, until_stopped

if TYPE_CHECKING:
    from aiohttp import web

    from bot.channels.base import ChannelContext
    from bot.config import Settings

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
# webhook answers later), so Telegram holds the backlog instead of our memory. Each waiting
# update costs about 10 KiB here (its JSON, its python-telegram-bot objects, its task): a
# thousand made most of what a process gained under a peak (bench/bench_throughput.py memory);
# 250 is still over a second of work for every concurrent answer slot.
MAX_QUEUED = 250


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


class TelegramService(BackgroundChannel):
    """One Telegram bot (a bot.channels.base.Channel): built on construction, served by ``run``
    until ``stop`` is set; ``start``/``stop`` run it in the background for the composition root.

    Updates reach the dispatcher (bot.core.dispatch) from our poller or the webhook route; it
    records them before Telegram is told they arrived and answers them through the
    python-telegram-bot Application's handlers. Tests drive this class directly
    (``application`` and ``dispatcher`` are exposed).
    """

    name = CHANNEL

    def __init__(
        self,
        settings: Settings,
        context: ChannelContext,
        *,
        concurrent_updates: int | None = None,
    ) -> None:
        super().__init__()
        quiet_http_logs()
        # Opt in to python-telegram-bot's timedelta periods: we read none of them, and without
        # it every RetryAfter logs a deprecation warning.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        self.settings = settings
        self.context = context
        self.webhook = webhook_mode(settings)
        secret = settings.telegram_webhook_secret
        self.secret = check_secret(secret.get_secret_value()) if self.webhook and secret else ""
        concurrency = max(1, concurrent_updates or settings.telegram_concurrent_updates)
        self.updates_request = AiohttpRequest(connection_pool_size=2)
        self.application, self.handlers = build_application(
            settings,
            context,
            concurrent_updates=concurrency,
            updates_request=self.updates_request,
        )
        self.dispatcher = InboundDispatcher(
            CHANNEL,
            self.process,
            journal=context.journal,
            bookkeeping=context.bookkeeping,
            concurrency=concurrency,
            max_queued=MAX_QUEUED,
            wait_seconds=settings.journal_wait_seconds,
            notify=self.notify,
            # Polling has one process per token (bot.standby); webhooks may reach any web process.
            resume_older_than=ABANDONED_AFTER if self.webhook and context.shared_intake else 0.0,
        )
        self.route = (
            WebhookRoute(self.accept_json, secret=self.secret, path=settings.telegram_webhook_path)
            if self.webhook
            else None
        )
        self.ready = asyncio.Event()

    # ------------------------------------------------------------------ channel

    def add_routes(self, app: web.Application) -> None:
        """The webhook route (webhook mode only) on the shared server."""
        if self.route is not None:
            self.route.add_routes(app)

    async def serve(self) -> None:
        await self.run(self._stop)

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

    async def notify(self, chat: str, text: str) -> None:
        """A text outside any answer (the restart notice)."""
        chat_id: int | str = int(chat) if chat.lstrip("-").isdigit() else chat
        await self.application.bot.send_message(chat_id=chat_id, text=text)

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
        polling: asyncio.Task[None] | None = None
        try:
            # What an earlier run recorded and did not answer goes first, in order per chat.
            await self.dispatcher.start()
            if self.route is not None:
                await self._open_webhook(self.route)
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
                "webhook" if self.route is not None else "polling",
            )
            self.ready.set()
            await until_stopped(stop, polling)
            log.info("stopping Telegram: no new updates, finishing answers in flight")
        finally:
            # Stop taking updates first, then let the answers in hand finish.
            if self.route is not None:
                self.route.open = False
            if polling is not None:
                stop.set()
                await asyncio.gather(polling, return_exceptions=True)
            await self.dispatcher.stop(STOP_BUDGET)
            await application.stop()

    async def _open_webhook(self, route: WebhookRoute) -> None:
        """Take updates on the shared server's route, then tell Telegram where it is."""
        route.open = True
        try:
            await self.application.bot.set_webhook(
                str(self.settings.telegram_webhook_url),
                secret_token=self.secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        except BaseException:
            route.open = False
            raise
        log.info("Telegram webhook on %s", route.path)
