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

ANSWER_WEIGHT = 0.5  # an answer word is weaker evidence than a phrasing word
CONCEPT_WEIGHT = 3.0  # a situation the entry answers counts like three phrasing words
SMOOTHING = 40.0  # Dirichlet prior mass: how many background words an entry's bag is worth


class Reranker:
    """Trained once per knowledge snapshot, in milliseconds per hundred entries."""

    def __init__(
        self,
        phrasings: Sequence[Iterable[str]],
        answers: Sequence[Iterable[str]],
        concepts: Sequence[Iterable[str]] = (),
    ) -> None:
        """Per entry: key tokens of all its phrasings, the answer's other words (each once),
        and its concept tokens."""
        self.counts: list[dict[str, float]] = []
        self.sizes: list[float] = []
        background: Counter[str] = Counter()
        for number, tokens in enumerate(phrasings):
            bag: dict[str, float] = dict(Counter(tokens))
            for token in answers[number] if number < len(answers) else ():
                bag[token] = bag.get(token, 0.0) + ANSWER_WEIGHT
            for token in concepts[number] if number < len(concepts) else ():
                bag[token] = bag.get(token, 0.0) + CONCEPT_WEIGHT
            self.counts.append(bag)
            self.sizes.append(sum(bag.values()))
            background.update(bag)
        total = sum(background.values()) or 1.0
        self.background = {token: count / total for token, count in background.items()}

    def scores(self, tokens: Iterable[str], entries: Sequence[int]) -> list[float]:
        """Log-likelihood ratio of the distinct known ``tokens`` for each of ``entries``."""
        known = [(t, self.background[t]) for t in set(tokens) if t in self.background]
        result: list[float] = []
        for entry in entries:
            counts = self.counts[entry]
            size = self.sizes[entry]
            score = 0.0
            for token, prior in known:
                count = counts.get(token)
                if count:
                    # log P(t|e) - log P(t): only words the entry has move its score; for the
                    # rest the difference is the same small constant for every entry.
                    score += math.log((count + SMOOTHING * prior) / ((size + SMOOTHING) * prior))
                else:
                    score += math.log(SMOOTHING / (size + SMOOTHING))
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
