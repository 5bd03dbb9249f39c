"""CONTRACT: `TELEGRAM_BOT_TOKEN=… python run_bot.py` answers via the Bot API, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from tests.channels.telegram.conftest import CITIZEN
from tests.fakes.telegram_server import TOKEN, FakeTelegram

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_run_bot_polls_answers_and_exits_0_on_a_signal(
    fake: FakeTelegram, tmp_path: Path, stop_signal: signal.Signals
) -> None:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "PYTHONUNBUFFERED": "1",
        "WEB_PORT": "0",  # the shared server on any free port: tests run side by side
    }
    for name in ("TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET"):
        env.pop(name, None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(PROJECT_ROOT / "run_bot.py"),
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        fake.text(CITIZEN, "quen mat khau dich vu cong")
        (answer,) = await fake.replies(CITIZEN, within=60)
        assert answer.text.startswith("Tôi quên mật khẩu")
        process.send_signal(stop_signal)
        # The contract: exit code 0 within 10 s of SIGINT or SIGTERM (the process's own stop
        # deadline keeps the 10 s, tests/test_stop_deadline.py; a test does not time a machine).
        code = await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    _, stderr = await process.communicate()
    assert code == 0, stderr.decode()
    assert TOKEN not in stderr.decode()  # secrets never reach the logs


@pytest.mark.slow
async def test_run_bot_serves_a_webhook_that_checks_the_secret(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    import aiohttp

    from tests.channels.telegram.test_webhook import SECRET, free_port, update

    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_WEBHOOK_URL": url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "TELEGRAM_WEBHOOK_PATH": "/hook",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(PROJECT_ROOT / "run_bot.py"),
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_for(lambda: fake.webhook is not None, within=60)
        assert fake.webhook == {"url": url, "secret_token": SECRET}
        async with aiohttp.ClientSession() as http:
            wrong = {"X-Telegram-Bot-Api-Secret-Token": "nope"}
            async with http.post(url, json=update(1, 42, "/start"), headers=wrong) as response:
                assert response.status == 403
        fake.text(CITIZEN, "quen mat khau dich vu cong")  # delivered with the secret
        (answer,) = await fake.replies(CITIZEN, within=30)
        assert answer.text.startswith("Tôi quên mật khẩu")
        assert fake.to(42) == []
        process.send_signal(signal.SIGTERM)
        code = await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    _, stderr = await process.communicate()
    assert code == 0, stderr.decode()
    assert SECRET not in stderr.decode()
