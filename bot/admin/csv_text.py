"""Decode CSV files as Excel on Windows saves them, and refuse mojibake.

Excel writes "CSV UTF-8" with a BOM, "Unicode Text" as UTF-16 with a BOM (tab-separated), and
plain "CSV" in the Windows code page, which for Vietnamese is CP1258 (base letters plus combining
tone marks). A wrong guess silently turns "đăng ký" into "Ä‘Äƒng kÃ½", so every guess is
checked and anything doubtful is refused with instructions instead of imported.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

SAVE_AS_HELP = (
    "Cách sửa: mở tệp bằng Excel, chọn File → Save As (Lưu thành), ở ô 'Save as type' chọn "
    "'CSV UTF-8 (Comma delimited) (*.csv)' rồi lưu; hoặc lưu thành .xlsx và nhập tệp .xlsx."
)

_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_VOWELS = "aăâeêioôơuưy"
VIETNAMESE_LETTERS = frozenset(
    {unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in _TONES}
    | {unicodedata.normalize("NFC", v + t).upper() for v in _VOWELS for t in _TONES}
    | {"đ", "Đ"}
)
# UTF-8 bytes read as Windows-1252/Latin-1: "Ä‘" (đ), "Æ°" (ư), "áº¡" (ạ), "Ã¡" (á) …
_DOUBLE_ENCODED = re.compile(
    "[ÃÄÅÆ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]|á[º»]"
)
# Legacy font encodings (TCVN3/ABC, VNI) read as a code page put symbols inside words.
_SYMBOL_IN_WORD = re.compile(r"(?<=\w)[\u00a1-\u00bf](?=\w)|(?<=\w)[\u00a1-\u00bf]\b")


class EncodingProblem(ValueError):
    """The file's text could not be read with certainty; the message says what to do."""


def _where(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    start = max(text.rfind("\n", 0, index) + 1, index - 20)
    snippet = text[start : index + 20].split("\n", 1)[0]
    return f"dòng {line}: …{snippet}…"


def find_mojibake(text: str, *, strict_letters: bool) -> str | None:
    """Describe the first place that looks garbled, or None.

    ``strict_letters`` also rejects letters outside Vietnamese and ASCII (used for a code-page
    guess, where any foreign letter means the guess was wrong).
    """
    match = _DOUBLE_ENCODED.search(text) or _SYMBOL_IN_WORD.search(text)
    if match:
        return _where(text, match.start())
    for index, ch in enumerate(text):
        if ch.isascii():
            continue
        if unicodedata.combining(ch):
            # NFC could not attach the tone mark to a letter: not Vietnamese text.
            return _where(text, index)
        if strict_letters and ch.isalpha() and ch not in VIETNAMESE_LETTERS:
            return _where(text, index)
        if unicodedata.category(ch) in ("Cc", "Co", "Cn") and ch not in "\r\n\t":
            return _where(text, index)
    return None


def decode_csv(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name); raise EncodingProblem with staff-facing advice."""
    if data.startswith(codecs.BOM_UTF8):
        text, encoding = _strict(data, "utf-8-sig"), "UTF-8 (BOM)"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, encoding = _strict(data, "utf-16"), "UTF-16"
    elif _looks_like_utf16(data[:4000]):
        raise EncodingProblem(
            "Tệp có vẻ là UTF-16 nhưng thiếu dấu BOM nên không đọc chắc chắn được. " + SAVE_AS_HELP
        )
    elif b"\x00" in data:
        raise EncodingProblem(_stray_nul(data) + SAVE_AS_HELP)
    else:
        try:
            text, encoding = data.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            text, encoding = _cp1258(data), "Windows-1258"
    text = unicodedata.normalize("NFC", text)
    problem = find_mojibake(text, strict_letters=encoding == "Windows-1258")
    if problem:
        raise EncodingProblem(
            f"Chữ trong tệp bị lỗi phông/bảng mã (đọc theo {encoding}), {problem}. "
            "Không nhập để tránh lưu chữ hỏng. " + SAVE_AS_HELP
        )
    return text, encoding


def _looks_like_utf16(head: bytes) -> bool:
    """UTF-16 without a BOM: Latin letters and digits leave every other byte zero."""
    if len(head) < 4:
        return False
    halves = (head[0::2], head[1::2])
    return any(half.count(0) >= 0.4 * len(half) for half in halves)


def _stray_nul(data: bytes) -> str:
    index = data.index(b"\x00")
    line = data.count(b"\n", 0, index) + 1
    around = data[max(0, index - 30) : index + 30].decode("utf-8", "replace").replace("\x00", "␀")
    around = " ".join(around.split())
    return (
        f"Tệp có byte 0 (NUL) ở dòng {line} (byte thứ {index}), gần: …{around}… "
        "Tệp CSV bị hỏng hoặc không phải tệp chữ; không nhập để tránh lưu dữ liệu hỏng. "
    )


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise EncodingProblem(
            f"Tệp đánh dấu là {encoding} nhưng có byte sai ở vị trí {exc.start}. " + SAVE_AS_HELP
        ) from exc


def _cp1258(data: bytes) -> str:
    try:
        return data.decode("cp1258")
    except UnicodeDecodeError as exc:
        raise EncodingProblem(
            "Tệp không phải UTF-8 và cũng không phải bảng mã Windows-1258 (tiếng Việt). "
            + SAVE_AS_HELP
        ) from exc
