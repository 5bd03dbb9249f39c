"""``eval FILE.jsonl``: how well the matcher answers labelled questions, and a threshold sweep.

Each line is ``{"text": "...", "expect": "faq.id" | null[, "style": "..."]}``; ``expect``
null means out of scope (the right outcome is "no answer").
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.admin.common import run_async, settings_from, setup_logging
from bot.core.evaluation import EvalReport, EvalRow, Tally, evaluate, read_rows, sweep
from bot.core.match import Matcher, Thresholds
from bot.runtime import open_runtime

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
    parser.set_defaults(func=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        rows = read_rows(args.file)
    except (OSError, ValueError) as exc:
        print(f"Không đọc được tệp đánh giá (cannot read the eval file): {exc}", file=sys.stderr)
        return 1
    setup_logging(settings, quiet=True)
    found: list[Matcher] = []

    async def live_matcher() -> int:
        # The live knowledge (the database) unless --kb names another source; logs nothing.
        async with open_runtime(settings, kb_path=args.kb, log_conversations=False) as runtime:
            found.append(runtime.snapshot.matcher)
        return 0

    if run_async(live_matcher) != 0:
        return 1
    matcher = found[0]
    current = matcher.thresholds
    thresholds = Thresholds(
        answer=current.answer if args.answer is None else args.answer,
        suggest=current.suggest if args.suggest is None else args.suggest,
        margin=current.margin if args.margin is None else args.margin,
    )
    matcher = matcher.with_thresholds(thresholds)
    report = evaluate(matcher, rows)
    print(render_report(args.file, report, thresholds))
    if args.failures:
        print(render_failures(report, args.failures))
    if not args.no_sweep:
        print(render_sweep(matcher, rows))
    return 0


def _pct(value: float) -> str:
    return f"{value * 100:5.1f}%"


def render_report(path: Path, report: EvalReport, thresholds: Thresholds) -> str:
    t = report.total
    lines = [
        f"{path}: {t.rows} questions ({t.in_scope} in scope, {t.out_of_scope} out of scope)",
        f"thresholds: answer {thresholds.answer:.2f} · suggest {thresholds.suggest:.2f} · "
        f"margin {thresholds.margin:.2f}",
        "",
        f"  top-1 accuracy (best candidate is right)    {_pct(t.top1_rate)}  "
        f"({t.top1}/{t.in_scope})",
        f"  answered right (auto-answer, right id)      {_pct(t.answered_rate)}  "
        f"({t.answered_right}/{t.in_scope})",
        f"  helped (answered right, or right choice)    {_pct(t.helped_rate)}  "
        f"({t.helped}/{t.in_scope})",
        f"  out-of-scope rejection (no_match)           {_pct(t.rejection_rate)}  "
        f"({t.rejected}/{t.out_of_scope})",
        f"  confidently wrong (answered a wrong id)     {_pct(t.wrong_rate)}  "
        f"({t.confidently_wrong}/{t.rows})",
        "",
        _table("category", report.by_category),
    ]
    if any(style for style in report.by_style if style != "oos"):
        lines += ["", _table("style", report.by_style)]
    return "\n".join(lines)


def _table(title: str, tallies: dict[str, Tally]) -> str:
    header = f"  {title:<12} {'n':>4} {'top-1':>7} {'answered':>9} {'helped':>7} {'rejected':>9}"
    header += f" {'wrong':>6}"
    lines = [header]
    for name in sorted(tallies):
        t = tallies[name]
        in_scope = t.in_scope > 0
        lines.append(
            f"  {name:<12} {t.rows:>4} "
            f"{_pct(t.top1_rate) if in_scope else '-':>7} "
            f"{_pct(t.answered_rate) if in_scope else '-':>9} "
            f"{_pct(t.helped_rate) if in_scope else '-':>7} "
            f"{_pct(t.rejection_rate) if t.out_of_scope else '-':>9} "
            f"{_pct(t.wrong_rate):>6}"
        )
    return "\n".join(lines)


def render_failures(report: EvalReport, limit: int) -> str:
    lines = ["", f"first {limit} failures (expected → outcome, candidates):"]
    for outcome in report.failures[:limit]:
        result = outcome.result
        choices = ", ".join(f"{c.faq_id} {c.confidence:.2f}" for c in result.candidates)
        lines.append(
            f"  [{outcome.row.style or '-'}] {outcome.row.text[:90]!r}\n"
            f"      {outcome.row.expect or 'out of scope'} → {result.status}: {choices or '-'}"
        )
    return "\n".join(lines)


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
        f"  {'answer':>6} {'suggest':>7} {'answered':>9} {'helped':>7} {'rejected':>9} "
        f"{'wrong':>6}",
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
            f"{_pct(t.answered_rate):>9} {_pct(t.helped_rate):>7} {_pct(t.rejection_rate):>9} "
            f"{_pct(t.wrong_rate):>6}{mark}"
        )
    return "\n".join(lines)
