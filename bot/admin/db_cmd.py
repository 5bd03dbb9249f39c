"""``python -m bot db upgrade``, ``db purge`` and ``db backup``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.admin.common import run_async, settings_from
from bot.storage import Storage
from bot.storage import migrate as migrations
from bot.storage.engine import SQLITE_DRIVER, DatabaseUrlError, async_url
from bot.storage.files import BackupError, backup_sqlite


def register(subparsers: Any) -> None:
    db = subparsers.add_parser("db", help="cơ sở dữ liệu: nâng cấp, dọn nhật ký cũ")
    sub = db.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    p = sub.add_parser("upgrade", help="áp dụng các bản nâng cấp (migration) còn thiếu")
    p.set_defaults(func=cmd_upgrade)
    p = sub.add_parser("purge", help="xoá nhật ký hội thoại quá hạn lưu (LOG_RETENTION_DAYS)")
    p.set_defaults(func=cmd_purge)
    p = sub.add_parser("backup", help="sao lưu cơ sở dữ liệu SQLite ra một tệp mới (chỉ chủ đọc)")
    p.add_argument("target", type=Path, help="tệp sao lưu (chưa có)")
    p.set_defaults(func=cmd_backup)


def cmd_upgrade(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    async def run() -> int:
        storage = await Storage.open(settings, migrate=True)
        try:
            revision = await migrations.current_revision(storage.engine)
        finally:
            await storage.close()
        print(f"Cơ sở dữ liệu ở phiên bản {revision} (mới nhất).")
        return 0

    return run_async(run)


def cmd_purge(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    async def run() -> int:
        storage = await Storage.open(settings)
        try:
            deleted = await storage.purge_old_logs()
        finally:
            await storage.close()
        print(f"Đã xoá {deleted} lượt hội thoại cũ hơn {settings.log_retention_days} ngày.")
        return 0

    return run_async(run)


def cmd_backup(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        url = async_url(settings.database_url)
        if url.drivername != SQLITE_DRIVER or url.database is None:
            raise BackupError(
                "Sao lưu PostgreSQL bằng pg_dump; chạy `umask 077` trước để chỉ chủ tệp đọc được."
            )
        backup_sqlite(Path(url.database).expanduser(), args.target)
    except (BackupError, DatabaseUrlError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Đã sao lưu vào {args.target} (chỉ chủ tệp đọc được).")
    return 0
