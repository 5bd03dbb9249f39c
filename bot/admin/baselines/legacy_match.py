"""FROZEN COPY (issue 11) of the matcher before "understanding v2": bot/core/match.py.

Used only by ``eval`` and the benchmark as the previous matcher; do not improve it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.admin.baselines.legacy_index import EntryScore, MatchIndex
from bot.admin.baselines.legacy_scoring import Scoring
from bot.core.knowledge import FaqEntry, KnowledgeBase
from bot.core.lexicon import Lexicon
from bot.core.messages import Candidate
from bot.core.normalize import Normalizer, accent_token, canonical_token
from bot.core.tones import fold


class ThresholdSettings(Protocol):
    """The part of the application settings the policy reads."""

    match_answer_threshold: float
    match_suggest_threshold: float
    match_margin: float


Status = Literal["answered", "ambiguous", "no_match"]
MIN_CHOICE = 0.02  # a "did you mean" choice less likely than this is noise
_WORD_RE = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Policy cut-offs on the 0..1 confidence."""

    answer: float  # answer when the best entry is at least this likely right ...
    suggest: float  # ... else offer choices when the candidates together reach this
    margin: float  # answering also needs the runner-up to trail by at least this

    @classmethod
    def from_settings(cls, settings: ThresholdSettings) -> Thresholds:
        return cls(
            answer=settings.match_answer_threshold,
            suggest=settings.match_suggest_threshold,
            margin=settings.match_margin,
        )


@dataclass(frozen=True, slots=True)
class MatchResult:
    status: Status
    candidates: tuple[Candidate, ...]  # best first, distinct faq ids
    normalized: str  # the query key
    margin: float  # top-1 minus top-2 confidence (distinct entries)

    @property
    def faq_id(self) -> str | None:
        """The answered id, or None when the matcher is not sure enough to answer."""
        if self.status == "answered" and self.candidates:
            return self.candidates[0].faq_id
        return None

    @property
    def confidence(self) -> float:
        return self.candidates[0].confidence if self.candidates else 0.0


class Matcher:
    """Matches citizen text against the published entries of one knowledge base."""

    def __init__(
        self,
        entry_ids: tuple[str, ...],
        index: MatchIndex,
        normalizer: Normalizer,
        thresholds: Thresholds,
    ) -> None:
        self.entry_ids = entry_ids
        self.index = index
        self.normalizer = normalizer
        self.thresholds = thresholds

    @classmethod
    def build(
        cls,
        kb: KnowledgeBase,
        normalizer: Normalizer,
        thresholds: Thresholds,
        scoring: Scoring | None = None,
    ) -> Matcher:
        return cls.build_from_entries(kb.published, normalizer, thresholds, scoring)

    @classmethod
    def build_from_entries(
        cls,
        entries: Iterable[FaqEntry],
        normalizer: Normalizer,
        thresholds: Thresholds,
        scoring: Scoring | None = None,
    ) -> Matcher:
        entries = tuple(entries)
        local = normalizer.with_content_words(content_words(entries, normalizer.lexicon))
        # A generator: the index keeps what it needs, so the normalized texts can go.
        phrasings = (
            (number, local.normalize(phrasing))
            for number, entry in enumerate(entries)
            for phrasing in entry.phrasings
        )
        spellings: dict[str, str] = {}
        texts = [answer_tokens(entry.answer, spellings) for entry in entries]
        lexicon = normalizer.lexicon
        index = MatchIndex(
            len(entries), phrasings, lexicon.light, scoring, texts, lexicon.light_accented
        )
        # Questions may glue words ("nophoso"): the index's syllable pairs pick the cut.
        for_queries = local.with_content_words((), pairs=index.pair_df)
        return cls(tuple(e.id for e in entries), index, for_queries, thresholds)

    def with_thresholds(self, thresholds: Thresholds) -> Matcher:
        """Same index, other policy (cheap; for threshold sweeps)."""
        return Matcher(self.entry_ids, self.index, self.normalizer, thresholds)

    def with_scoring(self, scoring: Scoring) -> Matcher:
        """Same index, another confidence model (for fitting and experiments)."""
        index = self.index.with_scoring(scoring)
        return Matcher(self.entry_ids, index, self.normalizer, self.thresholds)

    def scores(self, text: str) -> tuple[str, list[EntryScore]]:
        """The query key and every candidate's score (for evaluation and sweeps)."""
        normalized = self.normalizer.normalize(text)
        return normalized.key, self.index.score(normalized)

    def match(self, text: str, limit: int = 3) -> MatchResult:
        key, scores = self.scores(text)
        return decide(key, scores, self.entry_ids, self.thresholds, limit)


def decide(
    key: str,
    scores: list[EntryScore],
    entry_ids: tuple[str, ...],
    thresholds: Thresholds,
    limit: int = 3,
) -> MatchResult:
    """The policy: answer, offer up to ``limit`` choices, or admit there is no match.

    Confidences are probabilities sharing one "the question is in scope" mass (their sum), so
    choices are worth offering when that mass reaches ``suggest``; one entry is answered only
    when it alone is likely right, clearly ahead of the runner-up, and does not ignore a word
    of the question that names a thing.
    """
    limit = max(1, limit)
    if not scores:
        return MatchResult("no_match", (), key, 0.0)
    best = scores[0]
    runner_up = scores[1].confidence if len(scores) > 1 else 0.0
    margin = round(best.confidence - runner_up, 4)
    top = [Candidate(entry_ids[s.entry], round(s.confidence, 4)) for s in scores[:limit]]
    if sum(s.confidence for s in scores) < thresholds.suggest:
        return MatchResult("no_match", tuple(top), key, margin)
    if (
        best.confidence >= thresholds.answer
        and margin >= thresholds.margin
        and not best.missing_rare
    ):
        return MatchResult("answered", tuple(top), key, margin)
    offered = tuple(c for c in top if c.confidence >= MIN_CHOICE)
    return MatchResult("ambiguous", offered or tuple(top[:1]), key, margin)


def content_words(entries: Iterable[FaqEntry], lexicon: Lexicon) -> set[str]:
    """Folded words the entries need, read from phrasings written with diacritics.

    Only accented phrasings count: there "thi" is the exam, not an unaccented "thì".
    """
    single_fillers = {phrase[0] for phrase in lexicon.fillers if len(phrase) == 1}
    words: set[str] = set()
    for entry in entries:
        for phrasing in entry.phrasings:
            if not phrasing.isascii():
                words.update(_WORD_RE.findall(unicodedata.normalize("NFC", phrasing).lower()))
    return {fold(word) for word in words - single_fillers}


def answer_tokens(answer: str, cache: dict[str, str] | None = None) -> frozenset[str]:
    """Accented tokens of an answer, spelled as the normalizer spells them."""
    cache = {} if cache is None else cache
    words: set[str] = set()
    for word in set(_WORD_RE.findall(unicodedata.normalize("NFC", answer).lower())):
        spelled = cache.get(word)
        if spelled is None:
            spelled = cache[word] = accent_token(canonical_token(word))
        words.add(spelled)
    return frozenset(words)


__all__ = [
    "MatchResult",
    "Matcher",
    "Scoring",
    "Status",
    "Thresholds",
    "decide",
]

# The policy settings shipped with this matcher (before issue 11 re-calibrated them).
LEGACY_THRESHOLDS = Thresholds(answer=0.80, suggest=0.60, margin=0.10)
