"""``python -m bot db backup FILE``: an owner-only copy, never over an existing file."""

from __future__ import annotations

import stat
from pathlib import Path

from tests.admin.conftest import Run


def test_backup_is_owner_only_and_never_overwrites(run_cli: Run, tmp_path: Path) -> None:
    assert run_cli("db", "upgrade").returncode == 0
    target = tmp_path / "backup.db"
    done = run_cli("db", "backup", str(target))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    again = run_cli("db", "backup", str(target))
    assert again.returncode == 1 and "đã có" in again.stderr
    assert "Traceback" not in again.stderr


def test_postgresql_backups_are_left_to_pg_dump(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli(
        "db", "backup", str(tmp_path / "b.db"), env={"DATABASE_URL": "postgresql://x@h/db"}
    )
    assert result.returncode == 1 and "pg_dump" in result.stderr
    assert not (tmp_path / "b.db").exists()
