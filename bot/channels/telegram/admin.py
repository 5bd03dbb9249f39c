"""Staff tools inside Telegram (/stats, /inbox, /reload, /broadcast): rendering only.

What they do is the staff service's (bot.core.staff.StaffDesk); who is staff too: this module
turns commands and buttons into its calls and its answers into messages.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import TYPE_CHECKING

from telegram import Bot

from bot.channels.telegram import texts as tg_texts
from bot.channels.telegram.convert import CHANNEL
from bot.channels.telegram.render import Outgoing, escape, keyboard, render_plain
from bot.core import commands
from bot.core.messages import Choice, action, parse_action
from bot.core.staff import InboxView, StaffDesk, StaffUnavailable, staff_identity

if TYPE_CHECKING:
    from bot.channels.telegram.sender import Sender

log = logging.getLogger(__name__)

ADMIN_ACTION = "adm"
INBOX_SHOWN = 5
INBOX_TEXT_MAX = 300


class StaffCommands:
    """Staff commands and buttons; ``desk`` is None when this run has no staff service."""

    commands = commands.STAFF_NAMES

    def __init__(self, desk: StaffDesk | None, sender: Sender) -> None:
        self.desk = desk
        self.sender = sender

    def allowed(self, user_id: int) -> bool:
        return self.desk is not None and self.desk.is_staff(staff_identity(CHANNEL, user_id))

    async def run_command(
        self,
        command: str,
        bot: Bot,
        chat_id: int,
        reply_to: int | None = None,
        *,
        user_id: int | None = None,
        argument: str = "",
    ) -> None:
        log.info("staff command /%s in chat %s", command, chat_id)
        actor = staff_identity(CHANNEL, user_id or chat_id)
        if command == commands.BROADCAST:
            messages = await self._broadcast_preview(actor, argument)
        elif command == commands.STATS:
            messages = await self._stats()
        elif command == commands.INBOX:
            messages = await self._inbox()
        else:
            messages = render_plain(await self._reload())
        await self.sender.send(bot, chat_id, messages, reply_to=reply_to)

    async def on_callback(self, data: str, user_id: int, bot: Bot, chat_id: int) -> str | None:
        """Promote / dismiss / broadcast buttons; returns a short toast for answerCallbackQuery."""
        if self.desk is None or not self.allowed(user_id):
            log.warning("user %s is not staff and pressed %r", user_id, data)
            return tg_texts.CALLBACK_STALE
        actor = staff_identity(CHANNEL, user_id)
        _, args = parse_action(data)
        if args[:1] == ["bc"]:
            text = await self._broadcast_decision(actor, args[1:])
            await self.sender.send(bot, chat_id, render_plain(text))
            return None
        if len(args) < 2 or not args[1].isdigit():
            return tg_texts.CALLBACK_STALE
        item_id = int(args[1])
        try:
            if args[0] == "p" and len(args) == 3:
                done = await self.desk.promote(actor, item_id, args[2])
                text = (
                    tg_texts.INBOX_PROMOTED.format(faq_id=args[2]) if done else tg_texts.INBOX_GONE
                )
            elif args[0] == "d":
                done = await self.desk.dismiss(actor, item_id)
                text = tg_texts.INBOX_DISMISSED if done else tg_texts.INBOX_GONE
            else:
                return tg_texts.CALLBACK_STALE
        except StaffUnavailable:
            return tg_texts.CALLBACK_STALE
        await self.sender.send(bot, chat_id, render_plain(text))
        return None

    # ------------------------------------------------------------------ commands

    async def _stats(self) -> list[Outgoing]:
        lines = [tg_texts.STATS_HEADER]
        try:
            for label, days in ((tg_texts.STATS_TODAY, 1), (tg_texts.STATS_WEEK, 7)):
                s = await self._desk().stats(days)
                lines.append(tg_texts.STATS_PERIOD.format(label=label, **asdict(s)))
        except StaffUnavailable:
            return render_plain(tg_texts.STATS_UNAVAILABLE)
        return render_plain("\n\n".join(lines))

    async def _inbox(self) -> list[Outgoing]:
        try:
            total, items = await self._desk().inbox(INBOX_SHOWN)
        except StaffUnavailable:
            return render_plain(tg_texts.INBOX_UNAVAILABLE)
        if not items:
            return render_plain(tg_texts.INBOX_EMPTY)
        lines = [tg_texts.INBOX_HEADER.format(count=total, shown=len(items))]
        choices: list[Choice] = []
        for index, item in enumerate(items, 1):
            text = (
                item.text if len(item.text) <= INBOX_TEXT_MAX else item.text[:INBOX_TEXT_MAX] + "…"
            )
            kind = tg_texts.INBOX_KINDS.get(item.kind, item.kind)
            lines.append(
                tg_texts.INBOX_ITEM.format(index=index, kind=kind, count=item.count, text=text)
            )
            if item.faq_id:
                lines.append(tg_texts.INBOX_SUGGESTION.format(faq_id=item.faq_id))
            choices.extend(_item_buttons(index, item))
        body = "\n".join(escape(line) for line in lines)
        return [Outgoing(body, keyboard(choices))]

    async def _broadcast_preview(self, actor: str, argument: str) -> list[Outgoing]:
        if not argument.strip():
            if self.desk is None:
                return render_plain(tg_texts.BROADCAST_UNAVAILABLE)
            return render_plain(tg_texts.BROADCAST_USAGE)
        try:
            preview = await self._desk().prepare_broadcast(actor, argument)
        except StaffUnavailable:
            return render_plain(tg_texts.BROADCAST_UNAVAILABLE)
        except ValueError as exc:
            return render_plain(tg_texts.BROADCAST_INVALID.format(reason=exc))
        buttons = [
            Choice(tg_texts.BROADCAST_CONFIRM, action(ADMIN_ACTION, "bc", "ok")),
            Choice(tg_texts.BROADCAST_CANCEL, action(ADMIN_ACTION, "bc", "no")),
        ]
        body = escape(tg_texts.BROADCAST_PREVIEW.format(preview=preview))
        return [Outgoing(body, keyboard(buttons))]

    async def _broadcast_decision(self, actor: str, args: list[str]) -> str:
        desk = self._desk()
        if args == ["no"]:
            await desk.cancel_broadcast(actor)
            return tg_texts.BROADCAST_CANCELLED
        if args != ["ok"]:
            return tg_texts.CALLBACK_STALE
        try:
            run_id = await desk.confirm_broadcast(actor)
        except StaffUnavailable:
            return tg_texts.BROADCAST_UNAVAILABLE
        except ValueError as exc:
            return tg_texts.BROADCAST_INVALID.format(reason=exc)
        if run_id is None:
            return tg_texts.CALLBACK_STALE
        return tg_texts.BROADCAST_STARTED.format(run_id=run_id)

    async def _reload(self) -> str:
        try:
            done = await self._desk().reload()
        except Exception:
            log.exception("reload requested from Telegram failed")
            return tg_texts.RELOAD_FAILED
        return tg_texts.RELOADED.format(version=done.version, entries=done.entries)

    def _desk(self) -> StaffDesk:
        if self.desk is None:
            raise StaffUnavailable("no staff service")
        return self.desk


def _item_buttons(index: int, item: InboxView) -> list[Choice]:
    buttons: list[Choice] = []
    if item.faq_id:
        try:
            promote = action(ADMIN_ACTION, "p", str(item.id), item.faq_id)
            buttons.append(
                Choice(tg_texts.INBOX_PROMOTE.format(index=index, faq_id=item.faq_id), promote)
            )
        except ValueError:
            log.warning("inbox item %s: id %r too long for a button", item.id, item.faq_id)
    dismiss = action(ADMIN_ACTION, "d", str(item.id))
    buttons.append(Choice(tg_texts.INBOX_DISMISS.format(index=index), dismiss))
    return buttons
