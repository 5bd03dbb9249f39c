from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment with its own SQLite database and no tokens."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "ZALO_", "DATABASE_URL", "PROVINCE"))
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


@pytest.fixture
def run_cli(cli_env: dict[str, str], tmp_path: Path) -> Run:
    def run(
        *args: str, stdin: str = "", env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env={**cli_env, **(env or {})},
            cwd=tmp_path,
            timeout=300,
            check=False,
        )

    return run


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT
