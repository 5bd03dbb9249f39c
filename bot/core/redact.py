"""Replace personal data in a citizen's text before anything is stored or logged.

Order matters: e-mails and dossier codes contain digit runs that would otherwise be taken for
phone or ID numbers, and a number after "số tài khoản" is an account whatever its length, so
those go first. Money ("100.000.000 đồng"), dates and hotlines (1900 xxxx) are left alone: they
carry meaning and identify nobody; so are administrative names (xã, huyện, tỉnh), which an
address lookup needs: only a house number with its lane and street is taken out.

Every rule runs through ``redact_engine``: linear time on any input.
"""

from __future__ import annotations

import re
import unicodedata

from bot.core.normalize import INVISIBLE_RE
from bot.core.redact_address import ADDRESS, find_address
from bot.core.redact_engine import LOOKAHEAD, Finder, Found, Meter, Rule, Window, apply

PHONE = "[SĐT]"
ID_NUMBER = "[SỐ GIẤY TỜ]"
EMAIL = "[EMAIL]"
DOSSIER = "[MÃ HỒ SƠ]"
ACCOUNT = "[SỐ TÀI KHOẢN]"
PLACEHOLDER_RE = re.compile(
    "|".join(re.escape(p) for p in (PHONE, ID_NUMBER, EMAIL, DOSSIER, ACCOUNT, ADDRESS))
)

__all__ = [
    "ACCOUNT",
    "ADDRESS",
    "DOSSIER",
    "EMAIL",
    "ID_NUMBER",
    "PHONE",
    "PLACEHOLDER_RE",
    "RULES",
    "Meter",
    "contains_personal_data",
    "redact",
]

_I = re.IGNORECASE


def _replacing(
    window: Window, replacement: str, *, keep_before: str | None = None, digits: bool = False
) -> Finder:
    """A finder that replaces the match of ``window`` (or only its group ``keep_before``,
    keeping the label in front of it); with ``digits``, only a value holding a digit counts."""

    def find(text: str, at: int, meter: Meter) -> Found | None:
        match = window.match(text, at, meter)
        if match is None:
            return None
        if keep_before is None:
            return at, match.end(), replacement
        if digits and not any(ch.isdigit() for ch in match.group(keep_before)):
            return None  # "mã hồ sơ của tôi": a word, not a code
        return at, match.end(), text[at : match.start(keep_before)] + replacement

    return find


# ---------------------------------------------------------------- e-mail

_LOCAL_MAX = 64
_DOMAIN = Window(re.compile(r"[\w\-]{1,63}(?:\.[\w\-]{1,63}){1,4}"), 319 + LOOKAHEAD)


def _is_local(ch: str) -> bool:
    return ch.isalnum() or ch in "_.+-"


def _email(text: str, at: int, meter: Meter) -> Found | None:
    """From an "@": the local part before it (read backwards), the domain after it."""
    start, limit = at, max(0, at - _LOCAL_MAX)
    while start > limit and _is_local(text[start - 1]):
        start -= 1
    meter.work += at - start + 1
    if start == at:
        return None
    domain = _DOMAIN.match(text, at + 1, meter)
    return None if domain is None else (start, domain.end(), EMAIL)


# ---------------------------------------------------------------- dossier codes

# After a phrase like "mã hồ sơ", whatever code follows is the dossier code, whatever its shape.
_DOSSIER_AFTER_LABEL = Window(
    re.compile(
        r"(?:m[ãa]|s[ốo])\s{0,3}(?:h[ồo]\s{0,3}s[ơo]|hs|bi[êe]n\s{0,3}nh[ậa]n)"
        r"\s{0,3}(?:l[àa]|:|số|so)?\s{0,3}[:#]?\s{0,3}"
        r"(?P<code>[A-Za-z0-9][A-Za-z0-9.\-/_]{4,62}[A-Za-z0-9])",
        _I,
    ),
    92 + LOOKAHEAD,
)


