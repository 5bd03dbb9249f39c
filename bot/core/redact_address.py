"""House addresses: "số nhà 12 đường Lê Lợi", "số 12 ngõ 5 phố Huế", "123 đường Lê Lợi".

Only the house number with its lanes and street is personal; the commune, district and
province that follow ("xã Phú Túc, huyện Châu Thành") stay, because answering (which office,
which portal) needs them. A bare "123 đường …" counts only when the street looks like a name
(capitalised, a number, "số 7") or the house number has two characters or more, so "2 đường
link" is left alone.
"""

from __future__ import annotations

import re

from bot.core.redact_engine import LOOKAHEAD, Found, Meter, Window
from bot.core.tones import fold

ADDRESS = "[ĐỊA CHỈ]"

_HOUSE = r"\d{1,5}[a-z]?(?:[/\-]\d{1,5}[a-z]?){0,3}(?![\w/])"
_HEAD = Window(
    re.compile(
        r"(?:(?P<label>s[ốo]\s{1,3}nh[àa]|nh[àa]\s{1,3}s[ốo]|sn|s[ốo])\s{0,3}[:.]?\s{0,3})?"
        rf"(?P<house>{_HOUSE})"
        r"(?P<lanes>(?:\s{0,2},?\s{1,3}(?:ng[õo]|ng[áa]ch|h[ẻe]m|ki[ệe]t)\s{1,3}"
        rf"(?:s[ốo]\s{{1,3}})?{_HOUSE}){{0,3}})"
        r"(?P<street>\s{0,2},?\s{1,3}(?:đư[ờo]ng|duong|ph[ốo])(?!\w))?",
        re.IGNORECASE,
    ),
    191 + LOOKAHEAD,
)
# Read just before the house number: "ngõ 5 phố Huế" (5 numbers the lane, not a house);
# "ở 47 Hoàng Hoa Thám" (a place: the street may come without "đường").
_LANE_BEFORE = re.compile(r"(?:ng[õo]|ng[áa]ch|h[ẻe]m|ki[ệe]t)\s{1,3}\Z", re.IGNORECASE)
_AT_BEFORE = re.compile(r"(?<!\w)(?:ở|o|tại|tai)\s{1,3}\Z", re.IGNORECASE)
_BEFORE_WIDTH = 9
_YEAR = re.compile(r"19\d\d|20\d\d")  # "ở 2024 …" is a time, not a house
_WORD = Window(re.compile(r"\s{1,3}(?P<word>[^\W_]{1,20}(?:/\d{1,4})?)(?!\w)"), 28 + LOOKAHEAD)
_NAME_WORDS = 5
_LOWER_NAME_WORDS = 3
# Where a street name ends: the administrative part, or (for a name typed in lower case) the
# sentence going on. "Thị" and "Thành" are not there: Nguyễn Thị Minh Khai, Thành Thái.
_ADMIN = frozenset(
    [
        "phường",
        "xã",
        "quận",
        "huyện",
        "tỉnh",
        "tp",
        "tx",
        "tt",
        "khu",
        "tổ",
        "ấp",
        "thôn",
        "xóm",
        "khóm",
        "bản",
    ]
)
_LOWER_STOP_WORDS = (
    "phuong xa quan huyen tinh thon xom khom ap to ở o tại tai của cua bị bi thì là la có co "
    "không khong mà ma và va nhưng để de cho đã da được duoc này nay em anh chị chi tôi toi "
    "mình minh gần gan cạnh canh"
)
_LOWER_STOP = _ADMIN | frozenset(_LOWER_STOP_WORDS.split())
_NAME_LIKE = frozenset(("số", "so", "tháng", "thang"))
# "số nhà 12" is an address by itself; "số 12" only with a lane or a street.
_STRONG_LABELS = frozenset(("sonha", "nhaso", "sn"))


def _capital(word: str) -> bool:
    return word[0].isupper() or word[0].isdigit() or word.casefold() in _NAME_LIKE


def _street_name_end(text: str, at: int, meter: Meter) -> tuple[int, bool]:
    """End of the street name starting at ``at`` (``at`` when none) and whether it is
    written like a name (capitalised or numbered)."""
    end, capital = at, False
    for index in range(_NAME_WORDS):
        match = _WORD.match(text, end, meter)
        if match is None:
            break
        word = match.group("word")
        if index == 0:
            capital = _capital(word)
        folded = word.casefold()
        if capital:
            if folded in _ADMIN or not _capital(word):
                break
        elif folded in _LOWER_STOP or index >= _LOWER_NAME_WORDS:
            break
        end = match.end("word")
    return end, capital


def find_address(text: str, at: int, meter: Meter) -> Found | None:
    head = _HEAD.match(text, at, meter)
    if head is None:
        return None
    before = text[max(0, at - _BEFORE_WIDTH) : at]
    meter.work += 2 * _BEFORE_WIDTH
    label = fold("".join((head.group("label") or "").casefold().split()))
    end = head.end("lanes")
    lanes = end > head.end("house")
    found = label in _STRONG_LABELS or lanes
    if head.group("street"):
        name_end, capital = _street_name_end(text, head.end("street"), meter)
        named = name_end > head.end("street")
        if named and (capital or label or lanes or len(head.group("house")) >= 2):
            found, end = True, name_end
    elif not found and not label and _AT_BEFORE.search(before):
        # "ở 47 Hoàng Hoa Thám": two capitalised words or more after the number.
        name_end, capital = _street_name_end(text, end, meter)
        if capital and len(text[end:name_end].split()) >= 2:
            found, end = not _YEAR.fullmatch(head.group("house")), name_end
    if not found or _LANE_BEFORE.search(before):
        return None
    return at, end, ADDRESS
