"""A query-likelihood reranker learnt from the knowledge base itself (no download, no numpy).

Each entry is a bag of words: its phrasings, its answer (counted at half weight) and the
situations (concepts) it answers. A message scores an entry by how much more likely its words
are under the entry's bag than under the whole knowledge base (Dirichlet smoothing). Words
about nothing in particular score about the same under every entry, so a long story's
backstory costs nothing, while each word the entry's answer also uses ("bệnh viện", "giấy
chứng sinh") adds a little evidence. It only reorders the candidates the index retrieved.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import cast

ANSWER_WEIGHT = 0.5  # an answer word is weaker evidence than a phrasing word
CONCEPT_WEIGHT = 3.0  # a situation the entry answers counts like three phrasing words
# A word of the phrases of a situation the entry answers (concepts.yaml): weak evidence
# alone ("sanh" without "mới"), yet the words a story uses that no phrasing does.
SITUATION_WORD_WEIGHT = 1.0
SMOOTHING = 40.0  # Dirichlet prior mass: how many background words an entry's bag is worth


class Reranker:
    """Trained once per knowledge snapshot, in milliseconds per hundred entries."""

    def __init__(
        self,
        phrasings: Sequence[Iterable[str]],
        answers: Sequence[Iterable[str]],
        concepts: Sequence[Iterable[str]] = (),
        situation_words: Sequence[Iterable[str]] = (),
    ) -> None:
        """Per entry: key tokens of all its phrasings, the answer's other words (each once),
        its concept tokens and the words of those concepts' phrases (each once)."""
        self.counts: list[dict[str, float]] = []
        self.sizes: list[float] = []
        # Counted in C, weighted once at the end: bag values are sums of halves and whole
        # numbers, exact in any order, so the background is the same as summing the bags.
        words: Counter[str] = Counter()
        answered: Counter[str] = Counter()
        situations: Counter[str] = Counter()
        vocabulary: Counter[str] = Counter()
        for number, listed in enumerate(phrasings):
            tokens = listed if isinstance(listed, list | tuple) else list(listed)
            words.update(tokens)
            bag: dict[str, float] = dict(Counter(tokens))
            answer = tuple(answers[number]) if number < len(answers) else ()
            for token in answer:
                bag[token] = bag.get(token, 0.0) + ANSWER_WEIGHT
            answered.update(answer)
            concept = tuple(concepts[number]) if number < len(concepts) else ()
            for token in concept:
                bag[token] = bag.get(token, 0.0) + CONCEPT_WEIGHT
            situations.update(concept)
            said = tuple(situation_words[number]) if number < len(situation_words) else ()
            for token in said:
                bag[token] = bag.get(token, 0.0) + SITUATION_WORD_WEIGHT
            vocabulary.update(said)
            self.counts.append(bag)
            self.sizes.append(sum(bag.values()))
        # Weighted into the word counts in place: one table of the vocabulary's size less.
        background = cast(dict[str, float], words)
        for weight, counter in (
            (ANSWER_WEIGHT, answered),
            (CONCEPT_WEIGHT, situations),
            (SITUATION_WORD_WEIGHT, vocabulary),
        ):
            for token, count in counter.items():
                background[token] = background.get(token, 0) + weight * count
            counter.clear()
        total = sum(background.values()) or 1.0
        self.background = {token: count / total for token, count in background.items()}
        self.derive()

    def derive(self) -> None:
        """Per entry, the parts of the score that do not depend on the message (again after
        ``sizes`` changed: bot.core.match_patch)."""
        self._scaled = [size + SMOOTHING for size in self.sizes]
        self._absent = [math.log(SMOOTHING / scaled) for scaled in self._scaled]

    def scores(self, tokens: Iterable[str], entries: Sequence[int]) -> list[float]:
        """Log-likelihood ratio of the distinct known ``tokens`` for each of ``entries``."""
        background = self.background
        known = [
            (t, prior, SMOOTHING * prior)
            for t in set(tokens)
            if (prior := background.get(t)) is not None
        ]
        log = math.log
        result: list[float] = []
        for entry in entries:
            get = self.counts[entry].get
            scaled = self._scaled[entry]
            absent = self._absent[entry]
            score = 0.0
            for token, prior, smoothed in known:
                count = get(token)
                if count:
                    # log P(t|e) - log P(t): only words the entry has move its score; for the
                    # rest the difference is the same small constant for every entry.
                    score += log((count + smoothed) / (scaled * prior))
                else:
                    score += absent
            result.append(score)
        return result


def shares(scores: Sequence[float], temperature: float = 1.0) -> list[float]:
    """Softmax of the scores: each candidate's share of the evidence."""
    if not scores:
        return []
    top = max(scores)
    exps = [math.exp((s - top) / temperature) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]
