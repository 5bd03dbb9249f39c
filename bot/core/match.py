"""FAQ matcher: index + ranking + bounded confidence, and the answer / suggest / fallback policy.

Matchers return scores; the policy here turns them into one of three outcomes with thresholds
kept in settings (calibrate with ``python -m bot eval``).
"""

from __future__ import annotations

import gc
import math
import re
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, pairwise
from typing import Literal, Protocol

from bot.core.calibration import FEATURES, Calibration
from bot.core.concepts import Concepts, ConceptTable, Parts, split_gaps
from bot.core.knowledge import FaqEntry, KnowledgeBase
from bot.core.lexicon import Lexicon
from bot.core.match_index import EntryScore, MatchIndex
from bot.core.messages import Candidate
from bot.core.normalize import Normalizer, accent_token, canonical_token, key_token
from bot.core.reranker import Reranker
from bot.core.scoring import Scoring
from bot.core.tones import fold
from bot.core.understanding import Analysis, Ranked, analyse


class ThresholdSettings(Protocol):
    """The part of the application settings the policy reads."""

    match_answer_threshold: float
    match_suggest_threshold: float
    match_margin: float
    match_also_threshold: float


Status = Literal["answered", "ambiguous", "no_match"]
MIN_CHOICE = 0.01  # a "did you mean" choice less likely than this is noise (a story's right
# entry, when unsure, often sits at 0.01-0.05: the calibrated mass is shared among many)
VAGUE_IN_SCOPE = 0.6  # the index's in-scope mass (all candidates) that also offers choices
_EVIDENCE = FEATURES.index("evidence")
_WORD_RE = re.compile(r"[^\W_]+")
_SENTENCE_RE = re.compile(r"[.!?;:\n()]+")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Policy cut-offs on the calibrated 0..1 confidence."""

    answer: float  # answer when the best entry is at least this likely right ...
    suggest: float  # ... else offer choices when the candidates together reach this
    margin: float  # answering also needs the runner-up to trail by at least this
    also: float = 0.5  # a letter's second question is offered when this likely

    @classmethod
    def from_settings(cls, settings: ThresholdSettings) -> Thresholds:
        return cls(
            answer=settings.match_answer_threshold,
            suggest=settings.match_suggest_threshold,
            margin=settings.match_margin,
            also=settings.match_also_threshold,
        )


@dataclass(frozen=True, slots=True)
class MatchResult:
    status: Status
    candidates: tuple[Candidate, ...]  # best first, distinct faq ids
    normalized: str  # the query key
    margin: float  # top-1 minus top-2 confidence (distinct entries)
    also: tuple[Candidate, ...] = ()  # another question of the same message, to offer
    personal_data: bool = False  # the message carried ID, phone or e-mail numbers

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
        calibration: Calibration | None = None,
    ) -> None:
        self.entry_ids = entry_ids
        self.index = index
        self.normalizer = normalizer
        self.thresholds = thresholds
        self.calibration = calibration or Calibration()

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
        # The build makes hundreds of thousands of small tuples, sets and dicts, none in a
        # cycle: the cyclic collector would walk them again and again as they pile up.
        with _collector_paused():
            return cls._build(tuple(entries), normalizer, thresholds, scoring)

    @classmethod
    def _build(
        cls,
        entries: tuple[FaqEntry, ...],
        normalizer: Normalizer,
        thresholds: Thresholds,
        scoring: Scoring | None,
    ) -> Matcher:
        local = normalizer.with_content_words(content_words(entries, normalizer.lexicon))
        # A generator: the index keeps what it needs, so the normalized texts can go.
        phrasings = (
            (number, local.normalize(phrasing))
            for number, entry in enumerate(entries)
            for phrasing in entry.phrasings
        )
        spellings: dict[str, str] = {}
        keys: dict[str, str] = {}
        # Each answer's pairs kept as a tuple (in the set's order) until the reranker takes
        # them: 10,000 sets held at once would raise the build's peak memory.
        answers = [
            (tokens, tuple(pairs))
            for tokens, pairs in (answer_words(e.answer, spellings, keys) for e in entries)
        ]
        texts = [tokens for tokens, _ in answers]
        lexicon = normalizer.lexicon
        table, entry_concepts = concept_table(lexicon.concepts, entries, local)
        index = MatchIndex(
            len(entries),
            phrasings,
            lexicon.light,
            scoring,
            texts,
            lexicon.light_accented,
            table,
            entry_concepts,
        )
        tokens, pairs = index.phrasing_tokens, index.pair_sets
        index.reranker = Reranker(
            [
                tuple(chain.from_iterable(tokens[p] + pairs[p] for p in phrasings))
                for phrasings in index.entry_phrasings
            ],
            [(*index.answer_tokens[e], *said_pairs) for e, (_, said_pairs) in enumerate(answers)],
            entry_concepts,
            [table.vocabulary(tokens) for tokens in entry_concepts],
        )
        # Questions may glue words ("nophoso"): the index's syllable pairs pick the cut.
        for_queries = local.with_content_words((), pairs=index.pair_df)
        return cls(tuple(e.id for e in entries), index, for_queries, thresholds)

    def with_thresholds(self, thresholds: Thresholds) -> Matcher:
        """Same index, other policy (cheap; for threshold sweeps)."""
        return Matcher(self.entry_ids, self.index, self.normalizer, thresholds, self.calibration)

    def with_scoring(self, scoring: Scoring) -> Matcher:
        """Same index, another confidence model (for fitting and experiments)."""
        index = self.index.with_scoring(scoring)
        return Matcher(self.entry_ids, index, self.normalizer, self.thresholds, self.calibration)

    def with_calibration(self, calibration: Calibration) -> Matcher:
        return Matcher(self.entry_ids, self.index, self.normalizer, self.thresholds, calibration)

    def scores(self, text: str) -> tuple[str, list[EntryScore]]:
        """The query key and every candidate's index score (for fitting the index)."""
        normalized = self.normalizer.normalize(text)
        return normalized.key, self.index.score(normalized)

    def analyse(self, text: str, *, redacted: bool = False) -> Analysis:
        """Calibrated candidates for ``text`` (for the policy, evaluation and sweeps).

        ``redacted``: the caller already replaced personal data (the assistant does, on
        arrival), so the letter reader does not search the text for it again."""
        return analyse(text, self.index, self.normalizer, self.calibration, redacted=redacted)

    def match(self, text: str, limit: int = 3, *, redacted: bool = False) -> MatchResult:
        analysis = self.analyse(text, redacted=redacted)
        return decide(analysis, self.entry_ids, self.thresholds, limit)


def decide(
    analysis: Analysis,
    entry_ids: tuple[str, ...],
    thresholds: Thresholds,
    limit: int = 3,
) -> MatchResult:
    """The policy: answer, offer up to ``limit`` choices, or admit there is no match.

    One entry is answered when it alone is likely right, clearly ahead of the runner-up, and
    a short question names no thing the entry never mentions; choices are offered when the
    candidates together are likely to hold the right one; otherwise, or when the question is
    about a matter no entry answers (concepts.yaml), the honest fallback. A
    letter whose other question sentence clearly asks about another entry gets that entry
    offered beside the answer.
    """
    limit = max(1, limit)
    key = analysis.key
    personal = analysis.reading.personal_data
    ranked = analysis.ranked
    if not ranked:
        return MatchResult("no_match", (), key, 0.0, personal_data=personal)
    best = ranked[0]
    rivals = [r.confidence for r in ranked[1:] if not analysis.other_question(r)]
    margin = round(best.confidence - (rivals[0] if rivals else 0.0), 4)
    # Rounded down, so shown confidences never add up to more than one.
    top = tuple(Candidate(entry_ids[r.entry], _floor4(r.confidence)) for r in ranked[:limit])
    # A vague in-scope question ("tài khoản") fits several entries: none is likely alone, yet
    # the index is sure the question is about them; choices help there too.
    likely = sum(r.confidence for r in ranked[:limit])
    in_scope = sum(r.raw for r in ranked)
    vague = likely < thresholds.suggest and in_scope < max(VAGUE_IN_SCOPE, thresholds.suggest)
    # A vague message stays vague when it names a situation the best entry answers
    # (concepts.yaml): on questions the phrases were not written for, that offered choices
    # only to questions no entry answers (bench/eval_unseen.py).
    # About a matter no entry answers: neighbours sharing a word are not what was meant,
    # unless the message also describes a situation the best entry answers (a divorce told
    # on the way to asking for a marital-status paper): then choices, never an answer.
    # (In a letter, only a situation told in a question sentence counts so: one told in the
    # backstory of a question about such a matter is the citizen's context.)
    if vague or (best.uncovered and (not best.situation or best.asked_uncovered)):
        return MatchResult("no_match", top, key, margin, personal_data=personal)
    if (
        not best.uncovered
        and best.confidence >= thresholds.answer
        and margin >= thresholds.margin
        and not best.key_missing
        and not _concept_only(best, ranked, thresholds)
    ):
        also = _also_asked(analysis, entry_ids, thresholds)
        return MatchResult("answered", top, key, margin, also, personal)
    offered = tuple(c for c in top if c.confidence >= MIN_CHOICE)
    return MatchResult("ambiguous", offered or top[:1], key, margin, personal_data=personal)


def _concept_only(best: Ranked, ranked: Sequence[Ranked], thresholds: Thresholds) -> bool:
    """Only the situation phrase (concepts.yaml) makes the best entry likely enough: one
    signal, not an answer. Concept phrases are written by hand and reach new wordings least
    reliably, so an answer needs the words of the message to agree: the index's wording
    match, or (when the other signals already make the entry a plausible choice) the
    reranker's evidence, must put the entry first. Otherwise it is offered as a choice."""
    if not best.situation or best.without_concept >= thresholds.answer:
        return False
    if best.raw >= max(r.raw for r in ranked):
        return False
    if best.without_concept < thresholds.suggest:
        return True
    return best.features[_EVIDENCE] < max(r.features[_EVIDENCE] for r in ranked)


