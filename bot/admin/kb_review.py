"""``python -m bot kb review``: which entries staff should re-check, and why.

An entry is listed when its ``reviewed`` date is missing or older than the limit (default
KNOWLEDGE_STALE_DAYS, the same limit after which citizens are told the answer may have changed),
or when it names no source. It reads the live database like the other ``kb`` commands.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.admin.common import run_async, settings_from
from bot.admin.storage_cli import open_storage
from bot.core.freshness import Reason, age_days, review_reasons
from bot.core.knowledge import FaqEntry


def register(sub: Any) -> None:
    p = sub.add_parser(
        "review", help="liệt kê mục cần kiểm tra lại (lâu chưa kiểm tra hoặc thiếu nguồn)"
    )
    p.add_argument(
        "--older-than",
        type=_days,
        default=None,
        metavar="DAYS",
        help="số ngày tối đa từ lần kiểm tra gần nhất (mặc định KNOWLEDGE_STALE_DAYS, 180)",
    )
    p.add_argument(
        "--as-of",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="tính tuổi đến ngày này thay cho hôm nay (ví dụ để lên kế hoạch kiểm tra)",
    )
    p.add_argument(
        "--all",
        action="store_true",
        help="cả mục nháp (draft) và đã tắt (disabled); mặc định chỉ mục published",
    )
    p.add_argument("--json", action="store_true", help="in danh sách dạng JSON cho máy đọc")
    p.set_defaults(func=cmd_review)


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' phải là số ngày nguyên dương, ví dụ 180")
    return value


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' phải là ngày dạng YYYY-MM-DD, ví dụ 2026-11-30"
        ) from None


@dataclass(frozen=True, slots=True)
class Finding:
    entry: FaqEntry
    age: int | None
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.entry.id,
            "status": self.entry.status,
            "question": self.entry.question,
            "reviewed": self.entry.reviewed.isoformat() if self.entry.reviewed else None,
            "age_days": self.age,
            "reasons": [str(r) for r in self.reasons],
        }


def findings(
    entries: list[FaqEntry], today: dt.date, limit: int, *, every_status: bool
) -> list[Finding]:
    """Entries to re-check: undated first, then the oldest review, then by id."""
    found = [
        Finding(e, age_days(e, today), reasons)
        for e in entries
        if every_status or e.status == "published"
        if (reasons := review_reasons(e, today, limit))
    ]
    return sorted(
        found,
        key=lambda f: (f.entry.reviewed is not None, f.entry.reviewed or dt.date.min, f.entry.id),
    )


def reason_text(reason: Reason, limit: int) -> str:
    return {
        Reason.STALE: f"quá {limit} ngày chưa kiểm tra lại",
        Reason.NO_REVIEWED_DATE: "chưa ghi ngày kiểm tra (reviewed)",
        Reason.NO_SOURCE: "thiếu nguồn (source)",
    }[reason]


def render_text(found: list[Finding], today: dt.date, limit: int) -> str:
    when = today.strftime("%d/%m/%Y")
    if not found:
        return (
            f"Không có mục nào cần kiểm tra lại (tính đến {when}): mọi mục đều có nguồn và "
            f"được kiểm tra trong {limit} ngày qua."
        )
    rows = [("Mã mục", "Kiểm tra lần cuối", "Số ngày", "Lý do")]
    for f in found:
        rows.append(
            (
                f.entry.id if f.entry.status == "published" else f"{f.entry.id} ({f.entry.status})",
                f.entry.reviewed.strftime("%d/%m/%Y") if f.entry.reviewed else "—",
                str(f.age) if f.age is not None else "—",
                "; ".join(reason_text(r, limit) for r in f.reasons),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    table = ["  ".join([*(row[i].ljust(widths[i]) for i in range(3)), row[3]]) for row in rows]
    lines = [
        f"{len(found)} mục cần kiểm tra lại (tính đến {when}; giới hạn {limit} ngày):",
        *(f"  {line}" for line in table),
        "",
        "Sau khi đối chiếu với văn bản, hướng dẫn chính thức: sửa nội dung và nguồn, đặt "
        "reviewed là ngày kiểm tra (python -m bot kb edit MÃ_MỤC).",
    ]
    return "\n".join(lines)


def cmd_review(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    limit: int = args.older_than or settings.knowledge_stale_days
    today: dt.date = args.as_of or dt.datetime.now(ZoneInfo(settings.timezone)).date()

    async def run() -> int:
        async with open_storage(settings) as storage:
            entries = await storage.knowledge.entries()
        found = findings(entries, today, limit, every_status=args.all)
        if args.json:
            document = {
                "as_of": today.isoformat(),
                "older_than_days": limit,
                "count": len(found),
                "entries": [f.to_dict() for f in found],
            }
            print(json.dumps(document, ensure_ascii=False, indent=2))
        else:
            print(render_text(found, today, limit))
        return 0

    return run_async(run)
