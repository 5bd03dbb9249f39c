"""Vietnamese letters, tone marks and syllable shape (see shared/VIETNAMESE_TEXT.md).

Everything works on lowercase NFC text. A tone is an int: 0 none, 1 sắc, 2 huyền, 3 hỏi,
4 ngã, 5 nặng.
"""

from __future__ import annotations

import re
import unicodedata

_TONE_MARKS = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
VOWELS = "aăâeêioôơuưy"
SHAPED = frozenset("ăâêôơư")

# (base vowel, tone) <-> composed letter; built from Unicode so no hand-typed table can drift.
_COMPOSE: dict[tuple[str, int], str] = {}
_SPLIT: dict[str, tuple[str, int]] = {}
for _base in VOWELS:
    for _tone, _mark in enumerate(_TONE_MARKS):
        _char = unicodedata.normalize("NFC", unicodedata.normalize("NFD", _base) + _mark)
        _COMPOSE[_base, _tone] = _char
        _SPLIT[_char] = (_base, _tone)

# Letters a Vietnamese syllable may contain once tones are removed.
_PLAIN_LETTERS = frozenset("abcdđeghiklmnopqrstuvxyăâêôơư")
VIET_LETTERS = frozenset(_SPLIT) | _PLAIN_LETTERS


def _ascii_base(char: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))


# Fast path for Vietnamese letters (one C-level translate); anything else decomposes below.
_FOLD_TABLE = str.maketrans(
    {
        **{c: _ascii_base(c) for c in _SPLIT},
        **{c.upper(): _ascii_base(c.upper()) for c in _SPLIT},
        "đ": "d",
        "Đ": "D",
    }
)

_ONSET_TEXT = "ngh ng gh ch kh nh ph th tr gi qu b c d đ g h k l m n p r s t v x"
ONSETS = _ONSET_TEXT.split()
_ONSET_RE = "|".join(ONSETS)
# Rhymes in folded spelling (ư→u, ơ→o ...); lenient on purpose: a false "valid" only means
# a token is left as typed, a false "invalid" would send real words to Telex repair.
_RHYME_TEXT = """
a ac ach ai am an ang anh ao ap at au ay
e ec ech em en eng enh eo ep et eu
i ia ic ich iec iem ien ieng iep iet ieu im in inh ip it iu
o oa oac oach oai oam oan oang oanh oao oap oat oay oc oe oem oen oeo oet oi om on ong
ooc oong op ot ou
u ua uan uang uanh uat uay uc ue uen uenh uet uy uya uych uyen uyet uyn uynh uyt uyu ui um
un ung uo uoc uoi uom uon uong uop uot uou up ut uu
y yem yen yet yeu
"""
_RHYMES = sorted(_RHYME_TEXT.split(), key=len, reverse=True)
_SYLLABLE_RE = re.compile(rf"(?:{_ONSET_RE})?(?:{'|'.join(_RHYMES)})")


def fold(text: str) -> str:
    """Remove every diacritic (and map đ→d); keeps characters without a decomposition."""
    if text.isascii():
        return text
    text = text.translate(_FOLD_TABLE)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Recompose so scripts whose letters decompose without marks (Hangul) stay stable.
    return unicodedata.normalize("NFC", stripped)


def is_valid_syllable(folded: str) -> bool:
    """True when a folded, lowercase token has the shape onset + rhyme of one syllable."""
    return _SYLLABLE_RE.fullmatch(folded) is not None


def has_tone(token: str) -> bool:
    return any(_SPLIT.get(c, ("", 0))[1] for c in token)


def strip_tone(token: str) -> tuple[str, int]:
    """Return the syllable without its tone and the tone found (the last one wins)."""
    tone = 0
    chars: list[str] = []
    for char in token:
        split = _SPLIT.get(char)
        if split is None:
            chars.append(char)
            continue
        base, char_tone = split
        chars.append(base)
        if char_tone:
            tone = char_tone
    return "".join(chars), tone


def _vowel_span(plain: str) -> tuple[int, int]:
    """Start and end (exclusive) of the vowel cluster, skipping the consonantal qu / gi."""
    start = 0
    while start < len(plain) and plain[start] not in VOWELS:
        start += 1
    if start > 0 and plain[start - 1] in "qg" and start + 1 < len(plain):
        consonant_vowel = plain[start - 1 : start + 1]
        if consonant_vowel in ("qu", "gi") and plain[start + 1] in VOWELS:
            start += 1
    end = start
    while end < len(plain) and plain[end] in VOWELS:
        end += 1
    return start, end


def tone_position(plain: str, *, new_style: bool = False) -> int | None:
    """Index of the letter that carries the tone in a toneless syllable, or None."""
    start, end = _vowel_span(plain)
    if start >= end:
        return None
    cluster = plain[start:end]
    shaped = [i for i, c in enumerate(cluster) if c in SHAPED]
    if shaped:
        return start + shaped[-1]
    if len(cluster) == 1:
        return start
    if end < len(plain):  # closed syllable
        return end - 1
    if len(cluster) >= 3:
        return start + 1
    if cluster in ("oa", "oe", "uy"):
        return start + 1 if new_style else start
    return start


def place_tone(token: str, *, new_style: bool = False) -> str:
    """Re-place the tone of one syllable by the rules; other tokens come back unchanged."""
    if not token or any(c not in VIET_LETTERS for c in token):
        return token
    plain, tone = strip_tone(token)
    if tone == 0:
        return token
    position = tone_position(plain, new_style=new_style)
    if position is None:
        return token
    return plain[:position] + _COMPOSE[plain[position], tone] + plain[position + 1 :]


def add_tone(plain: str, tone: int) -> str:
    """Put a tone on a toneless syllable (used by Telex/VNI repair)."""
    if tone == 0:
        return plain
    position = tone_position(plain)
    if position is None or plain[position] not in VOWELS:
        return plain
    return plain[:position] + _COMPOSE[plain[position], tone] + plain[position + 1 :]
