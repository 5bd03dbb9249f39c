"""``python -m bot stats [--days N] [--json]``."""

from __future__ import annotations

import argparse
from typing import Any
from zoneinfo import ZoneInfo

from bot.admin.common import dump_json, run_async, settings_from
from bot.admin.storage_cli import open_storage
from bot.storage.stats import Counts, StatsReport


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("stats", help="thống kê câu hỏi, trả lời, phản hồi theo kênh")
    p.add_argument(
        "--days", type=int, default=7, help="số ngày gần nhất, tính cả hôm nay (1 = hôm nay)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)


def _line(c: Counts) -> str:
    return (
        f"{c.questions} câu hỏi — trả lời {c.answered}, mơ hồ {c.ambiguous}, "
        f"không tìm thấy {c.no_match}; chọn gợi ý {c.picked}; 👍 {c.helpful} / 👎 {c.not_helpful}"
    )


def render(report: StatsReport, days: int, timezone: str) -> str:
    since = report.since.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y")
    period = "hôm nay" if days <= 1 else f"{days} ngày (từ {since})"
    lines = [f"Thống kê {period}:", f"  Tổng: {_line(report.totals)}"]
    for channel, counts in sorted(report.by_channel.items()):
        lines.append(f"  {channel}: {_line(counts)}")
    if report.totals.questions:
        rate = report.totals.answered * 100 // report.totals.questions
        lines.append(f"  Tỉ lệ trả lời được: {rate}%")
    for title, items in (
        ("Hỏi nhiều nhất", report.top_questions),
        ("Chưa trả lời được", report.top_misses),
    ):
        if items:
            lines.append(f"{title}:")
            lines.extend(f"  {item.count:>4}×  {item.text}" for item in items)
    return "\n".join(lines)


def cmd_stats(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    async def run() -> int:
        async with open_storage(settings, seed=False) as storage:
            report = await storage.stats.for_days(args.days)
        print(
            dump_json(report.to_json())
            if args.json
            else render(report, args.days, settings.timezone)
        )
        return 0

    return run_async(run)
