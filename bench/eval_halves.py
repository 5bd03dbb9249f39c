"""Tune-split figures on two fixed halves (A/B) by row, to check that a change generalises.

A change justified by general Vietnamese knowledge should help both halves; one that helps
only the half whose failures were read is memory. Never run this on test.jsonl.

    .venv/bin/python bench/eval_halves.py [tests/data/eval/tune.jsonl] [--dev] [--seed=N]

stories2.jsonl (a third blind author's stories) is halved with --seed=20261201: its failures
are read on A only, B checks.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.core.evaluation import EvalReport, Tally, evaluate, read_rows  # noqa: E402
from bot.runtime import build_matcher_from_dir  # noqa: E402

SEED = 20261130


def line(name: str, tally: Tally) -> str:
    return (
        f"{name:10} rows {tally.rows:4} answered {tally.answered_rate:6.1%} "
        f"helped {tally.helped_rate:6.1%} wrong-in {tally.wrong_in_scope_rate:5.1%} "
        f"oos-dym {tally.suggested_rate:5.1%} oos-wrong {tally.wrong_out_of_scope_rate:5.1%}"
    )


def show(name: str, report: EvalReport) -> None:
    print(line(name, report.total))
    for style in ("story", "letter", "near_miss", "oos", "story_near", "story_oos"):
        if style in report.by_style:
            print("  " + line(style, report.by_style[style]))


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    path = Path(args[0]) if args else ROOT / "tests/data/eval/tune.jsonl"
    if path.name == "test.jsonl":
        raise SystemExit("test.jsonl is for the final report only")
    settings = Settings()
    matcher = build_matcher_from_dir(settings.knowledge_dir / "faq", settings)
    known = set(matcher.entry_ids)
    rows = read_rows(path)
    order = list(range(len(rows)))
    seeds = [int(a.split("=", 1)[1]) for a in sys.argv[1:] if a.startswith("--seed=")]
    random.Random(seeds[-1] if seeds else SEED).shuffle(order)
    half = set(order[: len(rows) // 2])
    a = [r for i, r in enumerate(rows) if i in half]
    b = [r for i, r in enumerate(rows) if i not in half]
    show("A", evaluate(matcher, a, known))
    show("B", evaluate(matcher, b, known))
    show("all", evaluate(matcher, rows, known))
    if "--dev" in sys.argv:
        show("dev", evaluate(matcher, read_rows(ROOT / "tests/data/dev.jsonl"), known))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
