"""``kb add``, ``kb edit``, ``kb disable``, ``kb enable``, ``kb history``.

Staff who are not developers get their editor on a commented YAML of the entry; scripts pass
fields as options or a YAML file (``--file``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot.admin.common import run_async, settings_from
from bot.admin.kb_files import dump_mapping, yaml_entry
from bot.admin.storage_cli import actor, add_by, open_storage, print_issues
from bot.core.knowledge import (
    FaqEntry,
    KnowledgeError,
    KnowledgeIssue,
    parse_entry,
    read_entry_file,
)
from bot.storage import Storage

EDITOR_HEADER = """\
# Sửa mục FAQ rồi LƯU và ĐÓNG trình soạn thảo. Dòng bắt đầu bằng # bị bỏ qua.
# - alternates: các cách người dân hay hỏi, mỗi dòng một cách (nên có từ 6 cách trở lên).
# - answer: đoạn đầu ≤ 400 ký tự tự trả lời được; giữ nguyên dấu | và thụt lề 2 dấu cách.
# - status: published (đang dùng) | draft (nháp) | disabled (tắt).
# Muốn huỷ: xoá hết nội dung rồi lưu.
"""
TEMPLATE_ENTRY = {
    "id": "nhom.chu_de",
    "category": "nhom",
    "question": "Câu hỏi chuẩn, viết đầy đủ có dấu?",
    "alternates": ["cách hỏi 1", "cách hỏi 2", "cách hỏi 3", "cách hỏi 4", "cách hỏi 5", "cách 6"],
    "answer": "Đoạn đầu trả lời ngắn gọn.\n\n1. Bước một.\n2. Bước hai.",
    "status": "draft",
}


def register(sub: Any) -> None:
    p = sub.add_parser("add", help="thêm một mục (mở trình soạn thảo nếu không có tuỳ chọn)")
    _field_options(p)
    p.add_argument("--id", dest="entry_id", default=None)
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("edit", help="sửa một mục (mở trình soạn thảo nếu không có tuỳ chọn)")
    p.add_argument("entry_id", metavar="ID")
    _field_options(p)
    p.add_argument("--add-alternate", action="append", default=[], metavar="TEXT")
    p.set_defaults(func=cmd_edit)

    for name, status, text in (
        ("disable", "disabled", "tắt một mục (trợ lý không dùng nữa, vẫn giữ lịch sử)"),
        ("enable", "published", "bật lại một mục (published)"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("entry_id", metavar="ID")
        add_by(p)
        p.set_defaults(func=cmd_status, status=status)

    p = sub.add_parser("history", help="lịch sử thay đổi của một mục (từ nhật ký kiểm toán)")
    p.add_argument("entry_id", metavar="ID")
    p.set_defaults(func=cmd_history)


def _field_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--file", type=Path, default=None, help="YAML của một mục")
    p.add_argument("--category")
    p.add_argument("--question")
    p.add_argument("--alternate", action="append", default=None, metavar="TEXT")
    p.add_argument("--answer")
    p.add_argument("--link", action="append", default=None, metavar="'Tiêu đề | URL'")
    p.add_argument("--related", action="append", default=None, metavar="ID")
    p.add_argument("--source")
    p.add_argument("--reviewed", metavar="YYYY-MM-DD")
    p.add_argument("--status", choices=("draft", "published", "disabled"))
    add_by(p)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    names = ("category", "question", "answer", "source", "reviewed", "status")
    raw: dict[str, Any] = {n: getattr(args, n) for n in names if getattr(args, n) is not None}
    for option, key in (("alternate", "alternates"), ("link", "links"), ("related", "related")):
        if getattr(args, option) is not None:
            raw[key] = getattr(args, option)
    return raw


def _parse(raw: dict[str, Any], source: str) -> FaqEntry:
    entry, issues = parse_entry(raw, source)
    if entry is None:
        raise KnowledgeError(issues)
    return entry


def _read_file(path: Path, entry_id: str | None) -> FaqEntry:
    found, issues = read_entry_file(path)
    if issues:
        raise KnowledgeError(issues)
    if len(found) != 1:
        raise KnowledgeError(
            [KnowledgeIssue(str(path), None, None, None, "tệp phải chứa đúng một mục")]
        )
    entry = found[0][0]
    if entry_id and entry.id != entry_id:
        raise KnowledgeError(
            [KnowledgeIssue(str(path), found[0][2], entry.id, "id", f"phải là {entry_id}")]
        )
    return entry


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _editor_command() -> list[str]:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        editor = next((e for e in ("nano", "vi", "notepad") if shutil.which(e)), "vi")
    return shlex.split(editor)


async def _edit_loop(storage: Storage, initial: dict[str, Any], *, by: str, action: str) -> int:
    """Open the editor until the entry validates and is saved, or the user gives up."""
    text = EDITOR_HEADER + yaml_text(initial)
    original = text
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "muc-faq.yaml"
        while True:
            path.write_text(text, encoding="utf-8")
            await asyncio.to_thread(subprocess.run, [*_editor_command(), str(path)], check=False)
            text = path.read_text(encoding="utf-8")
            if not _uncommented(text).strip():
                print("Đã huỷ, không lưu gì.")
                return 1
            if text == original:
                print("Không có thay đổi nào.")
                return 0
            try:
                entry = _read_file(path, initial.get("id") if action == "kb.edit" else None)
                if action == "kb.add" and await storage.knowledge.get(entry.id):
                    raise KnowledgeError(
                        [KnowledgeIssue("kb add", None, entry.id, "id", "mã đã có; dùng kb edit")]
                    )
                saved = await storage.knowledge.save(entry, by=by, action=action, source=action)
            except KnowledgeError as exc:
                print_issues(exc.issues, "Chưa lưu, còn lỗi:", sys.stdout)
                answer = (await asyncio.to_thread(input, "Mở lại để sửa? [C/k] ")).strip().lower()
                if answer in ("k", "n", "không", "khong", "no"):
                    return 1
                continue
            print(f"Đã lưu {entry.id}." if saved else "Không có thay đổi nào.")
            return 0


def _uncommented(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def yaml_text(raw: dict[str, Any]) -> str:
    entry, _ = parse_entry(raw, "editor")
    return dump_mapping(yaml_entry(entry) if entry is not None else raw)


def cmd_add(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    raw = _options(args)
    if args.entry_id:
        raw["id"] = args.entry_id

    async def run() -> int:
        async with open_storage(settings) as storage:
            if args.file is None and not raw.get("answer") and _interactive():
                return await _edit_loop(
                    storage, {**TEMPLATE_ENTRY, **raw}, by=actor(args), action="kb.add"
                )
            entry = _read_file(args.file, None) if args.file else _parse(raw, "kb add")
            if await storage.knowledge.get(entry.id):
                print(f"Đã có mục {entry.id}: dùng `python -m bot kb edit {entry.id}`.")
                return 1
            await storage.knowledge.save(entry, by=actor(args), action="kb.add", source="kb add")
            print(f"Đã thêm {entry.id}.")
            return 0

    return run_async(run)


def cmd_edit(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    changes = _options(args)

    async def run() -> int:
        async with open_storage(settings) as storage:
            current = await storage.knowledge.get(args.entry_id)
            if current is None:
                print(f"Không có mục {args.entry_id}.", file=sys.stderr)
                return 1
            raw = yaml_entry(current)
            if args.file is None and not changes and not args.add_alternate:
                if not _interactive():
                    print("Cần --file hoặc tuỳ chọn trường (--answer, …).", file=sys.stderr)
                    return 2
                return await _edit_loop(storage, raw, by=actor(args), action="kb.edit")
            if args.file:
                entry = _read_file(args.file, args.entry_id)
            else:
                raw.update(changes)
                raw["alternates"] = [*raw.get("alternates", []), *args.add_alternate]
                entry = _parse(raw, "kb edit")
            saved = await storage.knowledge.save(
                entry, by=actor(args), action="kb.edit", source="kb edit"
            )
            print(f"Đã lưu {entry.id}." if saved else "Không có thay đổi nào.")
            return 0

    return run_async(run)


def cmd_status(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    async def run() -> int:
        async with open_storage(settings) as storage:
            entry = await storage.knowledge.set_status(args.entry_id, args.status, by=actor(args))
        if entry is None:
            print(f"Không có mục {args.entry_id}.", file=sys.stderr)
            return 1
        print(f"{entry.id}: {entry.status}")
        return 0

    return run_async(run)


def cmd_history(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    zone = ZoneInfo(settings.timezone)

    async def run() -> int:
        async with open_storage(settings) as storage:
            records = await storage.knowledge.history(args.entry_id)
        if not records:
            print(f"Chưa có lịch sử cho {args.entry_id}.")
            return 1
        for record in records:
            when = record.at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            print(f"{when}  {record.actor}  {record.action}  {record.detail}".rstrip())
            for line in diff_lines(record.old, record.new):
                print(f"    {line}")
        return 0

    return run_async(run)


def _short(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else yaml.safe_dump(value, allow_unicode=True)
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def diff_lines(old: Any, new: Any) -> list[str]:
    if not isinstance(new, dict):
        return []
    if not isinstance(old, dict):
        return [f"tạo mới: {_short(new.get('question', ''))}"]
    return [
        f"{key}: {_short(old.get(key))} → {_short(new.get(key))}"
        for key in new
        if old.get(key) != new.get(key)
    ]
