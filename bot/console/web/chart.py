"""A stacked bar chart of questions per day, drawn on the server as SVG (no script needed)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.console.usage import DayRow

OUTCOMES = (
    ("answered", "Trả lời được"),
    ("ambiguous", "Đưa lựa chọn"),
    ("no_match", "Chưa trả lời được"),
)
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 1000, 260, 48, 28, 10


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    outcome: str
    title: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[float, str]]  # (y, label)
    labels: list[tuple[float, str]]  # (x, day label)
    description: str


def _nice_max(value: int) -> int:
    """The top of the scale: 2, 4 or 10 times a power of ten, so the middle tick is whole."""
    magnitude = 1
    while True:
        for step in (2, 4, 10):
            if value <= step * magnitude:
                return step * magnitude
        magnitude *= 10


def day_chart(days: list[DayRow]) -> Chart:
    peak = _nice_max(max((d.counts.questions for d in days), default=0))
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(days), 1)
    bars: list[Bar] = []
    labels: list[tuple[float, str]] = []
    every = max(1, len(days) // 10)
    for index, row in enumerate(days):
        x = LEFT + index * slot + slot * 0.15
        base = TOP + plot_h
        for outcome, label in OUTCOMES:
            value = getattr(row.counts, outcome)
            if not value:
                continue
            height = plot_h * value / peak
            base -= height
            title = f"{row.day:%d/%m}: {label} {value} / {row.counts.questions} câu hỏi"
            bars.append(
                Bar(
                    round(x, 1),
                    round(base, 1),
                    round(slot * 0.7, 1),
                    round(height, 1),
                    outcome,
                    title,
                )
            )
        if index % every == 0:
            labels.append((round(x + slot * 0.35, 1), f"{row.day:%d/%m}"))
    ticks = [(round(TOP + plot_h - plot_h * f, 1), f"{int(peak * f)}") for f in (0, 0.5, 1)]
    total = sum(d.counts.questions for d in days)
    description = (
        f"Số câu hỏi mỗi ngày trong {len(days)} ngày, tổng {total}; "
        "mỗi cột chia theo kết quả: trả lời được, đưa lựa chọn, chưa trả lời được. "
        "Bảng bên dưới có đủ số liệu."
    )
    return Chart(WIDTH, HEIGHT, bars, ticks, labels, description)
