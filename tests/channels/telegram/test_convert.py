"""Telegram messages → IncomingMessage."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Message

from bot.channels.telegram.convert import (
    BotIdentity,
    addresses_bot,
    message_kind,
    strip_mention,
    to_incoming,
)
from bot.core.messages import MessageKind
from tests.fakes.telegram_server import BOT_ID, BOT_USERNAME, auto_entities, group_chat, user

ME = BotIdentity(BOT_ID, BOT_USERNAME)


def message(
    text: str | None = None, *, chat: dict[str, Any] | None = None, **extra: Any
) -> Message:
    data: dict[str, Any] = {
        "message_id": 7,
        "date": 0,
        "chat": chat or {"id": 5, "type": "private"},
        "from": user(5),
        **extra,
    }
    if text is not None:
        data["text"] = text
        data["entities"] = auto_entities(text)
    parsed = Message.de_json(data, None)
    assert parsed is not None
    return parsed


@pytest.mark.parametrize(
    ("extra", "kind"),
    [
        (
            {
                "sticker": {
                    "file_id": "s",
                    "file_unique_id": "s",
                    "width": 1,
                    "height": 1,
                    "is_animated": False,
                    "is_video": False,
                    "type": "regular",
                }
            },
            MessageKind.STICKER,
        ),
        ({"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}}, MessageKind.VOICE),
        (
            {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]},
            MessageKind.PHOTO,
        ),
        ({"document": {"file_id": "d", "file_unique_id": "d"}}, MessageKind.DOCUMENT),
        ({"location": {"latitude": 21.0, "longitude": 105.8}}, MessageKind.LOCATION),
        ({"contact": {"phone_number": "0900000000", "first_name": "A"}}, MessageKind.OTHER),
        ({"new_chat_members": [user(6)]}, None),
        (
            {"pinned_message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}}},
            None,
        ),
    ],
)
def test_message_kinds(extra: dict[str, Any], kind: MessageKind | None) -> None:
    assert message_kind(message(**extra)) is kind


def test_a_captioned_photo_is_read_as_its_caption() -> None:
    msg = message(
        caption="lỗi này là sao",
        photo=[{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}],
    )
    incoming = to_incoming(msg, msg.from_user, ME)  # type: ignore[arg-type]
    assert incoming is not None
    assert (incoming.kind, incoming.text) == (MessageKind.TEXT, "lỗi này là sao")


def test_private_text() -> None:
    msg = message("quen mat khau")
    incoming = to_incoming(msg, msg.from_user, ME)  # type: ignore[arg-type]
    assert incoming is not None
    assert (incoming.channel, incoming.user_id, incoming.chat_id) == ("telegram", "5", "5")
    assert incoming.display_name == "Lan"


GROUP = group_chat(-100)


@pytest.mark.parametrize(
    ("text", "extra", "addressed"),
    [
        ("quên mật khẩu", {}, False),
        (f"@{BOT_USERNAME} quên mật khẩu", {}, True),
        (f"cho hỏi @{BOT_USERNAME.upper()} quên mật khẩu", {}, True),
        ("@someone_else quên mật khẩu", {}, False),
        (f"/help@{BOT_USERNAME}", {}, True),
        ("/help@other_bot", {}, False),
        ("/help", {}, False),
        (
            "quên mật khẩu",
            {
                "reply_to_message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": GROUP,
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bot"},
                }
            },
            True,
        ),
        (
            "quên mật khẩu",
            {"reply_to_message": {"message_id": 1, "date": 0, "chat": GROUP, "from": user(8)}},
            False,
        ),
    ],
)
def test_groups_answer_only_when_addressed(
    text: str, extra: dict[str, Any], addressed: bool
) -> None:
    assert addresses_bot(message(text, chat=GROUP, **extra), ME) is addressed


def test_mention_is_stripped_from_group_questions() -> None:
    msg = message(f"@{BOT_USERNAME} quên   mật khẩu", chat=GROUP)
    incoming = to_incoming(msg, msg.from_user, ME)  # type: ignore[arg-type]
    assert incoming is not None
    assert incoming.text == "quên mật khẩu"
    assert strip_mention("email a@dvc_test_bot.vn", ME) == "email a@dvc_test_bot.vn"
