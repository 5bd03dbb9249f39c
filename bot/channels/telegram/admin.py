"""Staff commands inside Telegram (/stats, /inbox, /reload), only for TELEGRAM_ADMIN_IDS."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Protocol

from telegram import Bot

from bot.channels.telegram import texts as tg_texts
from bot.channels.telegram.render import Outgoing, escape, keyboard, render_plain
from bot.core.commands import STAFF_NAMES
from bot.core.messages import Choice, action, parse_action

if TYPE_CHECKING:
    from bot.channels.telegram.sender import Sender
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

ADMIN_ACTION = "adm"
INBOX_SHOWN = 5
INBOX_TEXT_MAX = 300


@dataclass(frozen=True, slots=True)
class PeriodStats:
    questions: int = 0
    answered: int = 0
    ambiguous: int = 0
    no_match: int = 0
    helpful: int = 0
    not_helpful: int = 0


@dataclass(frozen=True, slots=True)
class InboxView:
    id: int
    kind: str
    text: str
    count: int
    faq_id: str | None


class StaffBackend(Protocol):
    """What the staff commands need from storage (see storage_backend for the real one)."""

    async def stats(self, days: int) -> PeriodStats: ...

    async def inbox(self, limit: int) -> tuple[int, Sequence[InboxView]]:
        """(open items in total, the top ``limit`` of them)."""

    async def promote(self, item_id: int, faq_id: str, actor: str) -> bool:
        """Add the item's wording to ``faq_id``; False when the item is gone."""

    async def dismiss(self, item_id: int, actor: str) -> bool: ...


class Announcer(Protocol):
    """What /broadcast needs from the broadcast service (bot.broadcast.service)."""

    def preview(self, text: str) -> str:
        """Exactly what subscribers will read; raises ValueError with a reason."""

    async def create_announcement(self, text: str, by: str) -> int: ...

    def deliver_in_background(self, run_id: int) -> object: ...


class StaffCommands:
    """Runs staff commands; ``backend`` is None when the bot runs without storage."""

    commands = STAFF_NAMES

    def __init__(
        self,
        runtime: Runtime,
        admin_ids: frozenset[int],
        sender: Sender,
        backend: StaffBackend | None = None,
    ) -> None:
        self.runtime = runtime
        self.admin_ids = admin_ids
        self.sender = sender
        self.backend = backend if backend is not None else storage_backend(runtime)
        # One pending announcement per staff member, waiting for the confirmation button.
        self._pending: dict[int, str] = {}

    @property
    def announcer(self) -> Announcer | None:
        return self.runtime.broadcast

    def allowed(self, user_id: int) -> bool:
        return user_id in self.admin_ids

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
        if command == "broadcast":
            messages = self._broadcast_preview(user_id or chat_id, argument)
        elif command == "stats":
            messages = await self._stats()
        elif command == "inbox":
            messages = await self._inbox()
        else:
            messages = render_plain(await self._reload())
        await self.sender.send(bot, chat_id, messages, reply_to=reply_to)

    async def on_callback(self, data: str, user_id: int, bot: Bot, chat_id: int) -> str | None:
        """Promote / dismiss buttons; returns a short toast for answerCallbackQuery."""
        if not self.allowed(user_id):
            log.warning("user %s is not staff and pressed %r", user_id, data)
            return tg_texts.CALLBACK_STALE
        _, args = parse_action(data)
        if args[:1] == ["bc"]:
            text = await self._broadcast_decision(user_id, args[1:])
            await self.sender.send(bot, chat_id, render_plain(text))
            return None
        if self.backend is None or len(args) < 2 or not args[1].isdigit():
            return tg_texts.CALLBACK_STALE
        item_id, actor = int(args[1]), f"telegram:{user_id}"
        if args[0] == "p" and len(args) == 3:
            done = await self.backend.promote(item_id, args[2], actor)
            text = tg_texts.INBOX_PROMOTED.format(faq_id=args[2]) if done else tg_texts.INBOX_GONE
            if done:
                await self._reload()  # the new wording is answered right away
        elif args[0] == "d":
            done = await self.backend.dismiss(item_id, actor)
            text = tg_texts.INBOX_DISMISSED if done else tg_texts.INBOX_GONE
        else:
            return tg_texts.CALLBACK_STALE
        log.info("staff %s: %s inbox item %s", user_id, args[0], item_id)
        await self.sender.send(bot, chat_id, render_plain(text))
        return None

    # ------------------------------------------------------------------ commands

    async def _stats(self) -> list[Outgoing]:
        if self.backend is None:
            return render_plain(tg_texts.STATS_UNAVAILABLE)
        lines = [tg_texts.STATS_HEADER]
        for label, days in ((tg_texts.STATS_TODAY, 1), (tg_texts.STATS_WEEK, 7)):
            s = await self.backend.stats(days)
            lines.append(tg_texts.STATS_PERIOD.format(label=label, **asdict(s)))
        return render_plain("\n\n".join(lines))

    async def _inbox(self) -> list[Outgoing]:
        if self.backend is None:
            return render_plain(tg_texts.INBOX_UNAVAILABLE)
        total, items = await self.backend.inbox(INBOX_SHOWN)
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

    def _broadcast_preview(self, user_id: int, argument: str) -> list[Outgoing]:
        if self.announcer is None:
            return render_plain(tg_texts.BROADCAST_UNAVAILABLE)
        if not argument.strip():
            return render_plain(tg_texts.BROADCAST_USAGE)
        try:
            preview = self.announcer.preview(argument.strip())
        except ValueError as exc:
            return render_plain(tg_texts.BROADCAST_INVALID.format(reason=exc))
        self._pending[user_id] = argument.strip()
        buttons = [
            Choice(tg_texts.BROADCAST_CONFIRM, action(ADMIN_ACTION, "bc", "ok")),
            Choice(tg_texts.BROADCAST_CANCEL, action(ADMIN_ACTION, "bc", "no")),
        ]
        body = escape(tg_texts.BROADCAST_PREVIEW.format(preview=preview))
        return [Outgoing(body, keyboard(buttons))]

    async def _broadcast_decision(self, user_id: int, args: list[str]) -> str:
        # pop first: a double tap on "send" must not create two runs.
        text = self._pending.pop(user_id, None)
        if args != ["ok"] or text is None:
            return tg_texts.BROADCAST_CANCELLED if args == ["no"] else tg_texts.CALLBACK_STALE
        if self.announcer is None:
            return tg_texts.BROADCAST_UNAVAILABLE
        try:
            run_id = await self.announcer.create_announcement(text, by=f"telegram:{user_id}")
        except ValueError as exc:
            return tg_texts.BROADCAST_INVALID.format(reason=exc)
        self.announcer.deliver_in_background(run_id)
        log.info("staff %s started announcement run %s", user_id, run_id)
        return tg_texts.BROADCAST_STARTED.format(run_id=run_id)

    async def _reload(self) -> str:
        try:
            version = await self.runtime.reload()
        except Exception:
            log.exception("reload requested from Telegram failed")
            return tg_texts.RELOAD_FAILED
        entries = len(self.runtime.live.current.kb.published)
        return tg_texts.RELOADED.format(version=version, entries=entries)


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


def storage_backend(runtime: Runtime) -> StaffBackend | None:
    """The staff backend over the project's storage, or None when the bot runs without one."""
    if runtime.storage is None:
        return None
    from bot.channels.telegram.staff_storage import StorageStaffBackend

    return StorageStaffBackend(runtime.storage)
