from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.core import texts
from bot.core.knowledge import Link
from bot.core.messages import (
    ACTION_MAX_BYTES,
    IncomingMessage,
    MessageKind,
    Outcome,
)
from bot.core.responder import Responder, ResponderSettings
from bot.runtime import Runtime


def text(value: str) -> IncomingMessage:
    return IncomingMessage("test", "u1", "c1", text=value)


def tap(value: str) -> IncomingMessage:
    return IncomingMessage("test", "u1", "c1", kind=MessageKind.ACTION, action=value)


def test_start_greets_with_the_province_and_offers_every_category(runtime: Runtime) -> None:
    reply = runtime.responder.respond(text("/start"))
    assert runtime.profile.name in reply.text
    assert [c.action for c in reply.choices] == [
        f"cat:{c.id}" for c in runtime.snapshot.kb.categories
    ]


def test_a_link_is_shown_once_when_the_province_portal_is_the_national_one(
    runtime: Runtime,
) -> None:
    national = "https://dichvucong.gov.vn"
    assert runtime.profile.portal_url == national  # the neutral default profile
    reply = runtime.responder.respond(tap("faq:track.status"))
    links = [line for line in reply.text.splitlines() if line.startswith("🔗")]
    assert links == [f"🔗 Cổng Dịch vụ công quốc gia: {national}"]
    own = dataclasses.replace(runtime.profile, portal_url="https://dichvucong.example.gov.vn")
    responder = Responder(runtime.live, own, ResponderSettings(2000))
    reply = responder.respond(tap("faq:track.status"))
    links = [line for line in reply.text.splitlines() if line.startswith("🔗")]
    assert links == [
        f"🔗 Cổng Dịch vụ công quốc gia: {national}",
        "🔗 Cổng Dịch vụ công của tỉnh, thành phố: https://dichvucong.example.gov.vn",
    ]


def test_a_link_no_browser_should_run_is_never_shown(runtime: Runtime) -> None:
    # Stored before links were checked (staff import now refuses it; see tests/admin).
    entry = runtime.snapshot.kb.get("track.status")
    assert entry is not None
    bad = (Link("Bấm", "javascript:alert(1)"), Link("Tải", "data:text/html,<b>x</b>"))
    text = runtime.responder.entry_text(dataclasses.replace(entry, links=(*entry.links, *bad)))
    assert "javascript:" not in text and "data:" not in text
    assert "https://dichvucong.gov.vn" in text


def test_menu_category_question_answer_path(runtime: Runtime) -> None:
    menu = runtime.responder.respond(text("/menu"))
    category = runtime.responder.respond(tap(menu.choices[0].action))
    assert category.outcome is Outcome.MENU
    first = category.choices[0]
    assert first.action.startswith("faq:")
    answer = runtime.responder.respond(tap(first.action))
    assert answer.outcome is Outcome.ANSWERED
    entry = runtime.snapshot.kb.get(first.action.split(":", 1)[1])
    assert entry is not None
    assert answer.faq_id == entry.id
    assert answer.text.startswith(entry.question)
    assert "Nguồn:" in answer.text
    assert answer.ask_feedback
    assert [c.label for c in answer.choices[-2:]] == [texts.FEEDBACK_UP, texts.FEEDBACK_DOWN]


def test_answers_fill_province_placeholders_and_offer_related(runtime: Runtime) -> None:
    for entry in runtime.snapshot.kb.published:
        reply = runtime.responder.respond(tap(f"faq:{entry.id}"))
        assert "{" not in reply.text, entry.id
        related = {c.action for c in reply.topic_choices}
        assert related <= {f"faq:{r}" for r in entry.related}
        assert [c.action for c in reply.feedback_choices] == [
            f"fb:1:{entry.id}",
            f"fb:0:{entry.id}",
        ]


def test_every_button_action_fits_callback_data(runtime: Runtime) -> None:
    replies = [runtime.responder.respond(text("/menu"))]
    replies += [runtime.responder.respond(tap(c.action)) for c in replies[0].choices]
    for reply in replies:
        for choice in reply.choices:
            assert len(choice.action.encode()) <= ACTION_MAX_BYTES


@pytest.mark.parametrize("action", ["faq:gone.entry", "cat:nope", "pick:", "zzz", "faq"])
def test_stale_or_unknown_buttons_get_a_polite_answer(runtime: Runtime, action: str) -> None:
    reply = runtime.responder.respond(tap(action))
    assert reply.outcome is Outcome.STALE
    assert reply.choices


def test_a_clear_question_is_answered(runtime: Runtime) -> None:
    reply = runtime.responder.respond(text("quên mật khẩu đăng nhập dịch vụ công thì làm sao"))
    assert reply.outcome is Outcome.ANSWERED
    assert reply.faq_id == "account.forgot_password"


def test_out_of_scope_question_gets_the_honest_fallback(runtime: Runtime) -> None:
    reply = runtime.responder.respond(text("giá xăng hôm nay bao nhiêu"))
    assert reply.outcome is Outcome.NO_MATCH
    assert runtime.profile.hotline in reply.text
    assert {c.action for c in reply.choices} >= {"cat:account", "cat:proc"}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Xin chào", Outcome.MENU),
        ("chao ban", Outcome.MENU),
        ("cảm ơn bạn nhiều", Outcome.SMALLTALK),
        ("thanks", Outcome.SMALLTALK),
        ("bạn là ai", Outcome.SMALLTALK),
        ("tạm biệt", Outcome.SMALLTALK),
    ],
)
def test_small_talk(runtime: Runtime, message: str, expected: Outcome) -> None:
    assert runtime.responder.respond(text(message)).outcome is expected


