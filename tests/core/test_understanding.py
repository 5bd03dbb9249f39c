"""Issue 11: letters, concepts, typos, the policy's golden cases and bad input (real knowledge)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.core import concepts as concepts_module
from bot.core import letters, understanding
from bot.core import reranker as reranker_module
from bot.core.assistant import Assistant
from bot.core.calibration import FEATURES, TERMS, Calibration, expand
from bot.core.chat_state import MemoryChatState
from bot.core.concepts import Concepts, ConceptTable, Parts
from bot.core.knowledge import Category, FaqEntry, KnowledgeBase, KnowledgeError
from bot.core.letters import MAX_SENTENCES, read_message
from bot.core.match import Matcher, Thresholds, concept_phrases, decide
from bot.core.match_index import MatchIndex
from bot.core.messages import IncomingMessage, Outcome
from bot.core.normalize import Normalizer
from bot.core.redact import redact
from bot.core.reranker import Reranker, shares
from bot.core.scoring import Query, QueryTerm, Scoring
from bot.core.texts import PERSONAL_DATA_REMINDER
from bot.core.understanding import (
    EVIDENCE_WORDS,
    POOL_PICKS,
    Analysis,
    Ranked,
    _pool_picks,
    evidence_temperature,
)
from bot.runtime import Runtime

LETTER = (
    "Kính gửi Quý cơ quan. Tôi tên Nguyễn Văn An, CCCD 012345678901, SĐT 0912 345 678. "
    "Năm 2019 tôi đi làm ở Bình Dương,rồi về quê cưới vợ.Ngày 12.03.2024 vợ tôi sinh "
    "con gái đầu lòng tại bệnh viện huyện. Xin hỏi tôi có thể làm giấy khai sinh cho cháu "
    "trên mạng không? Xin chân thành cảm ơn."
)


def test_a_matter_an_entry_itself_names_does_not_block_that_entry(matcher: Matcher) -> None:
    # Loans are a matter no entry answers; the marital-status entry's own wordings name them
    # as the citizen's purpose ("... để vay ngân hàng"), so there it is context, not a block.
    marital = matcher.entry_ids.index("proc.marital_status")
    assert "~loans" in matcher.index.context_matters[marital]
    for text in ("xin giấy xác nhận độc thân để vay vốn ngân hàng", "độc thân vay ngân hàng"):
        result = matcher.match(text)
        assert (result.status, result.faq_id) == ("answered", "proc.marital_status"), text
    # A question about the loan itself is still one no entry answers.
    assert matcher.match("vay tiền ngân hàng lãi suất bao nhiêu").status != "answered"


def test_the_entries_naming_an_open_matter_are_found_at_build(matcher: Matcher) -> None:
    table = matcher.index.concepts
    named = [matcher.entry_ids[e] for e, ctx in enumerate(matcher.index.context_matters) if ctx]
    assert named and all(ctx <= table.open for ctx in matcher.index.context_matters)
    assert not table.open & table.linked


@pytest.fixture(scope="module")
def matcher(runtime: Runtime) -> Matcher:
    return runtime.snapshot.matcher


def test_letter_keeps_content_and_marks_the_question() -> None:
    reading = read_message(LETTER)
    assert reading.personal_data
    joined = reading.text
    assert "0912" not in joined and "012345678901" not in joined
    assert "Kính gửi" not in joined and "cảm ơn" not in joined
    assert "Nguyễn Văn An" not in joined  # who the writer is: dropped
    assert "12/03/2024" in joined  # a date is not a sentence end
    question = reading.sentences[reading.questions[0]]
    assert question.startswith("Xin hỏi tôi có thể làm giấy khai sinh")


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        # Who they are in the story is the situation, not an introduction to drop.
        ("em la sinh vien nam nhat, o tro gan truong, dang ky o dau", "sinh vien nam nhat"),
        ("Em là con một, ba mất sớm. Em có được miễn đi lính không?", "Em là con một"),
        # A question is kept even when it opens with the writer's name.
        ("Tôi tên Lan, cho tôi hỏi làm hộ chiếu ở đâu?", "làm hộ chiếu ở đâu"),
    ],
)
def test_a_sentence_about_the_writer_that_tells_the_situation_is_kept(text: str, kept: str) -> None:
    assert kept in read_message(text).text


@pytest.mark.parametrize(
    "intro",
    [
        "Tôi là Lê Thị Hồng, sinh năm 1972.",
        "toi la nguyen van a, sdt 0912345678.",
        "Tôi tên Lan.",
        "Họ tên: Nguyễn Văn A.",
    ],
)
def test_an_introduction_is_dropped(intro: str) -> None:
    reading = read_message(f"{intro} Làm hộ chiếu ở đâu?")
    assert reading.sentences == ("Làm hộ chiếu ở đâu?",)


def test_a_story_told_in_one_self_describing_sentence_is_answered(matcher: Matcher) -> None:
    # It was read as an introduction, dropped whole, and nothing was left to match.
    result = matcher.match(
        "em la sinh vien nam nhat, o tro gan truong, chu nha bao em tu dang ky tren vneid, "
        "lam buoc nao a"
    )
    assert result.candidates
    assert result.candidates[0].faq_id == "proc.temporary_residence"


@pytest.mark.parametrize(
    ("text", "faq_id"),
    [
        (
            "tôi cần giấy xác nhận cư trú để vay vốn ngân hàng, xin ở đâu",
            "proc.residence_confirmation",
        ),
        ("e can giay chung nhan ho ngheo de xin vay von, xin o dau", "proc.poor_household"),
    ],
)
def test_a_matter_no_entry_answers_named_as_a_papers_purpose_does_not_block(
    matcher: Matcher, text: str, faq_id: str
) -> None:
    # Loans are a matter no entry answers; here they are only what the paper is for.
    result = matcher.match(text)
    assert (result.status, result.faq_id) == ("answered", faq_id)


@pytest.mark.parametrize(
    "text",
    [
        "cần giấy tờ gì để vay vốn ngân hàng",  # the purpose is what is asked about
        "mua đất để đầu tư thì giá bao nhiêu",  # no paper before "để"
        "tôi cần giấy xác nhận cư trú, còn vay vốn ngân hàng thì ở đâu",  # no "để" at all
        # Named as the purpose, then asked about further on.
        "tôi cần giấy xác nhận cư trú để vay vốn mua thêm hàng cho cửa hàng tạp hóa nhỏ ở quê, "
        "vậy vay vốn ngân hàng ở đâu lãi thấp",
    ],
)
def test_a_purpose_that_is_the_question_still_blocks(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).status != "answered"


def test_a_buried_topic_in_a_letter_is_answered(matcher: Matcher) -> None:
    result = matcher.match(LETTER)
    assert result.status == "answered"
    assert result.faq_id == "proc.birth_registration"
    assert result.personal_data


def test_a_story_reaches_its_topic_through_a_concept(matcher: Matcher) -> None:
    # No word of "birth registration" in it: the situation (a newborn) names the topic.
    result = matcher.match("con dâu tui mới sanh tuần rồi, giờ phải làm giấy gì cho cháu")
    assert result.faq_id == "proc.birth_registration"


def test_an_uncovered_matter_is_not_answered_with_a_neighbour(matcher: Matcher) -> None:
    # Divorce shares words with marriage registration; no entry answers it.
    result = matcher.match("thủ tục ly hôn thuận tình làm online được không")
    assert result.status != "answered"


@pytest.fixture(scope="module")
def bare_matcher(kb: KnowledgeBase, runtime: Runtime, matcher: Matcher) -> Matcher:
    """The knowledge base without concept phrases: what a matter nobody wrote phrases for
    meets."""
    normalizer = runtime.normalizer
    lexicon = replace(normalizer.lexicon, concepts=Concepts.build([]))
    built = Matcher.build(
        kb, Normalizer(lexicon, max_chars=normalizer.max_chars), matcher.thresholds
    )
    return built.with_calibration(matcher.calibration)


def test_a_compound_no_text_uses_is_not_answered_with_a_neighbour(
    bare_matcher: Matcher,
) -> None:
    # "liệt sĩ": "liệt" is in the disability entry (liệt nửa người), "sĩ" in no text at all.
    question = "vợ con liệt sĩ được nhận trợ cấp hằng tháng bao nhiêu tiền vậy ạ"
    assert bare_matcher.match(question).status != "answered"
    # The same question about what the entry answers is still answered.
    covered = "người khuyết tật nặng được nhận trợ cấp hằng tháng bao nhiêu tiền vậy ạ"
    result = bare_matcher.match(covered)
    assert result.status == "answered"
    assert result.faq_id == "proc.disability_allowance"


def test_an_everyday_word_no_text_uses_does_not_block(bare_matcher: Matcher) -> None:
    # "nén" is in no text, but beside light words it is speech, not another matter.
    result = bare_matcher.match("file đính kèm nặng quá ko up dc, nén ntn")
    assert result.status == "answered"
    assert result.faq_id == "apply.attach_documents"


@pytest.mark.parametrize(
    ("typed", "faq_id"),
    [
        ("giơ mở cửa bộ phận một cửa", "help.working_hours"),  # wrong tone on a known word
        ("quên mật khẩu tài khoảng vneid", "account.forgot_password"),  # one letter off
        ("hộ chiếu mất bao lâuu", "proc.passport"),  # drawn-out letters
    ],
)
def test_typos_do_not_count_as_new_words(matcher: Matcher, typed: str, faq_id: str) -> None:
    result = matcher.match(typed)
    assert result.candidates[0].faq_id == faq_id
    assert result.status == "answered"


def test_two_questions_answer_one_and_offer_the_other(matcher: Matcher) -> None:
    text = (
        "Chào anh chị. Tôi muốn làm hộ chiếu phổ thông trực tuyến, xin hỏi cần những bước nào? "
        "Ngoài ra tôi quên mật khẩu tài khoản VNeID, làm sao để lấy lại mật khẩu?"
    )
    result = matcher.match(text)
    assert result.status == "answered"
    ids = {result.faq_id, *(c.faq_id for c in result.also)}
    assert ids == {"proc.passport", "account.forgot_password"}


async def test_also_asked_is_offered_in_the_reply(runtime: Runtime) -> None:
    text = (
        "Chào anh chị. Tôi muốn làm hộ chiếu phổ thông trực tuyến, xin hỏi cần những bước nào? "
        "Ngoài ra tôi quên mật khẩu tài khoản VNeID, làm sao để lấy lại mật khẩu?"
    )
    reply = runtime.responder.respond(IncomingMessage("test", "u", "c", text=text))
    assert reply.outcome is Outcome.ANSWERED
    assert "Bạn cũng hỏi về:" in reply.text
    assert reply.choices[0].action.startswith("pick:")


async def test_personal_data_reminder_once_per_conversation(assistant: Assistant) -> None:
    first = await assistant.handle(IncomingMessage("t", "u9", "c", text=LETTER))
    assert PERSONAL_DATA_REMINDER in first.text
    second = await assistant.handle(IncomingMessage("t", "u9", "c", text=LETTER))
    assert PERSONAL_DATA_REMINDER not in second.text
    other = await assistant.handle(IncomingMessage("t", "u10", "c", text="quên mật khẩu vneid"))
    assert PERSONAL_DATA_REMINDER not in other.text  # no personal data, no reminder


def test_reminder_memory_is_bounded(assistant: Assistant) -> None:
    state = assistant.memory.state
    assert isinstance(state, MemoryChatState) and state.max_items <= 10_000


BAD = [
    "Kính gửi quý cơ quan. " + "Tôi có câu hỏi về hồ sơ. " * 450,  # ~10,000 characters
    "Xin chào anh chị. Kính gửi quý cơ quan. Trân trọng cảm ơn.",  # only greetings
    "CCCD 012345678901, SĐT 0912345678, email a@b.vn",  # only personal data
    " ".join(f"Câu {n}: làm hộ chiếu thế nào?" for n in range(30)),  # 30 questions
    "How do I reset my VNeID password? quên mật khẩu please",  # mixed languages
    "quên 🙏 mật 😭 khẩu 🔑 vneid",  # emoji between words
]


@pytest.mark.parametrize("text", BAD)
def test_bad_input_gets_a_sensible_result(matcher: Matcher, text: str) -> None:
    result = matcher.match(text)
    assert result.status in ("answered", "ambiguous", "no_match")
    assert len(result.candidates) <= 3


def test_long_input_reads_a_bounded_number_of_sentences() -> None:
    reading = read_message("Làm hộ chiếu thế nào? " * 500)
    assert reading.truncated
    assert len(reading.sentences) <= MAX_SENTENCES


def test_only_greetings_or_data_match_nothing(matcher: Matcher) -> None:
    assert matcher.match(BAD[1]).status == "no_match"
    assert matcher.match(BAD[2]).status == "no_match"


def test_emoji_between_words_still_answers(matcher: Matcher) -> None:
    assert matcher.match(BAD[5]).faq_id == "account.forgot_password"


def test_concepts_file_is_valid_and_names_existing_entries(kb: KnowledgeBase) -> None:
    concepts = Concepts.load(PROJECT_ROOT / "knowledge" / "concepts.yaml")
    assert concepts.unknown_entries({e.id for e in kb.entries}) == []


def test_concept_errors_are_located(tmp_path: Path) -> None:
    path = tmp_path / "concepts.yaml"
    path.write_text(
        "concepts:\n  ok:\n    entries: [a.b]\n    phrases: [mới đẻ]\n"
        "  Bad-Id:\n    phrases: [x]\n  twice:\n    entries: [a.c]\n    phrases: [mới đẻ]\n"
        "  empty:\n    entries: [a.d]\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError) as caught:
        Concepts.load(path)
    messages = [(issue.line, issue.message) for issue in caught.value.issues]
    assert any(line == 5 and "concept id" in m for line, m in messages)
    assert any("already belongs to 'ok'" in m for _, m in messages)
    assert any("at least one phrase" in m for _, m in messages)


def test_a_concept_whose_entries_are_not_published_marks_nothing(runtime: Runtime) -> None:
    # concepts.yaml links "mã otp" to account.otp_not_received; a knowledge base without that
    # entry must not take the phrase for a matter nobody answers.
    entry = FaqEntry(
        id="account.otp",
        category="account",
        question="Không nhận được mã OTP?",
        alternates=("khong nhan duoc ma otp",),
        answer="Chờ một phút rồi bấm gửi lại mã.",
    )
    kb = KnowledgeBase.build([Category("account", "Tài khoản")], [entry])
    matcher = Matcher.build(kb, runtime.normalizer, runtime.thresholds)
    assert matcher.match("khong nhan duoc ma otp").faq_id == "account.otp"


@pytest.mark.parametrize(
    ("story", "faq_id"),
    [
        # Everyday situations that never name the procedure (concepts.yaml).
        ("ông nội tui mới mất hôm qua, giờ lo giấy tờ cho ổng ở xã sao", "proc.death_registration"),
        (
            "tui mua lại chiếc xe máy cũ của ông hàng xóm, giờ muốn đứng tên mình",
            "proc.vehicle_registration",
        ),
        ("đi làm ăn xa mấy tháng, có phải báo với công an ở quê không", "proc.temporary_absence"),
    ],
)
def test_situations_reach_their_topic(matcher: Matcher, story: str, faq_id: str) -> None:
    assert matcher.match(story).candidates[0].faq_id == faq_id


@pytest.mark.parametrize(
    "text",
    [
        "xin giấy phép bay flycam quay đám cưới ở đâu",  # a permit no entry covers
        "chế độ ốm đau nghỉ 3 ngày có được bảo hiểm trả không",  # sickness, not maternity
        "hợp pháp hóa lãnh sự giấy khai sinh để đi du học",  # legalisation, not a birth copy
        "công ty nước ngoài mở chi nhánh ở Việt Nam cần giấy phép gì",  # not a business of ours
        "chế độ trợ cấp hằng tháng cho con liệt sĩ",  # people with merit, not disability
        "giấy phép bán rượu thì xin ở đâu",  # a conditional licence
    ],
)
def test_uncovered_matters_get_the_fallback(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).status == "no_match"


def test_an_uncovered_matter_in_the_backstory_leaves_choices(matcher: Matcher) -> None:
    # The lottery win is the backstory; the question is about a paper an entry answers: no
    # answer (a matter no entry covers is named), but the right entry is offered.
    text = "em mới trúng vé số, giờ muốn cưới vợ, phải xin giấy xác nhận tình trạng hôn nhân sao ạ"
    result = matcher.match(text)
    assert result.status == "ambiguous"
    assert "proc.marital_status" in {c.faq_id for c in result.candidates}
    # A divorce is no block there: the entry's own wordings name it (a divorced citizen
    # asking for the paper is what it answers).
    text = "em ly hôn rồi, giờ muốn đi bước nữa, phải xin giấy xác nhận tình trạng hôn nhân sao ạ"
    assert matcher.match(text).faq_id == "proc.marital_status"


def test_a_letter_asking_about_an_uncovered_matter_gets_the_fallback(matcher: Matcher) -> None:
    # The marriage and the death are the backstory; every question sentence asks about an
    # adoption, which no entry answers: no neighbour is offered (it was, as choices).
    text = (
        "Xin chào anh chị, tôi là Lê Thị Hoa. Vợ chồng tôi kết hôn từ năm 2015 nhưng chưa có "
        "con. Năm ngoái anh trai tôi qua đời, để lại một cháu trai nhỏ. Xin hỏi thủ tục nhận "
        "con nuôi trong nước làm ở đâu? Xin cảm ơn."
    )
    result = matcher.match(text)
    assert result.status == "no_match"
    # The same backstory with a question an entry answers still reaches that entry: the
    # rule reads the question sentences, not the whole letter.
    text = (
        "Chào anh chị. Em mới trúng vé số. Giờ em muốn cưới vợ, xin hỏi phải xin giấy xác "
        "nhận tình trạng hôn nhân ở đâu ạ? Em cảm ơn."
    )
    result = matcher.match(text)
    assert result.status != "no_match"
    assert "proc.marital_status" in {c.faq_id for c in result.candidates}


def test_long_messages_weigh_the_reranker_more() -> None:
    short = tuple(0.0 for _ in FEATURES)
    long = tuple(1.0 if name == "length" else 0.0 for name in FEATURES)
    assert len(expand(short)) == len(TERMS) == len(Calibration().weights)
    assert expand(short)[TERMS.index("long")] == 0.0
    assert expand(long)[TERMS.index("long")] == 1.0
    evidence = FEATURES.index("evidence")
    with_evidence = tuple(
        1.0 if i in (evidence, FEATURES.index("length")) else v for i, v in enumerate(long)
    )
    assert expand(with_evidence)[TERMS.index("evidence*long")] == 1.0


def test_a_long_story_does_not_hand_one_entry_all_the_evidence() -> None:
    # Log-likelihood ratios are sums over the message's words: the same per-word lead over
    # four times the words is a larger gap, and the softmax must not turn it into certainty.
    short = EVIDENCE_WORDS
    long = 4 * EVIDENCE_WORDS
    assert evidence_temperature(1) == evidence_temperature(short)
    assert evidence_temperature(long) == pytest.approx(2 * evidence_temperature(short))
    per_word_lead = 0.5
    short_share = shares([per_word_lead * short, 0.0], evidence_temperature(short))[0]
    long_share = shares([per_word_lead * long, 0.0], evidence_temperature(long))[0]
    assert short_share < long_share < 0.999
    unscaled = shares([per_word_lead * long, 0.0], evidence_temperature(short))[0]
    assert long_share < unscaled


def test_a_situation_phrase_is_weak_evidence_on_its_own() -> None:
    # The calibration is fitted with each half's own concept phrases removed: a hand-written
    # phrase is worth little more than the words around it, so it cannot lift a candidate
    # the other signals doubt anywhere near the answer threshold.
    calibration = Calibration()
    doubtful = [0.0] * len(FEATURES)
    doubtful[FEATURES.index("index_logit")] = -2.0
    doubtful[FEATURES.index("length")] = 0.8
    with_concept = list(doubtful)
    with_concept[FEATURES.index("concept")] = 1.0
    lift = calibration.confidence(tuple(with_concept)) - calibration.confidence(tuple(doubtful))
    assert 0.0 < lift < 0.1
    assert calibration.confidence(tuple(with_concept)) < 0.3


def _ranked(
    entry: int, confidence: float, raw: float, concept: float, evidence: float, without: float
) -> Ranked:
    features = [0.0] * len(FEATURES)
    features[FEATURES.index("concept")] = concept
    features[FEATURES.index("evidence")] = evidence
    return Ranked(entry, confidence, raw, 0, tuple(features), False, False, without)


def _decided(best: Ranked, other: Ranked) -> str:
    analysis = Analysis("k", (best, other), read_message("chuyện nhà tui"), (0,))
    return decide(analysis, ("a", "b"), Thresholds(0.7, 0.3, 0.1)).status


def test_a_situation_alone_offers_choices_instead_of_answering() -> None:
    # Only the concept signal lifts "a" over the answer threshold and the wording prefers "b".
    other = _ranked(1, 0.05, 0.6, 0.0, 0.7, 0.05)
    assert _decided(_ranked(0, 0.9, 0.2, 1.0, 0.3, 0.2), other) == "ambiguous"
    # The words agree (the index or, with other support, the reranker): answered.
    assert _decided(_ranked(0, 0.9, 0.7, 1.0, 0.3, 0.2), other) == "answered"
    assert _decided(_ranked(0, 0.9, 0.2, 1.0, 0.8, 0.5), other) == "answered"
    # Without the concept the entry is already likely: the concept is no lone signal.
    assert _decided(_ranked(0, 0.9, 0.2, 1.0, 0.3, 0.8), other) == "answered"


def test_a_weak_story_naming_an_answered_situation_gets_no_choices() -> None:
    # Too far from every phrasing to be sure: naming a situation the best entry answers does
    # not make it plausibly meant (on unseen questions that offered choices only out of scope).
    other = _ranked(1, 0.02, 0.1, 0.0, 0.2, 0.02)
    assert _decided(_ranked(0, 0.18, 0.1, 1.0, 0.8, 0.05), other) == "no_match"
    assert _decided(_ranked(0, 0.18, 0.1, 0.0, 0.8, 0.18), other) == "no_match"
    # Likely enough, the same candidates are offered.
    assert _decided(_ranked(0, 0.5, 0.1, 1.0, 0.8, 0.3), other) == "ambiguous"


def test_text_redacted_by_the_caller_reads_the_same_without_a_second_pass(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    redacted = redact(LETTER)
    expected = read_message(LETTER)
    assert expected.personal_data
    before = matcher.match(LETTER)
    # The reader must not search already-redacted text again.
    monkeypatch.setattr(letters, "redact", _must_not_run)
    assert read_message(redacted, redacted=True) == expected
    after = matcher.match(redacted, redacted=True)
    assert (after.status, after.candidates, after.personal_data) == (
        before.status,
        before.candidates,
        before.personal_data,
    )


def _must_not_run(text: str) -> str:
    raise AssertionError("redacted twice")


def test_the_assistant_marks_the_text_it_redacted(assistant: Assistant) -> None:
    message = assistant.readable(IncomingMessage("t", "u", "c", text=LETTER))
    assert message.redacted and "012345678901" not in (message.text or "")


def test_choices_keep_a_plausible_entry_with_a_small_share() -> None:
    # A story spreads the calibrated mass thin: an entry at 0.03 is still worth offering.
    best = _ranked(0, 0.5, 0.5, 0.0, 0.5, 0.5)
    analysis = Analysis("k", (best, _ranked(1, 0.03, 0.2, 0.0, 0.1, 0.03)), read_message("x"), (0,))
    result = decide(analysis, ("a", "b"), Thresholds(0.7, 0.3, 0.1))
    assert result.status == "ambiguous"
    assert [c.faq_id for c in result.candidates] == ["a", "b"]


def test_a_situation_word_alone_leans_towards_the_entries_it_describes() -> None:
    # "sanh" is in no phrasing; it is a word of a situation (concepts.yaml) entry 0 answers.
    phrasings = [["dang", "ky", "khai", "sinh"], ["dang", "ky", "ket", "hon"]]
    plain = Reranker(phrasings, [(), ()])
    told = Reranker(phrasings, [(), ()], situation_words=[("sanh", "moi"), ()])
    words = ["vo", "moi", "sanh", "lam", "giay"]
    assert plain.scores(words, [0, 1])[0] == plain.scores(words, [0, 1])[1]
    first, second = told.scores(words, [0, 1])
    assert first > second


def test_the_reranker_scores_a_message_alike_however_many_came_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ratios kept from earlier messages, and forgotten past their bound, change no score."""
    monkeypatch.setattr(reranker_module, "KEPT_RATIOS", 3)
    phrasings = [["dang", "ky", "khai", "sinh"], ["dang", "ky", "ket", "hon"], ["ho", "chieu"]]
    answers = [("giay", "chung", "sinh"), ("ket", "hon"), ("xuat", "canh")]
    messages = [["dang", "ky", "sinh"], ["ket", "hon", "giay"], ["ho", "chieu", "ky"]] * 3
    used = Reranker(phrasings, answers)
    for words in messages:
        fresh = Reranker(phrasings, answers)
        assert used.scores(words, [0, 1, 2]) == fresh.scores(words, [0, 1, 2])
    assert used._kept <= 3 + len(answers[0]) + 4  # forgotten past the bound


