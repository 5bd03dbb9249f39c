"""The confidence the policy reads: P(this entry is what the citizen asked about).

The index's own score is tuned for one short question; letters and stories carry many words
that are not about the topic. So the confidence is a logistic model over a few signals that
do not collapse with length, fitted on labelled questions (bench/fit_calibration.py on the
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


@dataclass(frozen=True, slots=True)
class Calibration:
    """Weights follow FEATURES; fitted by bench/fit_calibration.py on tune.jsonl."""

    weights: tuple[float, ...] = (
        0.811,
        0.363,
        -0.615,
        0.296,
        0.548,
        0.0,
        0.393,
        -0.347,
        2.955,
        1.038,
    )
    bias: float = -1.574

    def confidence(self, features: tuple[float, ...]) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, features, strict=True))
        if z < -60:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def length_feature(words: int) -> float:
    return min(1.0, math.log1p(words) / math.log(80.0))
