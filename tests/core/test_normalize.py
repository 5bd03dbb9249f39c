"""Vietnamese normalization: tables for every pitfall in shared/VIETNAMESE_TEXT.md, properties."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import PROJECT_ROOT
from bot.core.knowledge import KnowledgeError
from bot.core.lexicon import Lexicon
from bot.core.normalize import INVISIBLE_RE, Normalizer, clean, fold
from bot.core.tones import place_tone

LEXICON_FILE = PROJECT_ROOT / "knowledge" / "lexicon.yaml"


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load(LEXICON_FILE)


@pytest.fixture(scope="module")
def norm(lexicon: Lexicon) -> Normalizer:
    return Normalizer(lexicon)


def key(norm: Normalizer, text: str) -> str:
    return norm.normalize(text).key


# ---------------------------------------------------------------- Unicode and spelling


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (unicodedata.normalize("NFD", "đăng ký hộ tịch"), "đăng ký hộ tịch"),  # decomposed
        ("ｄăng ｋý", "đăng ký"),  # full-width letters (NFKC)
        ("hòa", "hoà"),  # old / new tone placement
        ("thủy", "thuỷ"),
        ("khỏe", "khoẻ"),
        ("qúy", "quý"),
        ("Ðăng ký", "đăng ký"),  # Icelandic eth look-alike
        ("ĐĂNG KÝ TÀI KHOẢN", "đăng ký tài khoản"),  # capitals
        ("đăng\u200bký", "đăng ký"),  # zero-width space inside a glued word
        ("\ufeffđăng ký", "đăng ký"),  # byte-order mark
        ("đăng\u00a0ký", "đăng ký"),  # no-break space
        ("hồ s\u00adơ", "hồ sơ"),  # soft hyphen
        ("hồ\x00 sơ\x07", "hồ sơ"),  # control characters
    ],
)
def test_same_key(norm: Normalizer, left: str, right: str) -> None:
    assert key(norm, left) == key(norm, right)


@pytest.mark.parametrize(
    ("text", "accented"),
    [
        ("hoà", "hòa"),
        ("thuỷ", "thủy"),
        ("khoẻ", "khỏe"),
        ("qúy", "quý"),
        ("ngoài", "ngoài"),
        ("khuỷu", "khuỷu"),
        ("người", "người"),
        ("thuở", "thuở"),
        ("khuyến", "khuyến"),
        ("giường", "giường"),
        ("hoàn", "hoàn"),
        ("mía", "mía"),
    ],
)
def test_tones_are_replaced_in_one_style(text: str, accented: str) -> None:
    assert place_tone(text) == accented


def test_d_with_stroke_folds_by_hand() -> None:
    # đ has no Unicode decomposition: stripping combining marks alone would keep it.
    assert fold("Đường đi") == "Duong di"
    assert fold("Žlutý Đ ß 가") == "Zluty D ß 가"


@pytest.mark.parametrize(
    ("left", "right"),
    [("ký", "kí"), ("lý lịch", "lí lịch"), ("mỹ", "mĩ"), ("kỹ năng", "kĩ năng")],
)
def test_i_y_spellings_share_a_key(norm: Normalizer, left: str, right: str) -> None:
    assert key(norm, left) == key(norm, right)


@pytest.mark.parametrize("word", ["quy", "tuy", "hay", "thuy", "may"])
def test_i_y_fold_keeps_uy_ay_quy(norm: Normalizer, word: str) -> None:
    assert key(norm, word) == word


def test_accented_form_is_kept(norm: Normalizer) -> None:
    result = norm.normalize("Cho tôi hỏi ĐĂNG KÍ tài khoản thế nào ạ?")
    assert result.accented == "đăng kí tài khoản"
    assert result.key == "dang ki tai khoan"
    assert result.tokens == ("dang", "ki", "tai", "khoan")
    assert len(result.accents) == len(result.tokens)


# ---------------------------------------------------------------- typing leftovers


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("ddang kys", "đăng ký"),
        ("d9a8ng ky1", "đăng ký"),
        ("dduowcj", "được"),
        ("nguowif", "người"),
        ("hoir", "hỏi"),
        ("dangkyonline", "đăng ký online"),
        ("thutuc", "thủ tục"),
        ("mucdo4", "mức độ 4"),
    ],
)
def test_telex_vni_and_glued_words_are_repaired(norm: Normalizer, typed: str, meant: str) -> None:
    assert key(norm, typed) == key(norm, meant)


@pytest.mark.parametrize("word", ["vneid", "zalo", "email", "a1", "b2", "otp", "viettel"])
def test_known_and_foreign_words_are_left_alone(norm: Normalizer, word: str) -> None:
    assert key(norm, word) == word


# ---------------------------------------------------------------- lexicon


@pytest.mark.parametrize(
    ("short", "long"),
    [
        ("mk", "mật khẩu"),
        ("tk", "tài khoản"),
        ("hs", "hồ sơ"),
        ("bn", "bao nhiêu"),
        ("ko", "không"),
        ("dc", "được"),
        ("đc", "được"),
        ("cccd", "căn cước"),
        ("dvc", "dịch vụ công"),
        ("sđt", "số điện thoại"),
        ("onl", "trực tuyến"),
        ("qua mạng", "trực tuyến"),
        ("qua mang", "trực tuyến"),
        ("gplx", "giấy phép lái xe"),
        ("thứ 7", "thứ bảy"),
    ],
)
def test_public_service_meaning_wins(norm: Normalizer, short: str, long: str) -> None:
    assert key(norm, short) == key(norm, long)


@pytest.mark.parametrize(
    ("regional", "standard"),
    [
        ("cháu tui mới sanh", "cháu tui mới sinh"),
        ("chau moi sanh", "cháu mới sinh"),
        ("giấy khai sanh", "giấy khai sinh"),
        ("dzô app coi hồ sơ", "vào ứng dụng xem hồ sơ"),
        ("zô trang dvc", "vào trang dịch vụ công"),
        ("có thiệt hông", "có thật không"),
        ("chủ nhựt có làm việc", "chủ nhật có làm việc"),
        ("lãnh lương hưu", "nhận lương hưu"),
        ("ở mô nộp", "ở đâu nộp"),
        ("cá nhơn", "cá nhân"),
        ("em mới đẻ", "em mới sinh"),
        ("gõ lộn số nhà", "gõ nhầm số nhà"),
        ("chụp hình thẻ", "chụp ảnh thẻ"),
    ],
)
def test_regional_spellings_are_standardized(
    norm: Normalizer, regional: str, standard: str
) -> None:
    assert key(norm, regional) == key(norm, standard)


def test_regional_word_with_another_meaning_needs_its_neighbour(norm: Normalizer) -> None:
    # Southern "lãnh" is "nhận" in "lãnh tiền"; "lãnh sự" (consular) stays itself.
    assert key(norm, "hợp pháp hóa lãnh sự") == "hop phap hoa lanh su"
    assert key(norm, "lãnh tiền") == key(norm, "nhận tiền")


def test_dialect_expansions_must_be_canonical(tmp_path: Path) -> None:
    bad = tmp_path / "lexicon.yaml"
    bad.write_text("dialect:\n  vào: [dzô]\n  dzô lại: [zô lại]\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="dialect"):
        Lexicon.load(bad)


def test_particle_a_is_not_expanded(norm: Normalizer) -> None:
    assert norm.normalize("ạ").key == ""
    assert norm.normalize("được ạ").accented == "được"
    # "a" typed alone is not an abbreviation of anything either.
    assert norm.normalize("a").key == "a"


def test_fillers_are_dropped_but_intent_words_kept(norm: Normalizer) -> None:
    result = norm.normalize("Xin hỏi làm thế nào để đổi thẻ ở đâu, bao lâu, không được ạ")
    assert result.accented == "đổi thẻ ở đâu bao lâu không được"


def test_unaccented_filler_kept_when_the_faq_needs_the_word(lexicon: Lexicon) -> None:
    plain = Normalizer(lexicon, content_words=[])
    with_house = Normalizer(lexicon, content_words=["nha"])
    assert plain.normalize("xin giay phep xay nha nha").key == "xin giay phep xay"
    assert with_house.normalize("xin giay phep xay nha nha").key == "xin giay phep xay nha nha"


def test_input_is_cut(norm: Normalizer) -> None:
    long_text = "thủ tục " * 5000
    assert len(norm.normalize(long_text).tokens) <= 1000 // 3
    assert norm.normalize("đăng ký tài khoản", max_chars=8).key == "dang ki"


def test_clean_deletes_every_format_character() -> None:
    # The hard-coded list in normalize.py must follow this Python's Unicode database.
    missing = [
        hex(cp)
        for cp in range(sys.maxunicode + 1)
        if unicodedata.category(chr(cp)) == "Cf" and clean("a" + chr(cp) + "b") != "ab"
    ]
    assert missing == []


def test_clean_skips_work_only_for_text_without_format_or_lookalike_characters() -> None:
    # clean() runs the character class only on text that is not printable: every character
    # the class deletes must be one that makes a text non-printable.
    printable = [
        hex(cp)
        for cp in range(sys.maxunicode + 1)
        if INVISIBLE_RE.fullmatch(chr(cp)) and chr(cp).isprintable()
    ]
    assert printable == []
    assert clean("Ðăng ký ðổi ɖịa chỉ Ɖâu") == "đăng ký đổi địa chỉ đâu"
    assert clean("đăng\u00adký\u200b tài khoản") == "đăngký tài khoản"


def test_lexicon_errors_name_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "lexicon.yaml"
    bad.write_text(
        "abbreviations:\n  không: [ko]\n  khóa: [ko]\nfillers: [ạ]\ncolours: [red]\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError) as caught:
        Lexicon.load(bad)
    text = str(caught.value)
    assert f"{bad}:3" in text and "already maps to" in text
    assert f"{bad}:5" in text and "unknown section" in text


def test_lexicon_syntax_error_names_line(tmp_path: Path) -> None:
    bad = tmp_path / "lexicon.yaml"
    bad.write_text("fillers:\n  - ạ\n  - [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        Lexicon.load(bad)
    assert f"{bad}:" in str(caught.value)


def test_synonym_expansions_must_be_canonical(tmp_path: Path) -> None:
    bad = tmp_path / "lexicon.yaml"
    bad.write_text("synonyms:\n  bao lâu: [bao giờ]\n  bao giờ nữa: [khi nào]\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="contains the variant"):
        Lexicon.load(bad)


def test_empty_lexicon_still_normalizes() -> None:
    result = Normalizer(Lexicon.empty()).normalize("  Đăng KÝ  ")
    assert result.key == "dang ki"


# ---------------------------------------------------------------- properties

VIETNAMESE = st.text(
    alphabet=st.sampled_from(
        list("aăâbcdđeêghiklmnoôơpqrstuưvxy áàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợ")
        + list("úùủũụứừửữựýỳỷỹỵ0123456789.,?!ĐÐ\u200b\u00ad\u0301\u0323")
    ),
    max_size=60,
)
ANY_TEXT = st.text(max_size=80)
CHECKS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@CHECKS
@given(st.one_of(ANY_TEXT, VIETNAMESE))
def test_key_is_idempotent(text: str) -> None:
    norm = _shared_normalizer()
    first = norm.normalize(text).key
    assert norm.normalize(first).key == first


@CHECKS
@given(st.one_of(ANY_TEXT, VIETNAMESE))
def test_key_has_no_combining_marks_and_never_raises(text: str) -> None:
    result = _shared_normalizer().normalize(text)
    assert not any(unicodedata.combining(c) for c in result.key)
    assert result.key == " ".join(result.tokens)
    assert "  " not in result.key


@CHECKS
@given(VIETNAMESE)
def test_key_is_idempotent_with_knowledge_base_words(text: str) -> None:
    norm = _shared_normalizer(content_words=("nha", "thi", "vay"))
    first = norm.normalize(text).key
    assert norm.normalize(first).key == first


_NORMALIZERS: dict[tuple[str, ...] | None, Normalizer] = {}


def _shared_normalizer(content_words: tuple[str, ...] | None = None) -> Normalizer:
    # Hypothesis forbids function-scoped fixtures; build once per configuration.
    if content_words not in _NORMALIZERS:
        _NORMALIZERS[content_words] = Normalizer(
            Lexicon.load(LEXICON_FILE), content_words=content_words
        )
    return _NORMALIZERS[content_words]
