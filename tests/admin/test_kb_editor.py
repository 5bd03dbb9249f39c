"""`kb edit ID` on a terminal opens $EDITOR on the entry's YAML (run under a pseudo-terminal)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.admin.kb_helpers import db_state
from tests.storage.backends import Backend, backend

EDITOR = """\
import sys
from pathlib import Path
path = Path(sys.argv[1])
text = path.read_text(encoding="utf-8")
assert "# Sửa mục FAQ" in text and "id: account.register" in text
path.write_text(text.replace({old!r}, {new!r}), encoding="utf-8")
"""


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Backend]:
    with backend("sqlite", tmp_path) as value:
        yield value


def run_on_terminal(args: list[str], env: dict[str, str], typed: str = "") -> tuple[int, str]:
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *args], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    if typed:
        os.write(master, typed.encode())
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return process.wait(), b"".join(chunks).decode("utf-8", "replace")


def editor_env(tmp_path: Path, db: Backend, cli_env: dict[str, str], old: str, new: str) -> dict:
    script = tmp_path / "editor.py"
    script.write_text(EDITOR.format(old=old, new=new), encoding="utf-8")
    return {**cli_env, **db.env(), "EDITOR": f"{sys.executable} {script}", "VISUAL": ""}


def test_edit_in_the_editor_saves_the_entry(
    db: Backend, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    env = editor_env(tmp_path, db, cli_env, "1. Cài ứng dụng VNeID.", "1. Cài VNeID chính thức.")
    code, output = run_on_terminal(["kb", "edit", "account.register", "--by", "thu"], env)
    assert code == 0, output
    assert "Đã lưu account.register" in output
    _, entries = db_state(db)
    [entry] = [e for e in entries if e["id"] == "account.register"]
    assert "1. Cài VNeID chính thức." in str(entry["answer"])


def test_an_invalid_edit_is_not_saved(db: Backend, tmp_path: Path, cli_env: dict[str, str]) -> None:
    env = editor_env(tmp_path, db, cli_env, "category: account", "category: nowhere")
    code, output = run_on_terminal(["kb", "edit", "account.register"], env, typed="k\n")
    assert code == 1, output
    assert "Chưa lưu, còn lỗi" in output and "unknown category" in output
    version, entries = db_state(db)
    assert version == 1
    assert all(e["category"] != "nowhere" for e in entries)
