"""CONTRACT: `python run_bot.py` without any token serves the shared HTTP server (web chat, staff
console, health), prints where, and exits 0 on SIGTERM or Ctrl+C."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.bot_process import BotProcess

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
ADDRESS = re.compile(r"Assistant serving on (http://127\.0\.0\.1:(\d+))")


async def _address(bot: BotProcess) -> str:
    await bot.wait_for_output("Press Ctrl+C to stop.")
    found = ADDRESS.search(bot.output())
    assert found is not None, bot.output()
    return found.group(1)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_run_bot_without_tokens_serves_the_console_and_stops_on_a_signal(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    bot = BotProcess({"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}, tmp_path)
    await bot.start()
    try:
        base = await _address(bot)
        assert f"/staff: {base}/staff" in bot.output()
        assert f"/chat: {base}/chat" in bot.output()
        assert "python -m bot chat" in bot.output()
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/chat") as response:
                assert response.status == 200
                assert 'role="log"' in await response.text()
            async with http.post(f"{base}/api/chat", json={"text": "quen mat khau dvc"}) as r:
                assert r.status == 200
                assert (await r.json())["reply"]["outcome"] == "answered"
            async with http.get(f"{base}/healthz") as response:
                assert response.status == 200
            async with http.get(f"{base}/staff", allow_redirects=False) as response:
                assert response.status in (302, 303)
                assert response.headers["Location"].startswith("/staff/login")
            async with http.get(f"{base}/staff/login") as response:
                assert response.status == 200
                assert "username" in await response.text()
            # The Telegram webhook path is not served without Telegram.
            async with http.post(f"{base}/telegram", json={}) as response:
                assert response.status in (404, 405)
        assert bot.process is not None
        bot.process.send_signal(stop_signal)
        assert await asyncio.wait_for(bot.wait(), 30) == 0, bot.output()
    finally:
        await bot.close()


async def test_a_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = blocker.sockets[0].getsockname()[1]
    bot = BotProcess(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "WEB_PORT": str(port)}, tmp_path
    )
    try:
        await bot.start()
        assert await asyncio.wait_for(bot.wait(), 60) == 1
        assert f"cannot listen on 127.0.0.1:{port}" in bot.output()
        assert "WEB_PORT" in bot.output()
    finally:
        await bot.close()
        blocker.close()
        await blocker.wait_closed()
