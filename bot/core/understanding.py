"""From a message to calibrated candidates: views of the message, scored and combined.

A short question is one view. A letter gives several: its content without courtesy and
personal data, and each question sentence on its own (the topic buried in sentence three
wins there). Every entry keeps its best view; the calibration (calibration.py) turns the
signals of that view into P(the entry is what was asked).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from itertools import pairwise

from bot.core.calibration import FEATURES, Calibration, length_feature, logit
from bot.core.letters import Reading, read_message
from bot.core.match_index import EntryScore, MatchIndex
from bot.core.normalize import Normalizer
from bot.core.reranker import shares
from bot.core.scoring import Query

MAX_RANKED = 8  # candidates kept per message after combining the views
FIT_SCALE = 2.0  # mean log-likelihood ratio per word that counts as a clear fit
EVIDENCE_TEMPERATURE = 2.0  # softens the reranker's softmax (log-likelihoods differ by nats)
# ... for up to this many known words; a longer message's log-likelihood ratios are sums over
# more words, whose spread grows like the square root of their number, so the temperature
# grows with it: a story's many off-topic words do not hand one entry all the evidence.
EVIDENCE_WORDS = 12
WHOLE_VIEW_CHARS = 600  # of a letter with question sentences
QUESTION_CANDIDATES = 6  # entries reranked for each question sentence of a letter
SHORT_QUESTION_WORDS = 8  # a question sentence shorter than this is read with the one before
# A story rarely names the entry's words, so the index's few candidates can miss the entry
# its situation points to: the reranker also picks from a wider pool of the index's postings.
POOL = 24  # entries the reranker reads for a story
# ... of more than this many words (a shorter question names its topic) and at most this many:
# a longer message is a letter, whose question sentences are matched on their own already
# (and the reranker's cost grows with the words it reads).
POOL_FROM_WORDS = 12
POOL_WORDS = 45
POOL_PICKS = 1  # ... and the best of them it adds to the candidates (1-5 do the same)
# ... read only when the index's own best candidate is this unsure: a story whose words reach
# its entry needs no wider pool (the reranker's cost is most of a story's).
POOL_BELOW = 0.5
MEDIUM_QUESTION_WORDS = 15  # a question this long still names its topic in few words
COMPOUND_WEIGHT = 2.5  # a word this heavy (idf) names a thing, with its neighbour
# "giấy xác nhận cư trú để vay vốn": what follows "để" (in order to) is the purpose of the
# paper asked for, within this many words.
PURPOSE, PURPOSE_ACCENTED = "de", "để"
PURPOSE_WORDS = 8
PAPER = "giay"  # a paper asked for names itself just before "để" ...
PAPER_PAIRS = frozenset(
    {("xac", "nhan"), ("chung", "nhan"), ("ban", "sao"), ("trich", "luc"), ("chung", "tu")}
)
_UNCOVERED = FEATURES.index("uncovered")
_CONCEPT = FEATURES.index("concept")


@dataclass(frozen=True, slots=True)
class Ranked:
    """One candidate entry with its calibrated confidence."""

    entry: int
    confidence: float
    raw: float  # the index's own confidence in the best view
    view: int  # which view ranked it best (0: the whole message)
    features: tuple[float, ...]
    key_missing: bool  # a short question names a thing the entry never mentions
    uncovered: bool  # about a matter no entry answers (concepts.yaml) or a thing no text names
    # The confidence the other signals give without the situation (concept) one: a story's
    # concept phrases are the weakest-generalising evidence, so they alone never answer.
    without_concept: float = 0.0
    # A letter whose every question sentence asks about a matter no entry answers (not one
    # this entry's wordings name), with no situation this entry answers in any of them: a
    # situation it answers told only in the backstory ("we married in 2015…") is context.
    asked_uncovered: bool = False

    @property
    def situation(self) -> bool:
        """The message describes a situation (concepts.yaml) this entry answers."""
        return self.features[_CONCEPT] > 0


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything the policy decides from."""

    key: str  # the normalized whole message (for logs)
    ranked: tuple[Ranked, ...]  # best first
    reading: Reading
    view_tops: tuple[int | None, ...]  # per view, the entry it ranks first

    def other_question(self, ranked: Ranked) -> bool:
        """The entry answers another question sentence than the best entry does: two
        questions, not two readings of one, so it is no rival to the answer."""
        best = self.ranked[0]
        return (
            ranked.view > 0
            and ranked.view != best.view
            and self.view_tops[ranked.view] == ranked.entry
            and best.entry not in (self.view_tops[ranked.view], ranked.entry)
        )