_CODE_RUN = Window(re.compile(r"[A-Za-z0-9.\-]{1,64}"), 64 + LOOKAHEAD)
# Codes of the national and provincial portals: an agency code (dotted, e.g. "000.00.12.H26",
# "H12.34", "G22") then the receipt date (yymmdd) and a sequence number.
_PORTAL_CODE = re.compile(r"[A-Za-z0-9]{1,4}(?:\.[A-Za-z0-9]{1,4}){0,4}-\d{6}-\d{3,6}")
_FOUR_DIGITS = re.compile(r"\d{4}")
_DATE = re.compile(r"\d{1,4}-\d{1,2}-\d{1,4}")


def _dossier_code(text: str, at: int, meter: Meter) -> Found | None:
    """A run of letters, digits, dots and dashes shaped like a dossier code."""
    run = _CODE_RUN.match(text, at, meter)
    if run is None:
        return None
    end = run.end()
    if _word(text, end) or (end < len(text) and text[end] in ".-"):
        return None  # glued to a word, or longer than any code
    code = run.group().rstrip(".-")
    if "-" not in code:
        return None  # every dossier code has dashes
    meter.work += 2 * len(code)
    if _PORTAL_CODE.fullmatch(code) or (_dashed_code(code) and not _DATE.fullmatch(code)):
        return at, at + len(code), DOSSIER
    return None


def _word(text: str, index: int) -> bool:
    return index < len(text) and (text[index].isalnum() or text[index] == "_")


def _dashed_code(code: str) -> bool:
    """Other long codes joined by dashes: three parts or more, letters and 4 digits in a row."""
    parts = code.split("-")
    return (
        len(parts) >= 3
        and all(parts)
        and len(parts[0]) >= 2
        and any(ch.isalpha() for ch in code)
        and _FOUR_DIGITS.search(code) is not None
    )


# ---------------------------------------------------------------- bank accounts and cards

# "stk", "số tài khoản", "tk ngân hàng", "số thẻ", then up to three words ("của tôi là"),
# then the number: an account whatever its length.
_ACCOUNT_AFTER_LABEL = Window(
    re.compile(
        r"(?:stk|s[ốo]\s{1,3}(?:t[àa]i\s{1,3}kho[ảa]n|tk|th[ẻe])"
        r"|(?:t[àa]i\s{1,3}kho[ảa]n|tk)\s{1,3}ng[âa]n\s{1,3}h[àa]ng)(?![^\W\d_])"
        r"(?:[\s:#.\-]{1,4}[^\W\d_]{1,15}){0,3}[\s:#.\-]{0,4}"
        r"(?P<number>\d(?:[ .\-]?\d){5,18})(?!\d)",
        _I,
    ),
    123 + LOOKAHEAD,
)


# Numbers followed by a currency are amounts ("100 000 000 000 000 đồng"), not accounts or IDs.
_NOT_AN_AMOUNT = r"(?!\s?(?:đồng|dong|đ|vn[dđ]|k|nghìn|ngàn|triệu|trieu|tỷ|tỉ|ty)(?!\w))"
# 13-19 digits, written in one piece or in groups.
_ACCOUNT = Window(
    re.compile(r"(?:\d{13,19}|\d{3,6}(?:[ \-]\d{2,6}){2,5})(?!\d)(?![.,]\d)" + _NOT_AN_AMOUNT, _I),
    41 + LOOKAHEAD,
)


def _account(text: str, at: int, meter: Meter) -> Found | None:
    match = _ACCOUNT.match(text, at, meter)
    if match is None or sum(ch.isdigit() for ch in match.group()) < 13:
        return None
    return at, match.end(), ACCOUNT


# ---------------------------------------------------------------- phones and ID numbers

