"""Repair of Telex / VNI typing leftovers ("ddang kys", "da8ng ky1") and merged words.

Only called for folded ASCII tokens that are neither known words nor valid syllables, so a
real word is never rewritten. Every repaired piece folds to a valid syllable or a known word,
which keeps the normalizer's key stable when it is normalized again.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.tones import VOWELS, add_tone, fold, is_valid_syllable

_TELEX_TONES = {"s": 1, "f": 2, "r": 3, "x": 4, "j": 5, "z": 0}
_VNI_TONES = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
_DOUBLE = {"a": "â", "e": "ê", "o": "ô"}
_HORN = {"a": "ă", "o": "ơ", "u": "ư"}
_VNI_SHAPE = {
    "6": {"a": "â", "e": "ê", "o": "ô"},
    "7": {"o": "ơ", "u": "ư"},
    "8": {"a": "ă"},
    "9": {"d": "đ"},
}
MAX_REPAIR_LEN = 30
MIN_MERGED_LEN = 4


def _last_vowel(chars: list[str]) -> int | None:
    for index in range(len(chars) - 1, -1, -1):
        if fold(chars[index]) in VOWELS:
            return index
    return None


def _fix_uo(plain: str) -> str:
    # Typists mark only one of the pair: "uơ"/"ưo" inside a syllable is always "ươ",
    # except the open "thuở".
    for wrong in ("ưo", "uơ"):
        position = plain.find(wrong)
        if position >= 0 and (wrong == "ưo" or position + 2 < len(plain)):
            plain = plain[:position] + "ươ" + plain[position + 2 :]
    return plain


def decode_telex(token: str) -> str | None:
    """Decode one Telex syllable typed with the input method off; None if it is not one."""
    chars: list[str] = []
    tone = 0
    for char in token:
        vowel_at = _last_vowel(chars)
        if char == "d" and chars == ["d"]:
            chars[0] = "đ"
        elif char in _DOUBLE and chars and chars[-1] == char:
            chars[-1] = _DOUBLE[char]
        elif char == "w":
            if vowel_at is None:
                chars.append("ư")
            elif chars[vowel_at] in _HORN:
                chars[vowel_at] = _HORN[chars[vowel_at]]
                if chars[vowel_at] == "ơ" and vowel_at > 0 and chars[vowel_at - 1] == "u":
                    chars[vowel_at - 1] = "ư"
            else:
                return None
        elif char in _TELEX_TONES and vowel_at is not None:
            tone = _TELEX_TONES[char]
        else:
            chars.append(char)
    return _finish("".join(chars), tone, token)


def decode_vni(token: str) -> str | None:
    """Decode one VNI syllable (digits for marks); None if it is not one."""
    if sum(c.isalpha() for c in token) < 2 or not token[0].isalpha():
        return None
    chars: list[str] = []
    tone = 0
    for char in token:
        if char in _VNI_TONES:
            tone = _VNI_TONES[char]
        elif char in _VNI_SHAPE:
            shapes = _VNI_SHAPE[char]
            target = next((i for i in range(len(chars) - 1, -1, -1) if chars[i] in shapes), None)
            if target is None:
                return None
            chars[target] = shapes[chars[target]]
        elif char.isdigit():
            return None
        else:
            chars.append(char)
    return _finish("".join(chars), tone, token)


def _finish(plain: str, tone: int, original: str) -> str | None:
    plain = _fix_uo(plain)
    if not plain or not is_valid_syllable(fold(plain)):
        return None
    result = add_tone(plain, tone)
    return None if result == original else result


def decode_syllable(token: str) -> str | None:
    if any(c.isdigit() for c in token):
        return decode_vni(token)
    return decode_telex(token)


def split_merged(
    folded: str,
    is_known: Callable[[str], bool],
    is_common: Callable[[str], bool],
    is_pair: Callable[[str, str], bool] = lambda _a, _b: False,
) -> list[tuple[int, int, str | None]] | None:
    """Cut a merged token ("dangkyonline") into syllables or known words.

    Returns (start, end, decoded) spans where decoded is a Telex repair of that piece or None;
    None overall when no cut covers the whole token. The cut with the fewest pieces wins,
    preferring pieces (and neighbouring pairs: "nop|ho|so", not "no|pho|so") the knowledge
    base uses and avoiding Telex-repaired pieces.
    """
    size = len(folded)
    if size < MIN_MERGED_LEN or size > MAX_REPAIR_LEN or not folded.isalpha():
        return None
    # best[(start, end)]: cheapest cut of folded[:end] whose last piece is folded[start:end].
    best: dict[tuple[int, int], float] = {}
    back: dict[tuple[int, int], tuple[int, int] | None] = {}
    decoded_at: dict[tuple[int, int], str | None] = {}
    for end in range(1, size + 1):
        for start in range(max(0, end - 8), end):
            cost = _piece_cost(folded[start:end], is_known, is_common, decoded_at, (start, end))
            if cost is None:
                continue
            if start == 0:
                best[start, end] = cost
                back[start, end] = None
                continue
            for previous in range(max(0, start - 8), start):
                if (previous, start) not in best:
                    continue
                total = best[previous, start] + cost
                if is_pair(folded[previous:start], folded[start:end]):
                    total -= 0.3
                if total < best.get((start, end), float("inf")):
                    best[start, end] = total
                    back[start, end] = (previous, start)
    finals = [(cost, key) for key, cost in best.items() if key[1] == size]
    if not finals:
        return None
    node: tuple[int, int] | None = min(finals)[1]
    spans: list[tuple[int, int, str | None]] = []
    while node is not None:
        spans.append((node[0], node[1], decoded_at[node]))
        node = back[node]
    spans.reverse()
    return spans if len(spans) > 1 else None


def _piece_cost(
    piece: str,
    is_known: Callable[[str], bool],
    is_common: Callable[[str], bool],
    decoded_at: dict[tuple[int, int], str | None],
    key: tuple[int, int],
) -> float | None:
    decoded: str | None = None
    if is_known(piece) or is_valid_syllable(piece):
        cost = 1.0 if is_common(piece) else 1.4
    else:
        decoded = decode_telex(piece)
        if decoded is None:
            return None
        # A Telex leftover inside a glued word is rarer than plain glued syllables.
        cost = 2.4 if is_common(fold(decoded)) else 2.8
    decoded_at[key] = decoded
    return cost + (0.8 if len(piece) == 1 else 0.0)
