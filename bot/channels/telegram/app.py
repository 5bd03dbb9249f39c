"""Builds the python-telegram-bot Application: requests, handlers, error handler, command list."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from telegram import Bot, BotCommand, BotCommandScopeChat, Update
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Job

from bot.channels.telegram import texts as tg_texts
from bot.channels.telegram.handlers import TelegramHandlers
from bot.channels.telegram.request import RetryingRequest
from bot.channels.telegram.transport import AiohttpRequest
from bot.core.delivery import AnswerClaimed

if TYPE_CHECKING:
    from bot.channels.base import ChannelContext
    from bot.config import Settings

log = logging.getLogger(__name__)

TelegramApp = Application[Any, Any, Any, Any, Any, Any]


class LeanApplication(TelegramApp):
    """python-telegram-bot's Application that keeps no ids for a persistence it does not have.

    After every update the stock Application adds the chat and user ids to two sets that only
    a persistence flush empties; without persistence (ours keeps nothing in PTB) they grow by
    every citizen ever seen and never shrink: about 7 MiB for 50,000 users.
    """

    def _mark_for_persistence_update(
        self, *, update: object | None = None, job: Job[Any] | None = None
    ) -> None:
        if self.persistence is not None:
            super()._mark_for_persistence_update(update=update, job=job)


# Enough connections for every update in flight: an answer and its typing indicator each.
CONNECTIONS_PER_UPDATE = 2


def file_url(base_url: str) -> str:
    """…/bot → …/file/bot, so a self-hosted Bot API server serves files too."""
    return base_url[: -len("/bot")] + "/file/bot" if base_url.endswith("/bot") else base_url


def make_request(pool_size: int) -> RetryingRequest:
    return RetryingRequest(
        connection_pool_size=pool_size,
        connect_timeout=5.0,
        read_timeout=10.0,
        write_timeout=10.0,
        pool_timeout=5.0,
    )


def build_application(
    settings: Settings,
    context: ChannelContext,
    *,
    concurrent_updates: int | None = None,
    updates_request: AiohttpRequest | None = None,
) -> tuple[TelegramApp, TelegramHandlers]:
    """The Application with every handler registered; nothing is started or fetched yet.

    It has no Updater: updates come from our poller or webhook through the inbound journal
    (bot.core.dispatch), which also runs them concurrently, in order per chat.
    """
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    concurrent = max(1, concurrent_updates or settings.telegram_concurrent_updates)
    application = (
        ApplicationBuilder()
        .application_class(LeanApplication)
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(file_url(settings.telegram_api_base_url))
        .request(make_request(CONNECTIONS_PER_UPDATE * concurrent + 2))
        .get_updates_request(updates_request or AiohttpRequest(connection_pool_size=2))
        .post_init(post_init_for(settings))
        .updater(None)
        .build()
    )
    return application, install(application, settings, context)


def install(
    application: TelegramApp, settings: Settings, context: ChannelContext
) -> TelegramHandlers:
    """Register our handlers and the error handler on any Application (tests build their own)."""
    handlers = TelegramHandlers(context, settings)
    handlers.register(application)
    application.add_error_handler(on_error)
    return handlers


# ---------------------------------------------------------------- commands


def post_init_for(settings: Settings) -> Any:
    async def post_init(application: TelegramApp) -> None:
        await register_commands(application.bot, settings.admin_ids)

    return post_init


async def register_commands(bot: Bot, admin_ids: frozenset[int]) -> None:
    """The command menu in Vietnamese; staff see their commands too in their own chat."""
    public = [BotCommand(name, description) for name, description in tg_texts.COMMANDS]
    try:
        await bot.set_my_commands(public)
    except TelegramError as exc:
        log.warning("could not register the command list: %s", exc)
        return
    staff = public + [BotCommand(n, d) for n, d in tg_texts.ADMIN_COMMANDS]
    for admin_id in sorted(admin_ids):
        try:
            await bot.set_my_commands(staff, scope=BotCommandScopeChat(admin_id))
        except TelegramError as exc:
            # Telegram knows a private chat only after the staff member has written to the bot.
            log.info("staff commands not shown to %s yet: %s", admin_id, exc)


# ---------------------------------------------------------------- errors


def describe(update: object) -> str:
    """Ids only: message text may hold personal data and stays out of the logs."""
    if not isinstance(update, Update):
        return "no update"
    chat = update.effective_chat
    user = update.effective_user
    kind = next(
        (name for name in ("message", "edited_message", "callback_query") if getattr(update, name)),
        "other",
    )
    return (
        f"update {update.update_id} ({kind}), chat {chat.id if chat else '-'}, "
        f"user {user.id if user else '-'}"
    )


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log with context, apologise to the citizen; nothing here may raise."""
    error = context.error
    if isinstance(error, AnswerClaimed):
        log.info("%s was answered before; nothing sent", describe(update))
        return
    if isinstance(error, Forbidden):
        log.info("%s: chat unreachable (%s)", describe(update), error)
        return
    if update is None and isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        log.warning("network problem talking to Telegram: %s", error)
        return
    log.error("error while handling %s", describe(update), exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        await context.bot.send_message(update.effective_chat.id, tg_texts.APOLOGY)
    except TelegramError as exc:
        log.warning("could not apologise in chat %s: %s", update.effective_chat.id, exc)
