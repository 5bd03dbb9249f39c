"""Longest-match replacement of lexicon phrases over normalized tokens.

A token is an (accented, key) pair. Multi-word entries match on key forms: the key is folded
anyway, so matching them accent-blind keeps the key stable. Single words match on the exact
accented form ("ạ" is not "a", "hỏng" is not "hông"); a short form typed in plain ASCII (ko,
dc) also matches any token that folds onto it, again so that normalizing a key changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.core.lexicon import Phrase

Tok = tuple[str, str, str]  # (accented form, key form, accented form spelled like the key)
SingleRule = Callable[[Tok], bool]


@dataclass(frozen=True, slots=True)
class _Entry:
    accented: Phrase
    keys: Phrase
    replacement: tuple[Tok, ...]
    any_accent: bool  # a single word that matches whatever accents the token carries
    exact: bool  # a single word that matches its exact accented form


class PhraseTable:
    """One lexicon table (abbreviations, synonyms or fillers) ready for matching."""

    def __init__(
        self,
        table: Mapping[Phrase, Phrase],
        canonical: Callable[[str], str],
        make_tok: Callable[[str], Tok],
        *,
        plain_words_by_rule: bool = False,
    ) -> None:
        """``plain_words_by_rule``: single entries written without diacritics (the filler
        "nha") match only through the caller's rule, since typed plain they may be a word
        (nhà)."""
        self._first: dict[str, list[_Entry]] = {}
        for phrase, replacement in table.items():
            accented = tuple(canonical(t) for t in phrase)
            keys = tuple(make_tok(t)[1] for t in accented)
            expansion = tuple(make_tok(canonical(t)) for t in replacement)
            plain = len(phrase) == 1 and phrase[0].isascii()
            entry = _Entry(
                accented,
                keys,
                expansion,
                any_accent=plain and not plain_words_by_rule,
                exact=not (plain and plain_words_by_rule),
            )
            self._first.setdefault(keys[0], []).append(entry)
        for entries in self._first.values():
            entries.sort(key=lambda e: len(e.keys), reverse=True)

    def apply(
        self, toks: list[Tok], single_rule: SingleRule | None = None
    ) -> tuple[list[Tok], bool]:
        """Replace every match, left to right, longest first; say whether anything matched.

        ``single_rule`` lets a single-word entry match a token with other accents (used for
        fillers typed without diacritics).
        """
        first = self._first
        starts = [index for index, tok in enumerate(toks) if tok[1] in first]
        if not starts:
            return toks, False
        out: list[Tok] = []
        position = 0
        size = len(toks)
        for start in starts:
            if start < position:
                continue  # inside the previous match
            for entry in first[toks[start][1]]:
                keys = entry.keys
                length = len(keys)
                if length == 1:
                    tok = toks[start]
                    if not (
                        entry.any_accent
                        or (entry.exact and tok[0] == entry.accented[0])
                        or (single_rule is not None and single_rule(tok))
                    ):
                        continue
                elif start + length > size or any(
                    toks[start + offset][1] != keys[offset] for offset in range(1, length)
                ):
                    continue
                out.extend(toks[position:start])
                out.extend(entry.replacement)
                position = start + length
                break
        if not out and position == 0:
            return toks, False
        out.extend(toks[position:])
        return out, True
