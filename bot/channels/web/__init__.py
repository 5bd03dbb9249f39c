"""The web chat channel: /chat, /embed.js and the JSON API, mounted on the shared HTTP server."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from bot.channels.base import Handle
from bot.channels.web.chat import WebChat, WebChatOptions
from bot.config import Settings
from bot.storage.web_chat import RateLimits, WebChatRepository

if TYPE_CHECKING:
    from bot.storage import Storage


def web_chat(settings: Settings, handle: Handle, storage: Storage) -> WebChat:
    """The web chat as the settings configure it, its state in ``storage``."""
    store = WebChatRepository(
        storage.session_factory,
        storage.writer,
        RateLimits(
            dt.timedelta(seconds=settings.web_rate_window_seconds),
            settings.web_rate_per_session,
            settings.web_rate_per_ip,
        ),
        dt.timedelta(days=settings.web_session_days),
    )
    options = WebChatOptions(
        allowed_origins=settings.web_origins,
        max_input_chars=settings.max_input_chars,
        trust_forwarded_for=settings.web_trust_forwarded_for,
        telegram_link=settings.web_telegram_link,
        zalo_link=settings.web_zalo_link,
    )
    return WebChat(handle, store, options)


__all__ = ["WebChat", "WebChatOptions", "web_chat"]
