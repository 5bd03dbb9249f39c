"""Telegram's parse_mode=HTML rules, strictly: what the real server would refuse, we refuse."""

from __future__ import annotations

import re

ALLOWED_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
    | {"blockquote", "tg-spoiler", "span", "tg-emoji"}
)
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_RE = re.compile(r'<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:="[^"<>]*")?)*)\s*>')
# Only the four named entities the brief allows (real Telegram also takes numeric ones;
# our renderer never needs them, so refusing them catches html.escape(quote=True) slips).
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot);")


class HtmlError(ValueError):
    """The text would get "Bad Request: can't parse entities"."""


_SPECIAL = re.compile(r"[<&]")


def parse_html(text: str) -> str:
    """Return the visible text of a Telegram HTML message, or raise HtmlError."""
    out: list[str] = []
    stack: list[str] = []
    index = 0
    while True:
        special = _SPECIAL.search(text, index)
        if special is None:
            out.append(text[index:])
            break
        start = special.start()
        out.append(text[index:start])
        if text[start] == "<":
            index = _tag(text, start, stack)
        else:
            match = _ENTITY_RE.match(text, start)
            if match is None:
                raise HtmlError(f"Can't parse entities: unsupported entity at byte offset {start}")
            out.append(NAMED_ENTITIES[match.group(1)])
            index = match.end()
    if stack:
        raise HtmlError(f"Can't parse entities: can't find end tag for {stack[-1]!r}")
    return "".join(out)


def _tag(text: str, start: int, stack: list[str]) -> int:
    match = _TAG_RE.match(text, start)
    if match is None:
        raise HtmlError(f"Can't parse entities: unclosed start tag at byte offset {start}")
    closing, name = match.group(1) == "/", match.group(2).lower()
    if name not in ALLOWED_TAGS:
        raise HtmlError(f"Can't parse entities: unsupported start tag {name!r} at {start}")
    if not closing:
        stack.append(name)
    elif stack and stack[-1] == name:
        stack.pop()
    else:
        raise HtmlError(
            f"Can't parse entities: can't find end tag corresponding to start tag {name!r}"
        )
    return match.end()


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
