"""Greetings, thanks, goodbyes and "who are you": recognised on whole, de-accented messages."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class SmallTalk(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    WHO = "who"
    GOODBYE = "goodbye"


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower()).replace("đ", "d").replace("ð", "d")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[a-z0-9]+", text))


_ADDRESS = r"(?:\s+(?:ban|bot|ad|admin|em|anh|chi|a|c|e|tro ly|shop|moi nguoi|nhe|nha|a|oi|nhe))*"
_PATTERNS: tuple[tuple[SmallTalk, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(rf"^(?:{body}){_ADDRESS}$"))
    for kind, body in (
        (SmallTalk.GREETING, r"xin chao|chao|hello|helo|hi|hey|alo|allo|a lo|chao buoi sang"),
        (
            SmallTalk.THANKS,
            r"(?:xin |toi |em |minh )?(?:cam on|cam ơn|cám ơn|thank you|thanks|thank|tks|thks|"
            r"camon|c[a]?m on nhieu|ok cam on|ok thanks|ok|oke|okay|duoc roi|hieu roi)"
            r"(?: nhieu| rat nhieu| nhe| nha| a| ban)*",
        ),
        (
            SmallTalk.WHO,
            r"(?:ban|em|bot|may|day) la (?:ai|gi|nguoi hay may)|ai day|ban ten gi|"
            r"ban lam duoc gi|ban giup duoc gi|bot nay la gi",
        ),
        (SmallTalk.GOODBYE, r"tam biet|bye|bai|goodbye|bye bye|hen gap lai"),
    )
)
_LEADING_GREETING = re.compile(
    r"^(?:xin chao|chao|hello|hi|alo)(?:\s+(?:ban|bot|ad|admin|em|anh|chi|tro ly))?\b\s*"
)


def classify(text: str) -> SmallTalk | None:
    """Return the small-talk kind when the whole message is small talk."""
    folded = _fold(text)
    if not folded or len(folded) > 60:
        return None
    for kind, pattern in _PATTERNS:
        if pattern.match(folded):
            return kind
    return None


def strip_greeting(text: str) -> str:
    """Drop a leading "chào bạn," so "chào bạn, quên mật khẩu" is matched on its question."""
    folded = _fold(text)
    match = _LEADING_GREETING.match(folded)
    if not match or match.end() >= len(folded):
        return text
    # Cut the same number of words from the original text (folding keeps word counts).
    words_to_drop = len(match.group(0).split())
    words = re.findall(r"\S+", text)
    kept: list[str] = []
    dropped = 0
    for word in words:
        if dropped < words_to_drop and _fold(word):
            dropped += len(_fold(word).split())
            continue
        kept.append(word)
    return " ".join(kept).lstrip(" ,.!-:") or text
