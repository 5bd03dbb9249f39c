"""``python -m bot staff …``: console accounts (add, list, disable, enable, password, role).

The password is read from standard input: typed twice without echo on a terminal, one line from
a pipe (``printf '%s\\n' "$PASS" | python -m bot staff add lan --role editor``).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any
from zoneinfo import ZoneInfo

from bot.admin.common import run_async, settings_from
from bot.admin.storage_cli import actor, add_by, open_storage
from bot.console.accounts import AccountError, AccountRepository
from bot.console.models import ROLES
from bot.console.passwords import PasswordRejected, check_new_password


class NoPassword(Exception):
    """No usable password on standard input; the message says why."""


def register(subparsers: Any) -> None:
    staff = subparsers.add_parser("staff", help="tài khoản trang quản trị web (/staff)")
    sub = staff.add_subparsers(dest="staff_command", metavar="STAFF_COMMAND", required=True)

    p = sub.add_parser("add", help="thêm tài khoản; mật khẩu đọc từ stdin")
    p.add_argument("username")
    p.add_argument("--role", choices=ROLES, required=True)
    add_by(p)
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("list", help="liệt kê tài khoản")
    p.set_defaults(func=cmd_list)

    for name, active, text in (
        ("disable", False, "khoá tài khoản (đăng xuất mọi phiên)"),
        ("enable", True, "mở lại tài khoản đã khoá"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("username")
        add_by(p)
        p.set_defaults(func=cmd_active, active=active)

    p = sub.add_parser("password", help="đặt mật khẩu mới (đọc từ stdin; đăng xuất mọi phiên)")
    p.add_argument("username")
    add_by(p)
    p.set_defaults(func=cmd_password)

    p = sub.add_parser("role", help="đổi vai trò")
    p.add_argument("username")
    p.add_argument("role", choices=ROLES)
    add_by(p)
    p.set_defaults(func=cmd_role)


def read_password() -> str:
    """Twice without echo on a terminal; the first line of a pipe otherwise."""
    if sys.stdin.isatty():
        first = getpass.getpass("Mật khẩu mới: ")
        check_new_password(first)
        if getpass.getpass("Nhập lại mật khẩu: ") != first:
            raise NoPassword("Hai lần nhập không khớp; chưa đổi gì.")
        return first
    line = sys.stdin.readline()
    if not line:
        raise NoPassword("Không đọc được mật khẩu từ stdin (cần một dòng).")
    return line.rstrip("\r\n")


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def _with_password(args: argparse.Namespace, action: Any) -> int:
    try:
        password = read_password()
        check_new_password(password)
    except (NoPassword, PasswordRejected) as exc:
        return _fail(str(exc))
    except (EOFError, KeyboardInterrupt):
        return _fail("Đã huỷ.")
    settings = settings_from(args)

    async def run() -> int:
        async with open_storage(settings, seed=False) as storage:
            accounts = AccountRepository(storage.session_factory)
            try:
                message = await action(accounts, password)
            except (AccountError, PasswordRejected) as exc:
                return _fail(str(exc))
        print(message)
        return 0

    return run_async(run)


def cmd_add(args: argparse.Namespace) -> int:
    async def add(accounts: AccountRepository, password: str) -> str:
        account = await accounts.add(args.username, password, args.role, by=actor(args))
        return f"Đã thêm {account.username} ({account.role})."

    return _with_password(args, add)


def cmd_password(args: argparse.Namespace) -> int:
    async def change(accounts: AccountRepository, password: str) -> str:
        await accounts.set_password(args.username, password, by=actor(args))
        return f"Đã đổi mật khẩu của {args.username.strip().casefold()}; mọi phiên đã đăng xuất."

    return _with_password(args, change)


def _simple(args: argparse.Namespace, action: Any) -> int:
    settings = settings_from(args)

    async def run() -> int:
        async with open_storage(settings, seed=False) as storage:
            try:
                message = await action(AccountRepository(storage.session_factory))
            except AccountError as exc:
                return _fail(str(exc))
        print(message)
        return 0

    return run_async(run)


def cmd_active(args: argparse.Namespace) -> int:
    async def run(accounts: AccountRepository) -> str:
        account = await accounts.set_active(args.username, args.active, by=actor(args))
        return f"{account.username}: {'đang hoạt động' if account.active else 'đã khoá'}"

    return _simple(args, run)


def cmd_role(args: argparse.Namespace) -> int:
    async def run(accounts: AccountRepository) -> str:
        account = await accounts.set_role(args.username, args.role, by=actor(args))
        return f"{account.username}: {account.role}"

    return _simple(args, run)


def cmd_list(args: argparse.Namespace) -> int:
    zone = ZoneInfo(settings_from(args).timezone)

    async def run(accounts: AccountRepository) -> str:
        rows = await accounts.list()
        if not rows:
            return "Chưa có tài khoản nào: python -m bot staff add TÊN --role admin"
        lines = [f"{'username':24} {'role':7} {'state':9} created"]
        for a in rows:
            state = "active" if a.active else "disabled"
            when = a.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            lines.append(f"{a.username:24} {a.role:7} {state:9} {when}")
        return "\n".join(lines)

    return _simple(args, run)
