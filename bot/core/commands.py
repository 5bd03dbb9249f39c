"""The one list of commands: what citizens and staff may type, read by every channel.

Channels show it in their own way (Telegram's command menu, the web chat's help); the core
answers the citizen commands, the staff service the staff ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Audience(StrEnum):
    CITIZEN = "citizen"
    STAFF = "staff"


@dataclass(frozen=True, slots=True)
class Command:
    """``name`` without the slash; ``description`` in Vietnamese (1-256 characters)."""

    name: str
    description: str
    audience: Audience = Audience.CITIZEN
    # Needs a per-user subscription store and a channel that can deliver tips later.
    subscription: bool = False


START = "start"
MENU = "menu"
HELP = "help"
CONTACTS = "lienhe"
SUBSCRIBE = "subscribe"
UNSUBSCRIBE = "unsubscribe"
TIPS = "tips"
ERASE = "xoadulieu"
STATS = "stats"
INBOX = "inbox"
RELOAD = "reload"
BROADCAST = "broadcast"

COMMANDS: tuple[Command, ...] = (
    Command(START, "Bắt đầu và xem các chủ đề"),
    Command(MENU, "Xem câu hỏi theo chủ đề"),
    Command(HELP, "Hướng dẫn sử dụng trợ lý"),
    Command(CONTACTS, "Số tổng đài và nơi hỗ trợ trực tiếp"),
    Command(SUBSCRIBE, "Nhận mẹo kỹ năng số hằng tuần", subscription=True),
    Command(UNSUBSCRIBE, "Hủy nhận mẹo kỹ năng số", subscription=True),
    Command(TIPS, "Xem mẹo mới nhất"),
    Command(ERASE, "Xóa dữ liệu trợ lý đã lưu về bạn"),
    Command(STATS, "Cán bộ: thống kê hôm nay và 7 ngày", Audience.STAFF),
    Command(INBOX, "Cán bộ: câu hỏi chưa trả lời được", Audience.STAFF),
    Command(RELOAD, "Cán bộ: tải lại kho câu hỏi", Audience.STAFF),
    Command(BROADCAST, "Cán bộ: gửi thông báo tới người đăng ký", Audience.STAFF),
)

CITIZEN_COMMANDS = tuple(c for c in COMMANDS if c.audience is Audience.CITIZEN)
STAFF_COMMANDS = tuple(c for c in COMMANDS if c.audience is Audience.STAFF)
STAFF_NAMES = frozenset(c.name for c in STAFF_COMMANDS)
# Answered by the responder from the knowledge alone.
RESPONDER_NAMES = frozenset({START, HELP, MENU, CONTACTS})
# Answered by the assistant with its subscription and tip ports.
SUBSCRIPTION_NAMES = frozenset({SUBSCRIBE, UNSUBSCRIBE, TIPS})


def command_name(text: str) -> str | None:
    """'/Start@MyBot arg' → 'start'; None when the text is not a command."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None
    head = stripped[1:].split(maxsplit=1)[0]
    return head.split("@", 1)[0].lower() or None


def command_argument(text: str) -> str:
    """'/broadcast  Hello there' → 'Hello there'."""
    return text.strip().partition(" ")[2].strip()
