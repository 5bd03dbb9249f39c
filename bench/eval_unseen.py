"""An estimate of how stories fare when the concept phrases were not written on them.

The concept phrases (knowledge/concepts.yaml) were written while reading tune's failures, so
tune flatters them. Here tune is split into the two fixed halves of eval_halves.py, and each
half is evaluated with the phrases that fire on that half alone removed (a phrase that also
fires on the other half, or on no tune row, is general enough to keep). Never run on test.

    .venv/bin/python bench/eval_unseen.py [--failures]
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from eval_halves import SEED, show  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.core import concepts as concepts_module  # noqa: E402
from bot.core.concepts import Concept, Concepts, split_gaps  # noqa: E402
from bot.core.evaluation import EvalRow, evaluate, read_rows  # noqa: E402
from bot.core.match import Matcher  # noqa: E402
from bot.core.normalize import Normalizer  # noqa: E402
from bot.runtime import build_matcher_from_dir, load_kb_source, load_normalizer  # noqa: E402

Parts = tuple[tuple[str, ...], ...]


def fired(matcher: Matcher, rows: Sequence[EvalRow]) -> list[set[Parts]]:
    """Per row, the concept phrase parts (key spelling) that matched it."""
    seen: set[Parts] = set()
    original = concepts_module._match

    def recording(tokens, accents, start, parts, spelled):  # type: ignore[no-untyped-def]
        span = original(tokens, accents, start, parts, spelled)
        if span is not None:
            seen.add(parts)
        return span

    concepts_module._match = recording
    try:
        found: list[set[Parts]] = []
        for row in rows:
            seen.clear()
            matcher.analyse(row.query)
            found.append(set(seen))
        return found
    finally:
        concepts_module._match = original


def parts_of(phrase: tuple[str, ...], normalizer: Normalizer) -> Parts:
    return tuple(normalizer.normalize(" ".join(p)).tokens for p in split_gaps(phrase))


def main() -> int:
    settings = Settings()
    kb = load_kb_source(settings.knowledge_dir / "faq", settings)
    matcher = build_matcher_from_dir(settings.knowledge_dir / "faq", settings)
    normalizer = load_normalizer(settings)
    known = set(matcher.entry_ids)
    rows = read_rows(ROOT / "tests/data/eval/tune.jsonl")
    order = list(range(len(rows)))
    random.Random(SEED).shuffle(order)
    in_a = set(order[: len(rows) // 2])
    found = fired(matcher, rows)
    halves = {"A": {i for i in range(len(rows)) if i in in_a}}
    halves["B"] = set(range(len(rows))) - halves["A"]
    local = matcher.normalizer
    for name, half in halves.items():
        own = {p for i in half for p in found[i]}
        other = {p for i in range(len(rows)) if i not in half for p in found[i]}
        drop = own - other
        kept: list[Concept] = []
        dropped = 0
        for concept in normalizer.lexicon.concepts.concepts:
            phrases = tuple(p for p in concept.phrases if parts_of(p, local) not in drop)
            dropped += len(concept.phrases) - len(phrases)
            kept.append(replace(concept, phrases=phrases))
        lexicon = replace(normalizer.lexicon, concepts=Concepts.build(kept))
        ablated = Matcher.build(
            kb, Normalizer(lexicon, max_chars=normalizer.max_chars), matcher.thresholds
        )
        ablated = ablated.with_calibration(matcher.calibration)
        print(f"{name}: {dropped} phrases fire only on this half and are removed")
        report = evaluate(ablated, [rows[i] for i in sorted(half)], known)
        show(f"{name} unseen", report)
        if "--failures" in sys.argv:
            for outcome in report.failures:
                result = outcome.result
                shown = [f"{c.faq_id} {c.confidence:.2f}" for c in result.candidates]
                print(f"  {outcome.row.style:9} {outcome.row.expect} {result.status} {shown}")
                print(f"      {outcome.row.query[:160]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
