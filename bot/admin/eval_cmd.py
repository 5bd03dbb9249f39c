"""``eval FILE.jsonl``: how well the matcher answers labelled questions, and a threshold sweep.

Each line is ``{"text": "...", "expect": "faq.id" | null[, "style": "..."]}``; ``expect``
null means out of scope (the right outcome is "no answer").
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.admin.baselines.bm25 import Bm25Baseline
from bot.admin.baselines.legacy_match import LEGACY_THRESHOLDS
from bot.admin.baselines.legacy_match import Matcher as LegacyMatcher
from bot.admin.common import run_async, settings_from, setup_logging
from bot.admin.eval_render import (
    pct,
    render_categories,
    render_comparison,
    render_failures,
    render_reliability,
    render_styles,
)
from bot.core.evaluation import EvalReport, EvalRow, evaluate, read_rows, sweep
from bot.core.live import Snapshot
from bot.core.match import Matcher, Thresholds
from bot.core.normalize import Normalizer
from bot.runtime import load_normalizer, open_runtime

__all__ = ["evaluate", "register"]

SWEEP_ANSWER = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9)
SWEEP_SUGGEST = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "eval",
        help="score the matcher on labelled questions (JSON lines) and sweep thresholds",
        description=__doc__,
    )
    parser.add_argument("file", type=Path, metavar="FILE.jsonl")
    parser.add_argument(
        "--kb",
        type=Path,
        default=None,
        help="knowledge to match against (YAML directory or .jsonl export); "
        "default: the FAQ files under KNOWLEDGE_DIR",
    )
    parser.add_argument("--answer", type=float, help="answer threshold to try")
    parser.add_argument("--suggest", type=float, help="suggest threshold to try")
    parser.add_argument("--margin", type=float, help="top-1/top-2 margin to try")
    parser.add_argument(
        "--failures", type=int, default=0, metavar="N", help="also list the first N failures"
    )
    parser.add_argument("--no-sweep", action="store_true", help="skip the threshold sweep")
    parser.add_argument(
        "--no-baselines",
        action="store_true",
        help="skip the previous matcher and BM25 columns",
    )
    parser.set_defaults(func=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        rows = read_rows(args.file)
    except (OSError, ValueError) as exc:
        print(f"Không đọc được tệp đánh giá (cannot read the eval file): {exc}", file=sys.stderr)
        return 1
    setup_logging(settings, quiet=True)
    found: list[Snapshot] = []

    async def live_snapshot() -> int:
        # The live knowledge (the database) unless --kb names another source; logs nothing.
        async with open_runtime(settings, kb_path=args.kb, log_conversations=False) as runtime:
            found.append(runtime.snapshot)
        return 0

    if run_async(live_snapshot) != 0:
        return 1
    snapshot = found[0]
    matcher = snapshot.matcher
    current = matcher.thresholds
    thresholds = Thresholds(
        answer=current.answer if args.answer is None else args.answer,
        suggest=current.suggest if args.suggest is None else args.suggest,
        margin=current.margin if args.margin is None else args.margin,
    )
    matcher = matcher.with_thresholds(thresholds)
    known = set(matcher.entry_ids)
    report = evaluate(matcher, rows, known)
    reports = [("new", report)]
    if not args.no_baselines:
        reports += baseline_reports(snapshot, load_normalizer(settings), rows, known)
    print(render_comparison(str(args.file), reports, thresholds))
    print(render_styles(reports))
    print(render_categories(report))
    print(render_reliability(report))
    if args.failures:
        print(render_failures(report, args.failures))
    if not args.no_sweep:
        print(render_sweep(matcher, [r for r in rows if r.expect is None or r.expect in known]))
    return 0


def baseline_reports(
    snapshot: Snapshot, normalizer: Normalizer, rows: Sequence[EvalRow], known: set[str]
) -> list[tuple[str, EvalReport]]:
    """The previous matcher and BM25 on the same knowledge and rows."""
    entries = snapshot.kb.published
    previous = LegacyMatcher.build_from_entries(entries, normalizer, LEGACY_THRESHOLDS)
    reports = [("previous", evaluate(previous, rows, known))]
    try:
        bm25 = Bm25Baseline(entries, normalizer)
    except ImportError:
        print("(BM25 baseline skipped: install the dev extras for bm25s)", file=sys.stderr)
        return reports
    kept = [r for r in rows if r.expect is None or r.expect in known]
    bm25.tune(kept)
    reports.append(("BM25", evaluate(bm25, kept)))
    return reports


def render_sweep(
    matcher: Matcher,
    rows: Sequence[EvalRow],
    answers: Sequence[float] = SWEEP_ANSWER,
    suggests: Sequence[float] = SWEEP_SUGGEST,
) -> str:
    """Answer × suggest thresholds at the current margin; set the chosen pair in settings."""
    margin = matcher.thresholds.margin
    lines = [
        "",
        f"threshold sweep (margin {margin:.2f}; MATCH_ANSWER_THRESHOLD, "
        "MATCH_SUGGEST_THRESHOLD, MATCH_MARGIN in the environment or .env):",
        f"  {'answer':>6} {'suggest':>7} {'answered':>9} {'helped':>7} {'oos dym':>8} "
        f"{'wrong in':>9} {'wrong oos':>9}",
    ]
    current = matcher.thresholds
    answers = sorted({*answers, current.answer})
    suggests = sorted({*suggests, current.suggest})
    for point in sweep(matcher, rows, answers, suggests, margin):
        t = point.tally
        mark = (
            " ← current"
            if (point.thresholds.answer, point.thresholds.suggest)
            == (current.answer, current.suggest)
            else ""
        )
        lines.append(
            f"  {point.thresholds.answer:>6.2f} {point.thresholds.suggest:>7.2f} "
            f"{pct(t.answered_rate):>9} {pct(t.helped_rate):>7} {pct(t.suggested_rate):>8} "
            f"{pct(t.wrong_in_scope_rate):>9} {pct(t.wrong_out_of_scope_rate):>9}{mark}"
        )
    return "\n".join(lines)
