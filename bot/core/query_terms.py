"""The query side of the index: weighting a citizen's words, typo repair, situation concepts.

Each distinct word of a query gets a weight (its idf, capped for everyday words) and flags:
whether it names a thing (missing it blocks a short question's answer), whether no phrasing
uses it. Misspelt words are mapped to a close index word first, so a typo or a wrong tone
mark never counts as a rare thing the entry lacks.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.concepts import ConceptTable
from bot.core.normalize import Normalized
from bot.core.scoring import Query, QueryTerm, Scoring
from bot.core.tones import is_valid_syllable


class QueryTerms:
    """Mixed into MatchIndex, which sets these attributes when it is built."""

    scoring: Scoring
    n_entries: int
    idf: dict[str, float]
    max_idf: float
    accent_idf: dict[str, float]
    light: frozenset[str]
    light_accented: frozenset[str]
    text_df: Counter[str]
    pair_df: Counter[str]
    rare_df: int
    vocab: list[str]
    concepts: ConceptTable
    entry_tokens: list[frozenset[str]]
    answer_tokens: list[tuple[str, ...]]
    _corrections: dict[str, str | None]
    _neighbours: dict[str, tuple[str, ...]]

    def query(self, normalized: Normalized) -> Query:
        """Weight each distinct query token; map misspelt ones to a close index word."""
        scoring = self.scoring
        accents = (
            dict(zip(normalized.tokens, normalized.accents, strict=True))
            if has_diacritics(normalized.accents)
            else None
        )
        short = len(normalized.tokens) <= scoring.short_query
        seen: set[str] = set()
        terms: list[QueryTerm] = []
        sequence: list[str] = []
        tokens = normalized.tokens
        concepts, explained = (
            self.concepts.find(tokens, normalized.accents) if self.concepts else ([], set())
        )
        for position, token in enumerate(tokens):
            sequence.append(token)
            if token in seen:
                continue
            seen.add(token)
            if position in explained and token not in self.idf:
                # Part of a situation phrase ("mới đẻ"): the concept carries its meaning.
                terms.append(QueryTerm(token, scoring.light_weight, False))
            elif token in self.idf:
                weight = self.idf[token]
                accented = accents.get(token, "") if accents is not None else ""
                if self._is_light(token, accented):
                    weight = min(weight, scoring.light_cap)
                    terms.append(QueryTerm(token, weight, False))
                elif accented in self.accent_idf:
                    weight = max(weight, self.accent_idf[accented])
                    terms.append(QueryTerm(token, weight, self._names_thing(token, accented)))
                elif accented and not accented.isascii() and self._in_known_pair(tokens, position):
                    # A wrong tone mark on a word the knowledge base uses in this very pair
                    # ("giơ mở cửa", "số điên thoại") is that word, not a new one.
                    terms.append(QueryTerm(token, weight, self._names_thing(token)))
                elif accented and not accented.isascii():
                    # Typed with diacritics the knowledge base never uses: "đèn" is not
                    # "đến", "tăng" is not "tầng". Likely another topic (or a typo).
                    terms.append(QueryTerm(token, self.max_idf, short, True, True))
                else:
                    terms.append(QueryTerm(token, weight, self._names_thing(token)))
            elif any(c.isdigit() for c in token):
                continue  # numbers, codes, phone numbers: never what a question is about
            elif self._is_light(token, accents.get(token, "") if accents is not None else ""):
                terms.append(QueryTerm(token, scoring.light_weight, False))
            elif token in self.text_df:
                # Only the answers use it: in-domain, but no phrasing can cover it.
                weight = idf_of(self.n_entries, self.text_df[token])
                terms.append(QueryTerm(token, weight, self._names_thing(token), True))
            elif (corrected := self._correct_in_pair(tokens, position)) is not None:
                # "tài khoảng": one letter from a word the index uses right after "tài".
                if corrected in seen:
                    continue
                seen.add(corrected)
                sequence[-1] = corrected
                weight = self.idf[corrected] * scoring.corrected_discount
                terms.append(QueryTerm(corrected, weight, self._names_thing(corrected)))
            elif is_valid_syllable(token):
                # A real word the knowledge base never uses: in a short question it is
                # likely what the question is about (out of scope); in a story, a detail.
                terms.append(QueryTerm(token, self.max_idf, short, True))
            else:
                corrected = self.correct(token)
                if corrected is None or corrected in seen:
                    terms.append(QueryTerm(token, self.max_idf, False, True))
                    continue
                seen.add(corrected)
                sequence[-1] = corrected
                weight = self.idf[corrected] * scoring.corrected_discount
                terms.append(QueryTerm(corrected, weight, self._names_thing(corrected)))
        for concept in concepts:
            if concept in self.idf:
                # Evidence for its entries, never a reason to refuse another: phrases overlap
                # ("làm hộ chiếu" holds "làm hộ") and a story mentions several situations.
                weight = max(self.idf[concept], scoring.concept_weight)
                terms.append(QueryTerm(concept, weight, False))
            else:
                # A matter no entry answers: what the question is about, and missing.
                terms.append(QueryTerm(concept, self.max_idf, True, True))
        return Query.build(terms, sequence, accents, self._pair_idf)

    def _pair_idf(self, pair: str) -> float:
        return idf_of(self.n_entries, self.pair_df.get(pair, 0))

    def mentions(self, query: Query, entry: int, token: str) -> bool:
        """Whether the entry's phrasings or answer use the query word (as it was spelled)."""
        if token in query.spelled_nowhere:
            return False
        return token in self.entry_tokens[entry] or token in self.answer_tokens[entry]

    def _is_light(self, token: str, accented: str) -> bool:
        # Typed with diacritics, the spelling decides: "sang" (tên) is not "sáng" (morning).
        if accented and self.light_accented:
            return accented in self.light_accented
        return token in self.light

    def _names_thing(self, token: str, accented: str = "") -> bool:
        """Few entries' texts use it, so it names a thing (hộ chiếu, xe máy), not a verb."""
        return not self._is_light(token, accented) and self.text_df.get(token, 0) <= self.rare_df

    def _in_known_pair(self, tokens: Sequence[str], position: int) -> bool:
        token = tokens[position]
        pair_df = self.pair_df
        return (position > 0 and f"{tokens[position - 1]}_{token}" in pair_df) or (
            position + 1 < len(tokens) and f"{token}_{tokens[position + 1]}" in pair_df
        )

    def _correct_in_pair(self, tokens: Sequence[str], position: int) -> str | None:
        """An index word one edit away that forms a known pair with a neighbour, or None.

        Alone, a one-letter change is a guess (khoảng is a word too); next to the word the
        knowledge base always writes before or after it, it is the typo it looks like.
        """
        token = tokens[position]
        if len(token) < 3 or any(c.isdigit() for c in token):
            return None
        before = tokens[position - 1] if position > 0 else None
        after = tokens[position + 1] if position + 1 < len(tokens) else None
        for candidate in self._near_words(token):
            # Slips hit a word's end (khoảng/khoản, tiềng/tiền), rarely its first letters:
            # "xăng" is not "bằng".
            if candidate[:2] != token[:2]:
                continue
            if (before is not None and f"{before}_{candidate}" in self.pair_df) or (
                after is not None and f"{candidate}_{after}" in self.pair_df
            ):
                return candidate
        return None

    def _near_words(self, token: str) -> tuple[str, ...]:
        found = self._neighbours.get(token)
        if found is None:
            matches = process.extract(
                token, self.vocab, scorer=OSA.distance, score_cutoff=1, limit=8
            )
            found = tuple(word for word, _, _ in sorted(matches, key=lambda m: (m[1], m[0])))
            if len(self._neighbours) > 50_000:
                self._neighbours.clear()
            self._neighbours[token] = found
        return found

    def correct(self, token: str) -> str | None:
        """Closest index word within one edit (two for long words), or None."""
        if len(token) < 4:
            return None  # three letters are one edit from too many words (evn → vn)
        if token in self._corrections:
            return self._corrections[token]
        limit = 1 if len(token) < 7 else 2
        best = process.extractOne(token, self.vocab, scorer=OSA.distance, score_cutoff=limit)
        result = best[0] if best is not None else None
        if len(self._corrections) > 50_000:
            self._corrections.clear()
        self._corrections[token] = result
        return result


def has_diacritics(accents: tuple[str, ...]) -> bool:
    return bool(accents) and not all(a.isascii() for a in accents)


def idf_of(n: int, df: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


__all__ = ["QueryTerms", "has_diacritics", "idf_of"]