@dataclass(frozen=True, slots=True)
class _View:
    query: Query
    scores: list[EntryScore]
    words: int


def analyse(
    text: str,
    index: MatchIndex,
    normalizer: Normalizer,
    calibration: Calibration,
    *,
    redacted: bool = False,
) -> Analysis:
    reading = read_message(text, redacted=redacted)
    texts = [reading.text]
    if reading.is_letter:
        texts += [_question_view(reading, i) for i in reading.questions]
    views: list[_View] = []
    picks: set[int] = set()  # entries the reranker added to the whole message's candidates
    known: dict[int, float] = {}  # the reranker's scores for the whole message, once each
    key = ""
    for number, view_text in enumerate(texts):
        # A long letter's question sentences are matched on their own: its whole text is
        # read only so far, which bounds the cost of a 10,000-character message.
        limit = WHOLE_VIEW_CHARS if number == 0 and len(texts) > 1 else None
        normalized = normalizer.normalize(view_text, limit)
        if number == 0:
            key = normalized.key
        query = index.query(normalized)
        # A question sentence is short and its topic is usually among the first few.
        scores = index.score_query(query, QUESTION_CANDIDATES if number else None)
        if (
            number == 0
            and POOL_FROM_WORDS < len(normalized.tokens) <= POOL_WORDS
            and (not scores or scores[0].confidence < POOL_BELOW)
        ):
            entries, picked = _pool_picks(index, query, known)
            picks.update(picked)
            scores = index.score_query(query, None, entries)
        views.append(_View(query, scores, len(normalized.tokens)))
    view_tops = tuple(v.scores[0].entry if v.scores else None for v in views)
    best: dict[int, tuple[EntryScore, int]] = {}
    for number, view in enumerate(views):
        for score in view.scores:
            held = best.get(score.entry)
            if held is None or score.confidence > held[0].confidence:
                best[score.entry] = (score, number)
    ordered = sorted(best.values(), key=lambda item: -item[0].confidence)
    # The reranker's picks stay however weak the index finds them: their wording is far from
    # the message's, which is why the index missed them.
    ordered = [
        item
        for position, item in enumerate(ordered)
        if position < MAX_RANKED or item[0].entry in picks
    ]
    if not ordered:
        return Analysis(key, (), reading, view_tops)
    words = views[0].words
    evidence, fits = _evidence(index, views[0].query, [score.entry for score, _ in ordered], known)
    ranked: list[Ranked] = []
    for position, (score, number) in enumerate(ordered):
        other = ordered[1][0].confidence if position == 0 and len(ordered) > 1 else 0.0
        if position > 0:
            other = ordered[0][0].confidence
        view = views[number]
        features = _features(
            index, view, score, other, words, view_tops, evidence[position], fits[position]
        )
        # A short question naming a thing the entry never mentions is likely about it.
        # (A matter no entry answers that the entry's own wordings name is not such a thing.)
        context = index.context_matters[score.entry]
        missing = [token for token in score.missing_rare if token not in context]
        key_missing = bool(missing) and view.words <= index.scoring.short_query
        # ... and one naming a thing no text uses, beside a word the entry shares, is about
        # another matter: as one no entry answers (concepts.yaml), no neighbour is offered.
        strange = _strange_word(index, view, score.entry)
        confidence = calibration.confidence(features)
        without = (
            calibration.confidence((*features[:_CONCEPT], 0.0, *features[_CONCEPT + 1 :]))
            if features[_CONCEPT]
            else confidence
        )
        asked = (
            features[_UNCOVERED] > 0
            and len(views) > 1
            and all(_asks_uncovered(index, v.query, score.entry) for v in views[1:])
        )
        ranked.append(
            Ranked(
                score.entry,
                confidence,
                score.confidence,
                number,
                features,
                key_missing,
                features[_UNCOVERED] > 0
                or strange
                or (key_missing and _unknown_thing(view.query, missing)),
                without,
                asked,
            )
        )
    ranked.sort(key=lambda r: -r.confidence)
    analysis = Analysis(key, tuple(ranked), reading, view_tops)
    # Only one entry can be the answer to one question: rivals share one probability mass
    # (the answer to another question sentence of the same letter is no rival).
    rivals = [r for r in ranked if not analysis.other_question(r)]
    mass = sum(r.confidence for r in rivals)
    if mass <= 1.0:
        return analysis
    shared = tuple(
        r
        if analysis.other_question(r)
        else replace(r, confidence=r.confidence / mass, without_concept=r.without_concept / mass)
        for r in ranked
    )
    return replace(analysis, ranked=tuple(sorted(shared, key=lambda r: -r.confidence)))


