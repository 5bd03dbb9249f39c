"""FROZEN COPY (issue 11) of the matcher before "understanding v2": bot/core/scoring.py.

Used only by ``eval`` and the benchmark as the previous matcher; do not improve it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

# Per phrasing (they rank the entries of one query) ...
FEATURES = (
    "entry_cover",  # idf share of the query found anywhere in the entry's phrasings
    "phrase_cover",  # ... in this phrasing
    "accent_cover",  # ... in this phrasing with the same diacritics, when both have them
    "known_cover",  # ... counting only the words some phrasing uses
    "phrase_named",  # idf share of the phrasing named by the query
    "fuzzy",  # rapidfuzz token_sort_ratio of the keys, 0..1
    "pairs",  # idf share of the query's adjacent-syllable pairs found in the phrasing
    "rare_missing",  # share of the query's thing-naming words the entry never mentions
    "matched_mass",  # total idf the entry matches, log-scaled
)
# ... and per query (they move every candidate's confidence up or down alike).
QUERY_FEATURES = (
    "length",  # log-scaled number of words
    "unknown_share",  # idf share of words no phrasing uses
    "short_unknown",  # the same, weighted towards short questions
)


@dataclass(frozen=True, slots=True)
class Scoring:
    """Confidence model and retrieval limits (weights follow FEATURES / QUERY_FEATURES)."""

    weights: tuple[float, ...] = (3.805, 1.31, 1.318, 1.63, 5.659, 2.856, 2.737, -0.487, 2.432)
    top_weight: float = 1.23
    query_weights: tuple[float, ...] = (7.615, -0.341, -1.865)
    bias: float = -16.509
    light_weight: float = 0.25  # weight of an everyday word no FAQ uses
    light_cap: float = 1.0  # ... and the most an everyday word an FAQ uses can weigh
    corrected_discount: float = 0.8  # a typo-corrected word counts a bit less
    rare_df_fraction: float = 0.06  # a word in at most this share of entries names a thing
    candidates: int = 12  # entries reranked per query
    short_query: int = 8  # up to this many words a question is short


@dataclass(frozen=True, slots=True)
class QueryTerm:
    token: str  # the index token it counts as (after typo correction)
    weight: float
    rare: bool  # names a thing: missing it from the answer blocks auto-answering
    unknown: bool = False  # no phrasing uses it
    spelled_nowhere: bool = False  # typed with diacritics no text of the knowledge base uses


@dataclass(frozen=True, slots=True)
class Query:
    """A query as the index sees it, with the sums every candidate needs precomputed."""

    terms: tuple[QueryTerm, ...]
    sequence: tuple[str, ...]  # tokens in index words, in order (for pairs and fuzzy)
    accents: Mapping[str, str] | None  # key token → accented form, if typed with diacritics
    vector: tuple[float, ...]  # QUERY_FEATURES
    weights: Mapping[str, float]
    token_set: frozenset[str]
    pairs: frozenset[str]
    pair_weights: Mapping[str, float]  # idf of each adjacent pair (unknown pairs weigh most)
    pair_total: float
    key: str
    total: float
    known_total: float
    rare: tuple[str, ...]
    rare_total: float
    spelled_nowhere: frozenset[str]

    @classmethod
    def build(
        cls,
        terms: Sequence[QueryTerm],
        sequence: Sequence[str],
        accents: Mapping[str, str] | None,
        pair_idf: Callable[[str], float],
    ) -> Query:
        weights = {t.token: t.weight for t in terms}
        total = sum(weights.values())
        unknown = sum(t.weight for t in terms if t.unknown)
        length = min(1.0, math.log1p(len(sequence)) / math.log(40.0))
        unknown_share = unknown / total if total else 0.0
        rare = tuple(t.token for t in terms if t.rare)
        pairs = frozenset(map("_".join, pairwise(sequence)))
        pair_weights = {pair: pair_idf(pair) for pair in pairs}
        return cls(
            terms=tuple(terms),
            sequence=tuple(sequence),
            accents=accents,
            vector=(length, unknown_share, unknown_share * (1.0 - length)),
            weights=weights,
            token_set=frozenset(weights),
            pairs=pairs,
            pair_weights=pair_weights,
            pair_total=sum(pair_weights.values()),
            key=" ".join(sequence),
            total=total,
            known_total=total - unknown,
            rare=rare,
            rare_total=sum(weights[t] for t in rare),
            spelled_nowhere=frozenset(t.token for t in terms if t.spelled_nowhere),
        )


def sigmoid(z: float) -> float:
    if z < -60:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))
