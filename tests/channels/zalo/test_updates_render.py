"""Reading Zalo updates defensively, numbered choices, and rendering within 2,000 characters."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.text_choices import numbered
from bot.channels.zalo import texts as zalo_texts
from bot.channels.zalo import updates as ev
from bot.channels.zalo.render import for_zalo, split
from bot.core import texts
from bot.core.messages import Choice, Outcome, Reply, with_feedback

DOCUMENTED: dict[str, Any] = {
    "ok": True,
    "result": {
        "event_name": "message.text.received",
        "message": {
            "from": {"id": "6ede9afa66b88fe6d6a9", "display_name": "Ted", "is_bot": False},
            "chat": {"id": "6ede9afa66b88fe6d6a9", "chat_type": "PRIVATE"},
            "text": "Xin chào",
            "message_id": "2d758cb5e222177a4e35",
            "date": 1750316131602,
        },
    },
}
BOT = ev.BotIdentity("b1", ("Bot Dịch vụ công",))


def test_the_documented_shape() -> None:
    update = ev.parse(ev.unwrap(DOCUMENTED))
    assert update.event == ev.TEXT
    assert (update.user_id, update.chat_id, update.display_name) == (
        "6ede9afa66b88fe6d6a9",
        "6ede9afa66b88fe6d6a9",
        "Ted",
    )
    assert update.text == "Xin chào" and update.date_ms == 1750316131602
    assert update.key == "message.text.received:2d758cb5e222177a4e35"
    assert not update.group and not update.is_bot


def test_drifted_and_broken_shapes_never_crash() -> None:
    drifted = {
        "event_name": "message.text.received",
        "message": {
            "from": {"id": 123, "first_name": "Lan"},
            "chat": {"id": 123, "chat_type": "GROUP"},
            "text": "hi",
            "message_id": 9,
            "photo_url": "x",
            "message_type": "CHAT",
        },
    }
    update = ev.parse(drifted)
    assert (update.user_id, update.display_name, update.message_id) == ("123", "Lan", "9")
    assert update.group
    broken = ev.parse({"event_name": None, "message": {"from": [], "chat": "x", "text": 5}})
    assert (broken.event, broken.user_id, broken.chat_id, broken.text) == ("", None, None, None)
    # No message id: the same content gives the same key, other content another.
    a, b = (
        ev.parse({"event_name": "x", "message": {}}),
        ev.parse({"event_name": "x", "message": {}}),
    )
    assert a.key == b.key != ev.parse({"event_name": "y", "message": {}}).key


@pytest.mark.parametrize(
    "body", [None, [], [DOCUMENTED["result"]], {"ok": True}, {"result": {"event_name": "x"}}, "x"]
)
def test_bodies_without_an_update(body: Any) -> None:
    with pytest.raises(ev.NotAnUpdate):
        ev.unwrap(body)


def test_polled_results_one_or_a_list() -> None:
    assert len(ev.polled(DOCUMENTED["result"])) == 1
    assert len(ev.polled([DOCUMENTED["result"], 5, {"x": 1}, DOCUMENTED["result"]])) == 2
    assert ev.polled("nonsense") == []


def test_group_addressing() -> None:
    def group(text: str, **extra: Any) -> ev.ZaloUpdate:
        message = {"from": {"id": "u"}, "chat": {"id": "g", "chat_type": "GROUP"}, "text": text}
        return ev.parse({"event_name": ev.TEXT, "message": {**message, **extra}})

    assert not group("quen mat khau").addressed_to(BOT)
    mentioned = group("@bot dịch vụ công, quen mat khau")
    assert mentioned.addressed_to(BOT)
    assert mentioned.without_mention(BOT) == "quen mat khau"
    assert group("x", mentions=[{"id": "b1"}]).addressed_to(BOT)
    assert group("x", reply_to_message={"from": {"id": "b1"}}).addressed_to(BOT)
    assert not group("x", reply_to_message={"from": {"id": "other"}}).addressed_to(BOT)
    assert not group("x", mentions=["", None, {"id": True}]).addressed_to(ev.BotIdentity())


def test_render_numbers_choices_with_the_hint_last() -> None:
    reply = Reply("Có phải bạn muốn hỏi:", Outcome.AMBIGUOUS, choices=(Choice("A?", "pick:a"),))
    assert numbered(for_zalo(reply)).splitlines()[-2:] == ["  1. A?", zalo_texts.CHOOSE_HINT]
    noticed = for_zalo(reply, notice=True)
    assert noticed.text.startswith(zalo_texts.NOTICE + "\n\n")
    assert [c.label for c in noticed.choices] == ["A?", zalo_texts.PRIVACY_CHOICE]
    vote = Reply("x", Outcome.ANSWERED, faq_id="a.b", ask_feedback=True)
    voted = for_zalo(with_feedback(vote), notice=True)
    assert [c.label for c in voted.choices] == [
        zalo_texts.PRIVACY_CHOICE,
        texts.FEEDBACK_UP,
        texts.FEEDBACK_DOWN,
    ]
    assert voted.hint == zalo_texts.FEEDBACK_HINT
    assert for_zalo(Reply("x", Outcome.COMMAND)).hint == ""


def test_split_3000_characters_at_paragraphs() -> None:
    paragraphs = [f"Đoạn {n}: " + "chữ " * 119 + "hết." for n in range(6)]  # ~490 characters
    text = "\n\n".join(paragraphs)
    messages = split(text)
    assert len(text) > 2900 and len(messages) == 2
    assert all(len(m) <= 2000 for m in messages)
    assert "\n\n".join(messages) == text  # whole paragraphs, in order
