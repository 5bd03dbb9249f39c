"""``python -m bot inbox …``: what the assistant could not answer, and how to fix it."""

from __future__ import annotations

import argparse
import sys
from typing import Any
from zoneinfo import ZoneInfo

from bot.admin.common import dump_json, run_async, settings_from
from bot.admin.storage_cli import actor, add_by, open_storage, print_issues
from bot.core.knowledge import KnowledgeError
from bot.storage import InboxError

KIND_LABELS = {
    "no_match": "không tìm thấy",
    "ambiguous": "mơ hồ",
    "negative_feedback": "bị chê 👎",
}


def register(subparsers: Any) -> None:
    inbox = subparsers.add_parser("inbox", help="hộp thư câu hỏi chưa trả lời tốt")
    sub = inbox.add_subparsers(dest="inbox_command", metavar="INBOX_COMMAND", required=True)

    p = sub.add_parser("list", help="câu hỏi chưa trả lời được, mơ hồ hoặc bị chê, mới nhất trước")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=200)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("promote", help="thêm cách hỏi của người dân vào một mục FAQ")
    p.add_argument("item_id", type=int, metavar="ITEM_ID")
    p.add_argument("--to", dest="faq_id", required=True, metavar="FAQ_ID")
    add_by(p)
    p.set_defaults(func=cmd_promote)

    p = sub.add_parser("dismiss", help="bỏ qua một mục hộp thư")
    p.add_argument("item_id", type=int, metavar="ITEM_ID")
    add_by(p)
    p.set_defaults(func=cmd_dismiss)

    p = sub.add_parser("suggestions", help="cách hỏi nên thêm (người dân hay chọn cùng một gợi ý)")
    p.add_argument("--min", type=int, default=2, help="số lần tối thiểu (mặc định 2)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--accept", action="store_true", help="thêm tất cả gợi ý làm cách hỏi")
    add_by(p)
    p.set_defaults(func=cmd_suggestions)


def cmd_list(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    zone = ZoneInfo(settings.timezone)

    async def run() -> int:
        async with open_storage(settings) as storage:
            items = await storage.inbox.items(limit=args.limit)
        if args.json:
            print(dump_json([item.to_json() for item in items]))
            return 0
        if not items:
            print("Hộp thư trống: không có câu hỏi nào cần xem.")
            return 0
        for item in items:
            when = item.last_seen.astimezone(zone).strftime("%d/%m %H:%M")
            target = f" → {item.faq_id}" if item.faq_id else ""
            label = KIND_LABELS.get(item.kind, item.kind)
            print(f"#{item.id:<5} {item.count:>4}×  {label:<15} {when}  {item.text}{target}")
        print(
            "\nThêm cách hỏi vào một mục: python -m bot inbox promote ITEM_ID --to FAQ_ID"
            "\nBỏ qua: python -m bot inbox dismiss ITEM_ID"
        )
        return 0

    return run_async(run)


def cmd_promote(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    async def run() -> int:
        async with open_storage(settings) as storage:
            try:
                item = await storage.inbox.get(args.item_id)
                added = await storage.inbox.promote(args.item_id, args.faq_id, by=actor(args))
            except InboxError as exc:
                print(f"Lỗi: {exc}", file=sys.stderr)
                return 1
            except KnowledgeError as exc:
                print_issues(exc.issues, f"Không thêm được vào {args.faq_id}:")
                return 1
        text = item.text if item else ""
        if added:
            print(f"Đã thêm cách hỏi “{text}” vào {args.faq_id}.")
        else:
            print(f"“{text}” đã có trong {args.faq_id}; đã đóng mục hộp thư.")
        return 0

    return run_async(run)


def cmd_dismiss(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    async def run() -> int:
        async with open_storage(settings) as storage:
            try:
                await storage.inbox.dismiss(args.item_id, by=actor(args))
            except InboxError as exc:
                print(f"Lỗi: {exc}", file=sys.stderr)
                return 1
        print(f"Đã bỏ qua mục #{args.item_id}.")
        return 0

    return run_async(run)


def cmd_suggestions(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    async def run() -> int:
        async with open_storage(settings) as storage:
            found = await storage.inbox.suggestions(min_count=args.min)
            if args.json:
                print(
                    dump_json(
                        [{"text": s.text, "faq_id": s.faq_id, "count": s.count} for s in found]
                    )
                )
                return 0
            if not found:
                print("Chưa có gợi ý nào.")
                return 0
            for s in found:
                print(f"{s.count:>4}×  “{s.text}” → {s.faq_id}")
                if args.accept:
                    await storage.knowledge.add_alternate(
                        s.faq_id, s.text, by=actor(args), action="inbox.suggestion"
                    )
            if args.accept:
                print(f"Đã thêm {len(found)} cách hỏi.")
            else:
                print("\nThêm tất cả: python -m bot inbox suggestions --accept")
        return 0

    return run_async(run)
