"""The SQLite file, its -wal/-shm and backups are readable by their owner only."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.storage import Storage
from bot.storage.files import BackupError, backup_sqlite
from tests.storage.backends import KB_DIR


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    # The default umask of most systems: files would be created world-readable (0644).
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def settings(path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=f"sqlite:///{path}", knowledge_dir=KB_DIR
    )


async def test_a_new_database_and_its_wal_files_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "assistant.db"
    store = await Storage.open(settings(path))
    try:
        await store.users.touch(channel="telegram", user_id="1", display_name=None)
        for name in ("assistant.db", "assistant.db-wal", "assistant.db-shm"):
            assert mode(path.parent / name) == 0o600, name
    finally:
        await store.close()
    assert mode(path.parent) == 0o700


async def test_an_existing_readable_database_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    store = await Storage.open(settings(path))
    await store.close()
    assert mode(path) == 0o600


async def test_a_backup_is_a_private_consistent_copy(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    store = await Storage.open(settings(path))
    try:
        await store.users.touch(channel="telegram", user_id="1", display_name=None)
        target = tmp_path / "backup.db"
        backup_sqlite(path, target)
        assert mode(target) == 0o600
        copy = sqlite3.connect(target)
        try:
            assert copy.execute("SELECT count(*) FROM users").fetchone() == (1,)
        finally:
            copy.close()
        with pytest.raises(BackupError, match="đã có"):
            backup_sqlite(path, target)
    finally:
        await store.close()
