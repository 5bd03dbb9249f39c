"""One Zalo update → the assistant → numbered plain-text messages back to the chat."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from functools import partial

from bot.channels.base import Handle
from bot.channels.flood import SLOW_DOWN, FloodControl, Verdict
from bot.channels.indicator import indicated
from bot.channels.text_choices import TextChoices, resolve
from bot.channels.zalo import texts as zalo_texts
from bot.channels.zalo import updates as ev
from bot.channels.zalo.client import (
    ZaloClient,
    ZaloError,
    ZaloForbidden,
    ZaloRateLimited,
)
from bot.channels.zalo.render import for_zalo, split
from bot.channels.zalo.staff import ZaloStaff
from bot.core import delivery
from bot.core.chat_state import MemoryChatState
from bot.core.commands import START, command_name
from bot.core.messages import IncomingMessage, MessageKind
from bot.core.ports import ChatState

log = logging.getLogger(__name__)

CHANNEL = "zalo"
MEDIA = {ev.IMAGE: MessageKind.PHOTO, ev.STICKER: MessageKind.STICKER, ev.VOICE: MessageKind.VOICE}
ANSWERED = frozenset({ev.TEXT, ev.UNSUPPORTED, *MEDIA})
_NUMBER = re.compile(r"\s*(?:số\s*)?(\d{1,3})\s*[.)]?\s*", re.IGNORECASE)
SEND_ATTEMPTS = 3  # a live answer waits out this many 429s before giving up
GREETED = "greeted"
GREETED_SECONDS = 365 * 86_400.0  # told again after a year without a word
Unreachable = Callable[[str], Awaitable[None]]


class GreetedChats:
    """Chats already told that this is an automated assistant: kept in the chat state (the
    database when there is one, so a restart or another process does not tell them again),
    with the chats seen recently remembered here to spare the database a read per message."""

    def __init__(self, state: ChatState, max_recent: int = 100_000) -> None:
        self.state = state
        self._recent: OrderedDict[str, None] = OrderedDict()
        self.max_recent = max_recent

    async def first_time(self, chat: str) -> bool:
        if chat in self._recent:
            self._recent.move_to_end(chat)
            return False
        try:
            first = await self.state.get(CHANNEL, chat, GREETED) is None
            if first:
                await self.state.put(CHANNEL, chat, GREETED, "1", GREETED_SECONDS)
        except Exception:
            # Telling someone twice is better than not answering.
            log.warning("first contact of a zalo chat not checked", exc_info=True)
            first = False
        self._recent[chat] = None
        if len(self._recent) > self.max_recent:
            self._recent.popitem(last=False)
        return first


class ZaloAnswers:
    """Reads an update, asks the assistant, renders and sends; never raises for bad input."""

    def __init__(
        self,
        client: ZaloClient,
        handle: Handle,
        *,
        identity: ev.BotIdentity,
        state: ChatState | None = None,
        greeted: GreetedChats | None = None,
        on_unreachable: Unreachable | None = None,
        staff: ZaloStaff | None = None,
        typing_delay: float = 0.0,
        flood: FloodControl | None = None,
    ) -> None:
        self.client = client
        self.typing_delay = typing_delay
        self.handle = handle
        self.identity = identity
        state = state if state is not None else MemoryChatState()
        self.choices = TextChoices(CHANNEL, state)
        self.greeted = greeted or GreetedChats(state)
        self.on_unreachable = on_unreachable
        self.staff = staff
        # Per user, shared by the processes serving Zalo when the database holds the windows.
        self.flood = flood

    async def process(self, update: ev.ZaloUpdate) -> None:
        chat, user = update.chat_id, update.user_id
        if chat is None or user is None or update.is_bot:
            log.info("zalo %s without a human sender ignored", update.event or "update")
            return
        if update.group and not update.addressed_to(self.identity):
            return
        if update.event not in ANSWERED:
            log.info("zalo event %r not handled", update.event[:80])
            return
        if not await self._pass_flood(chat, user):
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
            said = zalo_texts.UNSUPPORTED
            if await self.greeted.first_time(chat):
                said = f"{zalo_texts.NOTICE}\n\n{said}"
            await self.send(chat, split(said))

    async def _pass_flood(self, chat: str, user: str) -> bool:
        """False for a user over the flood limit (told once, then ignored for a window)."""
        if self.flood is None:
            return True
        verdict = await self.flood.check(user)
        if verdict is Verdict.ALLOW:
            return True
        if verdict is Verdict.NOTIFY:
            log.info("zalo user %s is flooding; slowed down", user)
            await self.send(chat, split(SLOW_DOWN))
        return False

    async def _text(self, update: ev.ZaloUpdate, chat: str, user: str) -> None:
        text = update.without_mention(self.identity) if update.group else (update.text or "")
        if self.staff is not None and not update.group:
            said = await self.staff.handle(user, text)
            if said is not None:  # staff tools stay in the private chat
                await self.send(chat, split(said))
                return
        name = update.display_name
        number = _NUMBER.fullmatch(text)
        actions = await self.choices.actions(chat) if number or len(text.strip()) <= 4 else []
        chosen = resolve(number.group(1) if number else text, actions)
        if chosen is not None:
            incoming = IncomingMessage(
                CHANNEL, user, chat, kind=MessageKind.ACTION, action=chosen, display_name=name
            )
        elif number is not None:
            # A number that picks nothing: say what may be typed, never guess.
            said = zalo_texts.OUT_OF_RANGE.format(count=len(actions))
            await self.send(chat, split(said if actions else zalo_texts.NO_PENDING))
            return
        else:
            incoming = IncomingMessage(CHANNEL, user, chat, text=text, display_name=name)
        await self.answer(chat, incoming, notice=command_name(text) == START)

    async def answer(self, chat: str, incoming: IncomingMessage, *, notice: bool = False) -> None:
        # "typing…" only for an answer slower than the delay (at once when it is 0).
        reply, _ = await indicated(
            self.handle(incoming), partial(self._typing, chat), self.typing_delay
        )
        first = await self.greeted.first_time(chat)
        # The update's durable claim (due before the first message leaves) and this reply's
        # numbered choices are written side by side: one shared transaction, one wait (the
        # claim runs in a task of its own; the choices are written from this one).
        delivery.claim_soon()
        text = await self.choices.render(chat, for_zalo(reply, notice=notice or first))
        await self.send(chat, split(text))

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