def test_greeting_before_a_question_does_not_hide_it(runtime: Runtime) -> None:
    reply = runtime.responder.respond(text("chào bạn, quên mật khẩu dịch vụ công phải làm sao"))
    assert reply.outcome is Outcome.ANSWERED


@pytest.mark.parametrize(
    "kind", [MessageKind.VOICE, MessageKind.PHOTO, MessageKind.STICKER, MessageKind.LOCATION]
)
def test_non_text_asks_to_type(runtime: Runtime, kind: MessageKind) -> None:
    reply = runtime.responder.respond(IncomingMessage("test", "u", "c", kind=kind))
    assert reply.outcome is Outcome.NON_TEXT
    assert "gõ" in reply.text


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "😀😀😀",
        "\x00\x01\x02",
        "?!...",
        "<b>xin</b> & <script>alert(1)</script>",
        "'; DROP TABLE faq; --",
        "a" * 10_000,
        "quên mật khẩu " * 800,
        "\u200b\ufeff\u00ad",
        "ｑｕｅｎ ｍａｔ ｋｈａｕ",
        "\ud7ff\U0010ffff\u0300\u0301",
    ],
)
def test_odd_input_never_raises_and_gets_a_sensible_reply(runtime: Runtime, value: str) -> None:
    reply = runtime.responder.respond(text(value))
    assert reply.text
    assert reply.outcome in {
        Outcome.EMPTY,
        Outcome.NO_MATCH,
        Outcome.AMBIGUOUS,
        Outcome.ANSWERED,
    }


def test_overlong_message_is_cut_and_says_so(runtime: Runtime) -> None:
    reply = runtime.responder.respond(text("quên mật khẩu dịch vụ công. " + "x " * 5000))
    assert "chỉ đọc phần đầu" in reply.text


@pytest.mark.parametrize("command", ["/help", "/lienhe", "/nonsense", "/start@SomeBot"])
def test_commands(runtime: Runtime, command: str) -> None:
    reply = runtime.responder.respond(text(command))
    assert reply.outcome in {Outcome.COMMAND, Outcome.MENU}
    if command == "/lienhe":
        assert runtime.profile.hotline in reply.text
    if command == "/nonsense":
        assert "/help" in reply.text


def test_ambiguous_offers_at_most_three_questions(runtime: Runtime) -> None:
    kb = runtime.snapshot.kb
    seen = 0
    for query in ("tài khoản", "hồ sơ", "thanh toán", "mật khẩu", "vneid"):
        reply = runtime.responder.respond(text(query))
        if reply.outcome is Outcome.AMBIGUOUS:
            seen += 1
            picks = [c for c in reply.choices if c.action.startswith("pick:")]
            assert 1 <= len(picks) <= 3
            for choice in picks:
                entry = kb.get(choice.action.split(":", 1)[1])
                assert entry is not None and choice.label == entry.question
    assert seen, "keyword-only queries should produce at least one did-you-mean"


def test_the_same_question_is_matched_once_per_snapshot_and_day(runtime: Runtime) -> None:
    day = [dt.date(2026, 1, 5)]
    responder = Responder(runtime.live, runtime.profile, today=lambda: day[0])
    calls: list[str] = []
    matcher = runtime.live.current.matcher
    original = matcher.match

    def counting(value: str, *args: object, **kwargs: bool) -> object:
        calls.append(value)
        return original(value, **kwargs)

    question = "nop tien roi ma ho so van bao chua thanh toan"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matcher, "match", counting)
        first = responder.respond(text(question))
        again = responder.respond(IncomingMessage("test", "u2", "c2", text=question))
        assert again == first and len(calls) == 1
        assert responder.answers.hits == 1
        # Too long is part of the question: the note is not served to a short one.
        long = responder.respond(
            IncomingMessage("test", "u1", "c1", text=question, typed_length=10_000)
        )
        assert long.text.startswith(texts.TOO_LONG_NOTE) and len(calls) == 2
        day[0] = dt.date(2026, 1, 6)  # a new day: the outdated notice may change
        responder.respond(text(question))
        assert len(calls) == 3
        # A reload swaps the snapshot: its answers are never served from the old one.
        old = runtime.live.current
        runtime.live.swap(dataclasses.replace(old, version=old.version + 1))
        try:
            responder.respond(text(question))
            assert len(calls) == 4
        finally:
            runtime.live.swap(old)


def test_no_answer_is_kept_when_the_cache_is_off(runtime: Runtime) -> None:
    responder = Responder(runtime.live, runtime.profile, ResponderSettings(answer_cache_size=0))
    responder.respond(text("nop tien roi ma ho so van bao chua thanh toan"))
    responder.respond(text("nop tien roi ma ho so van bao chua thanh toan"))
    assert len(responder.answers) == 0 and responder.answers.hits == 0