def test_concept_phrases_are_found_as_by_trying_every_phrase_everywhere() -> None:
    """The table tries only the phrases that can start at a word (by the word after it, and
    all their words present); what it finds is what trying every phrase, longest first,
    finds."""
    phrases = {
        (("con", "moi", "de"),): "~newborn",
        (("moi", "de"),): "~newborn",
        (("con",), ("sinh",)): "~child",
        (("con", "moi"),): "~fresh",
        (("doi",), ("may",)): "~swap",
        (("doi", "chu", "xe"),): "~owner",
        (("doi", "chu"),): "~boss",
        (("mat",), ("can", "cuoc")): "~lost_id",
        (("mat", "giay"),): "~lost_paper",
    }
    accents: dict[Parts, Parts] = {
        (("mat", "giay"),): (("mất", "giấy"),),
        (("doi", "chu"),): (("đổi", "chủ"),),
    }
    table = ConceptTable(phrases, set(phrases.values()), accents)
    ordered = sorted(phrases.items(), key=lambda item: -sum(map(len, item[0])))
    texts = [
        (("con", "moi", "de", "lam", "giay", "khai", "sinh"), ()),
        (("con", "moi", "sinh"), ()),
        (("con", "ho", "sinh", "doi", "chu", "xe", "may"), ()),
        (("doi", "chu", "nha", "mat", "giay"), ("đổi", "chú", "nhà", "mất", "giây")),
        (
            ("mat", "the", "can", "cuoc", "mat", "giay"),
            ("mất", "thẻ", "căn", "cước", "mất", "giấy"),
        ),
        (("doi", "a", "b", "c", "may"), ()),
        (("doi", "a", "b", "c", "d", "may"), ()),
        (("con",), ()),
    ]
    for tokens, spelled in texts:
        found: dict[str, None] = {}
        covered: set[int] = set()
        for start, token in enumerate(tokens):
            for parts, concept in ordered:
                if parts[0][0] != token:
                    continue
                at = concepts_module._match(tokens, spelled, start, parts, accents.get(parts, ()))
                if at is not None:
                    found[concept] = None
                    covered.update(at)
                    break
        assert table.find(tokens, spelled) == (list(found), covered), tokens


