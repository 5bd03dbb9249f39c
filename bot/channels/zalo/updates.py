"""Zalo updates read defensively: unknown fields and events never crash, odd shapes are named.

Documented body: ``{"ok": true, "result": {"event_name", "message": {"from": {"id",
"display_name", "is_bot"}, "chat": {"id", "chat_type"}, "text", "message_id", "date"}}}``.
Real payloads drift: ``first_name`` instead of ``display_name``, numbers as strings, ``date`` in
milliseconds, extra fields. getUpdates returns one update (sometimes a list in samples).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

TEXT = "message.text.received"
IMAGE = "message.image.received"
STICKER = "message.sticker.received"
VOICE = "message.voice.received"
UNSUPPORTED = "message.unsupported.received"
GROUP = "GROUP"


class NotAnUpdate(ValueError):
    """A body that carries no update (no result, no message); the webhook answers 400."""


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who the bot is (from getMe), to tell whether a group message is meant for it."""

    id: str = ""
    names: tuple[str, ...] = ()

    @classmethod
    def from_me(cls, me: dict[str, Any]) -> BotIdentity:
        names = tuple(
            str(me[k]).strip() for k in ("display_name", "account_name", "name") if _text(me.get(k))
        )
        return cls(_id(me.get("id")) or "", names)


@dataclass(frozen=True, slots=True)
class ZaloUpdate:
    event: str
    message_id: str | None
    chat_id: str | None
    chat_type: str
    user_id: str | None
    display_name: str | None
    is_bot: bool
    text: str | None
    date_ms: int | None
    raw: dict[str, Any] = field(repr=False)

    @property
    def group(self) -> bool:
        return self.chat_type.upper() == GROUP

    @property
    def key(self) -> str:
        """Same event and message id → same key (re-deliveries are recognised); a message
        without an id is keyed by its content."""
        if self.message_id:
            return f"{self.event}:{self.message_id}"[:200]
        digest = hashlib.sha256(json.dumps(self.raw, sort_keys=True, default=str).encode())
        return f"{self.event}:#{digest.hexdigest()[:32]}"

    def addressed_to(self, bot: BotIdentity) -> bool:
        """In a group: the bot is mentioned (by id or "@name") or the message replies to it."""
        message = self.raw.get("message")
        if not isinstance(message, dict):
            return False
        for key in ("mentions", "mention", "mention_ids", "entities"):
            for item in _as_list(message.get(key)):
                ident = (
                    _id(item.get("id") or item.get("user_id"))
                    if isinstance(item, dict)
                    else _id(item)
                )
                if ident and ident == bot.id:
                    return True
        for key in ("reply_to_message", "quote", "reply_to", "quoted_message"):
            quoted = message.get(key)
            if isinstance(quoted, dict):
                sender = _obj(quoted.get("from")) or quoted
                if _id(sender.get("id") or sender.get("sender_id")) == bot.id and bot.id:
                    return True
        text = (self.text or "").casefold()
        return any(f"@{name.casefold()}" in text for name in bot.names)

    def without_mention(self, bot: BotIdentity) -> str:
        text = self.text or ""
        for name in bot.names:
            text = re.sub(rf"@{re.escape(name)}[,:]?", " ", text, flags=re.IGNORECASE)
        return " ".join(text.split()) if text != (self.text or "") else text


def unwrap(body: Any) -> dict[str, Any]:
    """The update object of a webhook body or getUpdates result; NotAnUpdate otherwise."""
    if isinstance(body, dict) and "result" in body:
        body = body["result"]
    if isinstance(body, list):
        raise NotAnUpdate("a list where one update was expected")
    if not isinstance(body, dict):
        raise NotAnUpdate("no update object")
    if not isinstance(body.get("message"), dict):
        raise NotAnUpdate("no message in the update")
    return body


def polled(result: Any) -> list[dict[str, Any]]:
    """getUpdates' result as updates: one object, a list of them, or nothing usable."""
    items = result if isinstance(result, list) else [result]
    found: list[dict[str, Any]] = []
    for item in items:
        try:
            found.append(unwrap(item))
        except NotAnUpdate:
            continue
    return found


def parse(update: dict[str, Any]) -> ZaloUpdate:
    """Read an update object (see ``unwrap``); missing or odd fields become None."""
    message = _obj(update.get("message"))
    sender = _obj(message.get("from"))
    chat = _obj(message.get("chat"))
    event = update.get("event_name")
    name = next(
        (str(sender[k]) for k in ("display_name", "first_name", "name") if _text(sender.get(k))),
        None,
    )
    text = message.get("text")
    chat_type = chat.get("chat_type") or chat.get("type") or "PRIVATE"
    user_id = _id(sender.get("id"))
    return ZaloUpdate(
        event=str(event) if isinstance(event, str) else "",
        message_id=_id(message.get("message_id") or message.get("msg_id")),
        chat_id=_id(chat.get("id")) or user_id,
        chat_type=str(chat_type) if isinstance(chat_type, str) else "PRIVATE",
        user_id=user_id,
        display_name=name[:100] if name else None,
        is_bot=sender.get("is_bot") is True,
        text=text if isinstance(text, str) else None,
        date_ms=message.get("date") if isinstance(message.get("date"), int) else None,
        raw=update,
    )


def _id(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | str) and str(value).strip():
        return str(value).strip()[:100]
    return None


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
