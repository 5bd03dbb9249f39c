"""The "thử câu hỏi" panel: what the matcher answers before and after an unsaved edit.

Before is the live matcher itself. After is the live matcher with the edited entry put in
(as once published; a disabled entry taken out), made by patching the live index rather than
rebuilding it (bot.core.match_patch: milliseconds instead of seconds at 10,000 entries), so
it answers exactly as the matcher rebuilt after saving would. Only when the edit changes the
knowledge base's vocabulary (a word no entry used before) is the index rebuilt.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from bot.console.memo import Memo
from bot.core.knowledge import FaqEntry, KnowledgeBase
from bot.core.live import Snapshot
from bot.core.match import Matcher, MatchResult, Thresholds
from bot.core.match_patch import Base, replace_entry
from bot.core.normalize import Normalizer

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
    befores = [_verdict(_live(snapshot, q), snapshot.kb, edited) for q in questions]
    after_matcher = _after(snapshot, normalizer, thresholds, edited)
    if after_matcher is None:
        return [TrialRow(q, v, v) for q, v in zip(questions, befores, strict=True)]
    candidate = dataclasses.replace(edited, status="published")
    return [
        TrialRow(q, before, _verdict(after_matcher.match(q), snapshot.kb, candidate))
        for q, before in zip(questions, befores, strict=True)
    ]


# While staff type, the test questions rarely change: the live answer to each is matched once
# per snapshot. Values hold the snapshot itself, so an id is never reused while remembered.
_LIVE: Memo[tuple[Snapshot, MatchResult]] = Memo(256)


def _live(snapshot: Snapshot, question: str) -> MatchResult:
    key = (id(snapshot), question)
    held = _LIVE.get(key)
    if held is not None and held[0] is snapshot:
        return held[1]
    return _LIVE.put(key, (snapshot, snapshot.matcher.match(question)))[1]


def _after(
    snapshot: Snapshot, normalizer: Normalizer, thresholds: Thresholds, edited: FaqEntry
) -> Matcher | None:
    """The matcher once ``edited`` is saved and published (or disabled), or None when that
    is the live one (the editor just opened, or a draft stays out)."""
    original = snapshot.kb.get(edited.id)
    live = original is not None and original.status == "published"
    if edited.status == "disabled":
        if not live:
            return None
        replacement, removed = None, edited.id
    else:
        replacement, removed = dataclasses.replace(edited, status="published"), None
        if live and original == replacement:
            return None
    base = _base(snapshot, normalizer)
    patched = replace_entry(base, replacement, removed)
    if patched is not None:
        return patched
    # A word no entry used before changes how every phrasing is read: rebuild (seconds).
    entries = [e for e in snapshot.kb.published if e.id != edited.id]
    if replacement is not None:
        position = next(
            (n for n, e in enumerate(snapshot.kb.published) if e.id == edited.id), len(entries)
        )
        entries.insert(position, replacement)
    return Matcher.build_from_entries(entries, normalizer, thresholds)


# Per snapshot, what patching its matcher needs (worked out on the first trial). Values hold
# the snapshot itself, so an id is never reused while it is remembered.
_BASES: Memo[tuple[Snapshot, Base]] = Memo(2)
_BASES_LOCK = threading.Lock()


def _base(snapshot: Snapshot, normalizer: Normalizer) -> Base:
    with _BASES_LOCK:
        held = _BASES.get(id(snapshot))
        if held is not None and held[0] is snapshot:
            return held[1]
        base = Base(snapshot.matcher, snapshot.kb.published, normalizer)
        return _BASES.put(id(snapshot), (snapshot, base))[1]


def prepare(snapshot: Snapshot, normalizer: Normalizer) -> None:
    """Work out what the first trial on ``snapshot`` would (call at start, off the loop)."""
    _base(snapshot, normalizer).vocabulary()
