"""``python -m bot db restore FILE``: checks the backup, refuses while the bot runs, keeps the
old database as .bak, owner-only."""

from __future__ import annotations

import contextlib
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from tests.admin.conftest import Run


def rows(path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return [r[0] for r in db.execute("SELECT question FROM restore_probe ORDER BY question")]


def add_row(path: Path, *values: str) -> None:
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE IF NOT EXISTS restore_probe (question TEXT)")
        db.executemany("INSERT INTO restore_probe VALUES (?)", [(v,) for v in values])
        db.commit()


def test_restore_puts_the_backup_back_and_keeps_the_old_file(run_cli: Run, tmp_path: Path) -> None:
    live = tmp_path / "cli.db"
    assert run_cli("db", "upgrade").returncode == 0
    add_row(live, "before backup")
    backup = tmp_path / "backup.db"
    assert run_cli("db", "backup", str(backup)).returncode == 0
    add_row(live, "after backup")  # sits in the -wal until a checkpoint
    done = run_cli("db", "restore", str(backup))
    assert done.returncode == 0, done.stderr
    assert rows(live) == ["before backup"]
    kept = tmp_path / "cli.db.bak"
    assert rows(kept) == ["after backup", "before backup"]
    assert stat.S_IMODE(live.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert f"{kept}" in done.stdout
    again = run_cli("db", "restore", str(backup))  # the first .bak is never overwritten
    assert again.returncode == 0 and (tmp_path / "cli.db.bak2").exists()
    assert rows(kept) == ["after backup", "before backup"]


def test_a_damaged_or_foreign_backup_is_refused(run_cli: Run, tmp_path: Path) -> None:
    assert run_cli("db", "upgrade").returncode == 0
    live = tmp_path / "cli.db"
    before = live.read_bytes()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    foreign = tmp_path / "foreign.db"
    add_row(foreign, "x")
    damaged = tmp_path / "damaged.db"
    assert run_cli("db", "backup", str(damaged)).returncode == 0
    add_row(damaged, *(str(number) * 20 for number in range(3000)))
    data = bytearray(damaged.read_bytes())
    for offset in range(4096 * 40, len(data), 4096 * 2):  # cells of the probe table's pages
        data[offset + 100 : offset + 300] = b"\xff" * 200
    damaged.write_bytes(bytes(data))
    for bad, words in (
        (junk, "không phải tệp SQLite"),
        (foreign, "không phải bản sao lưu"),
        (damaged, "bị hỏng"),
        (tmp_path / "missing.db", "Không có tệp"),
    ):
        result = run_cli("db", "restore", str(bad))
        assert result.returncode == 1 and words in result.stderr, (bad, result.stderr)
        assert "Traceback" not in result.stderr
    assert live.read_bytes() == before
    assert not (tmp_path / "cli.db.bak").exists()


def test_restore_refuses_while_another_process_has_the_database_open(
    run_cli: Run, tmp_path: Path
) -> None:
    assert run_cli("db", "upgrade").returncode == 0
    backup = tmp_path / "backup.db"
    assert run_cli("db", "backup", str(backup)).returncode == 0
    live = tmp_path / "cli.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); "
            "db.execute('SELECT 1 FROM alembic_version').fetchall(); "
            "print('open', flush=True); sys.stdin.read()",
            str(live),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        result = run_cli("db", "restore", str(backup))
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert result.returncode == 1 and str(holder.pid) in result.stderr
    assert "dừng trợ lý" in result.stderr
    assert not (tmp_path / "cli.db.bak").exists()


def test_postgresql_restores_are_left_to_its_tools(run_cli: Run, tmp_path: Path) -> None:
    backup = tmp_path / "dump"
    backup.write_bytes(b"x")
    result = run_cli("db", "restore", str(backup), env={"DATABASE_URL": "postgresql://x@h/db"})
    assert result.returncode == 1
    assert "pg_restore" in result.stderr and "psql" in result.stderr
