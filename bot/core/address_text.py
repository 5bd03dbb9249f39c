"""Free text → address tokens: type words (xã, h., tp…), hamlets, streets and segments.

Citizens write an old address in any order and any spelling: "ấp 3 xã Phú Túc huyện Châu Thành
tỉnh Bến Tre", "x.Phu Tuc, h.Chau Thanh, Ben Tre", "P12 Q.Tân Bình TPHCM". This module finds
the words that say what kind of unit follows, so that names can be looked up at the right level;
it does not decide which unit is meant (see address.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.core.normalize import canonical_token, clean
from bot.core.tones import fold, is_valid_syllable

MAX_CHARS = 1000  # an address is short; anything longer is cut (bounded time for any input)
MAX_TOKENS = 200
_TOKEN_RE = re.compile(r"[^\W_]+")
_RUN_RE = re.compile(r"[^\W\d_]+|\d+")
# Between two tokens, these separate parts of an address ("ấp 3, xã …"); a spaced dash does
# too ("Phú Túc - Châu Thành") but may also stand inside a name ("Bà Rịa - Vũng Tàu").
_SEPARATOR_RE = re.compile(r"[,;|/()\[\]\n]")
_DASH_RE = re.compile(r"\s[-–]|[-–]\s")


class Mark(StrEnum):
    WARD = "ward"
    DISTRICT = "district"
    PROVINCE = "province"
    CITY = "city"  # "thành phố" / "tp": a district-level or a province-level city
    HAMLET = "hamlet"  # ấp, thôn, xóm, tổ, khu phố…: below the commune, not in the data
    STREET = "street"  # đường, số nhà, ngõ, hẻm…


# Type words as written, each with the unit type it names (None: several or none). Matched on
# folded tokens, and on the accented form when the citizen typed accents ("Phương Trung" is a
# name, "phường Trung" a ward). Abbreviations of one letter count only before a dot or a number
# ("x.", "p12"), so a lone "h" (giờ) is not "huyện".
_TYPE_WORDS: dict[Mark, tuple[tuple[str, str | None], ...]] = {
    Mark.WARD: (
        ("xã", "Xã"), ("phường", "Phường"), ("thị trấn", "Thị trấn"), ("đặc khu", "Đặc khu"),
        ("tt", "Thị trấn"), ("x.", "Xã"), ("p.", "Phường"), ("f.", "Phường"),
        ("ph.", "Phường"),
    ),
    Mark.DISTRICT: (
        ("huyện", "Huyện"), ("quận", "Quận"), ("thị xã", "Thị xã"), ("tx", "Thị xã"),
        ("h.", "Huyện"), ("q.", "Quận"),
    ),
    Mark.CITY: (("thành phố", "Thành phố"), ("tp", "Thành phố"), ("t.p.", "Thành phố"),
                ("tp.", "Thành phố")),
    Mark.PROVINCE: (("tỉnh", "Tỉnh"), ("t.", "Tỉnh")),
    Mark.HAMLET: tuple((w, None) for w in (
        "ấp", "thôn", "xóm", "tổ", "tổ dân phố", "tdp", "khu phố", "kp", "khóm", "bản", "buôn",
        "plei", "khu", "làng", "sóc", "phum", "cụm",
    )),
    Mark.STREET: tuple((w, None) for w in (
        "đường", "số nhà", "số", "ngõ", "ngách", "hẻm", "kiệt", "phố", "quốc lộ", "tỉnh lộ",
        "ql", "tl", "lô", "căn hộ", "chung cư", "tòa nhà",
    )),
}  # fmt: skip
# A hamlet or street word opens a part of the address: at the start, after a separator, after
# a number ("12 đường …") or after "ở"/"tại". Elsewhere it is inside a name ("Chương Dương").
_OPENERS = frozenset({"o", "tai"})
# Words that may follow a number without a dot: "p12", "q 1", "f5".
_BEFORE_NUMBER = frozenset({"p", "q", "f", "ph", "x", "h"})
# A glued type word: "tphcm", "xaphutuc", "quan1" (split before the name is looked up).
_GLUED_RE = re.compile(r"^(thanhpho|thitran|thixa|phuong|huyen|quan|tinh|tp|tx|tt|xa)([a-z]{3,})$")


class WordSet:
    """Words matched by their accented form; typed without marks, by the folded form unless
    that is also a syllable of some place name ("nam" is năm, and also Nam)."""

    def __init__(self, words: str) -> None:
        self.accented = frozenset(canonical_token(w) for w in words.split())
        self.folded = frozenset(fold(w) for w in self.accented)

    def matches(self, token: Token, names: frozenset[str]) -> bool:
        if token.marked:
            return token.accented in self.accented
        return token.key in self.folded and token.key not in names


# After a type word, these ask rather than name: "giờ là xã nào", "phường mới".
QUESTION_WORDS = WordSet("nào gì mới cũ này nay đó kia đâu")
# Words around an address in a question; a name followed by one of them is complete.
FILLER_WORDS = WordSet(
    "nào gì mới cũ này nay đó kia đâu giờ bây là thuộc sau trước sáp nhập sắp xếp hiện được "
    "không ko k còn tên địa chỉ và tại năm nhà cho hỏi ơi ạ à vậy nhé thì ở của mình em tôi "
    "đây đấy ấy thế giúp với"
)


@dataclass(frozen=True, slots=True)
class Token:
    key: str  # folded, lowercase, leading zeros dropped
    accented: str  # lowercase with marks, tone re-placed; equals key when typed without marks
    dot: bool  # followed by "."
    boundary: bool  # a separator (comma, spaced dash…) stands before it
    strong: bool  # … and it is not a dash: no name reaches across it

    @property
    def marked(self) -> bool:
        return self.accented != self.key


@dataclass(frozen=True, slots=True)
class TypeWord:
    start: int
    end: int
    mark: Mark
    kind: str | None  # the unit type it names ("Xã", "Thành phố"), if it names one


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of name tokens between type words and separators, with the type word before it."""

    start: int
    end: int
    mark: Mark | None


