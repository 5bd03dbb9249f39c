"""``python run_bot.py`` in a child process, as a province runs it: for crash and start-up tests
(and the bench probes). Its output goes to a file the test reads; nothing here asserts."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.config import PROJECT_ROOT

# Settings a developer's shell may carry that must not reach the bot under test.
_SCRUBBED = ("TELEGRAM_", "DATABASE_", "ZALO_", "KNOWLEDGE_", "LOG_LEVEL", "WEB_", "STAFF_")


class BotProcess:
    def __init__(
        self,
        env: dict[str, str],
        workdir: Path,
        root: Path = PROJECT_ROOT,
        *,
        args: tuple[str, ...] = (),
    ) -> None:
        self.env = env
        self.args = args
        self.workdir = workdir
        self.root = root
        self.process: asyncio.subprocess.Process | None = None
        self.runs = 0

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def log_path(self) -> Path:
        return self.workdir / f"bot{self.runs}.log"

    async def start(self) -> None:
        self.runs += 1
        base = {k: v for k, v in os.environ.items() if not k.upper().startswith(_SCRUBBED)}
        with self.log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(self.root / "run_bot.py"),
                *self.args,
                cwd=self.workdir,  # no .env file here
                # Any free port unless the test chose one: tests run side by side.
                env={**base, "PTB_TIMEDELTA": "true", "WEB_PORT": "0", **self.env},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )

    def output(self) -> str:
        """What the current run has written so far (stdout and stderr)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def wait_for_output(self, text: str, count: int = 1, within: float = 60.0) -> None:
        """Wait until ``text`` appeared ``count`` times (a guard against hanging, not a timing)."""
        for _ in range(int(within / 0.05)):
            if self.output().count(text) >= count:
                return
            if self.process is not None and self.process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        raise AssertionError(f"{text!r} did not appear {count} times:\n{self.output()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed."""
        if self.process is not None and self.process.returncode is None:
            os.kill(self.process.pid, signal.SIGKILL)

    async def wait(self) -> int:
        assert self.process is not None
        return await self.process.wait()

    async def terminate(self, within: float = 30.0) -> int:
        """SIGTERM, as a service manager stops the bot; the exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise

    async def close(self) -> None:
        """Whatever happened, leave no process behind."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


def webhook_env(secret: str) -> dict[str, str]:
    """Settings that make the bot take updates on a webhook on a free port of 127.0.0.1."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    return {
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "TELEGRAM_WEBHOOK_SECRET": secret,
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
    }
