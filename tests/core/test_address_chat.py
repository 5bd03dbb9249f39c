"""The address lookup in the chat: which messages get it, what the reply says, the choices."""

from __future__ import annotations

import dataclasses

import pytest

from bot.core.address_reply import ADDRESS_FAQ_ID, HOW_TO, AddressReplies
from bot.core.assistant import Assistant
from bot.core.knowledge import Category, FaqEntry, KnowledgeBase
from bot.core.messages import ACTION_MAX_BYTES, IncomingMessage, MessageKind, Outcome, Reply
from bot.core.provinces import CommuneCentre
from bot.core.responder import Responder, ResponderSettings
from bot.runtime import Runtime
from tests.core.address_fixtures import shipped_book, shipped_finder
from tests.fakes.ports import MemoryPorts


def text(value: str) -> IncomingMessage:
    return IncomingMessage("test", "u1", "c1", text=value)


def tap(value: str) -> IncomingMessage:
    return IncomingMessage("test", "u1", "c1", kind=MessageKind.ACTION, action=value)


def ask(runtime: Runtime, value: str) -> Reply:
    return runtime.responder.respond(text(value))


def test_an_old_address_gets_its_new_commune_and_where_to_check(runtime: Runtime) -> None:
    for message in (
        "ấp 3 xã Phú Túc huyện Châu Thành tỉnh Bến Tre",
        "ap 3 xa phu tuc huyen chau thanh tinh ben tre",
    ):
        reply = ask(runtime, message)
        assert reply.outcome is Outcome.ANSWERED
        assert "xã Phú Túc, huyện Châu Thành, tỉnh Bến Tre" in reply.text
        assert "Từ 01/7/2025 thuộc: xã Phú Túc, tỉnh Vĩnh Long" in reply.text
        assert "Kiểm tra chính thức" in reply.text
        assert "vietnamadminunits" in reply.text  # where the answer comes from


def test_a_name_in_several_provinces_offers_one_choice_each(runtime: Runtime) -> None:
    reply = ask(runtime, "xã Phú Túc cũ giờ là xã nào")
    assert reply.outcome is Outcome.AMBIGUOUS
    assert "4 nơi tên “Phú Túc”" in reply.text
    assert len(reply.choices) == 4
    assert "xã Phú Túc, huyện Định Quán, tỉnh Đồng Nai" in [c.label for c in reply.choices]
    for choice in reply.choices:
        assert choice.action.startswith("addr:w:")
        assert len(choice.action.encode()) <= ACTION_MAX_BYTES
    picked = next(c for c in reply.choices if "Định Quán" in c.label)
    answer = runtime.responder.respond(tap(picked.action))
    assert answer.outcome is Outcome.ANSWERED
    assert "Từ 01/7/2025 thuộc: xã Thống Nhất, tỉnh Đồng Nai" in answer.text


def test_a_split_commune_lists_the_new_ones_and_never_picks(runtime: Runtime) -> None:
    reply = ask(runtime, "phường An Phú, quận 2, tp hcm")
    assert reply.outcome is Outcome.AMBIGUOUS
    assert "được chia cho 2 xã/phường mới" in reply.text
    assert "phường An Khánh" in reply.text and "phường Bình Trưng" in reply.text
    assert [c.action[:7] for c in reply.choices] == ["addr:n:", "addr:n:"]
    answer = runtime.responder.respond(tap(reply.choices[0].action))
    assert answer.outcome is Outcome.ANSWERED
    assert "phường An Khánh, thành phố Hồ Chí Minh" in answer.text


def test_only_a_province_names_the_new_province_and_asks_for_the_commune(
    runtime: Runtime,
) -> None:
    reply = ask(runtime, "Bến Tre")
    assert reply.outcome is Outcome.ANSWERED
    assert "tỉnh Bến Tre (trước 01/7/2025) nay thuộc tỉnh Vĩnh Long" in reply.text
    assert "gõ thêm xã và huyện cũ" in reply.text
    unmerged = ask(runtime, "tỉnh Cao Bằng")
    assert "không sáp nhập" in unmerged.text


def test_an_address_that_matches_nothing_says_so_and_shows_how_to_type_it(
    runtime: Runtime,
) -> None:
    reply = ask(runtime, "xa Phu Tuccc huyen Abcxyz")
    assert reply.outcome is Outcome.NO_MATCH
    assert "chưa tìm thấy “xa phu tuccc”" in reply.text
    assert HOW_TO in reply.text