@dataclass(frozen=True, slots=True)
class AddressText:
    tokens: tuple[Token, ...]
    type_words: tuple[TypeWord, ...]
    segments: tuple[Segment, ...]
    truncated: bool
    marked: bool  # the citizen typed diacritics somewhere: then "Sa Pa" is not "Sa Pả"
    names: frozenset[str] = frozenset()  # folded syllables of place names

    def question(self, index: int) -> bool:
        """True for a word that asks rather than names ("xã nào")."""
        return QUESTION_WORDS.matches(self.tokens[index], self.names)

    def filler(self, index: int) -> bool:
        """True for a word of the question around a name ("… cũ giờ là …")."""
        return FILLER_WORDS.matches(self.tokens[index], self.names)

    def type_before(self, index: int) -> TypeWord | None:
        """The type word that ends right before token ``index`` (no separator between)."""
        if index < len(self.tokens) and self.tokens[index].boundary:
            return None
        return next((t for t in self.type_words if t.end == index), None)

    def excluded(self, index: int) -> bool:
        """True for tokens of a hamlet, street or house number: never a commune's name.

        A hamlet's own type word is not: many commune names start with one ("Bản Lầu").
        """
        if any(
            s.start <= index < s.end and s.mark in (Mark.HAMLET, Mark.STREET) for s in self.segments
        ):
            return True
        # "số 1 phố Huế": after a house number, "phố Huế" is a street; alone, "Phố Bảng" may
        # well be the commune.
        return (
            index > 0
            and any(t.start == index and t.mark is Mark.STREET for t in self.type_words)
            and self.tokens[index - 1].key.isdigit()
            and not self.tokens[index].boundary
        )

    def words(self, start: int, end: int) -> str:
        return " ".join(t.accented for t in self.tokens[start:end])

    def hamlet(self) -> str:
        """The hamlet part as typed ("ấp 3"), or ""."""
        for tw in self.type_words:
            if tw.mark is Mark.HAMLET:
                seg = next((s for s in self.segments if s.start == tw.end), None)
                return self.words(tw.start, seg.end if seg else tw.end)
        return ""


def _tokens(text: str) -> list[Token]:
    tokens: list[Token] = []
    previous_end = 0
    for match in _TOKEN_RE.finditer(text):
        between = text[previous_end : match.start()]
        strong = bool(_SEPARATOR_RE.search(between))
        boundary = strong or bool(_DASH_RE.search(between))
        dot = text[match.end() : match.end() + 1] == "."
        previous_end = match.end()
        runs = _RUN_RE.findall(match.group())
        pieces: list[str] = []
        for run in runs:
            folded = fold(run)
            glued = _GLUED_RE.match(folded) if not is_valid_syllable(folded) else None
            if glued and len(run) == len(folded):
                cut = len(glued.group(1))
                pieces += [run[:cut], run[cut:]]
            else:
                pieces.append(run)
        for number, piece in enumerate(pieces):
            folded = fold(piece)
            key = (folded.lstrip("0") or "0") if folded.isdigit() else folded
            accented = canonical_token(piece) if not folded.isdigit() else key
            tokens.append(
                Token(
                    key,
                    accented,
                    dot and number == len(pieces) - 1,
                    boundary and number == 0,
                    strong and number == 0,
                )
            )
            if len(tokens) >= MAX_TOKENS:
                return tokens
    return tokens


