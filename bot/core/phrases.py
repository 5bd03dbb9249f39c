"""Longest-match replacement of lexicon phrases over normalized tokens.

A token is an (accented, key) pair. Multi-word entries match on key forms: the key is folded
anyway, so matching them accent-blind keeps the key stable. Single words match on the exact
accented form ("ạ" is not "a", "hỏng" is not "hông"); a short form typed in plain ASCII (ko,
dc) also matches any token that folds onto it, again so that normalizing a key changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import itemgetter

from bot.core.lexicon import Phrase

Tok = tuple[str, str, str]  # (accented form, key form, accented form spelled like the key)
SingleRule = Callable[[Tok], bool]
_KEY = itemgetter(1)


@dataclass(frozen=True, slots=True)
class _Entry:
    accented: Phrase
    keys: Phrase
    replacement: tuple[Tok, ...]
    any_accent: bool  # a single word that matches whatever accents the token carries
    exact: bool  # a single word that matches its exact accented form
    rest: Phrase = ()  # the keys after the second (multi-word entries)


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
                rest=keys[2:],
            )
            self._first.setdefault(keys[0], []).append(entry)
        # Multi-word entries by their first two keys, so a common first word ("cho") tries
        # only the phrases its neighbour can start; order within each list as in _first.
        self._multi: dict[str, dict[str, list[_Entry]]] = {}
        self._single: dict[str, list[_Entry]] = {}
        for first, entries in self._first.items():
            entries.sort(key=lambda e: len(e.keys), reverse=True)
            for entry in entries:
                if len(entry.keys) == 1:
                    self._single.setdefault(first, []).append(entry)
                else:
                    by_second = self._multi.setdefault(first, {})
                    by_second.setdefault(entry.keys[1], []).append(entry)

    def apply(
        self,
        toks: list[Tok],
        single_rule: SingleRule | None = None,
        keys: list[str] | None = None,
    ) -> tuple[list[Tok], bool]:
        """Replace every match, left to right, longest first; say whether anything matched.

        ``single_rule`` lets a single-word entry match a token with other accents (used for
        fillers typed without diacritics). ``keys``: the tokens' key forms, when the caller
        has them (tables applied one after the other share them until one replaces).
        """
        first = self._first
        if keys is None:
            keys = list(map(_KEY, toks))
        # Most texts hold no phrase of a given table: one pass in C tells.
        if first.keys().isdisjoint(keys):
            return toks, False
        starts = [index for index, key in enumerate(keys) if key in first]
        multi = self._multi
        single = self._single
        out: list[Tok] = []
        position = 0
        size = len(toks)
        for start in starts:
            if start < position:
                continue  # inside the previous match
            tok = toks[start]
            matched: _Entry | None = None
            if start + 1 < size and (by_second := multi.get(tok[1])) is not None:
                for entry in by_second.get(toks[start + 1][1], ()):
                    end = start + 2 + len(entry.rest)
                    if end <= size and (
                        not entry.rest or tuple(map(_KEY, toks[start + 2 : end])) == entry.rest
                    ):
                        matched = entry
                        break
            if matched is None:
                for entry in single.get(tok[1], ()):
                    if (
                        entry.any_accent
                        or (entry.exact and tok[0] == entry.accented[0])
                        or (single_rule is not None and single_rule(tok))
                    ):
                        matched = entry
                        break
            if matched is not None:
                out.extend(toks[position:start])
                out.extend(matched.replacement)
                position = start + len(matched.keys)
        if not out and position == 0:
            return toks, False
        out.extend(toks[position:])
        return out, True
