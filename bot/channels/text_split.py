"""Splitting long plain text into messages a platform accepts, at paragraph boundaries first.

Lengths are counted in UTF-16 code units (what Telegram counts, and never less than the
characters Zalo counts), so a piece that fits here fits every text channel.
"""

from __future__ import annotations

from collections.abc import Sequence


def visible_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _hard_split(text: str, limit: int) -> list[str]:
    """Split one over-long piece at spaces, or anywhere as a last resort."""
    pieces: list[str] = []
    rest = text
    while visible_length(rest) > limit:
        cut = _cut_index(rest, limit)
        space = rest.rfind(" ", 0, cut)
        if space > cut // 2:
            cut = space
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _cut_index(text: str, limit: int) -> int:
    """The largest prefix length whose visible length is at most ``limit``."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _pieces(paragraph: str, limit: int) -> list[str]:
    """A paragraph as pieces that each fit: whole lines when possible."""
    if visible_length(paragraph) <= limit:
        return [paragraph]
    out: list[str] = []
    for line in paragraph.split("\n"):
        out.extend(_hard_split(line, limit) if visible_length(line) > limit else [line])
    return out


def split_paragraphs(
    paragraphs: Sequence[tuple[str, bool]], limit: int
) -> list[list[tuple[str, bool]]]:
    """Pack (text, bold) paragraphs into chunks whose visible length stays within ``limit``.

    Paragraphs are joined by a blank line; one that is too long on its own is cut at line
    breaks, then at spaces.
    """
    chunks: list[list[tuple[str, bool]]] = []
    current: list[tuple[str, bool]] = []
    size = 0
    for text, bold in paragraphs:
        for piece in _pieces(text, limit):
            extra = visible_length(piece) + (2 if current else 0)
            if current and size + extra > limit:
                chunks.append(current)
                current, size = [], 0
                extra = visible_length(piece)
            current.append((piece, bold))
            size += extra
    if current:
        chunks.append(current)
    return chunks


def split_text(text: str, limit: int) -> list[str]:
    """Plain text as messages of at most ``limit``: paragraphs, then lines, then words."""
    paragraphs = [(p.strip("\n"), False) for p in text.split("\n\n") if p.strip()]
    return ["\n\n".join(t for t, _ in chunk) for chunk in split_paragraphs(paragraphs, limit)]