def _asks_uncovered(index: MatchIndex, query: Query, entry: int) -> bool:
    """A question sentence names a matter no entry answers (and ``entry``'s wordings do not
    name as context) and no situation ``entry`` answers."""
    supported, uncovered = _situations(index, query, entry)
    return uncovered and not supported


def _situations(index: MatchIndex, query: Query, entry: int) -> tuple[bool, bool]:
    """Whether the query names a situation (concepts.yaml) ``entry`` answers, and whether it
    names a matter no entry answers that is not one ``entry``'s own wordings name, nor the
    purpose of a situation ``entry`` answers (``_purposes``)."""
    concepts = [t for t in query.terms if t.token.startswith("~")]
    supported = [
        t.token for t in concepts if not t.unknown and index.mentions(query, entry, t.token)
    ]
    context = index.context_matters[entry]  # open matters its own wordings name
    uncovered = {t.token for t in concepts if t.unknown and t.token not in context}
    if uncovered and supported and PURPOSE in query.sequence:
        uncovered -= _purposes(index, query, set(supported), {t.token for t in concepts})
    return bool(supported), bool(uncovered)


def _purposes(index: MatchIndex, query: Query, supported: set[str], named: set[str]) -> set[str]:
    """Matters no entry answers that the message names only as what it needs a situation the
    entry answers for: "giấy xác nhận cư trú để vay vốn", "giấy hộ nghèo để xin miễn học
    phí". The paper asked for comes before "để" (in order to), the purpose right after it;
    a matter asked about itself ("cần gì để ly hôn") has no such situation before it, and one
    the message also names outside such a purpose is asked about. ``named``: the query's
    concept tokens."""
    accents = query.accents
    if accents is not None and accents.get(PURPOSE, PURPOSE_ACCENTED) != PURPOSE_ACCENTED:
        return set()  # "dễ", "đề": not "để"
    find = index.concepts.find
    open_matters = index.concepts.open
    sequence = query.sequence
    purposes: set[str] = set()
    outside: set[str] = set()
    start = 0  # the first word not yet read
    for at, token in enumerate(sequence):
        if token != PURPOSE or at < start:
            continue
        outside.update(find(sequence[start:at])[0])
        start = at
        if not supported & outside or not _asks_paper(sequence[max(0, at - PURPOSE_WORDS) : at]):
            continue
        start = at + 1 + PURPOSE_WORDS
        window = find(sequence[at + 1 : start])[0]
        purposes.update(t for t in window if t in open_matters and t in named)
    outside.update(find(sequence[start:])[0])
    return purposes - outside


def _asks_paper(words: tuple[str, ...]) -> bool:
    """The words name a paper ("giấy", "xác nhận", "bản sao"…): what "để" then follows is
    the paper's purpose ("mua đất để đầu tư" is no paper: its purpose may be the question)."""
    return PAPER in words or not PAPER_PAIRS.isdisjoint(pairwise(words))


def _evidence(
    index: MatchIndex, query: Query, entries: list[int], known: dict[int, float]
) -> tuple[list[float], list[float]]:
    """Per candidate: its share of the reranker's evidence for the whole message, and how
    well the message fits it at all (mean log-likelihood ratio per known word, squashed):
    a share is relative, so an out-of-scope question still hands most of it to someone.
    ``known``: scores the reranker already gave some entries for this query."""
    reranker = index.reranker
    if reranker is None:
        return [0.0] * len(entries), [0.0] * len(entries)
    tokens = _reranker_tokens(query)
    missing = [entry for entry in entries if entry not in known]
    if missing:
        known.update(zip(missing, reranker.scores(tokens, missing), strict=True))
    scores = [known[entry] for entry in entries]
    words = max(1, sum(1 for t in set(tokens) if t in reranker.background))
    fits = [math.tanh(score / words / FIT_SCALE) for score in scores]
    return shares(scores, evidence_temperature(words)), fits