def test_a_question_about_the_reorganisation_without_a_place_is_shown_the_format(
    runtime: Runtime,
) -> None:
    # The FAQ entry help.address_lookup explains how to type an old address, with an example.
    for question in ("địa chỉ cũ giờ thuộc xã nào", "sau sáp nhập tôi thuộc phường nào"):
        reply = ask(runtime, question)
        assert reply.outcome is Outcome.ANSWERED
        assert reply.faq_id == "help.address_lookup"
        assert "xã Phú Túc huyện Châu Thành tỉnh Bến Tre" in reply.text


@pytest.mark.parametrize(
    ("question", "faq_id"),
    [
        ("quên mật khẩu dịch vụ công", "account.forgot_password"),
        ("tôi ở tỉnh Bến Tre muốn làm hộ chiếu", "proc.passport"),
    ],
)
def test_ordinary_questions_are_not_taken_for_addresses(
    runtime: Runtime, question: str, faq_id: str
) -> None:
    reply = ask(runtime, question)
    assert "Từ 01/7/2025" not in reply.text
    assert faq_id in [c.faq_id for c in reply.candidates]


def test_the_commune_centre_from_the_profile_is_shown(runtime: Runtime) -> None:
    book = shipped_book()
    province = book.province("86")
    assert province is not None
    ward = book.new_ward(province, "Xã Phú Túc")[0]
    profile = dataclasses.replace(
        runtime.profile,
        code="86",
        communes=(
            CommuneCentre(
                ward.code,
                ward.full,
                centre="Trung tâm Phục vụ hành chính công xã Phú Túc",
                address="ấp Phú Khương",
                hours="",
                phone="0270 000 000",
            ),
        ),
    )
    responder = Responder(
        runtime.live, profile, ResponderSettings(4000), addresses=shipped_finder()
    )
    reply = responder.respond(text("xã Phú Túc, huyện Châu Thành, tỉnh Bến Tre"))
    assert (
        "🏢 Nơi tiếp nhận hồ sơ của xã Phú Túc: Trung tâm Phục vụ hành chính công xã Phú Túc; "
        "ấp Phú Khương; điện thoại: 0270 000 000"
    ) in reply.text
    assert "giờ làm việc" not in reply.text  # an empty field is left out, not shown blank
    other = responder.respond(text("xã Phú Túc, huyện Định Quán, tỉnh Đồng Nai"))
    assert "UBND hoặc Trung tâm Phục vụ hành chính công của xã Thống Nhất" in other.text


def test_a_stale_choice_explains_how_to_type_the_address(runtime: Runtime) -> None:
    for value in ("addr:w:99999", "addr:x:1", "addr"):
        reply = runtime.responder.respond(tap(value))
        assert reply.outcome is Outcome.STALE
        assert HOW_TO in reply.text


@pytest.mark.parametrize(
    "message",
    ["xã Phú Túc huyện Châu Thành " * 80, "🏠📍🙂", "x" * 2000, "ấp 3 " + "🙂" * 500],
)
async def test_bad_input_in_the_chat_gets_a_reply(
    runtime: Runtime, memory_ports: MemoryPorts, message: str
) -> None:
    assistant = Assistant(runtime.responder, memory_ports.as_ports())
    reply = await assistant.handle(text(message))
    assert reply.text.strip()
    for choice in reply.choices:
        assert len(choice.action.encode()) <= ACTION_MAX_BYTES


# ---------------------------------------------------------------- with the FAQ entry


def address_kb(with_entry: bool) -> KnowledgeBase:
    entry = FaqEntry(
        id=ADDRESS_FAQ_ID,
        category="help",
        question="Địa chỉ cũ của tôi nay thuộc xã, phường nào?",
        alternates=(),
        answer="Gõ địa chỉ cũ của bạn.",
    )
    return KnowledgeBase.build([Category("help", "Hỗ trợ")], [entry] if with_entry else [])


def test_the_faq_entry_answers_when_the_message_names_no_place(runtime: Runtime) -> None:
    replies = AddressReplies(shipped_finder())
    kb = address_kb(with_entry=True)
    # The matcher chose the entry and there is no place: the entry itself answers.
    assert (
        replies.reply("tra cứu xã mới sau sáp nhập", runtime.profile, kb, asked=True, answered=True)
        is None
    )
    # The matcher chose the entry and there is a place: the lookup answers, counted for it.
    reply = replies.reply(
        "xã Phú Túc cũ, huyện Định Quán", runtime.profile, kb, asked=True, answered=True
    )
    assert reply is not None and reply.outcome is Outcome.ANSWERED
    assert reply.faq_id == ADDRESS_FAQ_ID and reply.ask_feedback
    # Without the entry the same reply carries no FAQ id and asks no feedback.
    bare = replies.reply(
        "xã Phú Túc cũ, huyện Định Quán", runtime.profile, address_kb(False), asked=False,
        answered=False,
    )  # fmt: skip
    assert bare is not None and bare.faq_id is None and not bare.ask_feedback
