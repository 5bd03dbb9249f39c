"""Staff tools typed in a private Zalo chat: Zalo has no buttons, so every step is typed text.

/stats, /inbox, /duyet SỐ [MÃ], /bo SỐ, /reload, /broadcast NỘI DUNG, then GỬI or HỦY. What they
do is the staff service's (bot.core.staff.StaffDesk), who is staff too ("zalo:<user id>").
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Awaitable, Callable

from bot.channels.zalo import texts as t
from bot.core import commands
from bot.core.staff import StaffDesk, StaffUnavailable, staff_identity

log = logging.getLogger(__name__)

CHANNEL = "zalo"
INBOX_SHOWN = 5
INBOX_TEXT_MAX = 300
PROMOTE, DISMISS = "duyet", "bo"
CONFIRM_WORDS = frozenset({"gui", "gui ngay", "ok gui", "dong y"})
CANCEL_WORDS = frozenset({"huy", "khong gui", "thoi"})


def _folded(text: str) -> str:
    """'GỬI ' → 'gui' (staff type without diacritics too)."""
    decomposed = unicodedata.normalize("NFD", text.strip().lower().replace("đ", "d"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


class ZaloStaff:
    def __init__(self, desk: StaffDesk) -> None:
        self.desk = desk

    def allowed(self, user_id: str) -> bool:
        return self.desk.is_staff(staff_identity(CHANNEL, user_id))

    async def handle(self, user_id: str, text: str) -> str | None:
        """The staff reply to a typed line, or None when it is not a staff matter."""
        if not self.allowed(user_id):
            command = commands.command_name(text)
            if command in commands.STAFF_NAMES or command in (PROMOTE, DISMISS):
                # How a province learns the id to put in ZALO_ADMIN_IDS.
                log.warning("zalo user %s is not staff and tried /%s", user_id, command)
            return None
        actor = staff_identity(CHANNEL, user_id)
        command = commands.command_name(text)
        argument = commands.command_argument(text)
        handlers: dict[str, Callable[[], Awaitable[str]]] = {
            commands.STATS: self._stats,
            commands.INBOX: self._inbox,
            commands.RELOAD: self._reload,
            commands.BROADCAST: lambda: self._prepare(actor, argument),
            PROMOTE: lambda: self._promote(actor, argument),
            DISMISS: lambda: self._dismiss(actor, argument),
        }
        if command in handlers:
            log.info("zalo staff command /%s", command)
            try:
                return await handlers[command]()
            except StaffUnavailable:
                return t.STAFF_NO_STORAGE
        word = _folded(text)
        if word in CONFIRM_WORDS:
            return await self._confirm(actor)
        if word in CANCEL_WORDS:
            cancelled = await self.desk.cancel_broadcast(actor)
            return t.STAFF_BROADCAST_CANCELLED if cancelled else t.STAFF_BROADCAST_NOTHING
        return None

    async def _stats(self) -> str:
        today, week = await self.desk.stats(1), await self.desk.stats(7)
        return t.STAFF_STATS.format(
            label_today=t.STAFF_TODAY,
            today=t.STAFF_PERIOD.format(**_fields(today)),
            label_week=t.STAFF_WEEK,
            week=t.STAFF_PERIOD.format(**_fields(week)),
        )

    async def _inbox(self) -> str:
        total, items = await self.desk.inbox(INBOX_SHOWN)
        if not items:
            return t.STAFF_INBOX_EMPTY
        lines = [t.STAFF_INBOX_HEADER.format(count=total, shown=len(items))]
        for item in items:
            text = (
                item.text if len(item.text) <= INBOX_TEXT_MAX else item.text[:INBOX_TEXT_MAX] + "…"
            )
            kind = t.STAFF_INBOX_KINDS.get(item.kind, item.kind)
            lines.append(
                t.STAFF_INBOX_ITEM.format(id=item.id, kind=kind, count=item.count, text=text)
            )
            if item.faq_id:
                lines.append(t.STAFF_INBOX_SUGGESTION.format(faq_id=item.faq_id))
        lines.append("")
        lines.append(t.STAFF_INBOX_HOW)
        return "\n".join(lines)

    async def _promote(self, actor: str, argument: str) -> str:
        parts = argument.replace("#", " ").split()
        if not parts or not parts[0].isdigit():
            return t.STAFF_ITEM_USAGE
        item_id = int(parts[0])
        faq_id = parts[1] if len(parts) > 1 else await self._suggestion(item_id)
        if faq_id is None:
            return t.STAFF_NO_SUGGESTION.format(id=item_id)
        done = await self.desk.promote(actor, item_id, faq_id)
        return (t.STAFF_PROMOTED if done else t.STAFF_GONE).format(id=item_id, faq_id=faq_id)

    async def _suggestion(self, item_id: int) -> str | None:
        _, items = await self.desk.inbox(200)
        return next((i.faq_id for i in items if i.id == item_id), None)

    async def _dismiss(self, actor: str, argument: str) -> str:
        first = argument.replace("#", " ").split()[:1]
        if not first or not first[0].isdigit():
            return t.STAFF_ITEM_USAGE
        done = await self.desk.dismiss(actor, int(first[0]))
        return (t.STAFF_DISMISSED if done else t.STAFF_GONE).format(id=int(first[0]))

    async def _reload(self) -> str:
        try:
            done = await self.desk.reload()
        except StaffUnavailable:
            raise
        except Exception:
            log.exception("reload requested from Zalo failed")
            return t.STAFF_RELOAD_FAILED
        return t.STAFF_RELOADED.format(version=done.version, entries=done.entries)

    async def _prepare(self, actor: str, argument: str) -> str:
        if not argument.strip():
            return t.STAFF_BROADCAST_USAGE
        try:
            preview = await self.desk.prepare_broadcast(actor, argument)
        except StaffUnavailable:
            return t.STAFF_BROADCAST_UNAVAILABLE
        except ValueError as exc:
            return t.STAFF_BROADCAST_INVALID.format(reason=exc)
        return t.STAFF_BROADCAST_PREVIEW.format(preview=preview)

    async def _confirm(self, actor: str) -> str:
        try:
            run_id = await self.desk.confirm_broadcast(actor)
        except StaffUnavailable:
            return t.STAFF_BROADCAST_UNAVAILABLE
        except ValueError as exc:
            return t.STAFF_BROADCAST_INVALID.format(reason=exc)
        if run_id is None:
            return t.STAFF_BROADCAST_NOTHING
        log.info("zalo staff started announcement run %s", run_id)
        return t.STAFF_BROADCAST_STARTED.format(run_id=run_id)


def _fields(stats: object) -> dict[str, int]:
    from dataclasses import asdict, is_dataclass

    assert is_dataclass(stats) and not isinstance(stats, type)
    return {k: int(v) for k, v in asdict(stats).items()}
