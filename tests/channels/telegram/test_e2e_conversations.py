"""Whole conversations: the real Application, polling the fake Bot API server over HTTP."""

from __future__ import annotations

from bot.channels.telegram import texts as tg_texts
from bot.core import texts
from bot.core.ports import Tip
from tests.channels.telegram.conftest import ADMIN_ID, CITIZEN, RunningBot
from tests.fakes.ports import MemoryPorts
from tests.fakes.telegram_server import BOT_USERNAME, group_chat


def no_refusals(bot: RunningBot) -> None:
    """Telegram refused nothing we sent (no 400 for length, HTML or buttons)."""
    assert bot.fake.errors == []


async def test_start_menu_category_question_vote_and_subscribe(
    running: RunningBot, memory_ports: MemoryPorts
) -> None:
    fake = running.fake
    fake.text(CITIZEN, "/start")
    (greeting,) = await fake.replies(CITIZEN)
    assert greeting.text.startswith("Xin chào! Tôi là trợ lý hỗ trợ dịch vụ công")
    assert greeting.buttons[0] == ("👤 Tài khoản và đăng nhập", "cat:account")

    # A category tap turns the menu into that category's questions, in place.
    fake.press(CITIZEN, greeting, "cat:account")
    await fake.wait_for(lambda: greeting.edits == 1)
    assert greeting.text.startswith("👤 Tài khoản và đăng nhập: chọn câu hỏi bạn cần.")
    assert greeting.buttons[-1] == (texts.MENU_BUTTON, "menu")
    question = greeting.data("quên mật khẩu")

    mark = len(fake.sent)
    fake.press(CITIZEN, greeting, question)
    (answer,) = await fake.replies(CITIZEN, since=mark)
    assert answer.raw.startswith("<b>Tôi quên mật khẩu")
    assert answer.text.endswith(texts.RELATED)
    assert answer.buttons[-2:] == [
        (texts.FEEDBACK_UP, "fb:1:account.forgot_password"),
        (texts.FEEDBACK_DOWN, "fb:0:account.forgot_password"),
    ]

    # 👍: thanks, an offer to subscribe, and the vote buttons disappear.
    mark = len(fake.sent)
    fake.press(CITIZEN, answer, "fb:1:account.forgot_password")
    (thanks,) = await fake.replies(CITIZEN, since=mark)
    assert thanks.text == texts.FEEDBACK_THANKS
    assert all(not data.startswith("fb:") for _, data in answer.buttons)
    assert memory_ports.feedback[-1]["helpful"] is True

    mark = len(fake.sent)
    fake.press(CITIZEN, thanks, thanks.data("Nhận mẹo"))
    (subscribed,) = await fake.replies(CITIZEN, since=mark)
    assert subscribed.text == texts.SUBSCRIBED
    assert ("telegram", str(CITIZEN)) in memory_ports.subscribers
    await fake.wait_for(lambda: None not in fake.callback_answers.values())
    assert len(fake.callback_answers) == 4
    no_refusals(running)


async def test_question_without_diacritics_is_answered_with_typing_first(
    running: RunningBot, memory_ports: MemoryPorts
) -> None:
    fake = running.fake
    fake.text(CITIZEN, "nop tien roi ma ho so van bao chua thanh toan")
    (answer,) = await fake.replies(CITIZEN)
    assert answer.text.startswith("Tôi đã bị trừ tiền nhưng hồ sơ vẫn báo chưa thanh toán")
    assert (CITIZEN, "typing") in fake.actions
    names = [name for name, _ in fake.calls]
    assert names.index("sendChatAction") < names.index("sendMessage")
    assert memory_ports.exchanges[-1].reply.faq_id == "pay.charged_not_updated"
    no_refusals(running)


async def test_out_of_scope_gets_the_honest_fallback(running: RunningBot) -> None:
    fake = running.fake
    fake.text(CITIZEN, "giá xăng hôm nay bao nhiêu")
    (fallback,) = await fake.replies(CITIZEN)
    assert fallback.text.startswith("Xin lỗi, tôi chưa có câu trả lời")
    assert "18001096" in fallback.text
    assert [data for _, data in fallback.buttons][:2] == ["cat:account", "cat:service"]


async def test_ambiguous_offers_choices_and_a_pick_answers(running: RunningBot) -> None:
    fake = running.fake
    fake.text(CITIZEN, "tai khoan")
    (choices,) = await fake.replies(CITIZEN)
    assert choices.text.startswith(texts.DID_YOU_MEAN)
    picks = [data for _, data in choices.buttons if data.startswith("pick:")]
    assert 1 <= len(picks) <= 3
    mark = len(fake.sent)
    fake.press(CITIZEN, choices, picks[0])
    (answer,) = await fake.replies(CITIZEN, since=mark)
    assert answer.buttons[-1][1] == "fb:0:" + picks[0].split(":", 1)[1]


