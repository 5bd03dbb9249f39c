"""Reading Zalo updates defensively, numbered choices, and rendering within 2,000 characters."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.zalo import texts as zalo_texts
from bot.channels.zalo import updates as ev
from bot.channels.zalo.choices import PendingChoices, number_of, thumbs
from bot.channels.zalo.render import render
from bot.core import texts
from bot.core.messages import Choice, Outcome, Reply

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


def test_numbers_and_thumbs() -> None:
    assert [number_of(t) for t in ("2", " 2. ", "số 3", "2)", "12", "2 cái", "", "two")] == [
        2,
        2,
        3,
        2,
        12,
        None,
        None,
        None,
    ]
    assert (thumbs("👍"), thumbs(" 👎🏽 "), thumbs("👍 ok"), thumbs("😀")) == ("1", "0", None, None)


def test_pending_choices() -> None:
    memory = PendingChoices()
    assert memory.read("c", "hello") is None
    picked = memory.read("c", "1")
    assert picked is not None and picked.nothing_pending
    options = (Choice("a", "faq:a"), Choice("b", "faq:b"), Choice("up", "fb:1:a"))
    memory.remember("c", options)
    assert memory.read("c", "2") == type(picked)(options[1])
    out = memory.read("c", "7")
    assert out is not None and out.out_of_range == 3
    assert memory.read("c", "👍") == type(picked)(options[2])
    assert memory.read("c", "👎") is None  # no 👎 offered: read as a message
    memory.remember("c", ())
    assert memory.pending("c") == ()


def test_render_numbers_choices_with_the_hint_last() -> None:
    reply = Reply("Có phải bạn muốn hỏi:", Outcome.AMBIGUOUS, choices=(Choice("A?", "pick:a"),))
    rendered = render(reply)
    assert rendered.messages == [f"Có phải bạn muốn hỏi:\n\n1. A?\n{zalo_texts.CHOOSE_HINT}"]
    noticed = render(reply, notice=True)
    assert noticed.messages[0].startswith(zalo_texts.NOTICE + "\n\n")
    assert [c.label for c in noticed.choices] == ["A?", zalo_texts.PRIVACY_CHOICE]


def test_render_splits_3000_characters_at_paragraphs() -> None:
    paragraphs = [f"Đoạn {n}: " + "chữ " * 119 + "hết." for n in range(6)]  # ~490 characters
    text = "\n\n".join(paragraphs)
    reply = Reply(text, Outcome.ANSWERED, faq_id="a.b", ask_feedback=True)
    messages = render(reply).messages
    assert len(text) > 2900 and len(messages) == 2
    assert all(len(m) <= 2000 for m in messages)
    # Whole paragraphs in each message, in order.
    assert "\n\n".join(messages).startswith(text)
    assert messages[-1].endswith(
        f"1. {texts.FEEDBACK_UP}\n2. {texts.FEEDBACK_DOWN}\n{zalo_texts.FEEDBACK_HINT}"
    )
