"""Feature vectors of a query against one entry's phrasings (see scoring.FEATURES).

The reference implementation: the model is fitted on these vectors (bench/fit_scoring.py),
and MatchIndex._best_phrasing computes the same dot product unrolled for speed (a test keeps
the two in step).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from bot.core.scoring import Query

if TYPE_CHECKING:
    from bot.core.match_index import MatchIndex

LOG_MASS = math.log(60.0)  # matched idf mass is log-scaled to reach 1 at 59


def phrasing_features(
    index: MatchIndex, query: Query, entry: int
) -> list[tuple[int, tuple[float, ...]]]:
    """(phrasing, feature vector) for every phrasing of ``entry``."""
    weights = query.weights
    total = query.total
    if total <= 0:
        return []
    idf = index.idf
    in_entry = query.token_set.intersection(index.entry_tokens[entry])
    entry_cover = sum(map(weights.__getitem__, in_entry)) / total
    matched = sum(map(idf.__getitem__, in_entry))
    matched_mass = min(1.0, math.log1p(matched) / LOG_MASS)
    rare = query.rare
    rare_missing = (
        sum(weights[t] for t in rare if not index.mentions(query, entry, t)) / query.rare_total
        if rare
        else 0.0
    )
    known_total = query.known_total or 1.0
    pairs = query.pairs
    result: list[tuple[int, tuple[float, ...]]] = []
    for phrasing in index.entry_phrasings[entry]:
        common = query.token_set.intersection(index.token_sets[phrasing])
        covered = sum(map(weights.__getitem__, common))
        named = sum(map(idf.__getitem__, common))
        agreed = covered
        if query.accents is not None and index.accents[phrasing] is not None and common:
            agreed -= index.disagreement(query, phrasing, common)
        shared_pairs = pairs.intersection(index.pair_sets[phrasing])
        pair_cover = (
            sum(map(query.pair_weights.__getitem__, shared_pairs)) / query.pair_total
            if pairs
            else 0.0
        )
        mass = index.mass[phrasing]
        vector = (
            entry_cover,
            covered / total,
            agreed / total,
            covered / known_total,
            named / mass if mass else 0.0,
            fuzz.token_sort_ratio(query.key, index.sorted_keys[phrasing]) / 100.0,
            pair_cover,
            rare_missing,
            matched_mass,
        )
        result.append((phrasing, vector))
    return result
