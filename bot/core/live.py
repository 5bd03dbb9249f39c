"""The live knowledge: an immutable snapshot swapped in one step when knowledge changes."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.knowledge import KnowledgeBase
from bot.core.match import Matcher, Thresholds
from bot.core.normalize import Normalizer


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a question is answered from; never mutated after it is built."""

    kb: KnowledgeBase
    matcher: Matcher
    version: int = 0


def build_snapshot(
    kb: KnowledgeBase, normalizer: Normalizer, thresholds: Thresholds, version: int = 0
) -> Snapshot:
    """Build a new index beside the live one (CPU-bound: call it in a worker thread)."""
    return Snapshot(kb, Matcher.build(kb, normalizer, thresholds), version)


class LiveKnowledge:
    """Holds the current snapshot; readers take one reference and use it for a whole message."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot

    @property
    def current(self) -> Snapshot:
        return self._snapshot

    def swap(self, snapshot: Snapshot) -> None:
        # A single reference assignment: a reader sees either the old or the new index whole.
        self._snapshot = snapshot
