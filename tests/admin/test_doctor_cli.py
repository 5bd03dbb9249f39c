"""``python -m bot doctor``: every problem named in plain words, exit code 1 when any."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from tests.admin.conftest import Run
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.zalo_server import TOKEN as ZALO_TOKEN
from tests.fakes.zalo_server import FakeZalo

TG_TOKEN = "7912345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"


@pytest.fixture
async def fakes() -> AsyncIterator[dict[str, str]]:
    telegram = FakeTelegram(token=TG_TOKEN)
    zalo = FakeZalo()
    await telegram.start()
    await zalo.start()
    try:
        yield {
            "TELEGRAM_API_BASE_URL": telegram.base_url,
            "ZALO_API_BASE_URL": zalo.base_url,
        }
    finally:
        await telegram.stop()
        await zalo.stop()


async def doctor(run_cli: Run, **env: str) -> subprocess.CompletedProcess[str]:
    # The fakes serve from this event loop: run the command beside it, not blocking it.
    return await asyncio.to_thread(run_cli, "doctor", env=env)


async def test_a_healthy_installation_passes(run_cli: Run, fakes: dict[str, str]) -> None:
    assert run_cli("db", "upgrade").returncode == 0
    result = await doctor(run_cli, TELEGRAM_BOT_TOKEN=TG_TOKEN, ZALO_BOT_TOKEN=ZALO_TOKEN, **fakes)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "LỖI" not in result.stdout
    assert "OK   token Telegram: hợp lệ (bot " in result.stdout
    assert "OK   token Zalo: hợp lệ (bot bot.dichvucong)" in result.stdout
    assert "(mới nhất)" in result.stdout and "Mọi thứ ổn." in result.stdout


async def test_wrong_tokens_old_schema_and_broken_knowledge_are_named(
    run_cli: Run, fakes: dict[str, str], tmp_path: Path
) -> None:
    knowledge = tmp_path / "knowledge"
    without_addresses = shutil.ignore_patterns("addresses")
    shutil.copytree(PROJECT_ROOT / "knowledge", knowledge, ignore=without_addresses)
    broken = next((knowledge / "faq").rglob("*.yaml"))
    broken.write_text("- id: [unclosed\n", encoding="utf-8")
    (tmp_path / "cli.db").touch()  # exists, but no migration ever ran
    result = await doctor(
        run_cli,
        TELEGRAM_BOT_TOKEN="7912345678:" + "x" * 35,
        ZALO_BOT_TOKEN="2913384750112233445:wrong-secret",
        KNOWLEDGE_DIR=str(knowledge),
        **fakes,
    )
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "LỖI  token Telegram: Telegram từ chối TELEGRAM_BOT_TOKEN" in out
    assert "LỖI  token Zalo: Zalo từ chối ZALO_BOT_TOKEN" in out
    assert "LỖI  phiên bản lược đồ: trống, mã nguồn cần" in out and "db upgrade" in out
    assert f"LỖI  kiến thức: {broken.name}" in out or f"LỖI  kiến thức: {broken}" in out
    assert "LỖI  dữ liệu địa chỉ: thiếu" in out
    assert "x" * 35 not in out and "wrong-secret" not in out
    assert "Traceback" not in result.stderr


async def test_unreachable_database_and_platform_and_bad_settings(
    run_cli: Run, tmp_path: Path
) -> None:
    result = await doctor(
        run_cli,
        DATABASE_URL="postgresql://nobody@127.0.0.1:9/none",
        TELEGRAM_BOT_TOKEN=TG_TOKEN,
        TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot",
    )
    assert result.returncode == 1
    assert "LỖI  cơ sở dữ liệu: không kết nối được" in result.stdout
    assert "LỖI  token Telegram: không gọi được 127.0.0.1:9" in result.stdout
    assert TG_TOKEN not in result.stdout + result.stderr
    bad = run_cli("doctor", env={"FLOOD_MAX_MESSAGES": "many"})
    assert bad.returncode == 1 and "FLOOD_MAX_MESSAGES" in bad.stdout
    assert "Traceback" not in bad.stderr


def test_doctor_is_listed_in_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=True
    )
    assert "doctor" in result.stdout
