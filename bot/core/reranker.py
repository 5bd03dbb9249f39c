"""A query-likelihood reranker learnt from the knowledge base itself (no download, no numpy).

Each entry is a bag of words: its phrasings, its answer (counted at half weight) and the
situations (concepts) it answers. A message scores an entry by how much more likely its words
are under the entry's bag than under the whole knowledge base (Dirichlet smoothing). Words
about nothing in particular score about the same under every entry, so a long story's
backstory costs nothing, while each word the entry's answer also uses ("bệnh viện", "giấy
chứng sinh") adds a little evidence. It only reorders the candidates the index retrieved.

Bag values and the background are whole numbers of BAG_UNIT (a token repeated as many times
as its weight has units), so every count is made in C and exact: the scores are the same as
adding the weights one by one.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import reduce
from itertools import chain
from operator import add

ANSWER_WEIGHT = 0.5  # an answer word is weaker evidence than a phrasing word
CONCEPT_WEIGHT = 3.0  # a situation the entry answers counts like three phrasing words
# A word of the phrases of a situation the entry answers (concepts.yaml): weak evidence
# alone ("sanh" without "mới"), yet the words a story uses that no phrasing does.
SITUATION_WORD_WEIGHT = 1.0
SMOOTHING = 40.0  # Dirichlet prior mass: how many background words an entry's bag is worth
KEPT_RATIOS = 100_000  # per-word ratios kept across messages, at most (then forgotten)


# Bag values are whole phrasing counts plus the weights above: whole numbers of this unit,
# so the background is counted in units, in C, and exact.
BAG_UNIT = 0.5
assert all(
    (weight / BAG_UNIT).is_integer()
    for weight in (ANSWER_WEIGHT, CONCEPT_WEIGHT, SITUATION_WORD_WEIGHT)
)
_WORD_UNITS, _ANSWER_UNITS, _CONCEPT_UNITS, _SITUATION_WORD_UNITS = (
    round(weight / BAG_UNIT)
    for weight in (1.0, ANSWER_WEIGHT, CONCEPT_WEIGHT, SITUATION_WORD_WEIGHT)
)


# The last message scored: its tokens and known words (see Reranker._known).
_Memo = tuple[
    tuple[str, ...],
    list[tuple[str, float, float]],
    frozenset[str],
    dict[str, tuple[int, float, float]],
]


class Reranker:
    """Trained once per knowledge snapshot, every count made in C: each entry's bag and the
    background (each token's weight over all bags), both in whole BAG_UNITs."""

    def __init__(
        self,
        phrasings: Sequence[Iterable[str]],
        answers: Sequence[Iterable[str]],
        concepts: Sequence[Iterable[str]] = (),
        situation_words: Sequence[Iterable[str]] = (),
    ) -> None:
        """Per entry: key tokens of all its phrasings (and their pairs), the answer's other
        words and pairs (each once), its concept tokens and the words of those concepts'
        phrases (each once)."""
        count = len(phrasings)
        items = [_tuple(tokens) for tokens in phrasings]
        said = [_tuple(answers[e]) if e < len(answers) else () for e in range(count)]
        named = [_tuple(concepts[e]) if e < len(concepts) else () for e in range(count)]
        words = [
            _tuple(situation_words[e]) if e < len(situation_words) else () for e in range(count)
        ]
        parts: list[tuple[list[tuple[str, ...]], int]] = [
            (items, _WORD_UNITS),
            (said, _ANSWER_UNITS),
            (named, _CONCEPT_UNITS),
            (words, _SITUATION_WORD_UNITS),
        ]
        # An entry's bag: each of its tokens as many times as its weight has units.
        self.bags: list[dict[str, int]] = [
            Counter(chain.from_iterable(held[e] for held, units in parts for _ in range(units)))
            for e in range(count)
        ]
        units: Counter[str] = Counter()
        for held, weight in parts:
            for _ in range(weight):
                units.update(chain.from_iterable(held))
        self.background: Mapping[str, int] = units
        self.sizes = [
            len(items[e])
            + ANSWER_WEIGHT * len(said[e])
            + CONCEPT_WEIGHT * len(named[e])
            + SITUATION_WORD_WEIGHT * len(words[e])
            for e in range(count)
        ]
        self.total = sum(self.sizes) or 1.0
        self.derive()

    def derive(self) -> None:
        """Per entry, the parts of the score that do not depend on the message (again after
        ``sizes`` changed: bot.core.match_patch)."""
        self._scaled = [size + SMOOTHING for size in self.sizes]
        self._absent = [math.log(SMOOTHING / scaled) for scaled in self._scaled]
        self._memo: _Memo | None = None
        # Per entry, log P(t|e) - log P(t) of the words messages used: the same for every
        # message (a handful of entries and words come back in most of them).
        self._ratios: list[dict[str, float]] = [{} for _ in self._scaled]
        self._kept = 0

    def scores(self, tokens: Iterable[str], entries: Sequence[int]) -> list[float]:
        """Log-likelihood ratio of the distinct known ``tokens`` for each of ``entries``.

        A story is scored twice (its wide pool, then candidates beyond it; the caller keeps
        the entries' scores): the last message's known words are kept for the next call with
        the same tokens."""
        key = tuple(tokens)
        memo = self._memo
        if memo is None or memo[0] != key:
            memo = self._memo = (key, *self._known(key))
        _, known, wanted, at = memo
        log = math.log
        result: list[float] = []
        for entry in entries:
            scaled = self._scaled[entry]
            # log P(t|e) - log P(t): only words the entry has move its score; for the
            # rest the difference is the same small constant for every entry. Summed in
            # the order of ``known``, one after the other (reduce, not sum(): the same
            # float as adding them in a loop).
            terms = [self._absent[entry]] * len(known)
            bag = self.bags[entry]
            ratios = self._ratios[entry]
            for token in bag.keys() & wanted:
                number, prior, smoothed = at[token]
                ratio = ratios.get(token)
                if ratio is None:
                    count = bag[token] * BAG_UNIT  # exact: the weight summed word by word
                    ratio = ratios[token] = log((count + smoothed) / (scaled * prior))
                    self._kept += 1
                terms[number] = ratio
            score = reduce(add, terms, 0.0)
            if self._kept > KEPT_RATIOS:
                self._ratios = [{} for _ in self._scaled]
                self._kept = 0
            result.append(score)
        return result

    def _known(
        self, tokens: tuple[str, ...]
    ) -> tuple[list[tuple[str, float, float]], frozenset[str], dict[str, tuple[int, float, float]]]:
        """The distinct tokens some bag has, with P(t) and its smoothing mass, in the order
        the score sums them; the same as a set; each one's place in that order."""
        weight = self.background.get
        total = self.total
        # P(t) = its weight over all bags / their total weight (the same float as dividing
        # the weight summed in any order: the weights are exact).
        known = [
            (t, prior, SMOOTHING * prior)
            for t in set(tokens)
            if (units := weight(t)) and (prior := units * BAG_UNIT / total)
        ]
        at = {t: (number, prior, smoothed) for number, (t, prior, smoothed) in enumerate(known)}
        return known, frozenset(at), at


def _tuple(tokens: Iterable[str]) -> tuple[str, ...]:
    return tokens if isinstance(tokens, tuple) else tuple(tokens)


def shares(scores: Sequence[float], temperature: float = 1.0) -> list[float]:
    """Softmax of the scores: each candidate's share of the evidence."""
    if not scores:
        return []
    top = max(scores)
    exps = [math.exp((s - top) / temperature) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]
