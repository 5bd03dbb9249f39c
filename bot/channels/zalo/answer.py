"""One Zalo update → the assistant → numbered plain-text messages back to the chat."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from bot.channels.base import Handle
from bot.channels.zalo import texts as zalo_texts
from bot.channels.zalo import updates as ev
from bot.channels.zalo.choices import PendingChoices
from bot.channels.zalo.client import (
    ZaloClient,
    ZaloError,
    ZaloForbidden,
    ZaloRateLimited,
)
from bot.channels.zalo.render import render, render_text
from bot.core.messages import IncomingMessage, MessageKind, Reply
from bot.core.responder import command_name

log = logging.getLogger(__name__)

CHANNEL = "zalo"
MEDIA = {ev.IMAGE: MessageKind.PHOTO, ev.STICKER: MessageKind.STICKER, ev.VOICE: MessageKind.VOICE}
SEND_ATTEMPTS = 3  # a live answer waits out this many 429s before giving up
# Typed commands handled before the assistant (staff tools); returns True when it answered.
Command = Callable[[ev.ZaloUpdate, str], Awaitable[bool]]
Unreachable = Callable[[str], Awaitable[None]]


class GreetedChats:
    """Chats already told that this is an automated assistant (bounded, per process)."""

    def __init__(self, max_chats: int = 100_000) -> None:
        self._chats: OrderedDict[str, None] = OrderedDict()
        self.max_chats = max_chats

    def first_time(self, chat: str) -> bool:
        if chat in self._chats:
            self._chats.move_to_end(chat)
            return False
        self._chats[chat] = None
        if len(self._chats) > self.max_chats:
            self._chats.popitem(last=False)
        return True


class ZaloAnswers:
    """Reads an update, asks the assistant, renders and sends; never raises for bad input."""

    def __init__(
        self,
        client: ZaloClient,
        handle: Handle,
        *,
        identity: ev.BotIdentity,
        choices: PendingChoices | None = None,
        greeted: GreetedChats | None = None,
        on_unreachable: Unreachable | None = None,
        command: Command | None = None,
    ) -> None:
        self.client = client
        self.handle = handle
        self.identity = identity
        self.choices = choices or PendingChoices()
        self.greeted = greeted or GreetedChats()
        self.on_unreachable = on_unreachable
        self.command = command

    async def process(self, update: ev.ZaloUpdate) -> None:
        chat, user = update.chat_id, update.user_id
        if chat is None or user is None or update.is_bot:
            log.info("zalo %s without a human sender ignored", update.event or "update")
            return
        if update.group and not update.addressed_to(self.identity):
            return
        if update.event == ev.TEXT:
            await self._text(update, chat, user)
        elif update.event in MEDIA:
            incoming = IncomingMessage(
                CHANNEL, user, chat, kind=MEDIA[update.event], display_name=update.display_name
            )
            await self.answer(chat, incoming)
        elif update.event == ev.UNSUPPORTED:
            # Content withheld by Zalo (a protected user, or a link): kind, never an error.
            await self.send(chat, render_text(zalo_texts.UNSUPPORTED))
        else:
            log.info("zalo event %r not handled", update.event[:80])

    async def _text(self, update: ev.ZaloUpdate, chat: str, user: str) -> None:
        text = update.without_mention(self.identity) if update.group else (update.text or "")
        if self.command is not None and not update.group and await self.command(update, text):
            return
        picked = self.choices.read(chat, text)
        name = update.display_name
        if picked is not None and picked.choice is not None:
            incoming = IncomingMessage(
                CHANNEL,
                user,
                chat,
                kind=MessageKind.ACTION,
                action=picked.choice.action,
                display_name=name,
            )
        elif picked is not None and picked.out_of_range:
            count = picked.out_of_range
            await self.send(chat, render_text(zalo_texts.OUT_OF_RANGE.format(count=count)))
            return
        elif picked is not None:
            await self.send(chat, render_text(zalo_texts.NO_PENDING))
            return
        else:
            incoming = IncomingMessage(CHANNEL, user, chat, text=text, display_name=name)
        notice = command_name(text) == "start"
        await self.answer(chat, incoming, notice=notice)

    async def answer(self, chat: str, incoming: IncomingMessage, *, notice: bool = False) -> None:
        typing = asyncio.create_task(self._typing(chat))
        try:
            reply: Reply = await self.handle(incoming)
        finally:
            await typing
        first = self.greeted.first_time(chat)
        rendered = render(reply, notice=notice or first)
        self.choices.remember(chat, rendered.choices)
        await self.send(chat, rendered.messages)

    async def _typing(self, chat: str) -> None:
        try:
            await self.client.send_chat_action(chat)
        except ZaloError as exc:
            log.debug("typing not shown in a zalo chat: %s", exc)

    async def send(self, chat: str, messages: list[str]) -> bool:
        """Every message in order; False when the chat cannot be reached."""
        for text in messages:
            for attempt in range(1, SEND_ATTEMPTS + 1):
                try:
                    await self.client.send_message(chat, text)
                    break
                except ZaloRateLimited as exc:
                    if attempt == SEND_ATTEMPTS:
                        raise
                    log.warning("zalo quota exceeded; answer waits %.0f s", exc.retry_after)
                    await asyncio.sleep(exc.retry_after)
                except ZaloForbidden as exc:
                    log.info("zalo chat unreachable (%s); answer dropped", exc.description)
                    if self.on_unreachable is not None:
                        await self.on_unreachable(chat)
                    return False
        return True
