"""Sending rendered replies: chunk by chunk, tolerant of blocked chats and stale messages."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    TelegramObject,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.channels.telegram.render import Outgoing

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_TAG_RE = re.compile(r"</?[a-z-]+>")

BlockedCallback = Callable[[int], Awaitable[None]]


def as_plain(markup: str) -> str:
    """Our own HTML back to plain text (used if Telegram ever refuses to parse it)."""
    return html.unescape(_TAG_RE.sub("", markup))


async def send_message(bot: Bot, **params: Any) -> None:
    """What ``bot.send_message`` sends, through the bot's request (timeouts, retries, errors
    raised as TelegramError), without building a Message from Telegram's answer: nobody reads
    it, and building it cost about a seventh of the CPU of answering a citizen. The parameters
    are converted as Bot._do_post converts them (RequestParameter is not exported: pinned with
    python-telegram-bot ~=22.8), objects through ``as_json``. Our bot has no ext.Defaults,
    rate limiter or arbitrary callback data, which this would bypass."""
    data = RequestData(
        [
            RequestParameter.from_input(k, as_json(v) if isinstance(v, TelegramObject) else v)
            for k, v in params.items()
        ]
    )
    await bot.request.post(f"{bot.base_url}/sendMessage", request_data=data)


_JSON_OF: dict[int, tuple[TelegramObject, dict[str, Any]]] = {}
_JSON_KEPT = 1024


def as_json(value: TelegramObject) -> dict[str, Any]:
    """``value.to_dict()``, kept for the object: a rendered answer's keyboard is one frozen
    object while the answer is cached (render.render), and PTB's to_dict of a keyboard cost
    more than a tenth of an answer's CPU. Keyed by identity, the object kept alive with it."""
    kept = _JSON_OF.get(id(value))
    if kept is not None and kept[0] is value:
        return kept[1]
    if len(_JSON_OF) >= _JSON_KEPT:
        _JSON_OF.clear()
    result = value.to_dict()
    _JSON_OF[id(value)] = (value, result)
    return result


class Sender:
    """Sends Outgoing messages; a chat that blocked the bot is reported once, never raised."""

    def __init__(self, on_blocked: BlockedCallback | None = None) -> None:
        self.on_blocked = on_blocked

    async def send(
        self,
        bot: Bot,
        chat_id: int,
        messages: Sequence[Outgoing],
        *,
        reply_to: int | None = None,
    ) -> bool:
        """Send every chunk in order; False when the chat is unreachable."""
        for index, outgoing in enumerate(messages):
            params = (
                ReplyParameters(reply_to, allow_sending_without_reply=True)
                if reply_to is not None and index == 0
                else None
            )
            if not await self._send_one(bot, chat_id, outgoing, params):
                return False
        return True

    async def _send_one(
        self, bot: Bot, chat_id: int, outgoing: Outgoing, params: ReplyParameters | None
    ) -> bool:
        try:
            await send_message(
                bot,
                chat_id=chat_id,
                text=outgoing.html,
                parse_mode=ParseMode.HTML,
                reply_markup=outgoing.keyboard,
                link_preview_options=NO_PREVIEW,
                reply_parameters=params,
            )
        except Forbidden as exc:
            await self.blocked(chat_id, exc)
            return False
        except BadRequest as exc:
            if "parse entities" not in exc.message.lower():
                raise
            # Should never happen (everything is escaped); a plain answer beats no answer.
            log.error("Telegram could not parse our HTML (%s); sending plain text", exc.message)
            await send_message(
                bot,
                chat_id=chat_id,
                text=as_plain(outgoing.html),
                reply_markup=outgoing.keyboard,
                link_preview_options=NO_PREVIEW,
                reply_parameters=params,
            )
        return True

    async def edit(self, bot: Bot, message: Message, outgoing: Outgoing) -> bool:
        """Replace a menu in place; False when it cannot be edited (send a new one instead)."""
        try:
            await bot.edit_message_text(
                outgoing.html,
                chat_id=message.chat_id,
                message_id=message.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=outgoing.keyboard,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return True  # the same menu tapped twice
            log.info("menu message %s not editable (%s)", message.message_id, exc.message)
            return False
        except Forbidden as exc:
            await self.blocked(message.chat_id, exc)
            return True
        return True

    async def set_keyboard(
        self, bot: Bot, message: Message, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Change only the buttons of a sent message (e.g. drop 👍/👎 after a vote)."""
        try:
            await bot.edit_message_reply_markup(
                chat_id=message.chat_id, message_id=message.message_id, reply_markup=markup
            )
        except (BadRequest, Forbidden) as exc:
            log.info("keyboard of message %s left as is (%s)", message.message_id, exc.message)

    async def blocked(self, chat_id: int, exc: Exception) -> None:
        log.info("chat %s is unreachable (%s); reply dropped", chat_id, exc)
        if self.on_blocked is not None:
            try:
                await self.on_blocked(chat_id)
            except Exception:
                log.exception("could not record that chat %s blocked the bot", chat_id)