def _also_asked(
    analysis: Analysis, entry_ids: tuple[str, ...], thresholds: Thresholds
) -> tuple[Candidate, ...]:
    """Another entry a question sentence of the message ranks first, if it is likely."""
    for ranked in analysis.ranked[1:]:
        if analysis.other_question(ranked) and ranked.confidence >= thresholds.also:
            return (Candidate(entry_ids[ranked.entry], _floor4(ranked.confidence)),)
    return ()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the block (as it was after it)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _floor4(value: float) -> float:
    return math.floor(value * 10_000) / 10_000


def concept_table(
    concepts: Concepts, entries: Sequence[FaqEntry], normalizer: Normalizer
) -> tuple[ConceptTable, list[tuple[str, ...]]]:
    """Concept phrases in key spelling, and per entry the concept tokens it answers."""
    table = concept_phrases(concepts, {entry.id for entry in entries}, normalizer)
    linked = table.linked
    per_entry = [
        tuple(t for t in concepts.entry_tokens(entry.id) if t in linked) for entry in entries
    ]
    return table, per_entry


def concept_phrases(
    concepts: Concepts, present: Collection[str], normalizer: Normalizer
) -> ConceptTable:
    """The concept table of a knowledge base whose entry ids are ``present``."""
    phrases: dict[Parts, str] = {}
    spelled: dict[Parts, Parts] = {}
    linked: set[str] = set()
    open_matters: set[str] = set()
    light = normalizer.lexicon.light
    for concept in concepts.concepts:
        if any(e in present for e in concept.entries):
            linked.add(concept.token)
        elif concept.entries:
            continue  # its entries are not published here: it marks nothing
        else:
            open_matters.add(concept.token)
        for phrase in concept.phrases:
            keys: list[tuple[str, ...]] = []
            accents: list[tuple[str, ...]] = []
            for part in split_gaps(phrase):
                normalized = normalizer.normalize(" ".join(part))
                keys.append(normalized.tokens)
                accents.append(normalized.accents or normalized.tokens)
            words = [t for part in keys for t in part]
            # Fillers dropped from a phrase ("cách nhận" → "nhận") can leave an everyday word
            # that would tag half the questions: such a phrase is skipped.
            shrunk = len(words) < len(phrase) - (len(keys) - 1) and len(words) == 1
            if not all(keys) or shrunk or all(t in light for t in words):
                continue
            parts = tuple(keys)
            phrases.setdefault(parts, concept.token)
            if any(not a.isascii() for part in accents for a in part):
                spelled.setdefault(parts, tuple(accents))
    return ConceptTable(phrases, linked, spelled, open_matters)


def content_words(entries: Iterable[FaqEntry], lexicon: Lexicon) -> set[str]:
    """Folded words the entries need, read from phrasings written with diacritics.

    Only accented phrasings count: there "thi" is the exam, not an unaccented "thì".
    """
    single_fillers = {phrase[0] for phrase in lexicon.fillers if len(phrase) == 1}
    # All of them in one text, a line each: no word, composition or final sigma crosses a
    # line break, so its words are theirs, read in one pass instead of one per phrasing.
    accented = "\n".join(p for entry in entries for p in entry.phrasings if not p.isascii())
    words = set(_WORD_RE.findall(unicodedata.normalize("NFC", accented).lower()))
    return {fold(word) for word in words - single_fillers}


def answer_pairs(answer: str, cache: dict[str, str] | None = None) -> set[str]:
    """Adjacent key-word pairs of an answer ("giay_chung", "chung_sinh"), sentence by sentence.

    ``cache`` maps words to their key form across answers (they share most words)."""
    return _pairs(_sentence_words(answer), {} if cache is None else cache)


def _sentence_words(answer: str) -> list[list[str]]:
    return [_WORD_RE.findall(sentence) for sentence in _SENTENCE_RE.split(answer.lower())]


def _pairs(sentences: list[list[str]], cache: dict[str, str]) -> set[str]:
    found: set[str] = set()
    for words in sentences:
        keys = [cache.get(w) or cache.setdefault(w, key_token(w)) for w in words]
        found.update(map("_".join, pairwise(keys)))
    return found


def answer_tokens(answer: str, cache: dict[str, str] | None = None) -> frozenset[str]:
    """Accented tokens of an answer, spelled as the normalizer spells them."""
    words = set(_WORD_RE.findall(unicodedata.normalize("NFC", answer).lower()))
    return _spelled(words, {} if cache is None else cache)


def answer_words(
    answer: str, spellings: dict[str, str], keys: dict[str, str]
) -> tuple[frozenset[str], set[str]]:
    """``answer_tokens`` and ``answer_pairs`` of one answer (``spellings`` and ``keys``
    their caches), its words found once when it is in NFC as the knowledge base keeps it:
    splitting at sentence marks cuts no word, so the sentences' words are the answer's."""
    if not unicodedata.is_normalized("NFC", answer):
        return answer_tokens(answer, spellings), answer_pairs(answer, keys)
    sentences = _sentence_words(answer)
    return _spelled(set(chain.from_iterable(sentences)), spellings), _pairs(sentences, keys)


def _spelled(found: set[str], cache: dict[str, str]) -> frozenset[str]:
    words: set[str] = set()
    for word in found:
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