def test_a_concept_table_knows_the_words_of_each_situation(runtime: Runtime) -> None:
    concepts = Concepts.load(PROJECT_ROOT / "knowledge" / "concepts.yaml")
    table = concept_phrases(concepts, {"proc.birth_registration"}, runtime.normalizer)
    words = table.vocabulary(["~newborn"])
    # Spelled as the index spells a citizen's words ("mới đẻ", "ở cữ" are newborn phrases).
    assert set(runtime.normalizer.normalize("đẻ ở cữ").tokens) <= set(words)
    assert table.vocabulary(["~no_such_concept"]) == ()


class _Pool:
    """An index stand-in: a retrieval pool and reranker scores chosen by the test."""

    def __init__(self, scores: dict[int, float], own: int) -> None:
        self.reranker = self
        self.scoring = Scoring(candidates=own)
        self._scores = scores

    def retrieve(self, query: object, candidates: int) -> list[int]:
        return list(self._scores)[:candidates]

    def scores(self, tokens: object, entries: list[int]) -> list[float]:
        return [self._scores[e] for e in entries]


def test_the_reranker_adds_only_pool_entries_it_prefers_to_the_index_candidates() -> None:
    query = Query.build([QueryTerm("a", 1.0, False)], ["a"], None, lambda pair: 1.0)
    # Entries 0-2 are the index's own candidates (best reranker score -1.0).
    scores = {0: -3.0, 1: -1.0, 2: -2.0, 3: -0.5, 4: -4.0, 5: 0.5, 6: -0.9, 7: -0.2}
    known: dict[int, float] = {}
    entries, picked = _pool_picks(_Pool(scores, own=3), query, known)  # type: ignore[arg-type]
    assert picked == [5, 7, 3][:POOL_PICKS]
    assert entries == [0, 1, 2, *picked]
    assert known == scores  # kept for the evidence of the candidates
    # Nothing beyond the index's candidates beats them: nothing is added.
    fewer = _Pool({0: 1.0, 1: 0.0, 2: -1.0, 3: -2.0}, own=3)
    assert _pool_picks(fewer, query, {}) == ([0, 1, 2], [])  # type: ignore[arg-type]


