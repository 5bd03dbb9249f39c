"""``python -m bot address "old address" [--json]``: the commune and province since 1 July 2025.

Reads only the shipped address data (no database, no network). Exit code 0 when something was
found (one answer or choices), 1 when nothing matched or the data is missing.
"""

from __future__ import annotations

import argparse
import sys

from bot.admin.common import dump_json, settings_from
from bot.core.address import AddressFinder
from bot.core.address_reply import HOW_TO
from bot.core.address_result import AddressResult, Resolution, Status
from bot.core.knowledge import KnowledgeError
from bot.runtime import load_address_book


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "address", help="tra địa chỉ cũ (trước 01/7/2025) ra xã/phường, tỉnh mới"
    )
    parser.add_argument("address", help='ví dụ: "xã Phú Túc, huyện Châu Thành, tỉnh Bến Tre"')
    parser.add_argument("--json", action="store_true", help="in kết quả dạng JSON")
    parser.set_defaults(func=cmd_address)


def cmd_address(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if not settings.address_file.is_file():
        print(f"Không có dữ liệu địa chỉ: {settings.address_file}", file=sys.stderr)
        return 1
    try:
        book = load_address_book(settings)
    except KnowledgeError as exc:
        print(f"Lỗi dữ liệu địa chỉ: {exc}", file=sys.stderr)
        return 1
    if book is None:  # removed between the check and the load
        return 1
    found = AddressFinder(book).find(args.address)
    if args.json:
        print(dump_json(found.to_json()))
    else:
        print(describe(found))
    return 1 if found.status is Status.NOT_FOUND else 0


def describe(found: AddressResult) -> str:
    """Plain Vietnamese lines for staff at a terminal."""
    if found.status is Status.NOT_FOUND:
        what = f"“{found.unmatched}”" if found.unmatched else "địa chỉ này"
        return f"Không tìm thấy {what}.\n{HOW_TO}"
    lines: list[str] = []
    if found.unmatched:
        lines.append(f"Không tìm thấy “{found.unmatched}”.")
    if found.split:
        lines.append(f"Xã/phường cũ này được chia cho {len(found.results)} xã/phường mới:")
    elif found.status is Status.AMBIGUOUS:
        lines.append(f"Có {found.total} kết quả; gõ thêm huyện, tỉnh cũ để chọn đúng:")
    numbered = len(found.results) > 1
    for index, result in enumerate(found.results, start=1):
        lines.append(f"{index}. {_line(result)}" if numbered else _line(result))
    if found.total > len(found.results) and not found.split:
        lines.append(f"… và {found.total - len(found.results)} kết quả khác.")
    return "\n".join(lines)


def _line(result: Resolution) -> str:
    old = ", ".join(
        unit.title
        for unit in (result.old_ward, result.old_district, result.old_province)
        if unit is not None
    )
    new = result.province.title
    if result.ward is not None:
        new = f"{result.ward.title}, {new}"
    if result.current:
        return f"{new}: tên đơn vị hiện hành (từ 01/7/2025)"
    if result.ward is None:
        return f"{old} → {new} (gõ thêm xã/phường cũ để biết xã/phường mới)"
    return f"{old} → {new}"