async def test_thumbs_down_comment_reaches_feedback(
    running: RunningBot, memory_ports: MemoryPorts
) -> None:
    fake = running.fake
    fake.text(CITIZEN, "quen mat khau dich vu cong")
    (answer,) = await fake.replies(CITIZEN)
    mark = len(fake.sent)
    fake.press(CITIZEN, answer, answer.data("👎"))
    (sorry,) = await fake.replies(CITIZEN, since=mark)
    assert "góp ý" in sorry.text
    mark = len(fake.sent)
    fake.press(CITIZEN, sorry, sorry.data("góp ý"))
    (prompt,) = await fake.replies(CITIZEN, since=mark)
    assert prompt.text == texts.COMMENT_PROMPT
    mark = len(fake.sent)
    fake.text(CITIZEN, "Hướng dẫn thiếu bước <nhập OTP> & xác nhận")
    (done,) = await fake.replies(CITIZEN, since=mark)
    assert done.text == texts.COMMENT_THANKS
    stored = memory_ports.feedback[-1]
    assert stored["helpful"] is False
    assert stored["comment"] == "Hướng dẫn thiếu bước <nhập OTP> & xác nhận"


async def test_subscribe_tips_unsubscribe(running: RunningBot, memory_ports: MemoryPorts) -> None:
    fake = running.fake
    memory_ports.tips.append(Tip("t1", "Mật khẩu mạnh", "Dùng ít nhất 12 ký tự & đừng dùng lại."))
    for command, expected in (
        ("/subscribe", texts.SUBSCRIBED),
        ("/subscribe", texts.ALREADY_SUBSCRIBED),
        ("/tips", "💡 Mật khẩu mạnh\n\nDùng ít nhất 12 ký tự & đừng dùng lại."),
        ("/unsubscribe", texts.UNSUBSCRIBED),
    ):
        mark = len(fake.sent)
        fake.text(CITIZEN, command)
        (reply,) = await fake.replies(CITIZEN, since=mark)
        assert reply.text == expected
    no_refusals(running)


async def test_help_lienhe_and_a_sticker(running: RunningBot) -> None:
    fake = running.fake
    fake.text(CITIZEN, "/help")
    fake.text(CITIZEN, "/lienhe")
    fake.message(
        CITIZEN,
        sticker={
            "file_id": "s",
            "file_unique_id": "s",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        },
    )
    helped, contacts, sticker = await fake.replies(CITIZEN, 3)
    assert helped.text.startswith("Cách dùng trợ lý:")
    assert "☎️ Tổng đài: 18001096" in contacts.text
    assert sticker.text == texts.NON_TEXT


async def test_an_8000_character_message_and_html_looking_text(running: RunningBot) -> None:
    fake = running.fake
    fake.text(CITIZEN, "cho tôi hỏi " + "rất dài " * 1000)
    (long_reply,) = await fake.replies(CITIZEN)
    assert long_reply.text.startswith(texts.TOO_LONG_NOTE)
    mark = len(fake.sent)
    fake.text(CITIZEN, '<b>xin</b> & <script>alert("x")</script>')
    (reply,) = await fake.replies(CITIZEN, since=mark)
    assert reply.parse_mode == "HTML"
    no_refusals(running)


async def test_groups_only_when_mentioned_or_replied_to(running: RunningBot) -> None:
    fake = running.fake
    group = group_chat(-100500)
    ignored = fake.text(CITIZEN, "quen mat khau dich vu cong", chat=group)
    await running.settle(ignored)
    assert fake.to(-100500) == []
    asked = fake.text(CITIZEN, f"@{BOT_USERNAME} quen mat khau dich vu cong", chat=group)
    (answer,) = await fake.replies(-100500)
    assert answer.reply_to is not None and answer.text.startswith("Tôi quên mật khẩu")
    await running.settle(asked)
    mark = len(fake.sent)
    reply = fake.message_json(answer)
    fake.text(CITIZEN, "con tai khoan bi khoa thi sao", chat=group, reply_to_message=reply)
    (second,) = await fake.replies(-100500, since=mark)
    assert second.reply_to is not None


async def test_commands_registered_in_vietnamese(running: RunningBot) -> None:
    public = {c["command"]: c["description"] for c in running.fake.commands["default"]}
    assert public["lienhe"] == "Số tổng đài và nơi hỗ trợ trực tiếp"
    assert set(public) == {
        "start",
        "menu",
        "help",
        "lienhe",
        "subscribe",
        "unsubscribe",
        "tips",
        "xoadulieu",
    }
    assert public["xoadulieu"] == "Xóa dữ liệu trợ lý đã lưu về bạn"
    staff = {c["command"] for c in running.fake.commands[f"chat:{ADMIN_ID}"]}
    assert {"stats", "inbox", "reload"} <= staff


async def test_staff_inbox_over_http(running: RunningBot) -> None:
    fake = running.fake
    fake.text(ADMIN_ID, "/inbox")
    (inbox,) = await fake.replies(ADMIN_ID)
    assert inbox.text == tg_texts.INBOX_EMPTY
