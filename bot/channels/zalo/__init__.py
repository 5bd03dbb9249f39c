"""The Zalo Bot Platform channel (bot.zaloplatforms.com): a client of our own on aiohttp."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot.channels.zalo.answer import CHANNEL, ZaloAnswers
from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.updates import BotIdentity

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.runtime import Runtime

__all__ = ["CHANNEL", "ZaloAnswers", "ZaloChannel", "ZaloClient", "build_channel"]


def build_channel(settings: Settings, runtime: Runtime, stop: asyncio.Event) -> ZaloChannel:
    """The channel as the settings describe it (ZALO_BOT_TOKEN must be set)."""
    if settings.zalo_bot_token is None:
        raise ValueError("ZALO_BOT_TOKEN is not set")
    client = ZaloClient(
        settings.zalo_bot_token.get_secret_value(),
        settings.zalo_api_base_url,
        pool_size=settings.zalo_concurrent_updates + 2,
    )
    subscriptions = runtime.assistant.ports.subscriptions

    async def unreachable(chat: str) -> None:
        # A private chat's id is its user's id: stop sending that user broadcasts.
        if subscriptions is not None:
            await subscriptions.unsubscribe(channel=CHANNEL, user_id=chat)

    answers = ZaloAnswers(
        client,
        runtime.assistant.handle,
        identity=BotIdentity(),
        state=runtime.storage.chat_state if runtime.storage is not None else None,
        on_unreachable=unreachable,
    )
    secret = settings.zalo_webhook_secret
    return ZaloChannel(
        client,
        answers,
        journal=runtime.storage.inbound if runtime.storage is not None else None,
        bookkeeping=runtime.assistant.bookkeeping,
        stop=stop,
        webhook_url=settings.zalo_webhook_url or None,
        webhook_secret=secret.get_secret_value() if secret is not None else None,
        webhook_path=settings.zalo_webhook_path,
        concurrency=settings.zalo_concurrent_updates,
        wait_seconds=settings.journal_wait_seconds,
    )