def _count_pool_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Per wide-pool read, the query's length."""
    calls: list[int] = []
    real = understanding._pool_picks

    def counted(index: MatchIndex, query: Query, known: dict[int, float]) -> object:
        calls.append(len(query.sequence))
        return real(index, query, known)

    monkeypatch.setattr(understanding, "_pool_picks", counted)
    return calls


def test_only_a_story_reads_the_wide_pool(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_pool_reads(monkeypatch)
    matcher.match("cấp lại căn cước")  # a short question: the index's candidates suffice
    assert calls == []
    matcher.match("tui giặt đồ quên cái thẻ trong túi quần giờ nó mờ hết chữ muốn làm cái mới")
    assert len(calls) == 1
    matcher.match(LETTER * 3)  # a letter's question sentences are matched on their own
    assert len(calls) == 1


def test_a_story_whose_words_reach_its_entry_skips_the_wide_pool(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_pool_reads(monkeypatch)
    named = "cho tôi hỏi làm hộ chiếu phổ thông lần đầu trên cổng dịch vụ công thì cần những gì"
    result = matcher.match(named)  # the index is sure of its entry: no wider pool
    assert calls == []
    monkeypatch.setattr(understanding, "POOL_BELOW", 1.1)  # never sure enough
    assert matcher.match(named).faq_id == result.faq_id == "proc.passport"
    assert len(calls) == 1
