"""``python -m bot tips import|export|list``: the tips library, like the FAQ's kb commands."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.admin.common import dump_json, settings_from, setup_logging
from bot.broadcast import texts
from bot.broadcast.tipfile import TipEntry, dump_tips, load_tips_file
from bot.broadcast.tips_store import TipPlan, TipRepository
from bot.config import Settings
from bot.core.knowledge import KnowledgeError, load_knowledge_dir


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("tips", help="digital-skills tips: import, export, list")
    commands = parser.add_subparsers(dest="tips_command", metavar="ACTION", required=True)

    imp = commands.add_parser("import", help="replace the tips with a YAML file (validated first)")
    imp.add_argument("path", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="show what would change")
    imp.set_defaults(func=cmd_import)

    exp = commands.add_parser("export", help="write the tips as YAML (re-importable)")
    exp.add_argument("--output", type=Path, default=None, help="file (default: stdout)")
    exp.set_defaults(func=cmd_export)

    lst = commands.add_parser("list", help="tips in rotation order")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_list)


def _faq_ids(knowledge_dir: Path) -> set[str] | None:
    try:
        return set(load_knowledge_dir(knowledge_dir).by_id)
    except KnowledgeError:
        return None  # the FAQ has its own errors; do not block tips on them


def _print_plan(plan: TipPlan, dry_run: bool) -> None:
    verb = "Sẽ" if dry_run else "Đã"
    print(
        f"{verb} thêm {len(plan.added)}, sửa {len(plan.changed)}, gỡ {len(plan.removed)} mẹo; "
        f"{plan.unchanged} mẹo không đổi."
    )
    for label, ids in (("+", plan.added), ("~", plan.changed), ("-", plan.removed)):
        for tip_id in ids:
            print(f"  {label} {tip_id}")


def cmd_import(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    setup_logging(settings, quiet=True)
    if not args.path.is_file():
        print(f"Không tìm thấy tệp {args.path}.", file=sys.stderr)
        return 2
    try:
        tips = load_tips_file(args.path, _faq_ids(settings.knowledge_dir))
    except KnowledgeError as exc:
        print(f"Tệp mẹo có {len(exc.issues)} lỗi; chưa nhập gì:", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return 1

    async def body() -> int:
        from bot.storage import Storage

        storage = await Storage.open(settings)
        try:
            plan = await TipRepository(storage.session_factory).import_tips(
                tips, dry_run=args.dry_run
            )
        finally:
            await storage.close()
        _print_plan(plan, args.dry_run)
        return 0

    return _guard(body)


async def _active_tips(settings: Settings) -> list[TipEntry]:
    """The tips in rotation, seeding an empty database from knowledge/tips.yaml first."""
    from bot.storage import Storage

    storage = await Storage.open(settings)
    try:
        repo = TipRepository(storage.session_factory)
        await repo.seed_if_empty(settings.knowledge_dir / "tips.yaml")
        return await repo.active()
    finally:
        await storage.close()


def cmd_export(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    setup_logging(settings, quiet=True)

    async def body() -> int:
        tips = await _active_tips(settings)
        text = dump_tips(tips)
        if args.output is None:
            sys.stdout.write(text)
        else:
            await asyncio.to_thread(args.output.write_text, text, encoding="utf-8")
            print(f"Đã ghi {len(tips)} mẹo vào {args.output}.", file=sys.stderr)
        return 0

    return _guard(body)


def cmd_list(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    setup_logging(settings, quiet=True)

    async def body() -> int:
        tips = await _active_tips(settings)
        if args.json:
            print(dump_json([t.to_dict() for t in tips]))
        else:
            for number, tip in enumerate(tips, start=1):
                print(f"{number:3}. {tip.id}: {tip.title}")
        return 0

    return _guard(body)


def _guard(body: Callable[[], Awaitable[int]]) -> int:
    try:
        return asyncio.run(_call(body))
    except KnowledgeError as exc:
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        raise  # the reader stopped (`| head`): not a database problem
    except (SQLAlchemyError, OSError) as exc:
        print(texts.DB_UNAVAILABLE.format(error=str(exc).splitlines()[0][:200]), file=sys.stderr)
        return 1


async def _call(body: Callable[[], Awaitable[int]]) -> int:
    return await body()
