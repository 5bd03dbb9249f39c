"""Files that hold citizens' data are readable by their owner only (mode 0600).

SQLite creates its -wal and -shm files with the database file's mode, so creating the database
file 0600 covers them; files left from before are tightened when the database is opened.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import stat
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def create_private(path: Path) -> None:
    """Create an empty file only its owner can read; FileExistsError if it exists."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE))


def tighten(path: Path) -> None:
    """Take group and other permissions away from an existing file."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        try:
            path.chmod(mode & 0o700)
        except OSError as exc:
            log.warning("%s is readable by other users and could not be restricted: %s", path, exc)
        else:
            log.warning("%s was readable by other users; now owner-only", path)


def protect_sqlite(path: Path) -> None:
    """Create the database file owner-only before SQLite does, or tighten what exists."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(FileExistsError):
        create_private(path)
    for candidate in (path, *(path.with_name(path.name + s) for s in SQLITE_SIDE_FILES)):
        tighten(candidate)


class BackupError(RuntimeError):
    """The backup cannot be made; the message says why (for staff, in Vietnamese)."""


def backup_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (the online backup API), owner-only."""
    if not source.exists():
        raise BackupError(f"Không có tệp cơ sở dữ liệu {source}.")
    try:
        copy_sqlite(source, target)
    except FileExistsError:
        raise BackupError(f"Tệp {target} đã có: chọn tên khác để không ghi đè.") from None
    except OSError as exc:
        raise BackupError(f"Không tạo được tệp {target}: {exc.strerror}.") from exc


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy a database, its -wal included, into a new owner-only file (FileExistsError if any)."""
    create_private(target)
    try:
        with (
            contextlib.closing(sqlite3.connect(source)) as database,
            contextlib.closing(sqlite3.connect(target)) as copy,
        ):
            database.backup(copy)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
