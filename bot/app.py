"""Composition root: the only module that knows every part.

settings → storage → knowledge → assistant; then ONE HTTP server with every route provider
mounted (channel webhooks, the web chat, the staff console), every configured channel side by
side, the knowledge watcher and the broadcast scheduler (whichever channels are on); stop in
reverse order. Channels get a ChannelContext (bot.runtime.channel_context), never the runtime.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack

from bot.admin.common import setup_logging
from bot.broadcast.options import BroadcastConfigError
from bot.channels.base import Channel, ChannelContext
from bot.config import Settings
from bot.core.knowledge import KnowledgeError
from bot.lifecycle import (
    Stopped,
    arm_stop_deadline,
    limit_malloc_arenas,
    settle_heap,
    stop_on_signals,
)
from bot.roles import PLANS, Role, parse_role
from bot.runtime import (
    Runtime,
    broadcast_senders,
    channel_context,
    open_runtime,
    staff_service,
)
from bot.staff.service import StaffService
from bot.standby import Standby, poller_lease
from bot.web.server import HttpServer, RouteProvider

log = logging.getLogger(__name__)

NO_CHANNEL_HINT = (
    "No messenger channel is configured: the assistant serves the web only.\n"
    "To add Telegram: create a bot with @BotFather, then\n"
    "  TELEGRAM_BOT_TOKEN=123456:ABC... python run_bot.py\n"
    "To add Zalo: create a bot in Zalo Bot Manager (Tạo bot), then\n"
    "  ZALO_BOT_TOKEN=1234567890:abc... python run_bot.py\n"
    "(or put the token in a .env file). To chat in this terminal instead:\n"
    "  python -m bot chat\n"
    "See README.md."
)


def build_channels(settings: Settings, context: ChannelContext) -> list[Channel]:
    """Every messenger channel the settings configure (each may add routes to the server)."""
    channels: list[Channel] = []
    if settings.telegram_bot_token is not None:
        from bot.channels.telegram.runner import TelegramService

        channels.append(TelegramService(settings, context))
    if settings.zalo_bot_token is not None:
        from bot.channels.zalo import ZaloChannel

        channels.append(ZaloChannel.from_settings(settings, context))
    return channels


def route_providers(
    runtime: Runtime, stack: AsyncExitStack, *, web: bool = True
) -> dict[str, RouteProvider]:
    """Everything else that speaks HTTP, by the path a person opens (printed at start-up);
    without ``web`` (the bot role) only the health endpoints."""
    from bot.web.health import health_routes

    providers: dict[str, RouteProvider] = {}
    storage = runtime.storage
    if not web:
        providers["/healthz"] = health_routes(runtime)
        return providers
    if storage is not None:
        from bot.channels.web import web_chat

        providers["/chat"] = web_chat(runtime.settings, runtime.assistant.handle, storage)
    if runtime.settings.staff_console and storage is not None:
        from bot.console.web.app import StaffConsole
        from bot.console.web.context import Console

        console = Console.from_runtime(runtime)
        stack.push_async_callback(console.settled)  # a reload in progress finishes first
        providers["/staff"] = StaffConsole(console, warm=True)
    providers["/healthz"] = health_routes(runtime)  # with /readyz and /metrics
    return providers


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


async def _start_scheduler(stack: AsyncExitStack, runtime: Runtime, staff: StaffService) -> None:
    """Scheduled tips, announcements and the daily log purge (one process holds the lease)."""
    from bot.broadcast.scheduler import start_scheduler
    from bot.broadcast.senders import ChannelError

    try:
        senders = broadcast_senders(runtime.settings)
        scheduler = await start_scheduler(runtime.settings, runtime.storage, senders)
    except ChannelError as exc:
        # Answering citizens matters more than tips: keep serving, say so loudly.
        log.error("broadcasts disabled: %s", exc)
        return
    if scheduler is not None:
        stack.push_async_callback(scheduler.stop)
        runtime.broadcast = scheduler.service
        staff.announcer = scheduler.service


async def start_http_server(
    stack: AsyncExitStack, settings: Settings, providers: list[RouteProvider]
) -> HttpServer | None:
    server = HttpServer(settings.web_host, settings.web_port)
    for provider in providers:
        server.mount(provider)
    try:
        await server.start()
    except OSError as exc:
        log.error(
            "cannot listen on %s:%s (%s); set WEB_HOST / WEB_PORT",
            settings.web_host,
            settings.web_port,
            exc.strerror or exc,
        )
        return None
    stack.push_async_callback(server.stop)
    return server


def _announce(
    server: HttpServer, paths: list[str], channels: list[Channel], role: Role = Role.ALL
) -> None:
    """Where to open the assistant: printed, not logged, so it shows at any log level."""
    host = server.host if server.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    base = f"http://{host}:{server.port}"
    lines = [f"Assistant serving on {base}" + (f" (role {role})" if role is not Role.ALL else "")]
    lines += [f"  {path}: {base}{path}" for path in paths]
    if not channels and role is Role.ALL:
        lines.append(NO_CHANNEL_HINT)
    lines.append("Press Ctrl+C to stop.")
    print("\n".join(lines), flush=True)


async def _stop_channel(channel: Channel, failures: list[str]) -> None:
    try:
        await channel.stop()
    except Exception as exc:
        log.error("channel %s failed: %s", channel.name, exc, exc_info=exc)
        failures.append(channel.name)


def polls(channel: Channel) -> bool:
    """Whether a channel takes its updates by polling (one process per token at a time)."""
    return not getattr(channel, "webhook", False)


def _lease_name(settings: Settings, channel: Channel) -> str:
    token = {"telegram": settings.telegram_bot_token, "zalo": settings.zalo_bot_token}.get(
        channel.name
    )
    return poller_lease(channel.name, token) if token is not None else f"poller:{channel.name}"


async def _poll_while_held(
    runtime: Runtime, channel: Channel, stop: asyncio.Event, failures: list[str]
) -> None:
    """Poll while this process holds the channel's lease; stand by until then (bot.standby).

    A lease lost while polling (another process took over) stops this process: exit 1, and a
    supervisor's restart makes it the standby."""
    if runtime.storage is None:
        await channel.start()
        await stop.wait()
        await _stop_channel(channel, failures)
        return
    standby = Standby(runtime.storage.session_factory, _lease_name(runtime.settings, channel))
    if not await standby.wait_turn(stop):
        return
    async with standby.holding() as lost:
        await channel.start()
        try:
            await _first_of(stop, lost)
        finally:
            await _stop_channel(channel, failures)
    if lost.is_set() and not stop.is_set():
        failures.append(f"{channel.name} (polling taken over)")
        stop.set()


