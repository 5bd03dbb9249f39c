"""Reply → HTML chunks and keyboards, checked against Telegram's own parsing rules."""

from __future__ import annotations

import pytest

from bot.channels.telegram.render import (
    MAX_TEXT,
    escape,
    keyboard,
    render,
    render_plain,
    without_feedback,
)
from bot.channels.text_split import split_paragraphs, visible_length
from bot.core import texts
from bot.core.messages import Choice, Outcome, Reply, with_feedback
from tests.fakes.telegram_html import parse_html, utf16_length


def visible(html: str) -> str:
    return parse_html(html)  # raises like Telegram would on bad HTML


def test_citizen_text_is_escaped_and_parses() -> None:
    reply = Reply('<b>xin</b> & <script>alert("x")</script>', Outcome.NO_MATCH)
    (out,) = render(reply)
    assert "<script>" not in out.html
    assert visible(out.html) == '<b>xin</b> & <script>alert("x")</script>'


def test_escape_leaves_quotes_readable() -> None:
    assert escape("a \"b\" 'c' <d> & e") == "a \"b\" 'c' &lt;d&gt; &amp; e"


def test_answer_title_is_bold_and_feedback_buttons_follow_related() -> None:
    # The core lists 👍/👎 among the choices; Telegram puts them side by side, last.
    reply = with_feedback(
        Reply(
            "Câu hỏi?\n\nTrả lời <ngắn>.",
            Outcome.ANSWERED,
            choices=(Choice("Câu liên quan", "faq:account.locked"),),
            faq_id="account.register",
            ask_feedback=True,
        )
    )
    (out,) = render(reply)
    assert out.html.startswith("<b>Câu hỏi?</b>\n\nTrả lời &lt;ngắn&gt;.")
    assert texts.RELATED in out.html
    assert out.keyboard is not None
    rows = [[b.callback_data for b in row] for row in out.keyboard.inline_keyboard]
    assert rows == [["faq:account.locked"], ["fb:1:account.register", "fb:0:account.register"]]


def test_ambiguous_shows_the_hint() -> None:
    reply = Reply(
        texts.DID_YOU_MEAN,
        Outcome.AMBIGUOUS,
        choices=(Choice("A", "pick:a.b"), Choice("B", "pick:c.d")),
        hint=texts.DID_YOU_MEAN_HINT,
    )
    (out,) = render(reply)
    assert visible(out.html) == f"{texts.DID_YOU_MEAN}\n\n{texts.DID_YOU_MEAN_HINT}"


def test_long_text_splits_at_paragraphs_within_the_limit() -> None:
    paragraphs = [f"Đoạn {i}: " + "chữ có dấu " * 60 for i in range(30)]
    reply = Reply("\n\n".join(paragraphs), Outcome.ANSWERED, choices=(Choice("x", "menu"),))
    out = render(reply)
    assert len(out) > 1
    for message in out:
        shown = visible(message.html)
        assert utf16_length(shown) <= MAX_TEXT
        assert shown.startswith("Đoạn") or shown == texts.RELATED
    assert all(m.keyboard is None for m in out[:-1]) and out[-1].keyboard is not None
    joined = "\n\n".join(visible(m.html) for m in out)
    assert all(p.strip() in joined for p in paragraphs)


def test_one_huge_paragraph_is_cut_at_spaces() -> None:
    text = "xin chào " * 1000  # 9,000 characters, no paragraph break
    out = render_plain(text)
    assert len(out) == 3
    assert all(utf16_length(visible(m.html)) <= MAX_TEXT for m in out)
    assert all(not visible(m.html).endswith("xin chà") for m in out)


def test_escaping_never_pushes_a_chunk_over_the_limit() -> None:
    text = "&<>" * 3000  # escaping triples the markup, not the visible length
    out = render_plain(text)
    assert [utf16_length(visible(m.html)) for m in out] == [4096, 4096, 808]


def test_emoji_count_as_two_units() -> None:
    text = "👍" * 3000
    out = render_plain(text)
    assert [visible_length(visible(m.html)) for m in out] == [4096, 1904]


def test_split_paragraphs_keeps_short_text_whole() -> None:
    assert split_paragraphs([("a", False), ("b", True)], MAX_TEXT) == [[("a", False), ("b", True)]]


def test_buttons_with_oversized_callback_data_are_dropped() -> None:
    markup = keyboard([Choice("ok", "faq:a.b"), Choice("too long", "faq:" + "x" * 61)])
    assert markup is not None
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [["faq:a.b"]]


def test_feedback_dropped_when_the_id_does_not_fit() -> None:
    reply = Reply("Q\n\nA", Outcome.ANSWERED, faq_id="a." + "b" * 70, ask_feedback=True)
    assert with_feedback(reply).choices == ()
    assert render(with_feedback(reply))[0].keyboard is None


def test_without_feedback_keeps_other_buttons() -> None:
    markup = keyboard(
        [Choice("rel", "faq:a.b")], [Choice("👍", "fb:1:a.b"), Choice("👎", "fb:0:a.b")]
    )
    kept = without_feedback(markup)
    assert kept is not None
    assert [[b.callback_data for b in row] for row in kept.inline_keyboard] == [["faq:a.b"]]
    only_feedback = keyboard([], [Choice("👍", "fb:1:a.b")])
    assert without_feedback(only_feedback) is None


@pytest.mark.parametrize("text", ["", "\n\n", "   "])
def test_empty_reply_still_renders_something(text: str) -> None:
    (out,) = render(Reply(text, Outcome.EMPTY))
    assert visible(out.html).strip()


def test_the_same_buttons_are_one_keyboard_sent_as_one_json() -> None:
    from bot.channels.telegram.sender import as_json

    def answer() -> Reply:
        choices = (Choice("Đăng ký tài khoản", "faq:account.register"),)
        reply = Reply("Hỏi?\n\nĐáp.", Outcome.ANSWERED, choices, "a.b", ask_feedback=True)
        return with_feedback(reply)

    first, again = render(answer())[-1].keyboard, render(answer())[-1].keyboard
    assert first is not None and first is again
    assert as_json(first) == first.to_dict() and as_json(first) is as_json(again)
    other = keyboard([Choice("Đăng ký tài khoản", "faq:account.register")])
    assert other is not None and as_json(other) == other.to_dict()
    assert as_json(other) != as_json(first)  # no feedback buttons: another keyboard
