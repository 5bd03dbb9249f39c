"""Put a SQLite backup in place of the live database, keeping the old file beside it.

Only while no other process has the database open (a running bot would keep writing to the old
file through its open handle, or corrupt the new one through a stale -wal): on Linux the open
files of the user's processes are visible under /proc, which is checked first.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from bot.storage.files import PRIVATE, SQLITE_SIDE_FILES, BackupError, copy_sqlite


class RestoreError(BackupError):
    """The backup cannot be restored; the message says why (Vietnamese, for operators)."""


def holders(path: Path) -> list[int]:
    """Ids of other processes with ``path`` or its -wal open (empty where /proc is missing)."""
    targets = {str(path.resolve())}
    targets.update(str(path.resolve()) + suffix for suffix in SQLITE_SIDE_FILES)
    found: list[int] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if str(fd.readlink()) in targets:
                        found.append(int(entry.name))
                        break
    return sorted(found)


def check_backup(backup: Path) -> str | None:
    """Raise RestoreError unless ``backup`` is an intact SQLite database; return its revision."""
    if not backup.is_file():
        raise RestoreError(f"Không có tệp sao lưu {backup}.")
    try:
        with contextlib.closing(
            sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
        ) as db:
            problems = [row[0] for row in db.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                lines = "\n".join(problems).splitlines()
                detail = "; ".join(line for line in lines[:4] if not line.startswith("***"))
                raise RestoreError(f"Tệp sao lưu {backup} bị hỏng ({detail}). Không khôi phục.")
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if "alembic_version" not in tables:
                raise RestoreError(f"{backup} không phải bản sao lưu của trợ lý này.")
            row = db.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise RestoreError(
            f"Tệp sao lưu {backup} bị hỏng hoặc không phải tệp SQLite ({exc}). Không khôi phục."
        ) from exc
    return str(row[0]) if row else None


def _free_name(path: Path) -> Path:
    candidate = path.with_name(path.name + ".bak")
    number = 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}.bak{number}")
    return candidate


def restore_sqlite(backup: Path, live: Path) -> Path | None:
    """Replace ``live`` by a copy of ``backup``; return where the old database was kept."""
    check_backup(backup)
    busy = holders(live)
    if busy:
        raise RestoreError(
            f"Cơ sở dữ liệu {live} đang được tiến trình {', '.join(map(str, busy))} dùng: "
            "dừng trợ lý trước rồi khôi phục."
        )
    kept: Path | None = None
    if live.exists():
        kept = _free_name(live)
        copy_sqlite(live, kept)  # reads through the -wal: the old state whole
        with contextlib.closing(sqlite3.connect(live)) as database:
            database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    staged = live.with_name(live.name + ".restoring")
    staged.unlink(missing_ok=True)
    copy_sqlite(backup, staged)
    staged.replace(live)
    for suffix in SQLITE_SIDE_FILES:
        live.with_name(live.name + suffix).unlink(missing_ok=True)
    live.chmod(PRIVATE)
    return kept
