"""Reading a long message like a letter: which parts carry the question.

Citizens write letters: a greeting, who they are (name, ID and phone numbers), a backstory
with dates, one to three questions, a closing. Matching the whole text drowns the topic in
the rest, so the message is cut into sentences, courtesy and personal data are dropped, and
the sentences that ask something are marked. Everything works on folded text (no diacritics)
because citizens type either way; positions are kept by cutting the original at the same
sentence boundaries.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.core.redact import PLACEHOLDER_RE, redact
from bot.core.tones import fold

MAX_SENTENCES = 40  # a message is read up to here: 30 questions must not cost 30 matchings
MAX_QUESTIONS = 3  # question sentences matched on their own, the clearest first

# "rồi,nhưng" and ".cho e hỏi": punctuation glued to the next word still ends a clause.
_GLUED_RE = re.compile(r"([,;:!?.])(?=[^\W\d_])")
# "CCCD 0123…, SĐT 09…": the label goes with the number it introduces.
_LABELLED_RE = re.compile(
    r"(?i)\b(?:số\s+)?(?:cccd|cmnd|căn cước(?:\s+công dân)?|định danh|sđt|sdt|điện thoại|đt|"
    r"e-?mail|mail|mã\s+(?:hồ sơ|hs|số\s+bhxh)|số\s+(?:hồ sơ|bhxh|bhyt)|bhxh|bhyt)"
    r"(?:\s+(?:của\s+)?(?:tôi|em|mình|cháu))?\s*(?:là|:|số)?\s*(?=\[)"
)
_NUMBER_DOT_RE = re.compile(r"(?<=\d)[.,](?=\d)")  # dates and amounts are not sentence ends
_SENTENCE_RE = re.compile(r"[^.!?;\n…]+[.!?;\n…]*")
_WORD_RE = re.compile(r"[^\W_]+")

# Whole courtesy sentences and courtesy at either end of a sentence (folded spelling).
_ADDRESSEE = (
    r"(?:quy (?:co quan|can bo|vi|ban|anh chi|ong ba)|ban quan tri|admin|ad|anh chi|anh/chi|"
    r"anh|chi|ban|em|moi nguoi|can bo|co quan|tong dai vien|tro ly|bot)"
)
_OPENING_RE = re.compile(
    rf"^(?:(?:kinh gui|kinh thua|kinh chao|xin chao|chao|gui|thua)\s+{_ADDRESSEE}"
    rf"(?:\s+{_ADDRESSEE})*|xin chao|chao ban|alo|hello|hi|da|vang|thua)\b[\s,.:!-]*"
)
_CLOSING_RE = re.compile(
    r"(?:\b(?:xin |em |toi |minh |chau )?(?:chan thanh |rat |xin )?(?:cam on|cam ơn|tran trong"
    r"|thanks?|tks)(?:\s+(?:quy co quan|anh chi|ban|rat nhieu|nhieu|nhe|nha|a|ad))*"
    r"|\btran trong\b|\bkinh thu\b"
    r"|\b(?:rat |em |toi |kinh )?mong (?:duoc |nhan duoc )?(?:quy co quan |anh chi |ban )?"
    r"(?:som )?(?:phan hoi|tra loi|giai dap|hoi am|ho tro)(?: som)?(?: giup)?"
    r"(?: (?:em|toi|minh))?(?: a)?)[\s,.!]*$"
)
_CLOSING_TAIL = 90  # characters at a sentence's end where a closing can stand
_CLOSING_HINT_RE = re.compile(r"cam on|tran trong|kinh thu|mong|thank|tks")
# "Tôi là Nguyễn Văn A, sinh năm 1990, CCCD ...": who the writer is, never what they ask.
# ("Em là sinh viên năm nhất…", "Em là con một…" tell the situation: see _introduces_self.)
_SELF_RE = re.compile(
    r"^(?:(?:toi|em|minh|chau|con) (?P<is>ten la|ten|la)\s|ho (?:va )?ten\b|ten toi\b|"
    r"(?:sinh|ngay sinh|nam sinh)\b|(?:dia chi|so dien thoai|sdt|dien thoai|email|cccd|cmnd|"
    r"so cccd|so dinh danh|ma so bhxh)\s*(?:la|:|so)?\s*\[)"
)
# A question particle ends the sentence; "bản sao" and "từ đầu" end others, so a sentence
# typed with diacritics is read with them.
_PARTICLES = (
    "không|ko|k|hông|hong|hok|khum|chưa|gì|j|sao|nào|đâu|ai|nhiêu|lâu|bao giờ|thế nào|"
    "ra sao|được không|hay không|phải không|chăng|hả|hở|nhỉ|vậy|chứ"
)
_END_ACCENTED_RE = re.compile(rf"(?<!\w)(?:{_PARTICLES})(?:\s+(?:ạ|ah|a|vậy|nhỉ|nhé|nha))*\W*$")
_END_FOLDED_RE = re.compile(rf"\b(?:{fold(_PARTICLES)})(?:\s+(?:a|ah|vay|nhi|nhe|nha))*\W*$")
_QUESTION_RE = re.compile(
    r"\b(?:cho (?:toi|em|minh|chau|con|hoi)|xin hoi|muon hoi|hoi (?:ve|cach)|lam sao|"
    r"lam the nao|nhu the nao|the nao|bao lau|bao nhieu|bao gio|khi nao|o dau|cho nao|"
    r"can (?:nhung )?(?:gi|giay to gi)|huong dan|giai dap|tu van|chi giup|chi em|"
    r"nho (?:quy|anh|chi|ban|co quan)|co (?:duoc|the|can|phai|bi) .* (?:khong|ko|k|hong)\b)"
)


@dataclass(frozen=True, slots=True)
class Reading:
    """A message cut into the sentences worth matching."""

    sentences: tuple[str, ...]  # content sentences, original spelling, courtesy removed
    questions: tuple[int, ...]  # indexes into ``sentences`` that ask something, clearest first
    personal_data: bool  # the message carried phone, ID, e-mail or dossier numbers
    truncated: bool  # sentences past MAX_SENTENCES were not read

    @property
    def text(self) -> str:
        """The content sentences joined: the message without its courtesy and data."""
        return " ".join(self.sentences)

    @property
    def is_letter(self) -> bool:
        """Several sentences: worth matching the question sentences on their own."""
        return len(self.sentences) > 1


def folded(text: str) -> str:
    return " ".join(_WORD_RE.findall(fold(text.lower()))).strip() + _end_mark(text)


def _end_mark(text: str) -> str:
    stripped = text.rstrip()
    return "?" if stripped.endswith("?") else ""


def read_message(text: str, *, redacted: bool = False) -> Reading:
    """Cut ``text`` into content sentences and mark the questions; never raises.

    ``redacted``: personal data was already replaced by placeholders (by the caller, with
    the same redact()), so it is not searched for again."""
    text = unicodedata.normalize("NFC", text)
    cleaned = text if redacted else redact(text)
    # Text the assistant already redacted shows its placeholders instead of the numbers.
    personal = cleaned != text or PLACEHOLDER_RE.search(text) is not None
    cleaned = _GLUED_RE.sub(r"\1 ", _NUMBER_DOT_RE.sub("/", cleaned))
    raw = [s.strip() for s in _SENTENCE_RE.findall(cleaned)]
    truncated = len(raw) > MAX_SENTENCES
    sentences: list[str] = []
    asks: list[tuple[int, int]] = []
    for sentence in raw[:MAX_SENTENCES]:
        content = _content(sentence)
        if content is None:
            continue
        kept, key = content
        score = _question_score(kept, key)
        if score:
            asks.append((score, len(sentences)))
        sentences.append(kept)
    # The clearest question first; among equals, the earlier one (it is usually the main ask).
    asks.sort(key=lambda item: (-item[0], item[1]))
    questions = tuple(index for _, index in asks[:MAX_QUESTIONS])
    return Reading(tuple(sentences), questions, personal, truncated)


def _content(sentence: str) -> tuple[str, str] | None:
    """The sentence without courtesy and personal data, and its folded key (``folded``),
    or None when nothing is left."""
    words = sentence.split()
    key = folded(sentence)
    # Most sentences of a long letter are neither: one cheap look at each end first.
    while _OPENING_RE.match(key) is not None:  # "Xin chào anh/chị, kính gửi quý cơ quan"
        opening = _OPENING_RE.match(key)
        if opening is None or not opening.group(0).strip():
            break
        words = _drop_words(words, len(opening.group(0).split()), from_end=False)
        key = folded(" ".join(words))
    while _CLOSING_HINT_RE.search(key[-_CLOSING_TAIL:]) is not None:  # "Trân trọng cảm ơn"
        closing = _CLOSING_RE.search(key[-_CLOSING_TAIL:])
        if closing is None or not closing.group(0).strip():
            break
        words = _drop_words(words, len(closing.group(0).split()), from_end=True)
        key = folded(" ".join(words))
    if not key or _introduces_self(words, key):
        return None
    kept = " ".join(words)
    # Labels and placeholders all stand before or in brackets: most sentences have none.
    labelled = "[" in kept
    if labelled:
        kept = PLACEHOLDER_RE.sub(" ", _LABELLED_RE.sub(" ", kept))
    kept = " ".join(kept.split()).strip(" ,.:;-")
    if len(_WORD_RE.findall(kept)) < 2:
        return None
    kept += "?" if sentence.rstrip().endswith("?") and not kept.endswith("?") else ""
    if labelled:
        return kept, folded(kept)
    # Only spaces and end punctuation were dropped: the words, so their key, are the same.
    return kept, key.removesuffix("?") + _end_mark(kept)


def _introduces_self(words: list[str], key: str) -> bool:
    """The sentence only says who the writer is ("Tôi tên …", "Tôi là Nguyễn Văn A, CCCD …",
    "Địa chỉ: …"). A question is never dropped ("Tôi tên Lan, cho hỏi …"), and "X là"
    introduces the writer only before a name (a capital letter) or personal data; otherwise
    it tells who they are in the story ("em là sinh viên năm nhất", "em là con một"): the
    situation."""
    found = _SELF_RE.match(key)
    if found is None:
        return False
    text = " ".join(words)
    if _question_score(text, key):
        return False
    if found.group("is") != "la" or "[" in text:
        return True
    original = _WORD_RE.findall(text)
    return len(original) > 2 and original[2][:1].isupper()


def _drop_words(words: list[str], count: int, *, from_end: bool) -> list[str]:
    """Drop ``count`` folded words from one end (punctuation-only pieces go along)."""
    ordered = list(reversed(words)) if from_end else list(words)
    dropped = 0
    index = 0
    while index < len(ordered) and dropped < count:
        dropped += len(_WORD_RE.findall(fold(ordered[index].lower())))
        index += 1
    rest = ordered[index:]
    return list(reversed(rest)) if from_end else rest


def _question_score(sentence: str, key: str | None = None) -> int:
    """How clearly a sentence asks something: a question mark and question words.

    ``key``: ``folded(sentence)``, when the caller has it."""
    key = folded(sentence) if key is None else key
    score = 2 if key.endswith("?") else 0
    lowered = sentence.lower()
    end = _END_FOLDED_RE if lowered.isascii() else _END_ACCENTED_RE
    score += end.search(lowered) is not None
    score += len(_QUESTION_RE.findall(key))
    return score
