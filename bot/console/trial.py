"""The "thử câu hỏi" panel: what the matcher answers before and after an unsaved edit.

Before is the live matcher itself. After cannot rebuild the live index per keystroke (that
takes seconds at 10,000 entries), so it scores against a small matcher built from the live
top candidates of each test question plus the edited entry. Only the edited entry changes, and
any entry the live matcher does not rank near a question cannot win it after the edit either;
so the small matcher ranks the entries that matter. Its confidences are relative to fewer
entries, so the same small matcher is also built with the entry as it was: when that "before"
differs from the live answer, the row says the "after" is an estimate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from bot.console.memo import Memo
from bot.core.knowledge import FaqEntry, KnowledgeBase
from bot.core.live import Snapshot
from bot.core.match import Matcher, MatchResult, Thresholds
from bot.core.normalize import Normalizer

CANDIDATES = 10  # live candidates per test question
MAX_QUESTIONS = 20
STATUS_LABELS = {
    "answered": "Trả lời",
    "ambiguous": "Đưa lựa chọn",
    "no_match": "Không trả lời được",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    status: str
    faq_id: str | None  # the answered entry, or the first choice
    question: str
    confidence: float
    choices: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True, slots=True)
class TrialRow:
    question: str
    before: Verdict
    after: Verdict
    estimate: bool  # the small matcher did not reproduce the live answer

    @property
    def changed(self) -> bool:
        return (self.before.status, self.before.faq_id) != (self.after.status, self.after.faq_id)


def _verdict(result: MatchResult, kb: KnowledgeBase, edited: FaqEntry) -> Verdict:
    if not result.candidates or result.status == "no_match":
        return Verdict("no_match", None, "", 0.0)
    top = result.candidates[0]
    entry = edited if top.faq_id == edited.id else kb.get(top.faq_id)
    return Verdict(
        result.status,
        top.faq_id,
        entry.question if entry else top.faq_id,
        top.confidence,
        tuple(c.faq_id for c in result.candidates),
    )


def test_questions(raw: str) -> list[str]:
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    return list(dict.fromkeys(lines))[:MAX_QUESTIONS]


def run_trial(
    snapshot: Snapshot,
    normalizer: Normalizer,
    thresholds: Thresholds,
    edited: FaqEntry,
    questions: Sequence[str],
) -> list[TrialRow]:
    if not questions:
        return []
    live = snapshot.matcher
    befores = [live.match(q, limit=CANDIDATES) for q in questions]
    original = snapshot.kb.get(edited.id)
    candidate = dataclasses.replace(edited, status="published")  # as once published
    if original is not None and original == candidate:
        # Nothing changed (the editor just opened): after is the live answer, no index built.
        same = [_trim(_verdict(result, snapshot.kb, edited)) for result in befores]
        return [TrialRow(q, v, v, estimate=False) for q, v in zip(questions, same, strict=True)]
    ids = {c.faq_id for result in befores for c in result.candidates} - {edited.id}
    others = [e for e in snapshot.kb.entries if e.id in ids and e.status == "published"]
    after_matcher = _small(snapshot, [*others, candidate], normalizer, thresholds)
    old_pool = others
    if original is not None and original.status == "published":
        old_pool = [*others, original]
    before_matcher = _before(snapshot, old_pool, normalizer, thresholds)
    rows = []
    for question, before in zip(questions, befores, strict=True):
        live_verdict = _trim(_verdict(before, snapshot.kb, edited))
        small_before = _verdict(before_matcher.match(question), snapshot.kb, edited)
        after = _verdict(after_matcher.match(question), snapshot.kb, candidate)
        if _same(small_before, after):
            rows.append(TrialRow(question, live_verdict, live_verdict, estimate=False))
        else:
            estimate = not _same(small_before, live_verdict)
            rows.append(TrialRow(question, live_verdict, after, estimate))
    return rows


def _same(a: Verdict, b: Verdict) -> bool:
    return (a.status, a.faq_id) == (b.status, b.faq_id)


def _trim(verdict: Verdict) -> Verdict:
    # The live result was asked for CANDIDATES choices; citizens see at most three.
    return dataclasses.replace(verdict, choices=verdict.choices[:3])


# While staff type, the test questions (so the pool) rarely change: the "before" matcher of a
# pool is built once per snapshot. Values hold the snapshot itself, so an id is never reused.
_BEFORE: Memo[tuple[Snapshot, Matcher]] = Memo(16)


def _before(
    snapshot: Snapshot, entries: list[FaqEntry], normalizer: Normalizer, thresholds: Thresholds
) -> Matcher:
    key = (id(snapshot), tuple(sorted(e.id for e in entries)))
    cached = _BEFORE.get(key)
    if cached is not None and cached[0] is snapshot:
        return cached[1]
    return _BEFORE.put(key, (snapshot, _small(snapshot, entries, normalizer, thresholds)))[1]


def _small(
    snapshot: Snapshot, entries: list[FaqEntry], normalizer: Normalizer, thresholds: Thresholds
) -> Matcher:
    kb = KnowledgeBase.build(snapshot.kb.categories, entries)
    return Matcher.build(kb, normalizer, thresholds)
