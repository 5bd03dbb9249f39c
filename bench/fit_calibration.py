"""Fit the calibration (bot/core/calibration.py) on the tune split; print weights and a sweep.

Logistic regression of "this candidate is the expected entry" on calibration.TERMS, over
every candidate kept for a row (out-of-scope rows give only negatives). Fit on
``tests/data/eval/tune.jsonl`` only: the test split is for reporting.

    .venv/bin/python bench/fit_calibration.py [tests/data/eval/tune.jsonl]
"""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fit_scoring import fit_logistic  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.core.calibration import TERMS, Calibration, expand  # noqa: E402
from bot.core.concepts import Concepts  # noqa: E402
from bot.core.evaluation import read_rows, sweep  # noqa: E402
from bot.core.match import Matcher  # noqa: E402
from bot.core.normalize import Normalizer  # noqa: E402
from bot.runtime import build_matcher_from_dir, load_kb_source, load_normalizer  # noqa: E402

TOP = 8  # every candidate kept: the model also reranks them


def write(calibration: Calibration) -> None:
    """Replace the default weights in bot/core/calibration.py with the fitted ones."""
    source = ROOT / "bot" / "core" / "calibration.py"
    text = source.read_text(encoding="utf-8")
    text = re.sub(
        r"    weights: tuple\[float, \.\.\.\] = \([^)]*\)",
        "    weights: tuple[float, ...] = (\n"
        + "".join(f"        {w!r},\n" for w in calibration.weights)
        + "    )",
        text,
    )
    text = re.sub(r"    bias: float = [-0-9.]+", f"    bias: float = {calibration.bias!r}", text)
    source.write_text(text, encoding="utf-8")
    print(f"written to {source}")


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    path = Path(args[0]) if args else ROOT / "tests/data/eval/tune.jsonl"
    settings = Settings()
    matcher = build_matcher_from_dir(settings.knowledge_dir / "faq", settings)
    # Fitted without the list of matters no entry answers: the policy refuses those anyway,
    # and the model must learn to doubt out-of-scope questions the list does not name.
    normalizer = load_normalizer(settings)
    covered = Concepts.build([c for c in normalizer.lexicon.concepts.concepts if c.entries])
    learner = Matcher.build(
        load_kb_source(settings.knowledge_dir / "faq", settings),
        Normalizer(replace(normalizer.lexicon, concepts=covered), max_chars=normalizer.max_chars),
        matcher.thresholds,
    )
    known = set(matcher.entry_ids)
    rows = [r for r in read_rows(path) if r.expect is None or r.expect in known]
    xs: list[tuple[float, ...]] = []
    ys: list[int] = []
    for row in rows:
        for ranked in learner.analyse(row.query).ranked[:TOP]:
            xs.append(expand(ranked.features))
            ys.append(int(learner.entry_ids[ranked.entry] == row.expect))
    bias, *weights = fit_logistic(xs, ys)
    calibration = Calibration(tuple(round(w, 3) for w in weights), round(bias, 3))
    print(dict(zip(TERMS, calibration.weights, strict=True)), "bias", calibration.bias)
    print(calibration)
    if "--write" in sys.argv:
        write(calibration)
    fitted = matcher.with_calibration(calibration)
    print(
        f"\n{'answer':>6} {'suggest':>7} {'answered':>8} {'helped':>6} {'wrong in':>8} "
        f"{'oos dym':>7} {'oos wrong':>9}"
    )
    answers = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9)
    for point in sweep(fitted, rows, answers, (0.2, 0.3, 0.4, 0.5, 0.6)):
        t = point.tally
        print(
            f"{point.thresholds.answer:>6.2f} {point.thresholds.suggest:>7.2f} "
            f"{t.answered_rate:>8.1%} {t.helped_rate:>6.1%} {t.wrong_in_scope_rate:>8.1%} "
            f"{t.suggested_rate:>7.1%} {t.wrong_out_of_scope_rate:>9.1%}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
