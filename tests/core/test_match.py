"""Matcher policy on a small handmade knowledge base: answered, ambiguous, no_match."""

from __future__ import annotations

import heapq
import math
import unicodedata
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from bot.config import PROJECT_ROOT, Settings
from bot.core import match_index
from bot.core.knowledge import Category, FaqEntry, KnowledgeBase
from bot.core.lexicon import Lexicon
from bot.core.match import (
    Matcher,
    MatchResult,
    Thresholds,
    answer_pairs,
    answer_tokens,
    answer_words,
    content_words,
)
from bot.core.match_index import MatchIndex, sort_words
from bot.core.normalize import Normalizer
from bot.core.scoring import Query, Scoring
from bot.runtime import build_matcher_from_dir

THRESHOLDS = Thresholds(answer=0.8, suggest=0.3, margin=0.1)


def entry(faq_id: str, question: str, *alternates: str, status: str = "published") -> FaqEntry:
    return FaqEntry(
        id=faq_id,
        category=faq_id.split(".")[0],
        question=question,
        alternates=alternates,
        answer=f"Trả lời cho {question}",
        status=status,
    )


ENTRIES = (
    entry(
        "account.forgot_password",
        "Quên mật khẩu VNeID thì làm sao?",
        "quen mat khau vneid",
        "lấy lại mật khẩu tài khoản định danh",
        "không nhớ mật khẩu đăng nhập",
        "đặt lại mật khẩu vneid",
        "quên mk dvc",
        "mất mật khẩu dịch vụ công",
    ),
    entry(
        "account.register",
        "Đăng ký tài khoản dịch vụ công như thế nào?",
        "tạo tài khoản dvc",
        "dang ky tai khoan",
        "lập tài khoản mới trên cổng",
        "chưa có tài khoản thì đăng ký ở đâu",
        "mở tài khoản dịch vụ công",
        "đăng ký tk lần đầu",
    ),
    entry(
        "account.login",
        "Đăng nhập Cổng dịch vụ công bằng VNeID",
        "dang nhap dvc bang vneid",
        "vào cổng bằng tài khoản định danh",
        "login dịch vụ công",
        "đăng nhập bằng mã QR",
        "không vào được cổng",
        "cách đăng nhập",
    ),
    entry(
        "proc.passport",
        "Làm hộ chiếu trực tuyến ở đâu?",
        "cấp hộ chiếu qua mạng",
        "lam ho chieu online",
        "đổi hộ chiếu hết hạn",
        "hộ chiếu phổ thông cần giấy tờ gì",
        "xin hộ chiếu cho con",
        "làm passport",
    ),
    entry(
        "proc.driving_license",
        "Đổi giấy phép lái xe trực tuyến",
        "đổi bằng lái xe online",
        "gplx hết hạn đổi ở đâu",
        "cấp lại bằng lái bị mất",
        "đổi bằng lái xe máy",
        "doi gplx tren dvc",
        "bằng lái ô tô hết hạn",
    ),
    entry(
        "help.hotline",
        "Số tổng đài hỗ trợ dịch vụ công là gì?",
        "hotline dvc",
        "gọi điện hỏi ở đâu",
        "số điện thoại hỗ trợ",
        "tong dai ho tro",
        "cần người hướng dẫn qua điện thoại",
        "liên hệ tổng đài",
    ),
    entry(
        "help.draft",
        "Mục nháp về giờ làm việc",
        "giờ làm việc",
        "mấy giờ mở cửa",
        "làm việc thứ bảy",
        "nghỉ trưa",
        "giờ hành chính",
        "giờ làm",
        status="draft",
    ),
)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    categories = [Category("account", "Tài khoản"), Category("proc", "Thủ tục")]
    categories.append(Category("help", "Hỗ trợ"))
    kb = KnowledgeBase.build(categories, ENTRIES)
    lexicon = Lexicon.load(PROJECT_ROOT / "knowledge" / "lexicon.yaml")
    return Matcher.build(kb, Normalizer(lexicon), THRESHOLDS)


def check_shape(result: MatchResult, limit: int = 3) -> None:
    ids = [c.faq_id for c in result.candidates]
    assert len(ids) == len(set(ids)) <= limit
    confidences = [c.confidence for c in result.candidates]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0.0 <= c <= 1.0 for c in confidences)
    assert sum(confidences) <= 1.0 + 1e-6


