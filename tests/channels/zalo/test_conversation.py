"""Whole conversations through the Zalo channel against the fake Zalo Bot API (polling)."""

from __future__ import annotations

from bot.channels.zalo import texts as zalo_texts
from bot.core import texts
from bot.runtime import Runtime
from tests.channels.zalo.conftest import CITIZEN, RunningZalo, start_zalo
from tests.fakes.ports import MemoryPorts
from tests.fakes.zalo_server import FakeZalo


async def ask(bot: RunningZalo, text: str, chat: str = CITIZEN) -> str:
    """Send ``text``; everything the bot answered, joined (a long answer is several messages)."""
    fake = bot.fake
    mark = len(fake.sent)
    fake.text(chat, text)
    await fake.replies(chat, since=mark)
    await bot.idle()
    return "\n\n".join(m.text for m in fake.to(chat, mark))


def last(fake: FakeZalo, chat: str = CITIZEN) -> str:
    return fake.to(chat)[-1].text


def numbered(message: str) -> list[str]:
    """The labels of the last run of "1. …" lines (an answer's own steps come before)."""
    labels: list[str] = []
    for line in message.splitlines():
        head, dot, label = line.strip().partition(". ")
        if dot and head == "1":
            labels = [label]
        elif dot and head.isdigit() and int(head) == len(labels) + 1:
            labels.append(label)
    return labels


async def test_greeting_says_automated_and_offers_privacy(polling: RunningZalo) -> None:
    fake = polling.fake
    fake.text(CITIZEN, "/start")
    (greeting,) = await fake.replies(CITIZEN)
    assert greeting.text.startswith(zalo_texts.NOTICE)
    assert "Xin chào! Tôi là trợ lý hỗ trợ dịch vụ công" in greeting.text
    assert numbered(greeting.text)[-1] == zalo_texts.PRIVACY_CHOICE
    assert greeting.text.endswith(zalo_texts.CHOOSE_HINT)
    assert fake.actions == [(CITIZEN, "typing")]

    mark = len(fake.sent)
    fake.text(CITIZEN, str(len(numbered(greeting.text))))
    (privacy,) = await fake.replies(CITIZEN, since=mark)
    assert privacy.text.startswith("Trợ lý này lưu những thông tin gì về tôi")
    assert zalo_texts.NOTICE not in privacy.text  # told once


async def test_no_typing_for_an_answer_ready_within_the_delay(
    fake: FakeZalo, runtime: Runtime
) -> None:
    bot = await start_zalo(fake, runtime, zalo_typing_delay=60.0)
    try:
        assert (await ask(bot, "quen mat khau dich vu cong")).startswith(zalo_texts.NOTICE)
        assert fake.actions == []
    finally:
        await bot.close()


async def test_first_message_of_a_chat_carries_the_notice_once(polling: RunningZalo) -> None:
    fake = polling.fake
    assert (await ask(polling, "quen mat khau dich vu cong")).startswith(zalo_texts.NOTICE)
    assert zalo_texts.NOTICE not in await ask(polling, "quen mat khau dich vu cong")
    assert fake.errors == []


async def test_question_without_diacritics_then_thumbs_down_then_comment(
    polling: RunningZalo, memory_ports: MemoryPorts
) -> None:
    fake = polling.fake
    answer = await ask(polling, "quen mat khau dich vu cong")
    assert "Tôi quên mật khẩu" in answer
    labels = numbered(answer)
    assert labels[-2:] == [texts.FEEDBACK_UP, texts.FEEDBACK_DOWN]
    assert answer.endswith(zalo_texts.FEEDBACK_HINT)

    mark = len(fake.sent)
    fake.text(CITIZEN, "👎")
    (sorry,) = await fake.replies(CITIZEN, since=mark)
    assert sorry.text.startswith("Cảm ơn bạn đã cho biết.")
    assert numbered(sorry.text) == [texts.LEAVE_COMMENT]
    assert await ask(polling, "1") == texts.COMMENT_PROMPT
    assert await ask(polling, "thieu buoc nhap ma OTP gui ve dien thoai") == texts.COMMENT_THANKS
    await polling.idle()
    votes = [f for f in memory_ports.feedback if f["channel"] == "zalo"]
    assert [v["helpful"] for v in votes] == [False, False]
    assert votes[-1]["comment"] == "thieu buoc nhap ma OTP gui ve dien thoai"
    assert votes[0]["faq_id"] == "account.forgot_password"


