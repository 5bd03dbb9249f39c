"""Every answer, rendered under each shipped province profile, reads as a sentence should.

The checks are generic (no entry ids), so they hold for entries added later: a profile value put
into a sentence must not leave a repeated address, an unfilled placeholder, empty or nested
parentheses, a doubled word or doubled punctuation.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.core import texts
from bot.core.address_book import AddressBook
from bot.core.knowledge import KnowledgeBase
from bot.core.provinces import DEFAULT_ID, ProvinceProfile, fill_placeholders, load_province
from bot.core.responder import Responder
from bot.runtime import Runtime
from tests.core.conftest import KNOWLEDGE

# Every profile shipped in knowledge/provinces/: the neutral default, the example and the 34
# provinces whose unverified fields fall back to the default's national values.
PROFILES = sorted(p.stem for p in (KNOWLEDGE / "provinces").glob("*.yaml"))
# Core sentences that carry province placeholders.
CORE_TEXTS = {
    name: getattr(texts, name)
    for name in (
        "GREETING",
        "FALLBACK",
        "CONTACTS",
        "WHO_AM_I",
        "FEEDBACK_SORRY",
        "COMMENT_THANKS_UNPROMPTED",
    )
}

PLACEHOLDER = re.compile(r"\{[^{}\s]*\}")
EMPTY_PARENS = re.compile(r"\(\s*\)")
# Not a bare ending such as ".gov.vn".
ADDRESS = re.compile(
    r"(?<![\w.])(?:https?://)?(?:www\.)?((?:[a-z0-9-]+\.)+[a-z]{2,})(/[^\s),;]*)?", re.I
)
DOUBLED_WORD = re.compile(r"(?<!\w)(\w{2,}) \1(?!\w)", re.I)
# Words that are written twice on purpose (the Cốc Cốc browser).
REDUPLICATED = frozenset({"cốc"})
DOUBLED_PUNCT = re.compile(r"(?<!\.)\.\.(?!\.)|,,|;;|[,;:]\.|\.[,;]")
# A dot followed by a letter is a domain ending such as ".gov.vn", not the end of a sentence.
SPACE_BEFORE_PUNCT = re.compile(r"\S \s*(?:[,;:!?)]|\.(?!\w))")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def addresses(sentence: str) -> list[str]:
    """Web addresses in a sentence, compared without scheme, "www." or trailing slash."""
    found = []
    for match in ADDRESS.finditer(sentence):
        host, path = match.group(1).lower(), (match.group(2) or "").rstrip("/.")
        if "." in host and not host.replace(".", "").isdigit():
            found.append(host + path)
    return found


def parenthesis_problem(line: str) -> str | None:
    depth = 0
    for char in line:
        if char == "(":
            depth += 1
            if depth > 1:
                return "nested parentheses"
        elif char == ")":
            depth -= 1
            if depth < 0:
                return "')' without '('"
    return "'(' not closed on its line" if depth else None


def intended_repeat(pair: str) -> bool:
    """ "Cốc Cốc", or a place name before the same word in lower case ("tỉnh Cao Bằng bằng …")."""
    first, second = pair.split(" ")
    return first.lower() in REDUPLICATED or (first[0].isupper() and second[0].islower())


def problems(text: str) -> list[str]:
    """What reads wrong in a rendered text; empty when it reads well."""
    found: list[str] = []
    for pattern, what in (
        (PLACEHOLDER, "unfilled placeholder"),
        (EMPTY_PARENS, "empty parentheses"),
        (DOUBLED_WORD, "doubled word"),
        (DOUBLED_PUNCT, "doubled punctuation"),
        (SPACE_BEFORE_PUNCT, "space before punctuation"),
    ):
        found += [
            f"{what}: {m.group(0)!r}"
            for m in pattern.finditer(text)
            if pattern is not DOUBLED_WORD or not intended_repeat(m.group(0))
        ]
    for line in text.splitlines():
        if line.rstrip().endswith("("):
            found.append(f"line ends in '(': {line!r}")
        issue = parenthesis_problem(line)
        if issue:
            found.append(f"{issue}: {line!r}")
        for sentence in SENTENCE_END.split(line):
            seen = addresses(sentence)
            repeated = {a for a in seen if seen.count(a) > 1}
            if repeated:
                found.append(f"address repeated in one sentence {sorted(repeated)}: {sentence!r}")
    return found


@pytest.fixture(scope="module", params=PROFILES)
def profile(request: pytest.FixtureRequest) -> ProvinceProfile:
    directory = KNOWLEDGE / "provinces"
    book = AddressBook.load(KNOWLEDGE / "addresses" / "units.json.gz")
    default = load_province(directory / f"{DEFAULT_ID}.yaml", book=book)
    if request.param == DEFAULT_ID:
        return default
    return load_province(directory / f"{request.param}.yaml", fallback=default, book=book)


def rendered(runtime: Runtime, profile: ProvinceProfile, today: dt.date) -> dict[str, str]:
    responder = Responder(runtime.live, profile, today=lambda: today)
    kb: KnowledgeBase = runtime.snapshot.kb
    return {entry.id: responder.entry_text(entry) for entry in kb.entries}


def test_the_checks_catch_what_a_citizen_saw() -> None:
    # Readings found when the answers were tried as a citizen would (issue 10).
    assert problems("Mở dichvucong.gov.vn hoặc https://dichvucong.gov.vn để nộp.")
    assert problems(
        "Đăng nhập Cổng quốc gia (dichvucong.gov.vn) hoặc Cổng của tỉnh (https://dichvucong.gov.vn)."
    )
    assert problems("Đến nơi giải quyết (cấp tỉnh: Trung tâm (địa chỉ ở đây)) trong giờ làm việc.")
    assert problems("Gọi {hotline} ngay.")
    assert problems("Xem tại ().")
    assert problems("Nhận kết quả tại (\nTrung tâm).")
    assert problems("Cổng của tỉnh tỉnh Ninh Bình.")
    assert not problems("Vào Cổng của tỉnh Cao Bằng bằng tài khoản VNeID.")
    assert problems("Gọi tổng đài.. ngay")
    assert problems("Gọi 18001096 , tổng đài")
    assert not problems(
        "Vào https://dichvucong.gov.vn. Sau đó mở https://dichvucong.gov.vn/p/home.html nếu cần."
    )
    assert not problems("Chỉ dùng dichvucong.gov.vn, vneid.gov.vn (ứng dụng VNeID), v.v.")
    assert not problems("Trang thật có đuôi .gov.vn; dùng Chrome hoặc Cốc Cốc.")


def test_every_answer_reads_well_under_every_shipped_profile(
    runtime: Runtime, profile: ProvinceProfile
) -> None:
    bad: dict[str, list[str]] = {}
    # Once as reviewed today, once long after, so the outdated notice is read too.
    for today in (dt.date(2026, 11, 30), dt.date(2030, 1, 1)):
        for entry_id, text in rendered(runtime, profile, today).items():
            if issues := problems(text):
                bad.setdefault(entry_id, []).extend(issues)
    assert not bad, f"{profile.id}: {bad}"


def test_core_sentences_read_well_under_every_shipped_profile(profile: ProvinceProfile) -> None:
    bad = {name: problems(fill_placeholders(text, profile)) for name, text in CORE_TEXTS.items()}
    assert not {name: issues for name, issues in bad.items() if issues}, profile.id
