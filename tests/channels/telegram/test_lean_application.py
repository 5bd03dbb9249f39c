"""python-telegram-bot keeps nothing per citizen in our Application (no persistence to feed)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, ExtBot, TypeHandler

from bot.channels.telegram.app import LeanApplication, build_application
from bot.runtime import Runtime
from tests.channels.telegram.conftest import context_for, make_settings
from tests.fakes.telegram_offline import RecordingRequest
from tests.fakes.telegram_server import TOKEN, private_chat, user

App = Application[Any, Any, Any, Any, Any, Any]


async def ids_kept_after(
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any], users: int
) -> int:
    """How many chat and user ids the Application holds after one update from each user."""
    bot: ExtBot[None] = ExtBot(
        TOKEN, request=RecordingRequest(), get_updates_request=RecordingRequest()
    )
    app: App = builder.bot(bot).updater(None).build()

    async def nothing(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        del update, context

    app.add_handler(TypeHandler(Update, nothing))
    async with app:
        for n in range(users):
            message = {
                "message_id": n,
                "date": 0,
                "chat": private_chat(n + 1),
                "from": user(n + 1),
                "text": "hỏi",
            }
            await app.process_update(
                Update.de_json({"update_id": n + 1, "message": message}, app.bot)
            )
    # PTB's own bookkeeping for a persistence flush; nothing else in it grows per user.
    return len(app._chat_ids_to_be_updated_in_persistence) + len(
        app._user_ids_to_be_updated_in_persistence
    )


async def test_ten_thousand_citizens_leave_no_ids_behind() -> None:
    assert (
        await ids_kept_after(ApplicationBuilder().application_class(LeanApplication), 10_000) == 0
    )


async def test_the_stock_application_would_keep_them_all() -> None:
    # What LeanApplication exists for: without persistence these ids are never dropped.
    assert await ids_kept_after(ApplicationBuilder(), 1_000) == 2_000


def test_the_bot_is_built_on_the_lean_application(runtime: Runtime) -> None:
    application, _ = build_application(make_settings(), context_for(runtime))
    assert isinstance(application, LeanApplication)
