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
    each token's weight over all bags in BAG_UNITs; a token no bag has is absent), the bags
    are read from the index's tables (the lists are shared, not copied)."""

    def __init__(
        self,
        phrasings: Sequence[Iterable[str]],
        answers: Sequence[Iterable[str]],
        concepts: Sequence[Iterable[str]] = (),
        situation_words: Sequence[Iterable[str]] = (),
    ) -> None:
        """Per entry: key tokens of all its phrasings (and their pairs), the answer's other
        words (each once), its concept tokens and the words of those concepts' phrases
        (each once). :meth:`over_index` reads the phrasings from an index instead."""
        count = len(phrasings)
        self._setup(
            [tuple(tokens) for tokens in phrasings],
            [()] * count,
            [[entry] for entry in range(count)],
            [tuple(answers[e]) if e < len(answers) else () for e in range(count)],
            [()] * count,
            [tuple(tokens) for tokens in concepts],
            [tuple(tokens) for tokens in situation_words],
        )

    @classmethod
    def over_index(
        cls,
        phrasing_tokens: Sequence[tuple[str, ...]],
        pair_sets: Sequence[tuple[str, ...]],
        entry_phrasings: Sequence[Sequence[int]],
        answer_tokens: Sequence[tuple[str, ...]],
        answer_pairs: Sequence[tuple[str, ...]],
        concepts: Sequence[tuple[str, ...]] = (),
        situation_words: Sequence[tuple[str, ...]] = (),
    ) -> Reranker:
        """Per phrasing: its key tokens and distinct adjacent pairs (the index's lists,
        shared); per entry: its phrasings, its answer's other words and pairs (each once),
        its concept tokens and the words of those concepts' phrases (each once)."""
        reranker = cls.__new__(cls)
        reranker._setup(
            phrasing_tokens,
            pair_sets,
            entry_phrasings,
            answer_tokens,
            answer_pairs,
            concepts,
            situation_words,
        )
        return reranker

    def _setup(
        self,
        phrasing_tokens: Sequence[tuple[str, ...]],
        pair_sets: Sequence[tuple[str, ...]],
        entry_phrasings: Sequence[Sequence[int]],
        answer_tokens: Sequence[tuple[str, ...]],
        answer_pairs: Sequence[tuple[str, ...]],
        concepts: Sequence[tuple[str, ...]],
        situation_words: Sequence[tuple[str, ...]],
    ) -> None:
        self.phrasing_tokens = phrasing_tokens
        self.pair_sets = pair_sets
        self.entry_phrasings = entry_phrasings
        self.answer_tokens = answer_tokens
        self.answer_pairs = answer_pairs
        self.concepts = concepts
        self.situation_words = situation_words
        words: Counter[str] = Counter(chain.from_iterable(phrasing_tokens))
        words.update(chain.from_iterable(pair_sets))
        # Per token, its weight over all bags in BAG_UNITs.
        units: Counter[str] = Counter(chain.from_iterable(answer_tokens))
        units.update(chain.from_iterable(answer_pairs))
        if _ANSWER_UNITS != 1:
            for token, count in units.items():
                units[token] = _ANSWER_UNITS * count
        get = units.get
        for token, count in words.items():
            units[token] = get(token, 0) + _WORD_UNITS * count
        for token in chain.from_iterable(concepts):
            units[token] = get(token, 0) + _CONCEPT_UNITS
        for token in chain.from_iterable(situation_words):
            units[token] = get(token, 0) + _SITUATION_WORD_UNITS
        self.background: Mapping[str, int] = units
        self.sizes = [
            self.size(sum(len(phrasing_tokens[p]) + len(pair_sets[p]) for p in phrasings), e)
            for e, phrasings in enumerate(entry_phrasings)
        ]
        self.total = sum(self.sizes) or 1.0
        self.derive()

    def size(self, phrasing_items: int, entry: int) -> float:
        """The weight of an entry's bag: its phrasing items, answer items, concepts and
        situation words."""
        answer = len(self.answer_tokens[entry]) + len(self.answer_pairs[entry])
        concepts = len(self.concepts[entry]) if entry < len(self.concepts) else 0
        said = len(self.situation_words[entry]) if entry < len(self.situation_words) else 0
        return (
            phrasing_items
            + ANSWER_WEIGHT * answer
            + CONCEPT_WEIGHT * concepts
            + SITUATION_WORD_WEIGHT * said
        )

    def derive(self) -> None:
        """Per entry, the parts of the score that do not depend on the message (again after
        ``sizes`` changed: bot.core.match_patch)."""
        self._scaled = [size + SMOOTHING for size in self.sizes]
        self._absent = [math.log(SMOOTHING / scaled) for scaled in self._scaled]
        self._memo: _Memo | None = None

    def bag(self, entry: int, wanted: frozenset[str]) -> dict[str, float]:
        """The entry's weighted count of each ``wanted`` token it has."""
        tokens, pairs = self.phrasing_tokens, self.pair_sets
        # Only the wanted tokens are counted: a message shares a few words with a phrasing.
        bag: dict[str, float] = {}
        get = bag.get
        for phrasing in self.entry_phrasings[entry]:
            held = tokens[phrasing]
            for token in wanted.intersection(held):
                bag[token] = get(token, 0) + held.count(token)
            for token in wanted.intersection(pairs[phrasing]):  # each pair once a phrasing
                bag[token] = get(token, 0) + 1
        answer = (
            *wanted.intersection(self.answer_tokens[entry]),
            *wanted.intersection(self.answer_pairs[entry]),
        )
        for token in answer:
            bag[token] = bag.get(token, 0.0) + ANSWER_WEIGHT
        if entry < len(self.concepts):
            for token in self.concepts[entry]:
                if token in wanted:
                    bag[token] = bag.get(token, 0.0) + CONCEPT_WEIGHT
        if entry < len(self.situation_words):
            for token in wanted.intersection(self.situation_words[entry]):
                bag[token] = bag.get(token, 0.0) + SITUATION_WORD_WEIGHT
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


def shares(scores: Sequence[float], temperature: float = 1.0) -> list[float]:
    """Softmax of the scores: each candidate's share of the evidence."""
    if not scores:
        return []
    top = max(scores)
    exps = [math.exp((s - top) / temperature) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]
