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
from bot.storage.restore import check_backup, restore_sqlite


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
    p = sub.add_parser(
        "restore",
        help="khôi phục SQLite từ một bản sao lưu (dừng trợ lý trước; tệp cũ giữ lại là .bak)",
    )
    p.add_argument("source", type=Path, help="tệp sao lưu (do `db backup` tạo)")
    p.set_defaults(func=cmd_restore)


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


def _sqlite_file(args: argparse.Namespace, postgresql_hint: str) -> Path:
    """The SQLite database file; BackupError with ``postgresql_hint`` on PostgreSQL."""
    url = async_url(settings_from(args).database_url)
    if url.drivername != SQLITE_DRIVER or url.database is None:
        raise BackupError(postgresql_hint)
    return Path(url.database).expanduser()


def cmd_backup(args: argparse.Namespace) -> int:
    try:
        source = _sqlite_file(
            args, "Sao lưu PostgreSQL bằng pg_dump; chạy `umask 077` trước để chỉ chủ tệp đọc được."
        )
        backup_sqlite(source, args.target)
    except (BackupError, DatabaseUrlError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Đã sao lưu vào {args.target} (chỉ chủ tệp đọc được).")
    return 0


PG_RESTORE_HINT = (
    "Khôi phục PostgreSQL bằng công cụ của PostgreSQL, khi trợ lý đã dừng:\n"
    '  pg_restore --clean --if-exists --no-owner -d "$DATABASE_URL" TỆP   (bản pg_dump -Fc)\n'
    '  psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f TỆP.sql                 (bản pg_dump dạng SQL)\n'
    "rồi chạy `python -m bot db upgrade`."
)


def cmd_restore(args: argparse.Namespace) -> int:
    try:
        live = _sqlite_file(args, PG_RESTORE_HINT)
        revision = check_backup(args.source)
        kept = restore_sqlite(args.source, live)
    except (BackupError, DatabaseUrlError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Đã khôi phục {live} từ {args.source} (phiên bản lược đồ {revision}).")
    if kept is not None:
        print(f"Cơ sở dữ liệu cũ được giữ ở {kept} (chỉ chủ tệp đọc được).")
    if revision != migrations.head_revision():
        print("Bản sao lưu cũ hơn mã nguồn: trợ lý sẽ tự nâng cấp khi chạy (hoặc `db upgrade`).")
    return 0
