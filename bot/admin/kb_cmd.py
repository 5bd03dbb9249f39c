"""``python -m bot kb …``: validate, import, export, template; add/edit/disable/history.

Every command works on the configured database (DATABASE_URL); an empty database is first seeded
from knowledge/ exactly as the assistant does at start.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from bot.admin import kb_edit, kb_review
from bot.admin.common import run_async, settings_from
from bot.admin.kb_files import (
    FORMATS,
    categories_for,
    export,
    read_source,
    validate,
)
from bot.admin.sheets import write_csv, write_xlsx
from bot.admin.storage_cli import (
    FEW_ALTERNATES_HINT,
    ProgressBar,
    actor,
    add_by,
    open_storage,
    print_issues,
)
from bot.config import Settings
from bot.core.concepts import Concepts
from bot.core.knowledge import FaqEntry, KnowledgeError, KnowledgeIssue, split_warnings
from bot.core.provinces import validate_profiles
from bot.runtime import load_address_book
from bot.storage import ImportPlan

_LISTED = 50  # per kind; a 10,000-row import should not scroll away the summary


def register(subparsers: Any) -> None:
    kb = subparsers.add_parser("kb", help="quản lý kiến thức (knowledge base)")
    sub = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)

    p = sub.add_parser("validate", help="kiểm tra tệp YAML/CSV/XLSX, không ghi gì")
    p.add_argument("path", nargs="?", type=Path, default=None)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("import", help="nhập YAML (tệp/thư mục), .csv, .xlsx hoặc .jsonl")
    p.add_argument("path", type=Path)
    p.add_argument("--dry-run", action="store_true", help="chỉ báo sẽ thêm/sửa/gỡ gì")
    p.add_argument(
        "--prune",
        action="store_true",
        help="tắt (disabled) các mục đang có trong cơ sở dữ liệu mà tệp không có",
    )
    p.add_argument("--progress", action="store_true", help="in tiến độ cả khi không phải terminal")
    add_by(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="xuất toàn bộ kiến thức")
    p.add_argument("--format", choices=FORMATS, default="yaml")
    p.add_argument("--output", type=Path, default=None, help="tệp, hoặc thư mục cho yaml")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("template", help="tạo bảng tính mẫu có hướng dẫn để nhân viên điền")
    p.add_argument("--output", type=Path, default=Path("mau-cau-hoi.xlsx"))
    p.add_argument("--format", choices=("xlsx", "csv"), default=None)
    p.set_defaults(func=cmd_template)

    kb_edit.register(sub)
    kb_review.register(sub)


# ---------------------------------------------------------------- validate


def cmd_validate(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    path: Path = args.path or settings.knowledge_dir
    located, issues, notes = read_source(path)
    for note in notes:
        print(note, file=sys.stderr)
    try:
        categories = categories_for(path, settings.knowledge_dir)
    except KnowledgeError as exc:
        issues = [*issues, *exc.issues]
    else:
        context: list[tuple[FaqEntry, str, int | None]] = []
        if path.resolve() != settings.knowledge_dir.resolve():
            # Related ids may point at entries kept elsewhere in knowledge/.
            context = read_source(settings.knowledge_dir)[0]
        issues = [*issues, *validate(located, categories, context)]
        issues = [*issues, *concept_issues(settings, {e.id for e, _, _ in [*located, *context]})]
    if path.is_dir() and (path / "provinces").is_dir():
        # Province profiles are knowledge too: their commune names are checked against the
        # address data, so a typo is found here rather than when the assistant starts.
        try:
            issues = [*issues, *validate_profiles(path / "provinces", load_address_book(settings))]
        except KnowledgeError as exc:
            issues = [*issues, *exc.issues]
    issues, warnings = split_warnings(issues)
    if issues:
        print_issues(
            [*issues, *warnings], f"{len(issues)} lỗi trong {path} (file:dòng, mục, trường: lỗi):"
        )
        return 1
    sources = {s for _, s, _ in located}
    print(f"Hợp lệ: {len(located)} mục trong {len(sources)} tệp.")
    print_warnings(warnings)
    return 0


def concept_issues(settings: Settings, entry_ids: set[str]) -> list[KnowledgeIssue]:
    """Problems of knowledge/concepts.yaml: its own, and entries it names that do not exist."""
    path = settings.knowledge_dir / "concepts.yaml"
    if not path.exists():
        return []
    try:
        concepts = Concepts.load(path)
    except KnowledgeError as exc:
        return list(exc.issues)
    return concepts.unknown_entries(entry_ids)


def print_warnings(warnings: list[KnowledgeIssue], stream: TextIO | None = None) -> None:
    """Accepted, but each says what would help (e.g. how many more alternates)."""
    if not warnings:
        return
    out = stream or sys.stderr
    print(f"{len(warnings)} cảnh báo (vẫn nhập được, nên bổ sung):", file=out)
    for warning in warnings[:_LISTED]:
        print(f"  {warning}", file=out)
    if len(warnings) > _LISTED:
        print(f"  … và {len(warnings) - _LISTED} cảnh báo khác", file=out)
    if any(w.field == "alternates" for w in warnings):
        print(f"Gợi ý: {FEW_ALTERNATES_HINT}", file=out)


# ---------------------------------------------------------------- import


def cmd_import(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    path: Path = args.path
    ProgressBar("", force=args.progress).note(f"Đang đọc và kiểm tra {path}…")
    located, issues, notes = read_source(path)
    for note in notes:
        print(note, file=sys.stderr)

    async def run() -> int:
        async with open_storage(settings) as storage:
            # Cross-entry problems (duplicates, unknown ids) are found even when some rows
            # did not parse, so staff fix everything in one pass.
            problems, warnings = split_warnings([*issues, *await storage.knowledge.check(located)])
            if problems:
                print_issues(
                    problems,
                    f"Không nhập gì: {len(problems)} lỗi trong {path} "
                    "(số sau dấu ':' là dòng trong tệp; với bảng tính, dòng tiêu đề là dòng 1):",
                )
                return 1
            if not located:
                print(f"Không nhập gì: {path} không có mục nào.", file=sys.stderr)
                return 1
            try:
                plan = await storage.knowledge.import_entries(
                    located,
                    by=actor(args),
                    prune=args.prune,
                    dry_run=args.dry_run,
                    detail=path.name,
                    progress=ProgressBar("Đang ghi", force=args.progress),
                )
            except KnowledgeError as exc:
                print_issues(exc.issues, f"Không nhập gì: {len(exc.issues)} lỗi:")
                return 1
        print_plan(plan, dry_run=args.dry_run)
        print_warnings(warnings)
        return 0

    return run_async(run)


def changed_fields(old: FaqEntry, new: FaqEntry) -> list[str]:
    before, after = old.to_dict(), new.to_dict()
    return [name for name in after if before.get(name) != after[name]]


def print_plan(plan: ImportPlan, *, dry_run: bool, out: TextIO | None = None) -> None:
    stream = out or sys.stdout
    verb = "sẽ " if dry_run else ""
    lines: list[tuple[str, list[str]]] = [
        (f"Mục {verb}thêm (added)", [f"+ {e.id}: {e.question}" for e in plan.added]),
        (
            f"Mục {verb}sửa (changed)",
            [f"~ {new.id}: {', '.join(changed_fields(old, new))}" for old, new in plan.changed],
        ),
        (f"Mục {verb}gỡ, chuyển sang disabled (removed)", [f"- {e.id}" for e in plan.removed]),
    ]
    for title, items in lines:
        print(f"{title}: {len(items)}", file=stream)
        for item in items[:_LISTED]:
            print(f"  {item}", file=stream)
        if len(items) > _LISTED:
            print(f"  … và {len(items) - _LISTED} mục khác", file=stream)
    print(
        f"added={len(plan.added)} changed={len(plan.changed)} removed={len(plan.removed)} "
        f"unchanged={plan.unchanged}",
        file=stream,
    )
    if not plan.has_changes:
        print("Không có thay đổi nào.", file=stream)
    elif dry_run:
        print("Chạy thử (--dry-run): chưa ghi gì vào cơ sở dữ liệu.", file=stream)
    else:
        print("Đã nhập xong; trợ lý đang chạy sẽ dùng nội dung mới sau vài giây.", file=stream)


# ---------------------------------------------------------------- export and template


def cmd_export(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    async def run() -> int:
        async with open_storage(settings) as storage:
            entries = await storage.knowledge.entries()
            categories = storage.knowledge.categories()
        written = export(entries, args.format, args.output, sys.stdout, categories)
        for target in written:
            print(f"Đã ghi {target}", file=sys.stderr)
        print(f"Đã xuất {len(entries)} mục.", file=sys.stderr)
        return 0

    return run_async(run)


def cmd_template(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    output: Path = args.output
    fmt = args.format or ("csv" if output.suffix.lower() == ".csv" else "xlsx")
    if fmt == "csv":
        with output.open("w", encoding="utf-8", newline="") as stream:
            write_csv([], stream)
    else:
        try:
            categories = [(c.id, c.title) for c in categories_for(output, settings.knowledge_dir)]
        except KnowledgeError:
            categories = []
        write_xlsx([], output, categories=categories)
    print(f"Đã tạo bảng mẫu {output}. Điền theo trang 'Hướng dẫn', rồi chạy:")
    print(f"  python -m bot kb import {output} --dry-run")
    return 0
