"""Text tables for ``eval``: the matcher beside its baselines, per style, reliability."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.evaluation import EvalReport, Tally
from bot.core.match import Thresholds

NEAR_MISS = "near_miss"
Metric = Callable[[Tally], float | None]


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:5.1f}%"


def _in_scope(rate: Callable[[Tally], float]) -> Metric:
    return lambda t: rate(t) if t.in_scope else None


def _out_of_scope(rate: Callable[[Tally], float]) -> Metric:
    return lambda t: rate(t) if t.out_of_scope else None


HEADLINES: tuple[tuple[str, Metric], ...] = (
    ("answered right (auto-answer, right id)", _in_scope(lambda t: t.answered_rate)),
    ("helped (answered right, or right choice)", _in_scope(lambda t: t.helped_rate)),
    ("top-1 (best candidate is right)", _in_scope(lambda t: t.top1_rate)),
    ("confidently wrong, in scope", _in_scope(lambda t: t.wrong_in_scope_rate)),
    ("out of scope: not answered", _out_of_scope(lambda t: t.not_answered_rate)),
    ("out of scope: did-you-mean offered", _out_of_scope(lambda t: t.suggested_rate)),
    ("out of scope: fallback (no_match)", _out_of_scope(lambda t: t.rejection_rate)),
    ("out of scope: answered (wrong)", _out_of_scope(lambda t: t.wrong_out_of_scope_rate)),
)


def render_comparison(
    path: str, reports: Sequence[tuple[str, EvalReport]], thresholds: Thresholds
) -> str:
    """Headline figures of each matcher side by side, overall and on the near misses."""
    first = reports[0][1]
    t = first.total
    lines = [
        f"{path}: {t.rows} questions ({t.in_scope} in scope, {t.out_of_scope} out of scope)",
    ]
    if first.skipped:
        lines.append(
            f"  {first.skipped} rows skipped: they expect entries this knowledge base lacks"
        )
    lines += [
        f"thresholds: answer {thresholds.answer:.2f} · suggest {thresholds.suggest:.2f} · "
        f"margin {thresholds.margin:.2f}",
        "",
        f"  {'':<42}" + "".join(f"{name:>10}" for name, _ in reports),
    ]
    near = [r.by_style.get(NEAR_MISS) for _, r in reports]
    for label, metric in HEADLINES:
        lines.append(f"  {label:<42}" + "".join(f"{pct(metric(r.total)):>10}" for _, r in reports))
    if all(n is not None for n in near):
        lines.append(
            f"  {'near misses: answered (wrong)':<42}"
            + "".join(f"{pct(n.wrong_rate if n else None):>10}" for n in near)
        )
        lines.append(
            f"  {'near misses: did-you-mean offered':<42}"
            + "".join(f"{pct(n.suggested_rate if n else None):>10}" for n in near)
        )
    return "\n".join(lines)


def render_styles(reports: Sequence[tuple[str, EvalReport]]) -> str:
    """Per style: answered right / helped / wrong (in scope) or not answered / did-you-mean."""
    names = [name for name, _ in reports]
    lines = [
        "",
        "  per style: in scope answered right / helped / wrong; out of scope not answered / "
        "did-you-mean / wrong",
        f"  {'style':<13}{'n':>4}  " + "".join(f"{name:^24}" for name in names),
    ]
    styles = sorted(reports[0][1].by_style)
    for style in styles:
        cells = []
        rows = 0
        for _, report in reports:
            t = report.by_style.get(style, Tally())
            rows = t.rows
            if t.in_scope:
                cells.append(
                    f"{pct(t.answered_rate)} {pct(t.helped_rate)} {pct(t.wrong_in_scope_rate)}"
                )
            else:
                cells.append(
                    f"{pct(t.not_answered_rate)} {pct(t.suggested_rate)} {pct(t.wrong_rate)}"
                )
        lines.append(f"  {style:<13}{rows:>4}  " + "".join(f"{c:^24}" for c in cells))
    return "\n".join(lines)


def render_categories(report: EvalReport) -> str:
    header = f"  {'category':<12} {'n':>4} {'top-1':>7} {'answered':>9} {'helped':>7} "
    lines = ["", header + f"{'rejected':>9} {'wrong':>6}"]
    for name in sorted(report.by_category):
        t = report.by_category[name]
        in_scope = t.in_scope > 0
        lines.append(
            f"  {name:<12} {t.rows:>4} "
            f"{pct(t.top1_rate) if in_scope else '-':>7} "
            f"{pct(t.answered_rate) if in_scope else '-':>9} "
            f"{pct(t.helped_rate) if in_scope else '-':>7} "
            f"{pct(t.not_answered_rate) if t.out_of_scope else '-':>9} "
            f"{pct(t.wrong_rate):>6}"
        )
    return "\n".join(lines)


def render_reliability(report: EvalReport) -> str:
    """Confidence bands of the best candidate against how often it was right."""
    lines = [
        "",
        "  reliability (confidence of the best candidate → share of rows where it was right):",
        f"  {'band':<11} {'rows':>5} {'right':>7}",
    ]
    for low, high, count, right in report.reliability():
        lines.append(f"  {low:.1f} – {high:.1f} {count:>5} {pct(right):>7}")
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
