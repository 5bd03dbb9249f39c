"""Bot API objects and checks shared by the fake servers: users, chats, sent messages, limits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.fakes.telegram_html import HtmlError, parse_html, utf16_length

TOKEN = "123:abc"
BOT_ID = 123
BOT_USERNAME = "dvc_test_bot"
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Trợ lý", "username": BOT_USERNAME}
MAX_TEXT = 4096
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_COMMAND_AT_START = re.compile(r"^/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}")
JSON_FIELDS = frozenset(
    {"reply_markup", "allowed_updates", "commands", "scope", "link_preview_options"}
    | {"reply_parameters", "entities"}
)


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


@dataclass
class SentMessage:
    """A message the bot sent (and possibly edited since)."""

    message_id: int
    chat_id: int
    text: str  # visible text, after HTML parsing
    raw: str  # as the bot sent it
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    reply_to: int | None = None
    edits: int = 0

    @property
    def buttons(self) -> list[tuple[str, str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    def data(self, label_part: str) -> str:
        """callback_data of the first button whose label contains ``label_part``."""
        for label, data in self.buttons:
            if label_part in label:
                return data
        raise AssertionError(f"no button {label_part!r} in {self.buttons}")


def user(user_id: int, name: str = "Lan") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "vi"}


def private_chat(user_id: int, name: str = "Lan") -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": name}


def group_chat(chat_id: int, title: str = "Tổ dân phố 5") -> dict[str, Any]:
    return {"id": chat_id, "type": "supergroup", "title": title}


def auto_entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram adds by itself: a leading /command and @mentions."""
    entities: list[dict[str, Any]] = []

    def span(start: int, end: int) -> tuple[int, int]:
        return utf16_length(text[:start]), utf16_length(text[start:end])

    command = _COMMAND_AT_START.match(text)
    if command:
        offset, length = span(0, command.end())
        entities.append({"type": "bot_command", "offset": offset, "length": length})
    for mention in _MENTION.finditer(text):
        offset, length = span(mention.start(), mention.end())
        entities.append({"type": "mention", "offset": offset, "length": length})
    return entities


def check_text(params: dict[str, Any]) -> str:
    """The visible text of a sendMessage / editMessageText, or the ApiError Telegram gives."""
    raw = str(params.get("text", ""))
    try:
        visible = parse_html(raw) if params.get("parse_mode") == "HTML" else raw
    except HtmlError as exc:
        raise ApiError(400, f"Bad Request: {exc}") from exc
    if not visible.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_length(visible) > MAX_TEXT:
        raise ApiError(400, "Bad Request: message is too long")
    return visible


def check_markup(params: dict[str, Any]) -> dict[str, Any] | None:
    """The inline keyboard, checked like Telegram checks it."""
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict) or not isinstance(markup.get("inline_keyboard"), list):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    buttons = [b for row in markup["inline_keyboard"] for b in row]
    if len(buttons) > 100:
        raise ApiError(400, "Bad Request: too many inline keyboard buttons")
    for button in buttons:
        if not str(button.get("text", "")).strip():
            raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup
