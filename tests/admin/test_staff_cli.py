"""CONTRACT: `python -m bot staff add|list|disable|enable|password|role`, password on stdin."""

from __future__ import annotations

import asyncio
import fcntl
import os
import subprocess
import sys
import termios
from pathlib import Path

from bot.config import Settings
from bot.console.accounts import AccountRepository
from bot.storage import Storage
from tests.admin.conftest import Run

PASSWORD = "mật khẩu của Lan 2026"


def _verify(database: str, username: str, password: str) -> bool:
    async def check() -> bool:
        storage = await Storage.open(Settings(database_url=database, _env_file=None))  # type: ignore[call-arg]
        try:
            found = await AccountRepository(storage.session_factory).authenticate(
                username, password, "cli-test"
            )
            return found is not None
        finally:
            await storage.close()

    return asyncio.run(check())


def test_add_from_a_pipe_list_disable_and_new_password(
    run_cli: Run, cli_env: dict[str, str]
) -> None:
    added = run_cli("staff", "add", "Lan", "--role", "editor", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert "Đã thêm lan (editor)" in added.stdout
    assert _verify(cli_env["DATABASE_URL"], "lan", PASSWORD)
    listed = run_cli("staff", "list")
    assert "lan" in listed.stdout and "editor" in listed.stdout and "active" in listed.stdout
    assert PASSWORD not in listed.stdout
    twice = run_cli("staff", "add", "lan", "--role", "admin", stdin=PASSWORD + "\n")
    assert twice.returncode == 1 and "Đã có tài khoản lan" in twice.stderr
    changed = run_cli("staff", "password", "lan", stdin="một mật khẩu khác hẳn\n")
    assert changed.returncode == 0 and not _verify(cli_env["DATABASE_URL"], "lan", PASSWORD)
    assert _verify(cli_env["DATABASE_URL"], "lan", "một mật khẩu khác hẳn")
    disabled = run_cli("staff", "disable", "lan")
    assert disabled.returncode == 0 and "đã khoá" in disabled.stdout
    assert not _verify(cli_env["DATABASE_URL"], "lan", "một mật khẩu khác hẳn")


def test_bad_input_is_refused_with_a_reason(run_cli: Run) -> None:
    short = run_cli("staff", "add", "lan", "--role", "editor", stdin="ngắn\n")
    assert short.returncode == 1 and "ít nhất 10 ký tự" in short.stderr
    empty = run_cli("staff", "add", "lan", "--role", "editor", stdin="")
    assert empty.returncode == 1 and "stdin" in empty.stderr
    bad_name = run_cli("staff", "add", "Lê Lan", "--role", "editor", stdin=PASSWORD + "\n")
    assert bad_name.returncode == 1 and "Tên đăng nhập" in bad_name.stderr
    bad_role = run_cli("staff", "add", "lan", "--role", "boss", stdin=PASSWORD + "\n")
    assert bad_role.returncode == 2
    unknown = run_cli("staff", "disable", "khong.co")
    assert unknown.returncode == 1 and "Không có tài khoản" in unknown.stderr


def _on_a_terminal(cli_env: dict[str, str], tmp_path: Path, typed: list[str]) -> tuple[int, str]:
    """Run `staff add` with a pseudo-terminal as its controlling terminal and type lines."""
    leader, follower = os.openpty()

    def take_terminal() -> None:
        os.setsid()
        fcntl.ioctl(follower, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "staff", "add", "minh", "--role", "viewer"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=cli_env,
        cwd=tmp_path,
        preexec_fn=take_terminal,
    )
    os.close(follower)
    output = b""
    prompts = 0
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        while prompts < len(typed) and output.count(b": ") > prompts:
            os.write(leader, typed[prompts].encode() + b"\n")
            prompts += 1
    code = process.wait(timeout=300)
    os.close(leader)
    return code, output.decode("utf-8", "replace")


def test_on_a_terminal_the_password_is_asked_twice(cli_env: dict[str, str], tmp_path: Path) -> None:
    code, output = _on_a_terminal(cli_env, tmp_path, [PASSWORD, PASSWORD + " khác"])
    assert code == 1 and "không khớp" in output and PASSWORD not in output
    code, output = _on_a_terminal(cli_env, tmp_path, [PASSWORD, PASSWORD])
    assert code == 0 and "Đã thêm minh (viewer)" in output and PASSWORD not in output
    assert _verify(cli_env["DATABASE_URL"], "minh", PASSWORD)
