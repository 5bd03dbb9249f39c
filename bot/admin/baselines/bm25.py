"""BM25 (the bm25s package, a dev-only dependency) over the same phrasings: a baseline only.

Every phrasing is a document of normalized syllables; an entry scores as its best phrasing.
It answers the best entry when the score reaches ``answer`` and offers the top three when it
reaches ``suggest``; ``tune`` picks the pair that does best on the rows it is shown (right
answers + rejected out-of-scope rows - 2 × wrong answers + ½ × right choices offered), so the
baseline is measured at its best thresholds, which flatters it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.evaluation import EvalRow, Tally
from bot.core.knowledge import FaqEntry
from bot.core.messages import Candidate
from bot.core.normalize import Normalizer

_DEPTH = 30  # phrasings retrieved per query; enough for three distinct entries


@dataclass(frozen=True, slots=True)
class Bm25Result:
    status: str
    candidates: tuple[Candidate, ...]

    @property
    def faq_id(self) -> str | None:
        return self.candidates[0].faq_id if self.status == "answered" else None


class Bm25Baseline:
    """``match(text)`` like the real matcher, for ``evaluate``."""

    def __init__(self, entries: Iterable[FaqEntry], normalizer: Normalizer) -> None:
        import bm25s  # dev-only: imported here so the bot never needs it

        logging.getLogger("bm25s").setLevel(logging.WARNING)

        self.normalizer = normalizer
        self.owner: list[str] = []
        corpus: list[list[str]] = []
        for entry in entries:
            for phrasing in entry.phrasings:
                tokens = list(normalizer.normalize(phrasing).tokens)
                if tokens:
                    corpus.append(tokens)
                    self.owner.append(entry.id)
        self.retriever: Any = bm25s.BM25()
        self.retriever.index(corpus, show_progress=False)
        self.answer = 0.0
        self.suggest = 0.0

    def scores(self, text: str) -> list[tuple[str, float]]:
        """Distinct entries with their best phrasing's score, best first."""
        tokens = [t for t in self.normalizer.normalize(text).tokens if t in self._vocab]
        if not tokens:
            return []
        depth = min(_DEPTH, len(self.owner))
        docs, values = self.retriever.retrieve([tokens], k=depth, show_progress=False)
        best: dict[str, float] = {}
        for doc, value in zip(docs[0], values[0], strict=True):
            entry = self.owner[int(doc)]
            if float(value) > 0 and entry not in best:
                best[entry] = float(value)
        return sorted(best.items(), key=lambda item: -item[1])

    @property
    def _vocab(self) -> Any:
        return self.retriever.vocab_dict

    def decide(self, scored: Sequence[tuple[str, float]], limit: int = 3) -> Bm25Result:
        candidates = tuple(Candidate(entry, round(score, 3)) for entry, score in scored[:limit])
        if not candidates or candidates[0].confidence < self.suggest:
            return Bm25Result("no_match", candidates)
        if candidates[0].confidence >= self.answer:
            return Bm25Result("answered", candidates)
        return Bm25Result("ambiguous", candidates)

    def match(self, text: str, limit: int = 3) -> Bm25Result:
        return self.decide(self.scores(text), limit)

    def tune(self, rows: Sequence[EvalRow]) -> None:
        """Pick the thresholds that maximise right answers + rejected OOS - wrong answers."""
        scored = [(row, self.scores(row.query)) for row in rows]
        values = sorted({round(s[0][1], 2) for _, s in scored if s} | {0.0})
        grid = [*values[:: max(1, len(values) // 40)], values[-1] + 1.0]
        best: tuple[float, float, float] | None = None
        for answer in grid:
            for suggest in grid:
                if suggest > answer:
                    break
                self.answer, self.suggest = answer, suggest
                tally = Tally()
                for row, result in scored:
                    tally.add(row, self.decide(result))
                gain = tally.answered_right + tally.rejected - 2.0 * tally.confidently_wrong
                gain += 0.5 * (tally.helped - tally.answered_right)
                if best is None or gain > best[0]:
                    best = (gain, answer, suggest)
        assert best is not None
        self.answer, self.suggest = best[1], best[2]
