"""Running the Telegram channel: polling or webhook, in the caller's event loop, until a signal."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
from collections.abc import Awaitable, Iterator
from typing import TYPE_CHECKING

from telegram import Update
from telegram.error import InvalidToken, NetworkError

from bot.channels.telegram.app import TelegramApp, build_application
from bot.channels.telegram.webhook import WebhookServer, check_secret

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
LONG_POLL = dt.timedelta(seconds=10)
STOP_BUDGET = 7.0  # seconds for in-flight answers; the whole stop stays under 10 s
START_BACKOFF_MAX = 30.0


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


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGINT / SIGTERM set ``stop``; the previous handlers come back afterwards."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread, or Windows: the caller must set ``stop``
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def _wait_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep, waking early on stop; True when stop was requested."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()


async def _initialize(application: TelegramApp, stop: asyncio.Event) -> bool:
    """getMe until Telegram answers (network trouble is not fatal); False when stopped first."""
    delay = 1.0
    while not stop.is_set():
        try:
            await application.initialize()
            return True
        except InvalidToken:
            raise
        except NetworkError as exc:
            log.warning("Telegram not reachable (%s); retrying in %.0f s", exc, delay)
            if await _wait_or_stop(stop, delay):
                break
            delay = min(delay * 2, START_BACKOFF_MAX)
    return False


async def _unless_stopped(awaitable: Awaitable[object], stop: asyncio.Event) -> bool:
    """Await ``awaitable`` unless ``stop`` is set first (then cancel it); True when it finished."""
    task = asyncio.ensure_future(awaitable)
    waiter = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if task.done():
        task.result()
        return True
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return False


class TelegramService:
    """One Telegram bot: built on construction, served by ``run`` until ``stop`` is set.

    Tests drive it directly (``application`` and ``webhook_port`` are exposed);
    ``run_telegram`` adds signal handling.
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
        self.application, self.handlers = build_application(
            settings, runtime, webhook=self.webhook, concurrent_updates=concurrent_updates
        )
        self.ready = asyncio.Event()
        self.webhook_port: int | None = None

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
        application, settings = self.application, self.settings
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        server: WebhookServer | None = None
        try:
            if self.webhook:
                server = WebhookServer(
                    application,
                    secret=self.secret,
                    host=settings.telegram_webhook_host,
                    port=settings.telegram_webhook_port,
                    path=settings.telegram_webhook_path,
                )
                self.webhook_port = await server.start()
                await application.bot.set_webhook(
                    str(settings.telegram_webhook_url),
                    secret_token=self.secret,
                    allowed_updates=ALLOWED_UPDATES,
                )
            elif application.updater is not None:
                # deleteWebhook is retried until it works; a signal meanwhile still stops us.
                polling = application.updater.start_polling(
                    timeout=LONG_POLL, allowed_updates=ALLOWED_UPDATES, bootstrap_retries=-1
                )
                if not await _unless_stopped(polling, stop):
                    return
            log.info(
                "Telegram bot @%s answering (%s)",
                application.bot.username,
                "webhook" if server else "polling",
            )
            self.ready.set()
            await stop.wait()
            log.info("stopping Telegram: no new updates, finishing answers in flight")
        finally:
            # Stop taking updates first, then let the queue and running answers drain.
            if server is not None:
                await server.stop()
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            try:
                await asyncio.wait_for(application.stop(), STOP_BUDGET)
            except TimeoutError:
                log.warning("answers still running after %.0f s; stopping anyway", STOP_BUDGET)


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