_Row = tuple[tuple[str, ...], tuple[str, ...], bool, Mark, str | None]


def _type_table() -> list[_Row]:
    """(folded words, accented words, needs a dot or number, mark, kind), longest first."""
    table = []
    for mark, words in _TYPE_WORDS.items():
        for written, kind in words:
            dotted = written.endswith(".")
            parts = tuple(_TOKEN_RE.findall(written))
            accents = tuple(canonical_token(p) for p in parts)
            table.append((tuple(fold(p) for p in parts), accents, dotted, mark, kind))
    table.sort(key=lambda row: -len(row[0]))
    return table


def _by_first_word(table: list[_Row]) -> dict[str, list[_Row]]:
    """The rows that can start at a token, by its key, still longest first: most tokens of a
    question start no type word, and each is looked up once (this runs for every question)."""
    index: dict[str, list[_Row]] = {}
    for row in table:
        index.setdefault(row[0][0], []).append(row)
    return index


_TABLE = _by_first_word(_type_table())


def _type_word_at(tokens: list[Token], index: int) -> TypeWord | None:
    for folded, accented, dotted, mark, kind in _TABLE.get(tokens[index].key, ()):
        end = index + len(folded)
        if end > len(tokens) or tuple(t.key for t in tokens[index:end]) != folded:
            continue
        if any(t.boundary for t in tokens[index + 1 : end]):
            continue
        # Typed with accents, a type word must carry its own ("phương" is not "phường").
        if any(fold(a) != a for a in accented) and any(
            t.marked and t.accented != a for t, a in zip(tokens[index:end], accented, strict=True)
        ):
            continue
        if dotted:
            last = tokens[end - 1]
            following = tokens[end] if end < len(tokens) else None
            before_number = (
                following is not None and following.key.isdigit() and last.key in _BEFORE_NUMBER
            )
            if not (last.dot or before_number) or following is None:
                continue
        if mark in (Mark.HAMLET, Mark.STREET) and not _opens_part(tokens, index):
            continue
        return TypeWord(index, end, mark, kind)
    return None


def _opens_part(tokens: list[Token], index: int) -> bool:
    if index == 0 or tokens[index].boundary:
        return True
    before = tokens[index - 1].key
    return before.isdigit() or before in _OPENERS


def parse_text(text: str, names: frozenset[str] = frozenset()) -> AddressText:
    """Tokens, type words and segments of ``text`` (cut to MAX_CHARS); never raises.

    ``names``: folded syllables of place names, which are never taken for filler words."""
    cleaned = clean(text if isinstance(text, str) else "", MAX_CHARS)
    tokens = _tokens(cleaned)
    type_words: list[TypeWord] = []
    index = 0
    while index < len(tokens):
        found = _type_word_at(tokens, index)
        if found is None:
            index += 1
            continue
        if type_words and type_words[-1].end == index:
            # Right after a type word comes a name, even one that starts like a type word:
            # "thị trấn Phố Ràng", "xã Bản Lầu".
            index += 1
            continue
        type_words.append(found)
        index = found.end
    segments = _segments(tokens, type_words)
    return AddressText(
        tuple(tokens),
        tuple(type_words),
        segments,
        len(text or "") > MAX_CHARS,
        any(t.marked for t in tokens),
        names,
    )


def _segments(tokens: list[Token], type_words: list[TypeWord]) -> tuple[Segment, ...]:
    starts = {t.start: t for t in type_words}
    segments: list[Segment] = []
    index = 0
    mark: Mark | None = None
    while index < len(tokens):
        if index in starts:
            tw = starts[index]
            mark = tw.mark
            index = tw.end
            continue
        start = index
        index += 1
        while index < len(tokens) and index not in starts and not tokens[index].boundary:
            index += 1
        if tokens[start].boundary:
            mark = None
        # A part that opens with a house number ("12 Nguyễn Trãi") names a street.
        opens_with_number = mark is None and tokens[start].key.isdigit() and index - start > 1
        segments.append(Segment(start, index, Mark.STREET if opens_with_number else mark))
        mark = None
    return tuple(segments)
