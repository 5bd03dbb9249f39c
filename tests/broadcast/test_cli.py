"""CONTRACT: ``python -m bot broadcast send|resume|status`` and ``tips import|export``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.broadcast.conftest import Db
from tests.broadcast.helpers import add_subscribers, tips
from tests.broadcast.test_crash import cli, cli_env
from tests.fakes.bot_api_limits import BotApiLimits
from tests.storage.backends import Backend

REPORT_KEYS = {"id", "sent", "failed", "blocked", "pending", "unknown", "rate", "duration"}


async def run_cli(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    process = await cli(env, cwd, *args)
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def status(env: dict[str, str], cwd: Path) -> list[dict[str, object]]:
    code, out, err = await run_cli(env, cwd, "broadcast", "status", "--json")
    assert code == 0, err
    value = json.loads(out)
    assert isinstance(value, list)
    return value


async def test_send_delivers_and_status_reports(db: Db, fake: BotApiLimits, tmp_path: Path) -> None:
    chats = await add_subscribers(db.sessions, 50)
    fake.blocked = {chats[0]}
    env = cli_env(db, fake)
    code, out, err = await run_cli(
        env, tmp_path, "broadcast", "send", "--text", "Cổng DVC bảo trì 22:00-23:00 hôm nay."
    )
    assert code == 0, err
    assert "đã xong: 49 đã gửi, 0 lỗi, 1 đã chặn bot" in out
    assert fake.duplicates() == {} and len(fake.accepted) == 49
    [report] = await status(env, tmp_path)
    assert report.keys() >= REPORT_KEYS
    assert (report["sent"], report["blocked"], report["pending"], report["unknown"]) == (
        49,
        1,
        0,
        0,
    )
    assert report["status"] == "finished"
    code, out, _ = await run_cli(env, tmp_path, "broadcast", "status")
    assert code == 0 and "49/50 đã gửi" in out
    code, out, _ = await run_cli(env, tmp_path, "broadcast", "resume")
    assert code == 0 and "Không có đợt gửi nào đang dở" in out
    assert len(fake.accepted) == 49


def in_process(
    argv: list[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> tuple[int, str, str]:
    """The CLI in this process (fast); env as the subprocess would see it."""
    from bot.admin.cli import main

    with monkeypatch.context() as patch:
        for key in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_BROADCAST_RATE", "TELEGRAM_PAID_BROADCAST"):
            patch.delenv(key, raising=False)
        for key, value in env.items():
            patch.setenv(key, value)
        code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def threaded(
    argv: list[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> tuple[int, str, str]:
    """The CLI in a thread with its own event loop, while the fake server runs in ours."""
    return await asyncio.to_thread(in_process, argv, env, monkeypatch, capsys)


def test_bad_input_is_refused_and_nothing_is_created(
    backend_info: Backend,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    env = backend_info.env() | {
        "TELEGRAM_BOT_TOKEN": "1:unused",  # input is checked before Telegram is contacted
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
        "QUIET_HOURS_START": "00:00",
        "QUIET_HOURS_END": "00:00",
    }
    cases = [
        (["--text", "   "], "trống"),
        (["--text", "x" * 5000], "vượt giới hạn 4"),
        (["--tip", "khong.co"], "Không có mẹo nào mã 'khong.co'"),
        (["--text", "Thông báo", "--at", "2020-01-01 08:00"], "đã qua"),
        (["--text", "Thông báo", "--at", "ngày mai"], "YYYY-MM-DD HH:MM"),
    ]
    for args, message in cases:
        code, _, err = in_process(["broadcast", "send", *args], env, monkeypatch, capsys)
        assert code == 2 and message in err, (args, err)
    no_token = {k: v for k, v in env.items() if k != "TELEGRAM_BOT_TOKEN"}
    code, _, err = in_process(
        ["broadcast", "send", "--text", "Thông báo"], no_token, monkeypatch, capsys
    )
    assert code == 2 and "Chưa cấu hình kênh gửi nào" in err and "TELEGRAM_BOT_TOKEN" in err
    too_fast = env | {"TELEGRAM_BROADCAST_RATE": "50"}
    code, _, err = in_process(
        ["broadcast", "send", "--text", "Thông báo"], too_fast, monkeypatch, capsys
    )
    assert code == 2 and "TELEGRAM_BROADCAST_RATE=50" in err
    code, _, err = in_process(
        ["broadcast", "send", "--text", "Thông báo"], env, monkeypatch, capsys
    )
    assert code == 2 and "Không kết nối được máy chủ Telegram" in err
    code, out, _ = in_process(["broadcast", "status", "--json"], env, monkeypatch, capsys)
    assert code == 0 and json.loads(out) == []


async def test_send_at_a_later_time_only_schedules(
    db: Db, fake: BotApiLimits, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    await add_subscribers(db.sessions, 3)
    monkeypatch.chdir(tmp_path)
    env = cli_env(db, fake)
    code, out, err = await threaded(
        ["broadcast", "send", "--text", "Hẹn giờ", "--at", "2099-01-01 08:00"],
        env,
        monkeypatch,
        capsys,
    )
    assert code == 0, err
    assert "Đã hẹn đợt gửi" in out and "2099-01-01 08:00" in out
    code, out, _ = await threaded(["broadcast", "status", "--json"], env, monkeypatch, capsys)
    [report] = json.loads(out)
    assert report["status"] == "scheduled" and report["sent"] == 0
    assert report["scheduled_for"] == "2099-01-01T01:00:00+00:00"
    assert fake.requests == 0


async def test_tips_import_export_round_trip_and_tip_send(
    db: Db, fake: BotApiLimits, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from bot.broadcast.tipfile import dump_tips

    chats = await add_subscribers(db.sessions, 4)
    monkeypatch.chdir(tmp_path)
    env = cli_env(db, fake)
    source = tmp_path / "tips.yaml"
    source.write_text(dump_tips(tips(5)), encoding="utf-8")
    code, out, err = await threaded(["tips", "import", str(source)], env, monkeypatch, capsys)
    assert code == 0 and "Đã thêm 5" in out, err
    exported = tmp_path / "export.yaml"
    code, _, err = await threaded(
        ["tips", "export", "--output", str(exported)], env, monkeypatch, capsys
    )
    assert code == 0, err
    assert exported.read_text(encoding="utf-8") == source.read_text(encoding="utf-8")
    code, out, _ = await threaded(
        ["tips", "import", str(exported), "--dry-run"], env, monkeypatch, capsys
    )
    assert code == 0 and "Sẽ thêm 0, sửa 0, gỡ 0" in out
    code, out, err = await threaded(
        ["broadcast", "send", "--tip", "tip.03"], env, monkeypatch, capsys
    )
    assert code == 0, err
    assert sorted(fake.per_chat()) == sorted(chats)
    assert all(a.text.startswith("💡 Mẹo số 3") for a in fake.accepted)


async def test_a_broken_tips_file_is_reported_by_line_and_nothing_imported(
    db: Db, fake: BotApiLimits, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    env = cli_env(db, fake)
    bad = tmp_path / "tips.yaml"
    bad.write_text(
        "tips:\n"
        "  - id: scam.otp\n"
        "    title: OTP\n"
        "    body: Không đọc mã OTP cho ai.\n"
        "  - id: scam.otp\n"
        "    title: Trùng\n"
        "    body: x\n"
        "  - id: Bad Id\n"
        "    title: ''\n"
        "    body: y\n"
        "    colour: red\n",
        encoding="utf-8",
    )
    code, _, err = await threaded(["tips", "import", str(bad)], env, monkeypatch, capsys)
    assert code == 1
    assert f"{bad}:5, entry scam.otp, field id: mã mẹo bị trùng" in err
    assert f"{bad}:8, entry Bad Id, field id" in err
    assert "field title: thiếu" in err and "colour" in err
    code, out, _ = await threaded(["tips", "list", "--json"], env, monkeypatch, capsys)
    assert code == 0 and json.loads(out) == []


def test_database_unavailable_is_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "TELEGRAM_BOT_TOKEN": "1:x"}
    code, _, err = in_process(["broadcast", "status"], env, monkeypatch, capsys)
    assert code == 1 and "Không kết nối được cơ sở dữ liệu" in err, err
    assert "Traceback" not in err
