"""A query-likelihood reranker learnt from the knowledge base itself (no download, no numpy).

Each entry is a bag of words: its phrasings, its answer (counted at half weight) and the
situations (concepts) it answers. A message scores an entry by how much more likely its words
are under the entry's bag than under the whole knowledge base (Dirichlet smoothing). Words
about nothing in particular score about the same under every entry, so a long story's
backstory costs nothing, while each word the entry's answer also uses ("bệnh viện", "giấy
chứng sinh") adds a little evidence. It only reorders the candidates the index retrieved.

The bags are not stored: an entry's is counted from the index's own tables when a message
scores it (a few entries per message), which saves a dictionary per entry in memory and
their building at start. Bag values and the background are sums of whole numbers and halves,
exact in any order, so the scores are the same as from stored bags.
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


# The last message scored: its tokens, known words (see Reranker._known), entry scores.
_Memo = tuple[
    tuple[str, ...],
    list[tuple[str, float, float]],
    frozenset[str],
    dict[str, tuple[int, float, float]],
    dict[int, float],
]


class Reranker:
    """Trained once per knowledge snapshot: the background is counted in C (``background``:
    each token's weight over all bags in BAG_UNITs; a token no bag has is absent); each bag
    is kept as the tuples of its words and counted for the few words a message asks about."""

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
        self.items = [_tuple(tokens) for tokens in phrasings]
        self.answers = [_tuple(answers[e]) if e < len(answers) else () for e in range(count)]
        self.concepts = [_tuple(concepts[e]) if e < len(concepts) else () for e in range(count)]
        self.situation_words = [
            _tuple(situation_words[e]) if e < len(situation_words) else () for e in range(count)
        ]
        # Per token, its weight over all bags in BAG_UNITs, counted in C.
        words: Counter[str] = Counter(chain.from_iterable(self.items))
        units: Counter[str] = Counter(chain.from_iterable(self.answers))
        if _ANSWER_UNITS != 1:
            for token, number in units.items():
                units[token] = _ANSWER_UNITS * number
        get = units.get
        for token, number in words.items():
            units[token] = get(token, 0) + _WORD_UNITS * number
        for token in chain.from_iterable(self.concepts):
            units[token] = get(token, 0) + _CONCEPT_UNITS
        for token in chain.from_iterable(self.situation_words):
            units[token] = get(token, 0) + _SITUATION_WORD_UNITS
        self.background: Mapping[str, int] = units
        self.sizes = [self.size(entry) for entry in range(count)]
        self.total = sum(self.sizes) or 1.0
        self.derive()

    def size(self, entry: int) -> float:
        """The weight of an entry's bag: its phrasing items, answer items, concepts and
        situation words."""
        return (
            len(self.items[entry])
            + ANSWER_WEIGHT * len(self.answers[entry])
            + CONCEPT_WEIGHT * len(self.concepts[entry])
            + SITUATION_WORD_WEIGHT * len(self.situation_words[entry])
        )

    def derive(self) -> None:
        """Per entry, the parts of the score that do not depend on the message (again after
        ``sizes`` changed: bot.core.match_patch)."""
        self._scaled = [size + SMOOTHING for size in self.sizes]
        self._absent = [math.log(SMOOTHING / scaled) for scaled in self._scaled]
        self._memo: _Memo | None = None

    def bag(self, entry: int, wanted: frozenset[str]) -> dict[str, float]:
        """The entry's weighted count of each ``wanted`` token it has (the same sums as
        adding each word's weight one by one: they are exact)."""
        items = self.items[entry]
        bag: dict[str, float] = {t: items.count(t) for t in wanted.intersection(items)}
        get = bag.get
        for weight, held in (
            (ANSWER_WEIGHT, self.answers[entry]),
            (CONCEPT_WEIGHT, self.concepts[entry]),
            (SITUATION_WORD_WEIGHT, self.situation_words[entry]),
        ):
            if held:
                for token in wanted.intersection(held):
                    bag[token] = get(token, 0.0) + weight * held.count(token)
        return bag

    def scores(self, tokens: Iterable[str], entries: Sequence[int]) -> list[float]:
        """Log-likelihood ratio of the distinct known ``tokens`` for each of ``entries``.

        A message is scored twice (its wide pool, then its candidates, mostly the same
        entries): the last message's known words and entry scores are kept for the next
        call with the same tokens."""
        key = tuple(tokens)
        memo = self._memo
        if memo is None or memo[0] != key:
            memo = self._memo = (key, *self._known(key), {})
        _, known, wanted, at, done = memo
        log = math.log
        result: list[float] = []
        for entry in entries:
            score = done.get(entry)
            if score is None:
                scaled = self._scaled[entry]
                # log P(t|e) - log P(t): only words the entry has move its score; for the
                # rest the difference is the same small constant for every entry. Summed in
                # the order of ``known``, one after the other (reduce, not sum(): the same
                # float as adding them in a loop).
                terms = [self._absent[entry]] * len(known)
                for token, count in self.bag(entry, wanted).items():
                    number, prior, smoothed = at[token]
                    terms[number] = log((count + smoothed) / (scaled * prior))
                score = done[entry] = reduce(add, terms, 0.0)
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
