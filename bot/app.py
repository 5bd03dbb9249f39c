"""Composition root: settings → storage → knowledge → responder → channels; stop in reverse."""

from __future__ import annotations

import asyncio
import logging
import sys
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from bot.admin.common import setup_logging
from bot.broadcast.options import BroadcastConfigError
from bot.config import Settings
from bot.core.knowledge import KnowledgeError
from bot.lifecycle import Stopped, stop_on_signals
from bot.runtime import Runtime, open_runtime

if TYPE_CHECKING:
    from bot.channels.zalo.channel import ZaloChannel

log = logging.getLogger(__name__)

NO_CHANNEL_HINT = (
    "No channel is configured, so the assistant runs in this terminal.\n"
    "To run it on Telegram: create a bot with @BotFather, then\n"
    "  TELEGRAM_BOT_TOKEN=123456:ABC... python run_bot.py\n"
    "(or put TELEGRAM_BOT_TOKEN=... in a .env file). See README.md.\n"
)


async def _start_watcher(stack: AsyncExitStack, runtime: Runtime) -> None:
    """Poll the knowledge version so staff changes go live without a restart."""
    if runtime.storage is None:
        return
    from bot.storage.reload import KnowledgeWatcher

    watcher = KnowledgeWatcher(
        runtime.storage,
        runtime.settings.knowledge_poll_seconds,
        runtime.install,
        initial_version=runtime.snapshot.version,
    )
    watcher.start()
    stack.push_async_callback(watcher.stop)


async def _start_scheduler(stack: AsyncExitStack, runtime: Runtime) -> None:
    """Scheduled tips, announcements and the daily log purge (one process holds the lease)."""
    from bot.broadcast.scheduler import start_scheduler
    from bot.broadcast.senders import ChannelError

    try:
        scheduler = await start_scheduler(runtime.settings, runtime)
    except ChannelError as exc:
        # Answering citizens matters more than tips: keep serving, say so loudly.
        log.error("broadcasts disabled: %s", exc)
        return
    if scheduler is not None:
        stack.push_async_callback(scheduler.stop)
        runtime.broadcast = scheduler.service


async def _start_zalo(
    stack: AsyncExitStack, runtime: Runtime, stop: asyncio.Event
) -> ZaloChannel | None:
    """The Zalo channel (polling, or its webhook route on an HTTP server); None when not
    configured. A wrong token raises ZaloUnauthorized with a message saying so."""
    settings = runtime.settings
    if settings.zalo_bot_token is None:
        return None
    from bot.channels.zalo import build_channel
    from bot.web.server import HttpServer

    channel = build_channel(settings, runtime, stop)
    if channel.webhook:
        server = HttpServer(settings.http_host, settings.http_port)
        server.mount(channel)
        await server.start()
        stack.push_async_callback(server.stop)
    stack.push_async_callback(channel.stop)
    await channel.start()
    return channel


async def _until_stopped(stop: asyncio.Event, channel: ZaloChannel) -> None:
    """Wait for ``stop``; a channel that ended on its own (a refused token) ends the wait."""
    waiter = asyncio.ensure_future(stop.wait())
    ended = asyncio.ensure_future(channel.wait())
    try:
        await asyncio.wait({waiter, ended}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if ended.done():
        ended.result()
    else:
        ended.cancel()


async def serve(settings: Settings) -> int:
    # SIGTERM / Ctrl+C stop the bot cleanly from the start, also while it waits for the database.
    stop = asyncio.Event()
    async with AsyncExitStack() as stack:
        with stop_on_signals(stop):
            try:
                runtime = await stack.enter_async_context(open_runtime(settings, stop=stop))
            except Stopped:
                log.info("stopped while waiting for the database")
                return 0
            await _start_watcher(stack, runtime)
            from bot.console.serve import start_console

            await start_console(stack, runtime)
            from bot.channels.zalo.client import ZaloUnauthorized

            try:
                zalo = await _start_zalo(stack, runtime, stop)
            except Stopped:
                return 0
            except ZaloUnauthorized as exc:
                log.error("%s", exc)
                return 1
            if settings.telegram_bot_token is not None:
                from bot.channels.telegram.runner import run_telegram

                await _start_scheduler(stack, runtime)
                await run_telegram(settings, runtime, stop=stop, handle_signals=False)
                return 0
            if zalo is not None:
                await _start_scheduler(stack, runtime)
                try:
                    await _until_stopped(stop, zalo)
                except ZaloUnauthorized as exc:
                    log.error("%s", exc)
                    return 1
                return 0
        from bot.channels.console import ConsoleChannel

        sys.stderr.write(NO_CHANNEL_HINT + "\n")
        return await ConsoleChannel(runtime.assistant.handle).run()


def main() -> int:
    """Run the assistant on whatever channels the settings configure."""
    settings = Settings()
    channels = (settings.telegram_bot_token, settings.zalo_bot_token)
    setup_logging(settings, quiet=all(token is None for token in channels))
    try:
        return asyncio.run(serve(settings))
    except KnowledgeError as exc:
        print("The knowledge base has errors; refusing to start half-loaded:", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return 1
    except BroadcastConfigError as exc:
        print(f"Invalid broadcast settings: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
