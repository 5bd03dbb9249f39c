"""An estimate of how stories fare when the concept phrases were not written on them.

The concept phrases (knowledge/concepts.yaml) were written while reading tune's failures, so
tune flatters them. Here tune is split into the two fixed halves of eval_halves.py, and each
half is evaluated with the phrases that fire on that half alone removed (a phrase that also
fires on the other half, or on no tune row, is general enough to keep). Never run on test.

    .venv/bin/python bench/eval_unseen.py [--failures] [--fit [--write]]

``--fit`` fits the calibration on features computed this way (the concept signal then weighs
what a hand-written phrase is worth on text it was not written for): on each half, checked on
the other, then on both; it prints the weights, and ``--write`` puts the both-halves fit in
bot/core/calibration.py (the default model since issue 11: fitted on tune's own phrases, the
concept signal weighed 1.73 and stories that no phrase names were left unanswered).
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

from eval_halves import SEED, line, show  # noqa: E402
from fit_calibration import write  # noqa: E402
from fit_scoring import fit_logistic  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.core import concepts as concepts_module  # noqa: E402
from bot.core.calibration import Calibration, expand  # noqa: E402
from bot.core.concepts import Concept, Concepts, split_gaps  # noqa: E402
from bot.core.evaluation import EvalRow, Tally, evaluate, read_rows, sweep  # noqa: E402
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


def samples(
    matcher: Matcher, rows: Sequence[EvalRow], known: set[str]
) -> tuple[list[tuple[float, ...]], list[int]]:
    xs: list[tuple[float, ...]] = []
    ys: list[int] = []
    for row in rows:
        if row.expect is not None and row.expect not in known:
            continue
        for ranked in matcher.analyse(row.query).ranked:
            xs.append(expand(ranked.features))
            ys.append(int(matcher.entry_ids[ranked.entry] == row.expect))
    return xs, ys


def fitted(xs: list[tuple[float, ...]], ys: list[int]) -> Calibration:
    bias, *weights = fit_logistic(xs, ys)
    return Calibration(tuple(round(w, 3) for w in weights), round(bias, 3))


def fit(
    ablated: dict[str, Matcher],
    halves: dict[str, set[int]],
    rows: Sequence[EvalRow],
    known: set[str],
    matcher: Matcher,
) -> None:
    data = {
        name: samples(ablated[name], [rows[i] for i in sorted(half)], known)
        for name, half in halves.items()
    }
    for name, other in (("A", "B"), ("B", "A")):
        calibration = fitted(*data[name])
        rows_other = [rows[i] for i in sorted(halves[other])]
        report = evaluate(ablated[other].with_calibration(calibration), rows_other, known)
        show(f"{other} unseen, fit on {name}", report)
        show(
            f"{other} tune, fit on {name}",
            evaluate(matcher.with_calibration(calibration), rows_other, known),
        )
    both = fitted(data["A"][0] + data["B"][0], data["A"][1] + data["B"][1])
    print(both)
    if "--write" in sys.argv:
        write(both)
    # Thresholds for the cross-fitted model on unseen features, and the current model's.
    for label, models in (
        ("cross-fit", {"A": fitted(*data["B"]), "B": fitted(*data["A"])}),
        ("current", {"A": matcher.calibration, "B": matcher.calibration}),
    ):
        tallies: dict[tuple[float, float], list[Tally]] = {}
        for name, half in halves.items():
            model = ablated[name].with_calibration(models[name])
            part = [rows[i] for i in sorted(half)]
            for point in sweep(model, part, (0.7, 0.75, 0.8, 0.85, 0.9), (0.3, 0.4, 0.5)):
                key = (point.thresholds.answer, point.thresholds.suggest)
                tallies.setdefault(key, []).append(point.tally)
        for (answer, suggest), (a, b) in sorted(tallies.items()):
            print(f"{label} answer {answer} suggest {suggest}")
            print("   " + line("A", a))
            print("   " + line("B", b))


def ablated_halves(
    show_failures: bool = False,
) -> tuple[Matcher, list[EvalRow], dict[str, set[int]], dict[str, Matcher], set[str]]:
    """The matcher, tune's rows, its two halves and, per half, the matcher without the
    concept phrases that fire on that half alone (each half's figures printed)."""
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
    ablated: dict[str, Matcher] = {}
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
        built = Matcher.build(
            kb, Normalizer(lexicon, max_chars=normalizer.max_chars), matcher.thresholds
        )
        ablated[name] = built.with_calibration(matcher.calibration)
        print(f"{name}: {dropped} phrases fire only on this half and are removed")
        report = evaluate(ablated[name], [rows[i] for i in sorted(half)], known)
        show(f"{name} unseen", report)
        if show_failures:
            for outcome in report.failures:
                result = outcome.result
                shown = [f"{c.faq_id} {c.confidence:.2f}" for c in result.candidates]
                print(f"  {outcome.row.style:9} {outcome.row.expect} {result.status} {shown}")
                print(f"      {outcome.row.query[:160]}")
    return matcher, rows, halves, ablated, known


def main() -> int:
    matcher, rows, halves, ablated, known = ablated_halves("--failures" in sys.argv)
    if "--fit" in sys.argv:
        fit(ablated, halves, rows, known, matcher)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
