"""Scoring a matcher against labelled questions: accuracy, helpfulness, safety, sweeps.

Pure functions: the ``eval`` command prints these figures and the benchmark reuses them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.match import Matcher, MatchResult, Thresholds, decide
from bot.core.match_index import EntryScore
from bot.core.redact import redact

OOS = "oos"  # category and style label of out-of-scope rows


@dataclass(frozen=True, slots=True)
class EvalRow:
    text: str
    expect: str | None  # None: out of scope, the right outcome is no_match
    style: str = ""

    @property
    def query(self) -> str:
        """What the matcher sees in production: the redacted text (bot.core.assistant)."""
        return redact(self.text)

    @property
    def category(self) -> str:
        return self.expect.split(".", 1)[0] if self.expect else OOS


@dataclass(slots=True)
class Tally:
    """Counts for one slice of the rows."""

    rows: int = 0
    in_scope: int = 0
    out_of_scope: int = 0
    top1: int = 0  # best-ranked candidate is the expected entry
    answered_right: int = 0
    helped: int = 0  # answered right, or the right entry among the offered choices
    rejected: int = 0  # out-of-scope rows that got no_match
    confidently_wrong: int = 0  # answered with a wrong id (any answer to an OOS row)

    def add(self, row: EvalRow, result: MatchResult) -> None:
        self.rows += 1
        answered = result.faq_id
        if answered is not None and answered != row.expect:
            self.confidently_wrong += 1
        if row.expect is None:
            self.out_of_scope += 1
            self.rejected += result.status == "no_match"
            return
        self.in_scope += 1
        best = result.candidates[0].faq_id if result.candidates else None
        self.top1 += best == row.expect
        self.answered_right += answered == row.expect
        offered = result.status == "ambiguous" and any(
            c.faq_id == row.expect for c in result.candidates
        )
        self.helped += answered == row.expect or offered

    @staticmethod
    def _rate(part: int, whole: int) -> float:
        return part / whole if whole else 0.0

    @property
    def top1_rate(self) -> float:
        return self._rate(self.top1, self.in_scope)

    @property
    def answered_rate(self) -> float:
        return self._rate(self.answered_right, self.in_scope)

    @property
    def helped_rate(self) -> float:
        return self._rate(self.helped, self.in_scope)

    @property
    def rejection_rate(self) -> float:
        return self._rate(self.rejected, self.out_of_scope)

    @property
    def wrong_rate(self) -> float:
        return self._rate(self.confidently_wrong, self.rows)


@dataclass(frozen=True, slots=True)
class Outcome:
    row: EvalRow
    result: MatchResult

    @property
    def ok(self) -> bool:
        if self.row.expect is None:
            return self.result.status == "no_match"
        return self.result.faq_id == self.row.expect


@dataclass(slots=True)
class EvalReport:
    total: Tally
    by_category: dict[str, Tally] = field(default_factory=dict)
    by_style: dict[str, Tally] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


@dataclass(frozen=True, slots=True)
class SweepPoint:
    thresholds: Thresholds
    tally: Tally


def read_rows(path: Path) -> list[EvalRow]:
    """Read ``{"text", "expect"[, "style"]}`` JSON lines; blank lines are skipped."""
    rows: list[EvalRow] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from exc
            rows.append(parse_row(data, f"{path}:{number}"))
    return rows


def parse_row(data: Any, where: str = "row") -> EvalRow:
    if not isinstance(data, Mapping) or not isinstance(data.get("text"), str):
        raise ValueError(f"{where}: expected an object with a 'text' string")
    expect = data.get("expect")
    if expect is not None and not isinstance(expect, str):
        raise ValueError(f"{where}: 'expect' must be an FAQ id or null")
    return EvalRow(data["text"], expect or None, str(data.get("style") or ""))


def _tally_into(report: EvalReport, row: EvalRow, result: MatchResult) -> None:
    report.total.add(row, result)
    report.by_category.setdefault(row.category, Tally()).add(row, result)
    style = row.style or ("oos" if row.expect is None else "")
    if style:
        report.by_style.setdefault(style, Tally()).add(row, result)
    report.outcomes.append(Outcome(row, result))


def evaluate(matcher: Matcher, rows: Iterable[EvalRow | Mapping[str, Any]]) -> EvalReport:
    """Match every row and count top-1, helped, rejection and confidently-wrong."""
    report = EvalReport(Tally())
    for raw in rows:
        row = raw if isinstance(raw, EvalRow) else parse_row(raw)
        _tally_into(report, row, matcher.match(row.query))
    return report


def sweep(
    matcher: Matcher,
    rows: Sequence[EvalRow],
    answers: Sequence[float],
    suggests: Sequence[float],
    margin: float | None = None,
) -> list[SweepPoint]:
    """Tallies for every (answer, suggest) pair; scores are computed once per row."""
    scored: list[tuple[EvalRow, str, list[EntryScore]]] = []
    for row in rows:
        key, scores = matcher.scores(row.query)
        scored.append((row, key, scores))
    margin = matcher.thresholds.margin if margin is None else margin
    points: list[SweepPoint] = []
    for answer in answers:
        for suggest in suggests:
            if suggest > answer:
                continue
            thresholds = Thresholds(answer, suggest, margin)
            tally = Tally()
            for row, key, scores in scored:
                tally.add(row, decide(key, scores, matcher.entry_ids, thresholds))
            points.append(SweepPoint(thresholds, tally))
    return points