@pytest.mark.parametrize(
    ("text", "faq_id"),
    [
        ("quên mật khẩu vneid", "account.forgot_password"),
        ("QUEN MK VNEID", "account.forgot_password"),
        ("Cho tôi hỏi đăng ký tài khoản dịch vụ công như thế nào ạ?", "account.register"),
        ("lam ho chieu online", "proc.passport"),
        ("số tổng đài hỗ trợ dịch vụ công", "help.hotline"),
    ],
)
def test_answered(matcher: Matcher, text: str, faq_id: str) -> None:
    result = matcher.match(text)
    check_shape(result)
    assert result.status == "answered"
    assert result.faq_id == faq_id
    assert result.candidates[0].faq_id == faq_id
    assert result.margin >= THRESHOLDS.margin


def test_ambiguous_offers_at_most_three_choices(matcher: Matcher) -> None:
    # Renewing "papers" that expire: the passport and the driving licence both fit.
    result = matcher.match("giấy tờ hết hạn cần đổi")
    check_shape(result)
    assert result.status == "ambiguous"
    assert result.faq_id is None
    assert 2 <= len(result.candidates) <= 3
    assert {c.faq_id for c in result.candidates[:2]} == {"proc.passport", "proc.driving_license"}


def test_limit_caps_the_candidates(matcher: Matcher) -> None:
    result = matcher.match("đổi giấy tờ hết hạn", limit=1)
    assert len(result.candidates) == 1


@pytest.mark.parametrize(
    "text",
    ["giá vàng hôm nay bao nhiêu", "công thức làm bánh flan", "kết quả bóng đá tối qua"],
)
def test_off_topic_is_no_match(matcher: Matcher, text: str) -> None:
    result = matcher.match(text)
    check_shape(result)
    assert result.status == "no_match"
    assert result.faq_id is None


def test_missing_thing_word_blocks_answer(matcher: Matcher) -> None:
    # "hộ chiếu" names a thing the account entries never mention: suggest, never answer.
    result = matcher.match("quên mật khẩu hộ chiếu")
    check_shape(result)
    assert result.status != "answered"
    scored = matcher.scores("quên mật khẩu hộ chiếu")[1]
    best = next(s for s in scored if matcher.entry_ids[s.entry] == "account.forgot_password")
    assert "chieu" in best.missing_rare


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "😀😀😀🙏",
        "ạ",
        "đăng ký " * 1250,
        "x" * 10_000,
        "<script>alert('hi')</script>",
        "'; DROP TABLE faq; --",
        "\x00\x01\u202e\ufeff",
    ],
)
def test_bad_input_never_raises(matcher: Matcher, text: str) -> None:
    result = matcher.match(text)
    check_shape(result)
    assert result.status in {"answered", "ambiguous", "no_match"}


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_a_well_formed_result(matcher: Matcher, text: str) -> None:
    check_shape(matcher.match(text))


@pytest.mark.parametrize("text", ["", "😀😀😀🙏", "x" * 10_000, "?!..."])
def test_empty_emoji_and_huge_input_is_no_match(matcher: Matcher, text: str) -> None:
    result = matcher.match(text)
    assert result.status == "no_match"
    assert result.faq_id is None


def test_drafts_are_not_matched(matcher: Matcher) -> None:
    assert "help.draft" not in matcher.entry_ids
    assert all(c.faq_id != "help.draft" for c in matcher.match("giờ làm việc").candidates)


def test_with_thresholds_shares_the_index(matcher: Matcher) -> None:
    strict = matcher.with_thresholds(Thresholds(answer=1.01, suggest=0.3, margin=0.1))
    assert strict.index is matcher.index
    result = strict.match("quên mật khẩu vneid")
    assert result.status == "ambiguous"
    assert result.candidates[0].faq_id == "account.forgot_password"
    loose = matcher.with_thresholds(Thresholds(answer=0.8, suggest=1.01, margin=0.1))
    assert loose.match("quên mật khẩu vneid").status == "no_match"


def test_thresholds_from_settings() -> None:
    settings = Settings(match_answer_threshold=0.7, match_suggest_threshold=0.2, match_margin=0.05)
    assert Thresholds.from_settings(settings) == Thresholds(0.7, 0.2, 0.05)


def test_fast_scoring_agrees_with_features(matcher: Matcher) -> None:
    # score() unrolls the dot product for speed; features() is what the model is fitted on.
    index = matcher.index
    weights = index.scoring.weights
    for text in ("quên mật khẩu vneid", "doi bang lai xe", "Đăng ký tk ở đâu ạ"):
        query = index.query(matcher.normalizer.normalize(text))
        for candidate in index._retrieve(query):
            vectors = index.features(query, candidate)
            slow = max(sum(w * x for w, x in zip(weights, v, strict=True)) for _, v in vectors)
            fast, _ = index._best_phrasing(query, candidate, weights)
            assert math.isclose(slow, fast, rel_tol=1e-9, abs_tol=1e-9)