async def _first_of(*events: asyncio.Event) -> None:
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
        await asyncio.gather(*waits, return_exceptions=True)


def _start_polling(
    stack: AsyncExitStack,
    runtime: Runtime,
    channels: list[Channel],
    stop: asyncio.Event,
    failures: list[str],
) -> None:
    for channel in channels:
        task = asyncio.create_task(
            _poll_while_held(runtime, channel, stop, failures), name=f"{channel.name}-poller"
        )
        stack.push_async_callback(_settle, task, stop)


async def _settle(task: asyncio.Task[None], stop: asyncio.Event) -> None:
    stop.set()
    await asyncio.gather(task, return_exceptions=True)


async def serve(
    settings: Settings,
    role: Role = Role.ALL,
    *,
    on_stop: Callable[[Callable[[], int]], object] | None = None,
) -> int:
    """Run until SIGINT / SIGTERM (exit 0) or until a channel fails (exit 1).

    ``on_stop(exit_code)`` is called when the stop begins (the process arms its deadline)."""
    plan = PLANS[role]
    # SIGTERM / Ctrl+C stop the bot cleanly from the start, also while it waits for the database.
    stop = asyncio.Event()
    failures: list[str] = []
    async with AsyncExitStack() as stack:
        with stop_on_signals(stop):
            try:
                runtime = await stack.enter_async_context(open_runtime(settings, stop=stop))
            except Stopped:
                log.info("stopped while waiting for the database")
                return 0
            await _start_watcher(stack, runtime)
            staff = staff_service(runtime)
            context = channel_context(runtime, stop, staff, shared_intake=role is Role.WEB)
            channels = build_channels(settings, context)
            hooked = [c for c in channels if not polls(c)] if plan.web else []
            polling = [c for c in channels if polls(c)] if plan.polling else []
            providers = route_providers(runtime, stack, web=plan.web)
            server = await start_http_server(stack, settings, [*hooked, *providers.values()])
            if server is None:
                return 1
            if plan.scheduler:
                await _start_scheduler(stack, runtime, staff)
            for channel in hooked:
                await channel.start()
                stack.push_async_callback(_stop_channel, channel, failures)
            _start_polling(stack, runtime, polling, stop, failures)
            _announce(server, list(providers), [*hooked, *polling], role)
            settle_heap()  # the index and everything started: no longer walked by the collector
            runtime.after_swap = settle_heap
            await stop.wait()
            log.info("stopping")
            if on_stop is not None:
                on_stop(lambda: 1 if failures else 0)
    return 1 if failures else 0


def main(argv: Sequence[str] = ()) -> int:
    """Run the assistant: the HTTP server and every configured channel, until stopped."""
    limit_malloc_arenas()
    role = parse_role(argv)
    settings = Settings()
    setup_logging(settings)
    if logging.getLogger().level > logging.DEBUG:
        # One line per migration step and plugin at every start: noise unless debugging.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return asyncio.run(serve(settings, role, on_stop=arm_stop_deadline))
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
