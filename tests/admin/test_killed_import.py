"""An import killed with SIGKILL half-way leaves the database exactly as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.admin.kb_helpers import csv_text, db, db_state, row
from tests.storage.backends import Backend

__all__ = ["db"]
ENTRIES = 8000


def test_kill_during_import_changes_nothing(
    db: Backend, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    before = db_state(db, seed=True)
    path = tmp_path / "big.csv"
    path.write_text(csv_text([row(f"help.item_{i}") for i in range(ENTRIES)]), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "kb", "import", str(path), "--progress"],
        env={**cli_env, **db.env()},
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        assert process.stderr is not None
        # The first "writing" progress line means rows are inside the open transaction.
        for line in process.stderr:
            if line.startswith("Đang ghi"):
                os.kill(process.pid, signal.SIGKILL)
                break
        else:
            raise AssertionError("the import never started writing")
    finally:
        process.wait()
        if process.stderr is not None:
            process.stderr.close()
    assert process.returncode == -signal.SIGKILL, "import finished before the kill"
    assert db_state(db) == before
