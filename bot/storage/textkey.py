"""A coarse grouping key for stored questions when the responder gave none."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w\[\]]+")


def fold_key(text: str) -> str:
    """Lower-case, strip tone marks and punctuation: "Quên MK?" and "quen mk" group together."""
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", stripped.casefold()).strip()
