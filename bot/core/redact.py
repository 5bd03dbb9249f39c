"""Replace personal data in a citizen's text before anything is stored.

Order matters: e-mails and dossier codes contain digit runs that would otherwise be taken for
phone or ID numbers, so they are replaced first. Money ("100.000.000 đồng"), dates and hotlines
(1900 xxxx) are left alone: they carry meaning and identify nobody.
"""

from __future__ import annotations

import re

PHONE = "[SĐT]"
ID_NUMBER = "[SỐ GIẤY TỜ]"
EMAIL = "[EMAIL]"
DOSSIER = "[MÃ HỒ SƠ]"
PLACEHOLDER_RE = re.compile("|".join(re.escape(p) for p in (PHONE, ID_NUMBER, EMAIL, DOSSIER)))

_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)

# After a phrase like "mã hồ sơ", whatever code follows is the dossier code, whatever its shape.
_DOSSIER_CONTEXT_RE = re.compile(
    r"(?P<lead>\b(?:m[ãa]|s[ốo])\s*(?:h[ồo]\s*s[ơo]|hs|bi[êe]n\s*nh[ậa]n)\s*(?:l[àa]|:|số|so)?\s*"
    r"[:#]?\s*)(?P<code>[A-Za-z0-9][A-Za-z0-9.\-/_]{4,}[A-Za-z0-9])",
    re.IGNORECASE,
)
# Codes of the national and provincial portals: an agency code (dotted, e.g. "000.00.12.H26",
# "H12.34", "G22") then the receipt date (yymmdd) and a sequence number.
_DOSSIER_RE = re.compile(
    r"(?<![\w.])[A-Za-z0-9]{1,4}(?:\.[A-Za-z0-9]{1,4}){0,4}-\d{6}-\d{3,6}(?![\w])"
    # Other long codes joined by dashes: at least three parts, letters and digits mixed.
    r"|(?<![\w.])(?=[A-Za-z0-9.\-]*[A-Za-z])(?=[A-Za-z0-9.\-]*\d{4})"
    r"[A-Za-z0-9.]{2,}(?:-[A-Za-z0-9.]+){2,}(?![\w])"
)
# Mobile (03, 05, 07, 08, 09) and landline (02x) numbers, with +84 / 84 / 0 and spaces, dots or
# dashes between groups.
_SEP = r"[ .\-]?"
_PHONE_RE = re.compile(
    r"(?<![\w+])(?:(?:\(?\+84\)?|0084|84)" + _SEP + r"|0)"
    r"(?:[35789]\d(?:" + _SEP + r"\d){7}"  # mobile: 9 digits after the 0
    r"|2\d(?:" + _SEP + r"\d){8})"  # landline: 10 digits after the 0
    r"(?!\d)"
)
# CCCD (12 digits), CMND (9 digits), and 10-digit social insurance / tax codes; 12-digit
# citizen numbers are also written in groups ("001 203 001 234").
_ID_RE = re.compile(
    r"(?<!\d)(?:\d{12}|\d{10}|\d{9}|0\d{2}(?: \d{3}){3}|0\d{3}(?: \d{4}){2})(?!\d)"
    r"(?![.,]\d{3})"  # not the start of an amount written with thousands separators
)


def redact(text: str) -> str:
    """Return ``text`` with phone numbers, ID numbers, e-mails and dossier codes replaced."""
    if not text:
        return text
    text = _EMAIL_RE.sub(EMAIL, text)
    text = _DOSSIER_CONTEXT_RE.sub(_dossier_after_label, text)
    text = _DOSSIER_RE.sub(_dossier_unless_date, text)
    text = _PHONE_RE.sub(PHONE, text)
    return _ID_RE.sub(ID_NUMBER, text)


def _dossier_after_label(match: re.Match[str]) -> str:
    code = match.group("code")
    if not any(ch.isdigit() for ch in code):
        return match.group(0)  # "mã hồ sơ của tôi" — a word, not a code
    return match.group("lead") + DOSSIER


_DATE_RE = re.compile(r"\d{1,4}-\d{1,2}-\d{1,4}")


def _dossier_unless_date(match: re.Match[str]) -> str:
    value = match.group(0)
    if _DATE_RE.fullmatch(value):
        return value
    return DOSSIER


def contains_personal_data(text: str) -> bool:
    """Whether ``text`` has anything :func:`redact` replaces (or its placeholders already)."""
    return bool(text) and (redact(text) != text or PLACEHOLDER_RE.search(text) is not None)
