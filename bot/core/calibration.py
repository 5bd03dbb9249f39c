"""The confidence the policy reads: P(this entry is what the citizen asked about).

The index's own score is tuned for one short question; letters and stories carry many words
that are not about the topic. So the confidence is a logistic model over a few signals that
do not collapse with length, fitted on labelled questions (bench/eval_unseen.py --fit on the
tune split only): how sure the index is in the view of the message that favours the entry,
its lead over the other entries, how much of the entry's best phrasing the message names,
the thing-naming words and situations the entry does not cover, and whether the question
sentences agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FEATURES = (
    "index_logit",  # logit of the index confidence in the entry's best view
    "lead",  # that confidence minus the best other entry's
    "named",  # idf share of the entry's best phrasing that the message names
    "rare_missing",  # weight share of the message's thing-naming words the entry lacks
    "concept",  # a situation phrase of the message is one the entry answers
    "uncovered",  # a situation phrase of the message is a matter no entry answers
    "length",  # log-scaled number of content words of the whole message
    "agreement",  # share of the message's views that rank the entry first
    "evidence",  # the entry's share of the reranker's evidence among the candidates
    "fit",  # how well the message's words fit the entry at all (reranker, per word)
)
# A story's index score is weak evidence and its reranker evidence strong; a short question's
# the other way round: these signals also enter multiplied by how long the message is.
LONG_INTERACTIONS = ("evidence", "index_logit", "fit", "lead")
TERMS = (*FEATURES, *(f"{name}*long" for name in LONG_INTERACTIONS), "long")
_LONG_AT = tuple(FEATURES.index(name) for name in LONG_INTERACTIONS)
_LENGTH = FEATURES.index("length")
LONG_FROM = 0.55  # length feature of about 10 content words: the message starts to be long
LONG_SPAN = 0.25  # ... and counts as fully long from about 30


@dataclass(frozen=True, slots=True)
class Calibration:
    """Weights follow TERMS; fitted by ``bench/eval_unseen.py --fit --write`` on tune.jsonl
    with each half's own concept phrases removed, so a situation phrase weighs what it is worth
    on text it was not written for (bench/fit_calibration.py fits on tune as it is)."""

    weights: tuple[float, ...] = (
        0.951,
        0.385,
        -0.543,
        0.081,
        0.239,
        -1.564,
        -0.543,
        -0.117,
        2.017,
        1.178,
        2.227,
        -0.417,
        1.08,
        0.089,
        0.259,
    )
    bias: float = -1.115

    def confidence(self, features: tuple[float, ...]) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, expand(features), strict=True))
        if z < -60:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))


def expand(features: tuple[float, ...]) -> tuple[float, ...]:
    """The model's terms (TERMS) from the signals (FEATURES)."""
    long = min(1.0, max(0.0, (features[_LENGTH] - LONG_FROM) / LONG_SPAN))
    return (*features, *(features[i] * long for i in _LONG_AT), long)


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def length_feature(words: int) -> float:
    return min(1.0, math.log1p(words) / math.log(80.0))
