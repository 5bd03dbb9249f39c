"""Telegram updates → the assistant → rendered replies."""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from telegram import Bot, Chat, ChatMember, Message, Update
from telegram.constants import ChatAction
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels import flood
from bot.channels.flood import Verdict
from bot.channels.indicator import indicated
from bot.channels.telegram import texts as tg_texts
from bot.channels.telegram.admin import ADMIN_ACTION, StaffCommands
from bot.channels.telegram.convert import (
    CHANNEL,
    BotIdentity,
    addresses_bot,
    is_group,
    to_action,
    to_incoming,
)
from bot.channels.telegram.render import render, render_plain, without_feedback
from bot.channels.telegram.sender import Sender
from bot.core.commands import command_name
from bot.core.messages import IncomingMessage, Outcome, parse_action

if TYPE_CHECKING:
    from bot.channels.base import ChannelContext
    from bot.config import Settings
    from bot.core.ports import SubscriptionStore

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
# Taps that show another menu: the menu message is edited in place instead of piling up.
MENU_VERBS = frozenset({"menu", "cat"})


class TelegramHandlers:
    """Every update the bot reacts to, registered on one Application."""

    def __init__(self, context: ChannelContext, settings: Settings) -> None:
        self.context = context
        self.handle = context.handle
        # Shared with every process taking this bot's updates when the database has them.
        self.flood = flood.for_channel(CHANNEL, context, settings)
        self.sender = Sender(on_blocked=self.mark_unreachable)
        self.staff = StaffCommands(context.staff, self.sender)
        self.typing_delay = settings.telegram_typing_delay
        self._identity: BotIdentity | None = None

    def register(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        application.add_handler(MessageHandler(filters.ALL, self.on_message))
        application.add_handler(CallbackQueryHandler(self.on_callback))
        application.add_handler(
            ChatMemberHandler(self.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER)
        )

    def identity(self, bot: Bot) -> BotIdentity:
        if self._identity is None:
            self._identity = BotIdentity(bot.id, bot.username or "")
        return self._identity

    # ------------------------------------------------------------------ messages

    async def on_message(self, update: Update, context: Context) -> None:
        if update.channel_post or update.edited_channel_post:
            chat = update.effective_chat
            log.info("channel post in %s ignored", chat.id if chat else "?")
            return
        message = update.message or update.edited_message
        if message is None:
            log.info("update %s carries no message we answer", update.update_id)
            return
        user = message.from_user
        if user is None or user.is_bot or message.chat.type == Chat.CHANNEL:
            log.info("message %s without a human sender ignored", message.message_id)
            return
        if update.edited_message is not None and message.text is None:
            return  # live locations and re-captioned media: nothing new to answer
        if update.edited_message is not None and command_name(message.text or "") is not None:
            # Editing an old message into "/stats" must not run it (again): commands are sent.
            log.info("edited command in chat %s ignored", message.chat_id)
            return
        bot = context.bot
        group = is_group(message.chat)
        if group and not addresses_bot(message, self.identity(bot)):
            return
        incoming = to_incoming(message, user, self.identity(bot))
        if incoming is None:
            return  # a service message (someone joined, a pin, …)
        if not await self._pass_flood(bot, user.id, message.chat_id):
            return
        reply_to = message.message_id if group else None
        command = command_name(incoming.text or "")
        if command in self.staff.commands:
            if self.staff.allowed(user.id) and not group:
                argument = (incoming.text or "").strip().partition(" ")[2]
                await self.staff.run_command(
                    command, bot, message.chat_id, user_id=user.id, argument=argument
                )
                return
            if self.staff.allowed(user.id):
                # Inbox items quote citizens: staff tools stay in the private chat.
                log.info("staff command /%s from %s ignored in a group", command, user.id)
            else:
                log.warning("user %s is not staff and tried /%s", user.id, command)
        await self._answer(bot, message.chat_id, incoming, reply_to)

    async def _answer(
        self, bot: Bot, chat_id: int, incoming: IncomingMessage, reply_to: int | None
    ) -> None:
        # "typing…" only for an answer slower than the delay (at once when it is 0).
        reply, reachable = await indicated(
            self.handle(incoming), partial(self._typing, bot, chat_id), self.typing_delay
        )
        if reachable is not False:
            await self.sender.send(bot, chat_id, render(reply), reply_to=reply_to)

    async def _typing(self, bot: Bot, chat_id: int) -> bool:
        try:
            await bot.send_chat_action(chat_id, ChatAction.TYPING)
        except Forbidden as exc:
            await self.sender.blocked(chat_id, exc)
            return False
        except TelegramError as exc:
            log.debug("typing indicator not shown in %s: %s", chat_id, exc)
        return True

    async def _pass_flood(self, bot: Bot, user_id: int, chat_id: int) -> bool:
        verdict = await self.flood.check(str(user_id))
        if verdict is Verdict.ALLOW:
            return True
        if verdict is Verdict.NOTIFY:
            log.info("user %s is flooding; slowed down", user_id)
            await self.sender.send(bot, chat_id, render_plain(tg_texts.SLOW_DOWN))
        return False

    # ------------------------------------------------------------------ buttons

    async def on_callback(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        toast: str | None = None
        try:
            toast = await self._on_callback(update, context)
        finally:
            try:
                await query.answer(toast)
            except TelegramError as exc:
                # A query older than about 15 minutes can no longer be answered: harmless.
                log.info("callback %s not answered: %s", query.id, exc)

    async def _on_callback(self, update: Update, context: Context) -> str | None:
        query = update.callback_query
        assert query is not None
        user = query.from_user
        message = query.message if isinstance(query.message, Message) else None
        chat_id = query.message.chat.id if query.message is not None else user.id
        data = query.data
        if not data:
            log.info("callback %s without data ignored", query.id)
            return None
        bot = context.bot
        verdict = await self.flood.check(str(user.id))
        if verdict is not Verdict.ALLOW:
            if verdict is Verdict.NOTIFY:
                await self.sender.send(bot, chat_id, render_plain(tg_texts.SLOW_DOWN))
            return tg_texts.CALLBACK_SLOW_DOWN
        if data.startswith(ADMIN_ACTION + ":"):
            if query.message is None or query.message.chat.type != Chat.PRIVATE:
                # Inbox items quote citizens: staff decisions happen in the private chat only.
                log.warning("staff button pressed outside a private chat by %s", user.id)
                return tg_texts.STAFF_PRIVATE_ONLY
            return await self.staff.on_callback(data, user.id, bot, chat_id)
        reply = await self.handle(to_action(user, chat_id, data))
        verb, _ = parse_action(data)
        if reply.outcome is Outcome.STALE:
            log.info("stale or unknown button %r from user %s", data, user.id)
        if verb == "fb" and message is not None:
            await self.sender.set_keyboard(bot, message, without_feedback(message.reply_markup))
        outgoing = render(reply)
        if (
            verb in MENU_VERBS
            and reply.outcome is Outcome.MENU
            and message is not None
            and len(outgoing) == 1
            and await self.sender.edit(bot, message, outgoing[0])
        ):
            return None
        await self.sender.send(bot, chat_id, outgoing)
        return None

    # ------------------------------------------------------------------ membership

    async def on_my_chat_member(self, update: Update, context: Context) -> None:
        change = update.my_chat_member
        if change is None:
            return
        status = change.new_chat_member.status
        if change.chat.type != Chat.PRIVATE:
            log.info("bot is now %s in %s %s", status, change.chat.type, change.chat.id)
            return
        if status == ChatMember.BANNED:
            log.info("user %s blocked the bot", change.from_user.id)
            await self.mark_unreachable(change.from_user.id)
        elif status == ChatMember.MEMBER:
            log.info("user %s (re)started the bot", change.from_user.id)

    async def mark_unreachable(self, chat_id: int) -> None:
        """A private chat blocked the bot: stop sending it tips."""
        await mark_subscriber_inactive(self.context.subscriptions, str(chat_id))


async def mark_subscriber_inactive(subscriptions: SubscriptionStore | None, user_id: str) -> None:
    """Withdraw tip consent for a chat that blocked the bot (broadcasts skip it from now on)."""
    if subscriptions is not None and await subscriptions.unsubscribe(
        channel=CHANNEL, user_id=user_id
    ):
        log.info("subscription of %s marked inactive", user_id)