def _reranker_tokens(query: Query) -> list[str]:
    """What the reranker reads of a query: its words, syllable pairs and situations."""
    return [
        *query.sequence,
        *query.pairs,
        *(t.token for t in query.terms if t.token.startswith("~")),
    ]


def _pool_picks(
    index: MatchIndex, query: Query, known: dict[int, float]
) -> tuple[list[int], list[int]]:
    """The entries to score for a long message, and which of them the reranker added: of a
    wide retrieval pool, the index's own candidates and the entries beyond them that the
    reranker likes better than every one of those (only they are worth the probability mass
    they take from the others). ``known`` receives the reranker's scores."""
    own = index.scoring.candidates
    reranker = index.reranker
    if reranker is None:
        return index.retrieve(query, own), []
    pool = index.retrieve(query, POOL)
    scores = reranker.scores(_reranker_tokens(query), pool)
    known.update(zip(pool, scores, strict=True))
    if len(pool) <= own:
        return pool, []
    bar = max(scores[:own])
    beyond = sorted(
        (-score, entry)
        for score, entry in zip(scores[own:], pool[own:], strict=True)
        if score > bar
    )
    picked = [entry for _, entry in beyond[:POOL_PICKS]]
    return [*pool[:own], *picked], picked


def evidence_temperature(known: int) -> float:
    """The reranker softmax's temperature for a message of ``known`` known words."""
    return EVIDENCE_TEMPERATURE * max(1.0, math.sqrt(known / EVIDENCE_WORDS))


def _unknown_thing(query: Query, missing: list[str]) -> bool:
    """A thing-naming word of the question, ``missing`` from the entry, that no text of the
    knowledge base uses at all ("giá xăng"): no entry is plausibly what was meant."""
    unknown = {t.token for t in query.terms if t.rare and t.unknown and not t.spelled_nowhere}
    return any(token in unknown for token in missing)


def _strange_word(index: MatchIndex, view: _View, entry: int) -> bool:
    """A question of medium length (a short one: ``missing_rare``) with a compound one of
    whose words, typed with diacritics, no text of the knowledge base uses ("liệt sĩ"),
    beside a word that names a thing, and which the entry does not mention: its topic is
    likely a matter the entry merely shares the other word with. (Alone, an unused word is
    often everyday speech: "rối quá", "nén ntn".)"""
    if not index.scoring.short_query < view.words <= MEDIUM_QUESTION_WORDS:
        return False
    query = view.query
    strange = {
        t.token
        for t in query.terms
        if t.spelled_nowhere and not index.mentions(query, entry, t.token)
    }
    if not strange:
        return False
    weights = query.weights
    for first, second in pairwise(query.sequence):
        for odd, other in ((first, second), (second, first)):
            if (
                odd in strange
                and other not in strange
                and weights.get(other, 0.0) >= COMPOUND_WEIGHT
            ):
                return True
    return False


def _question_view(reading: Reading, index: int) -> str:
    """A question sentence, with the sentence before it when it is too short to name its
    topic ("Có thiệt không?", "Giờ tui xin sao cho lẹ?")."""
    sentence = reading.sentences[index]
    if index > 0 and len(sentence.split()) < SHORT_QUESTION_WORDS:
        return f"{reading.sentences[index - 1]} {sentence}"
    return sentence


def _features(
    index: MatchIndex,
    view: _View,
    score: EntryScore,
    other: float,
    words: int,
    view_tops: tuple[int | None, ...],
    evidence: float,
    fit: float,
) -> tuple[float, ...]:
    query = view.query
    rare_missing = (
        sum(query.weights[t] for t in score.missing_rare) / query.rare_total
        if query.rare_total
        else 0.0
    )
    supported, uncovered = _situations(index, query, score.entry)
    agreement = sum(top == score.entry for top in view_tops) / len(view_tops)

    return (
        logit(score.confidence),
        score.confidence - other,
        index.named_share(query, score.phrasing),
        rare_missing,
        float(supported),
        float(uncovered),
        length_feature(words),
        agreement,
        evidence,
        fit,
    )