# Mobile (03, 05, 07, 08, 09) and landline (02x) numbers, with +84 / 84 / 0 and spaces, dots or
# dashes between digits ("0912 345 678", "09 12 34 56 78", "(+84)912.345.678").
_SEP = r"[ .\-]?"
_PHONE = Window(
    re.compile(
        rf"(?:(?:\(?\+84\)?|0084|84){_SEP}|0{_SEP})"
        rf"(?:[35789](?:{_SEP}\d){{8}}|2(?:{_SEP}\d){{9}})(?!\d)"
    ),
    25 + LOOKAHEAD,
)
# CCCD (12 digits), CMND (9 digits), and 10-digit social insurance / tax codes; 12-digit
# citizen numbers are also written in groups ("001 203 001 234").
_ID = Window(
    re.compile(
        r"(?:\d{12}|\d{10}|\d{9}|0\d{2}(?: \d{3}){3}|0\d{3}(?: \d{4}){2})(?!\d)"
        r"(?![.,]\d{3})"  # not the start of an amount written with thousands separators
        + _NOT_AN_AMOUNT,
        _I,
    ),
    15 + LOOKAHEAD,
)


def _id_number(text: str, at: int, meter: Meter) -> Found | None:
    match = _ID.match(text, at, meter)
    if match is None:
        return None
    if " " in match.group() and at >= 2 and text[at - 1] in " -" and text[at - 2].isdigit():
        return None  # the tail of a longer group of numbers, not a citizen number
    return at, match.end(), ID_NUMBER


_phone = _replacing(_PHONE, PHONE)


def _number(text: str, at: int, meter: Meter) -> Found | None:
    glued = at > 0 and (text[at - 1].isalnum() or text[at - 1] in "_+")
    found = None if glued else _phone(text, at, meter)  # "abc0912…" is no phone
    if found is None and text[at].isdigit():
        found = _account(text, at, meter) or _id_number(text, at, meter)
    return found


# ---------------------------------------------------------------- the rules, in order

RULES: tuple[Rule, ...] = (
    Rule("email", re.compile("@"), _email),
    Rule(
        "dossier after label",
        re.compile(r"(?<!\w)[msMS]"),
        _replacing(_DOSSIER_AFTER_LABEL, DOSSIER, keep_before="code", digits=True),
    ),
    Rule("dossier code", re.compile(r"(?<![\w.\-])[A-Za-z0-9]"), _dossier_code),
    Rule(
        "account after label",
        re.compile(r"(?<!\w)[stST]"),
        _replacing(_ACCOUNT_AFTER_LABEL, ACCOUNT, keep_before="number"),
    ),
    # One pass for the three kinds of numbers: at each number, a phone first, then an account
    # (13 digits or more), then an ID number.
    Rule("numbers", re.compile(r"(?<!\d)[(+\d]"), _number),
    Rule("address", re.compile(r"(?<![\w/])[\dsnSN]"), find_address),
)


def redact(text: str, meter: Meter | None = None) -> str:
    """Return ``text`` with phone, ID, account and card numbers, e-mails, dossier codes and
    house addresses replaced by placeholders; ``meter`` (optional) adds up the work done."""
    if not text:
        return text
    meter = meter if meter is not None else Meter()
    # Full-width digits, a full-width "@" or a zero-width space inside a number must not hide
    # it: the matcher folds them the same way (bot.core.normalize.clean).
    meter.work += 2 * len(text)
    text = INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", text))
    for rule in RULES:
        text = apply(rule, text, meter)
    return text


def contains_personal_data(text: str, *, redacted: bool = False) -> bool:
    """Whether ``text`` has anything :func:`redact` replaces (or its placeholders already:
    the assistant redacts a message before anything else reads it). ``redacted``: ``text``
    is :func:`redact`'s output, so its placeholders alone tell (redacting is idempotent);
    it is not read again."""
    if not text:
        return False
    if PLACEHOLDER_RE.search(text) is not None:
        return True
    return not redacted and redact(text) != text