def test_scoring_weights_match_features() -> None:
    from bot.core.scoring import FEATURES, QUERY_FEATURES

    scoring = Scoring()
    assert len(scoring.weights) == len(FEATURES)
    assert len(scoring.query_weights) == len(QUERY_FEATURES)


def test_real_knowledge_base_builds() -> None:
    settings = Settings()
    matcher = build_matcher_from_dir(settings.knowledge_dir / "faq", settings)
    assert len(matcher.entry_ids) >= 1
    check_shape(matcher.match("quên mật khẩu vneid"))


def _walked(index: MatchIndex, query: Query, limit: int, long_posting: int) -> list[int]:
    """Retrieval as a plain walk of the postings (what _retrieve computes faster)."""
    postings = index.postings
    features = [(t.token, t.weight) for t in query.terms if t.token in postings]
    features.sort(key=lambda item: len(postings[item[0]]))
    scores: dict[int, float] = {}
    walked = 0
    for feature, weight in features:
        if len(postings[feature]) > long_posting and len(scores) >= limit:
            break
        for entry in postings[feature]:
            scores[entry] = scores.get(entry, 0.0) + weight
        walked += 1
    if walked == len(features):
        return heapq.nlargest(limit, scores, key=scores.__getitem__)
    pool = heapq.nlargest(limit * 4, scores, key=scores.__getitem__)
    for feature, weight in features[walked:]:
        for entry in pool:
            if feature in index.entry_tokens[entry]:
                scores[entry] += weight
    return heapq.nlargest(limit, pool, key=scores.__getitem__)


@pytest.mark.parametrize("long_posting", [0, 1, 128])
def test_fast_retrieval_and_missing_words_agree_with_the_plain_ones(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch, long_posting: int
) -> None:
    # Short postings force the pooled path (long postings added per pooled entry).
    monkeypatch.setattr(match_index, "_LONG_POSTING", long_posting)
    index = matcher.index
    texts = (
        "quên mật khẩu vneid",
        "doi bang lai xe",
        "Kính gửi quý cơ quan. Tôi đăng ký tài khoản định danh rồi, giờ quên mật khẩu, "
        "cho hỏi đổi bằng lái xe ở đâu? Xin cảm ơn.",
    )
    for text in texts:
        query = index.query(matcher.normalizer.normalize(text))
        for limit in (1, 2, 12):
            assert index._retrieve(query, limit) == _walked(index, query, limit, long_posting)
        for entry in range(len(matcher.entry_ids)):
            plain = tuple(t for t in query.rare if not index.mentions(query, entry, t))
            assert index.missing_rare(query, entry) == plain
    # A feature named twice (two terms, one token) adds its weight twice, as a walk does.
    query = index.query(matcher.normalizer.normalize("quên mật khẩu vneid"))
    twice = replace(query, terms=(*query.terms, *query.terms))
    assert index._retrieve(twice, 2) == _walked(index, twice, 2, long_posting)


def test_sorted_keys_give_the_token_sort_ratio(matcher: Matcher) -> None:
    index = matcher.index
    query = index.query(matcher.normalizer.normalize("mật khẩu quên vneid đổi ở đâu"))
    for key in index.sorted_keys:
        assert fuzz.ratio(sort_words(query.key), key) == fuzz.token_sort_ratio(query.key, key)


_TRICKY = [
    "Làm căn cước (CCCD) ở đâu? Mất bao lâu; phí bao nhiêu!",
    "Đăng ký khai sinh cho con\nCần giấy tờ: tờ khai, giấy chứng sinh.",
    "ĐĂNG KÝ THƯỜNG TRÚ Ở PHƯỜNG",
    "nop ho so online (dich vu cong)",
    "ΟΔΟΣ Σ đường số 5",
]


@pytest.mark.parametrize("answer", [*_TRICKY, *(unicodedata.normalize("NFD", a) for a in _TRICKY)])
def test_answer_words_are_the_tokens_and_pairs_in_the_same_order(answer: str) -> None:
    tokens, pairs = answer_words(answer, {}, {})
    assert (list(tokens), list(pairs)) == (
        list(answer_tokens(answer)),
        list(answer_pairs(answer)),
    )


def test_content_words_of_all_phrasings_are_those_of_each() -> None:
    lexicon = Lexicon.load(PROJECT_ROOT / "knowledge" / "lexicon.yaml")
    texts = [*_TRICKY, *(unicodedata.normalize("NFD", a) for a in _TRICKY), "\u0301ấy Σ"]
    entries = [entry(f"t.e{n}", text) for n, text in enumerate(texts)]
    each = set().union(*(content_words([e], lexicon) for e in entries))
    assert content_words(entries, lexicon) == each
    assert {"duong", "thuong", "cccd"} <= each
