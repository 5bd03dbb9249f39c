"""Staff pipe command output into head, grep and less; a reader that stops early is not an error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("command", [["tips", "list"], ["tips", "export"]])
def test_closed_pipe_is_a_quiet_exit(
    command: list[str], cli_env: dict[str, str], tmp_path: Path
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env,
        cwd=tmp_path,
        text=True,
        encoding="utf-8",
    )
    assert process.stdout is not None
    process.stdout.close()  # like `| head` that has already read what it wanted
    _, err = process.communicate(timeout=300)
    assert process.returncode == 141
    assert err == ""
