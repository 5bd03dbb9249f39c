"""Helpers for staff commands that work on the configured database."""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TextIO

from bot.config import Settings
from bot.core.knowledge import KnowledgeError, KnowledgeIssue, load_knowledge_dir
from bot.storage import Storage, current_actor


def add_by(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--by",
        default=None,
        help="who makes the change, for the audit log (default: the OS user)",
    )


def actor(args: argparse.Namespace) -> str:
    return str(getattr(args, "by", None) or current_actor())


@asynccontextmanager
async def open_storage(settings: Settings, *, seed: bool = True) -> AsyncIterator[Storage]:
    """Open (and migrate) the database; seed an empty one from knowledge/ like the bot does."""
    storage = await Storage.open(settings)
    try:
        if seed and await storage.knowledge.count() == 0:
            try:
                kb = load_knowledge_dir(settings.knowledge_dir)
            except KnowledgeError as exc:
                print_issues(
                    exc.issues,
                    "Cảnh báo: cơ sở dữ liệu trống và không nạp được kiến thức mẫu từ "
                    f"{settings.knowledge_dir}:",
                )
            else:
                await storage.knowledge.seed_if_empty(kb)
        yield storage
    finally:
        await storage.close()


FEW_ALTERNATES_HINT = (
    "Mục có ít hơn 6 cách hỏi khác vẫn được nhập; mỗi cách hỏi thêm (cách người dân hay nói) "
    "giúp trợ lý nhận ra câu hỏi tốt hơn."
)
# Plain-language help for the validation rules staff meet most often.
HINTS = {
    "alternates": FEW_ALTERNATES_HINT,
    "related": "related chỉ ghi mã của mục đã có (trong tệp hoặc trong cơ sở dữ liệu).",
    "category": "category phải là một mã trong trang 'Danh mục' (categories.yaml).",
    "answer": "answer bắt buộc; đoạn đầu ≤ 400 ký tự, toàn bộ ≤ 4000 ký tự.",
}


def print_issues(
    issues: Sequence[KnowledgeIssue], header: str, stream: TextIO | None = None
) -> None:
    out = stream or sys.stderr
    print(header, file=out)
    for issue in issues:
        print(f"  {issue}", file=out)
    fields = {issue.field for issue in issues}
    for field_name, hint in HINTS.items():
        if field_name in fields:
            print(f"Gợi ý: {hint}", file=out)


class ProgressBar:
    """A one-line bar on stderr; silent unless stderr is a terminal (or forced for scripts)."""

    def __init__(self, label: str, *, force: bool = False) -> None:
        self._label = label
        self._tty = sys.stderr.isatty()
        self._enabled = self._tty or force
        self._last = -1

    def note(self, text: str) -> None:
        if self._enabled:
            print(text, file=sys.stderr, flush=True)

    def __call__(self, done: int, total: int) -> None:
        if not self._enabled or total <= 0:
            return
        percent = done * 100 // total
        if percent == self._last and done != total:
            return
        self._last = percent
        if self._tty:
            filled = percent // 4
            bar = "█" * filled + "·" * (25 - filled)
            end = "\n" if done >= total else ""
            sys.stderr.write(f"\r{self._label} [{bar}] {done}/{total}{end}")
        else:
            sys.stderr.write(f"{self._label} {done}/{total}\n")
        sys.stderr.flush()
