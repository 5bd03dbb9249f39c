"""Telegram messages → the core's IncomingMessage (pure functions, no network)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import Chat, Message, MessageEntity, User

from bot.core.messages import IncomingMessage, MessageKind

CHANNEL = "telegram"

# Attachment attribute → what the core is told; checked in this order.
_ATTACHMENTS: tuple[tuple[str, MessageKind], ...] = (
    ("voice", MessageKind.VOICE),
    ("audio", MessageKind.VOICE),
    ("video_note", MessageKind.VOICE),
    ("photo", MessageKind.PHOTO),
    ("video", MessageKind.PHOTO),
    ("animation", MessageKind.PHOTO),
    ("sticker", MessageKind.STICKER),
    ("dice", MessageKind.STICKER),
    ("document", MessageKind.DOCUMENT),
    ("location", MessageKind.LOCATION),
    ("venue", MessageKind.LOCATION),
    ("contact", MessageKind.OTHER),
    ("poll", MessageKind.OTHER),
    ("game", MessageKind.OTHER),
    ("story", MessageKind.OTHER),
)
GROUP_TYPES = frozenset({Chat.GROUP, Chat.SUPERGROUP})


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who the bot is, to recognise mentions and replies in groups."""

    id: int
    username: str

    @property
    def mention(self) -> str:
        return f"@{self.username}".lower()


def message_kind(message: Message) -> MessageKind | None:
    """What a message carries; None for service messages (joins, pins, …) that need no answer."""
    if message.text is not None or message.caption:
        return MessageKind.TEXT
    for attribute, kind in _ATTACHMENTS:
        if getattr(message, attribute, None):
            return kind
    return None


def is_group(chat: Chat) -> bool:
    return chat.type in GROUP_TYPES


def addresses_bot(message: Message, bot: BotIdentity) -> bool:
    """In a group: a reply to the bot, an @mention of it, or a /command@bot."""
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
        return True
    entities = message.entities or message.caption_entities
    text = message.text or message.caption or ""
    parse = message.parse_entities if message.text is not None else message.parse_caption_entities
    for entity, value in parse().items():
        if entity.type == MessageEntity.MENTION and value.lower() == bot.mention:
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id:
            return True
        if entity.type == MessageEntity.BOT_COMMAND and value.lower().endswith(bot.mention):
            return True
    # Clients sometimes omit entities (edited or forwarded text): fall back to the raw text.
    return not entities and bot.mention in text.lower()


def strip_mention(text: str, bot: BotIdentity) -> str:
    """Remove "@bot" from a group message so the matcher sees only the question."""
    if not bot.username:
        return text
    pattern = re.compile(rf"(?<![/\w])@{re.escape(bot.username)}\b", re.IGNORECASE)
    return " ".join(pattern.sub(" ", text).split()) if pattern.search(text) else text


def display_name(user: User) -> str | None:
    name = user.full_name.strip()
    return name[:200] or None


def to_incoming(message: Message, user: User, bot: BotIdentity) -> IncomingMessage | None:
    """The core's view of a citizen message, or None when nothing should be answered."""
    kind = message_kind(message)
    if kind is None:
        return None
    chat = message.chat
    text: str | None = None
    if kind is MessageKind.TEXT:
        text = message.text if message.text is not None else message.caption
        if is_group(chat) and text:
            text = strip_mention(text, bot)
    return IncomingMessage(
        channel=CHANNEL,
        user_id=str(user.id),
        chat_id=str(chat.id),
        text=text,
        kind=kind,
        display_name=display_name(user),
    )


def to_action(user: User, chat_id: int, data: str) -> IncomingMessage:
    """A tapped inline button."""
    return IncomingMessage(
        channel=CHANNEL,
        user_id=str(user.id),
        chat_id=str(chat_id),
        kind=MessageKind.ACTION,
        action=data,
        display_name=display_name(user),
    )