async def test_ambiguous_question_answered_by_typing_two(polling: RunningZalo) -> None:
    fake = polling.fake
    fake.text(CITIZEN, "tai khoan")
    (choices,) = await fake.replies(CITIZEN)
    assert texts.DID_YOU_MEAN in choices.text
    labels = numbered(choices.text)
    assert len(labels) >= 3

    assert (await ask(polling, "2")).startswith(labels[1])

    # "7" when fewer were offered, and a number with nothing pending: said kindly.
    mark = len(fake.sent)
    fake.text(CITIZEN, "tai khoan")
    await fake.replies(CITIZEN, since=mark)
    offered = numbered(fake.sent[-1].text)
    mark = len(fake.sent)
    fake.text(CITIZEN, "17")
    (out_of_range,) = await fake.replies(CITIZEN, since=mark)
    assert out_of_range.text == zalo_texts.OUT_OF_RANGE.format(count=len(offered))


async def test_number_with_nothing_pending_and_emoji_only(polling: RunningZalo) -> None:
    fake = polling.fake
    fake.text(CITIZEN, "3")
    (first,) = await fake.replies(CITIZEN)
    assert first.text == zalo_texts.NO_PENDING
    mark = len(fake.sent)
    fake.text(CITIZEN, "😀😀")
    (emoji,) = await fake.replies(CITIZEN, since=mark)
    assert texts.EMPTY in emoji.text


async def test_sticker_image_voice_ask_to_type_and_unsupported_is_kind(
    polling: RunningZalo,
) -> None:
    fake = polling.fake
    for event in ("message.sticker.received", "message.image.received"):
        mark = len(fake.sent)
        fake.push(fake.event(CITIZEN, event, sticker="abc", photo_url="https://x/y.jpg"))
        (reply,) = await fake.replies(CITIZEN, since=mark)
        assert texts.NON_TEXT in reply.text
    mark = len(fake.sent)
    fake.push(fake.event(CITIZEN, "message.unsupported.received"))
    (kind,) = await fake.replies(CITIZEN, since=mark)
    assert kind.text == zalo_texts.UNSUPPORTED
    assert "lỗi" not in kind.text
    # A protected user's first message arrives as "unsupported": told it is automated too.
    fake.push(fake.event("6010", "message.unsupported.received"))
    (first,) = await fake.replies("6010")
    assert first.text == f"{zalo_texts.NOTICE}\n\n{zalo_texts.UNSUPPORTED}"


async def test_unknown_events_and_shapes_are_ignored_without_a_crash(polling: RunningZalo) -> None:
    fake = polling.fake
    fake.push(fake.event(CITIZEN, "user.follow.received"))
    fake.push({"event_name": "message.text.received", "message": {"text": "no sender"}})
    fake.push({"event_name": 42, "message": {"from": "x", "chat": [], "text": {"a": 1}}})
    fake.push({"nothing": True})
    fake.text(CITIZEN, "/lienhe")
    (contacts,) = await fake.replies(CITIZEN)
    assert "Liên hệ hỗ trợ" in contacts.text
    assert len(fake.sent) == 1


async def test_long_answer_split_at_paragraphs(polling: RunningZalo) -> None:
    fake = polling.fake
    fake.text(CITIZEN, "/start")
    await fake.replies(CITIZEN)
    long = "cho tôi hỏi " + "rất dài " * 1000
    mark = len(fake.sent)
    fake.text(CITIZEN, long)
    replies = await fake.replies(CITIZEN, since=mark)
    assert all(1 <= len(m.text) <= 2000 for m in replies)
    assert fake.errors == []


async def test_groups_answer_only_when_mentioned_or_replied_to(polling: RunningZalo) -> None:
    fake = polling.fake
    group = "g-77"
    fake.text(CITIZEN, "quen mat khau dich vu cong", chat_id=group, chat_type="GROUP")
    fake.text(
        CITIZEN, "@Bot Dịch vụ công quen mat khau dich vu cong", chat_id=group, chat_type="GROUP"
    )
    (answer, *_) = await fake.replies(group)
    assert "Tôi quên mật khẩu" in answer.text
    await polling.idle()
    mark = len(fake.sent)
    fake.text(
        CITIZEN,
        "con bi khoa thi sao",
        chat_id=group,
        chat_type="GROUP",
        quote={"from": {"id": "2718281828"}},
    )
    await fake.replies(group, since=mark)
    await polling.idle()
    assert "quen mat khau" not in " ".join(m.text for m in fake.sent)
    assert fake.to(CITIZEN) == []


async def test_rate_limited_answer_waits_and_blocked_chat_unsubscribes(
    polling: RunningZalo, memory_ports: MemoryPorts
) -> None:
    fake = polling.fake
    fake.fail_next("sendMessage", 429, http=429)
    fake.text(CITIZEN, "/lienhe")
    (contacts,) = await fake.replies(CITIZEN)
    assert "Liên hệ hỗ trợ" in contacts.text
    memory_ports.subscribers[("zalo", "6002")] = "6002"
    fake.blocked.add("6002")
    fake.text("6002", "/lienhe")
    await fake.wait_for(lambda: any(code == 403 for _, code, _ in fake.errors))
    await polling.idle()
    assert ("zalo", "6002") not in memory_ports.subscribers
