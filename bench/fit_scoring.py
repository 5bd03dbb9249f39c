"""Fit the matcher's confidence model (bot/core/scoring.py) on a labelled set; print the result.

Two steps, both plain Newton iterations (no numpy in this project):
1. ranking weights (one per scoring.FEATURES): a listwise softmax over each in-scope
   question's candidates, so the right entry scores highest;
2. the "in scope" model: logistic regression of "the right entry is among the candidates"
   on the best score and the query's own features (scoring.QUERY_FEATURES).
Then it sweeps the answer / suggest thresholds. Paste the printed Scoring values into
bot/core/scoring.py and the thresholds into bot/config.py only if a held-out set agrees.

    .venv/bin/python bench/fit_scoring.py [tests/data/dev.jsonl]
"""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.core.evaluation import read_rows, sweep  # noqa: E402
from bot.core.match import Matcher  # noqa: E402
from bot.core.scoring import FEATURES  # noqa: E402
from bot.runtime import build_matcher_from_dir  # noqa: E402

Vector = tuple[float, ...]
Group = list[tuple[int, list[Vector]]]  # (label, feature vectors of the entry's phrasings)
RIDGE = 0.002


def solve(matrix: list[list[float]], rhs: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the systems are tiny)."""
    size = len(rhs)
    rows = [[*row, rhs[i]] for i, row in enumerate(matrix)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(size):
            if r != col and rows[col][col]:
                factor = rows[r][col] / rows[col][col]
                for k in range(col, size + 1):
                    rows[r][k] -= factor * rows[col][k]
    return [rows[i][size] / rows[i][i] if rows[i][i] else 0.0 for i in range(size)]


def dot(w: list[float], x: Vector) -> float:
    return sum(a * b for a, b in zip(w, x, strict=True))


def collect(matcher: Matcher, path: Path) -> list[tuple[bool, Group, Vector]]:
    """Per question: in scope?, candidates' phrasing features, query features."""
    index = matcher.index
    data = []
    for row in read_rows(path):
        query = index.query(matcher.normalizer.normalize(row.text))
        expected = matcher.entry_ids.index(row.expect) if row.expect else None
        group: Group = []
        if query.total > 0:
            for entry in index._retrieve(query):
                vectors = [v for _, v in index.features(query, entry)]
                if vectors:
                    group.append((int(entry == expected), vectors))
        data.append((row.expect is not None, group, query.vector))
    return data


def fit_ranking(data: list[tuple[bool, Group, Vector]], start: list[float]) -> list[float]:
    w = list(start)
    size = len(w)
    for _ in range(6):  # best phrasing per entry depends on w: alternate
        for _ in range(25):
            grad = [0.0] * size
            hess = [[0.0] * size for _ in range(size)]
            count = 0
            for _, group, _ in data:
                if not any(label for label, _ in group):
                    continue
                count += 1
                xs = [max(vectors, key=lambda v: dot(w, v)) for _, vectors in group]
                zs = [dot(w, x) for x in xs]
                top = max(zs)
                exps = [math.exp(z - top) for z in zs]
                total = sum(exps)
                probs = [e / total for e in exps]
                mean = [sum(p * x[i] for p, x in zip(probs, xs, strict=True)) for i in range(size)]
                right = xs[[label for label, _ in group].index(1)]
                for i in range(size):
                    grad[i] += mean[i] - right[i]
                    for k in range(size):
                        second = sum(p * x[i] * x[k] for p, x in zip(probs, xs, strict=True))
                        hess[i][k] += second - mean[i] * mean[k]
            for i in range(size):
                grad[i] += RIDGE * count * w[i]
                hess[i][i] += RIDGE * count
            step = solve(hess, grad)
            w = [a - b for a, b in zip(w, step, strict=True)]
            if max(abs(s) for s in step) < 1e-6:
                break
    return w


def fit_logistic(xs: list[Vector], ys: list[int]) -> list[float]:
    """Returns [bias, coefficients...]."""
    size = len(xs[0]) + 1
    beta = [0.0] * size
    for _ in range(50):
        grad = [0.0] * size
        hess = [[0.0] * size for _ in range(size)]
        for x, y in zip(xs, ys, strict=True):
            row = (1.0, *x)
            p = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, dot(beta, row)))))
            for i in range(size):
                grad[i] += (p - y) * row[i]
                for k in range(size):
                    hess[i][k] += p * (1 - p) * row[i] * row[k]
        for i in range(1, size):
            grad[i] += 0.0005 * len(xs) * beta[i]
            hess[i][i] += 0.0005 * len(xs)
        step = solve(hess, grad)
        beta = [a - b for a, b in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-8:
            break
    return beta


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "data" / "dev.jsonl"
    settings = Settings()
    matcher = build_matcher_from_dir(settings.knowledge_dir / "faq", settings)
    data = collect(matcher, path)
    weights = fit_ranking(data, list(matcher.index.scoring.weights))
    xs: list[Vector] = []
    ys: list[int] = []
    for _, group, query_vector in data:
        if group:
            top = max(max(dot(weights, v) for v in vectors) for _, vectors in group)
            xs.append((top, *query_vector))
            ys.append(int(any(label for label, _ in group)))
    bias, top_weight, *query_weights = fit_logistic(xs, ys)
    scoring = replace(
        matcher.index.scoring,
        weights=tuple(round(w, 3) for w in weights),
        top_weight=round(top_weight, 3),
        query_weights=tuple(round(w, 3) for w in query_weights),
        bias=round(bias, 3),
    )
    print("ranking weights:", dict(zip(FEATURES, scoring.weights, strict=True)))
    print(scoring)
    fitted = matcher.with_scoring(scoring)
    print(
        f"\n{'answer':>6} {'suggest':>7} {'top-1':>6} {'answered':>8} {'helped':>6} "
        f"{'rejected':>8} {'wrong':>6}"
    )
    rows = read_rows(path)
    for point in sweep(fitted, rows, (0.6, 0.7, 0.8, 0.9), (0.4, 0.5, 0.6, 0.7, 0.8)):
        t = point.tally
        print(
            f"{point.thresholds.answer:>6.2f} {point.thresholds.suggest:>7.2f} "
            f"{t.top1_rate:>6.1%} {t.answered_rate:>8.1%} {t.helped_rate:>6.1%} "
            f"{t.rejection_rate:>8.1%} {t.wrong_rate:>6.1%}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
