"""``python -m bot doctor``: what is wrong with this installation, in plain words.

Checks the settings, each configured token (getMe against the platform), the database (reachable,
migrations at head), the knowledge files and the address data, and exits 1 when anything is
wrong, so a deployment script can stop before starting a broken assistant.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import SecretStr, ValidationError
from sqlalchemy import text

from bot.admin.common import run_async
from bot.config import Settings
from bot.core.knowledge import KnowledgeError, load_knowledge_dir
from bot.storage import migrate as migrations
from bot.storage.engine import SQLITE_DRIVER, DatabaseUrlError, async_url, create_engine

TIMEOUT = 10.0  # seconds for one check against a platform or the database


@dataclass(frozen=True, slots=True)
class Finding:
    ok: bool
    what: str
    detail: str

    def line(self) -> str:
        return f"{'OK ' if self.ok else 'LỖI'}  {self.what}: {self.detail}"


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "doctor", help="kiểm tra cấu hình, token, cơ sở dữ liệu, kiến thức; báo lỗi dễ hiểu"
    )
    p.set_defaults(func=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    del args
    try:
        settings = Settings()
    except ValidationError as exc:
        print("LỖI  cấu hình (biến môi trường hoặc .env):")
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]).upper()
            print(f"     {field}: {error['msg']}")
        return 1

    async def run() -> int:
        findings = await diagnose(settings)
        for finding in findings:
            print(finding.line())
        wrong = sum(not f.ok for f in findings)
        print("Mọi thứ ổn." if not wrong else f"{wrong} vấn đề cần sửa.")
        return 1 if wrong else 0

    return run_async(run)


async def diagnose(settings: Settings) -> list[Finding]:
    findings = [_broadcast_settings(settings)]
    findings += await _tokens(settings)
    findings += await _database(settings)
    findings.append(_knowledge(settings.knowledge_dir))
    findings.append(_addresses(settings))
    return findings


def _broadcast_settings(settings: Settings) -> Finding:
    from bot.broadcast.options import BroadcastConfigError, options_from_settings

    try:
        options_from_settings(settings)
    except BroadcastConfigError as exc:
        return Finding(False, "cài đặt gửi tin", str(exc))
    return Finding(True, "cài đặt gửi tin", "hợp lệ")


# ---------------------------------------------------------------------- tokens

Call = Callable[[aiohttp.ClientSession, str], Awaitable[tuple[int, dict[str, Any]]]]


async def _telegram_get_me(session: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, Any]]:
    async with session.get(url) as answer:
        return answer.status, await answer.json(content_type=None)


async def _zalo_get_me(session: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, Any]]:
    async with session.post(url, json={}) as answer:
        return answer.status, await answer.json(content_type=None)


async def _tokens(settings: Settings) -> list[Finding]:
    checks = [
        ("Telegram", "TELEGRAM_BOT_TOKEN", settings.telegram_bot_token,
         settings.telegram_api_base_url, _telegram_get_me),
        ("Zalo", "ZALO_BOT_TOKEN", settings.zalo_bot_token,
         settings.zalo_api_base_url, _zalo_get_me),
    ]  # fmt: skip
    configured = [c for c in checks if c[2] is not None]
    if not configured:
        return [Finding(True, "kênh", "chưa có token nào: trợ lý chạy trong cửa sổ dòng lệnh")]
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        return [
            await _check_token(session, name, variable, token, base, call)
            for name, variable, token, base, call in configured
            if token is not None
        ]


async def _check_token(
    session: aiohttp.ClientSession,
    name: str,
    variable: str,
    token: SecretStr,
    base: str,
    call: Call,
) -> Finding:
    what = f"token {name}"
    host = base.split("//", 1)[-1].split("/", 1)[0]
    try:
        status, body = await call(session, f"{base}{token.get_secret_value()}/getMe")
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        # Never the URL: it holds the token.
        return Finding(False, what, f"không gọi được {host} ({type(exc).__name__})")
    if status in (401, 404) or body.get("error_code") in (401, 404):
        return Finding(False, what, f"{name} từ chối {variable}: token sai hoặc đã bị thu hồi")
    if not body.get("ok"):
        reason = body.get("description") or f"HTTP {status}"
        return Finding(False, what, f"{host} trả lời lỗi: {reason}")
    result = body.get("result") or {}
    names = ("username", "account_name", "display_name", "first_name")
    label = next((str(result[k]) for k in names if result.get(k)), "?")
    return Finding(True, what, f"hợp lệ (bot {label})")


# ---------------------------------------------------------------------- database


def _sqlite_missing(driver: str, database: str | None) -> bool:
    """A SQLite file not created yet: fine, the first start creates it (doctor must not)."""
    if driver != SQLITE_DRIVER or database is None:
        return False
    return not Path(database).expanduser().exists()


async def _database(settings: Settings) -> list[Finding]:
    try:
        url = async_url(settings.database_url)
    except DatabaseUrlError as exc:
        return [Finding(False, "cơ sở dữ liệu", str(exc))]
    if _sqlite_missing(url.drivername, url.database):
        return [Finding(True, "cơ sở dữ liệu", f"chưa có tệp {url.database}: tạo khi chạy lần đầu")]
    engine = create_engine(settings)
    try:
        async with asyncio.timeout(TIMEOUT):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            revision = await migrations.current_revision(engine)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return [Finding(False, "cơ sở dữ liệu", f"không kết nối được ({reason[:200]})")]
    finally:
        await engine.dispose()
    findings = [Finding(True, "cơ sở dữ liệu", f"kết nối được ({url.get_backend_name()})")]
    head = migrations.head_revision()
    if revision == head:
        findings.append(Finding(True, "phiên bản lược đồ", f"{revision} (mới nhất)"))
    else:
        findings.append(
            Finding(
                False,
                "phiên bản lược đồ",
                f"{revision or 'trống'}, mã nguồn cần {head}: chạy `python -m bot db upgrade`",
            )
        )
    return findings


# ---------------------------------------------------------------------- files


def _knowledge(directory: Path) -> Finding:
    try:
        kb = load_knowledge_dir(directory)
    except KnowledgeError as exc:
        first = "; ".join(str(issue) for issue in exc.issues[:3])
        more = f" (và {len(exc.issues) - 3} lỗi nữa)" if len(exc.issues) > 3 else ""
        fix = "sửa rồi chạy `python -m bot kb validate`"
        return Finding(False, "kiến thức", f"{first}{more}: {fix}")
    except OSError as exc:
        return Finding(False, "kiến thức", f"không đọc được {directory}: {exc.strerror}")
    return Finding(True, "kiến thức", f"{len(kb.published)} câu trả lời đã xuất bản")


def _addresses(settings: Settings) -> Finding:
    from bot.runtime import load_address_book

    path = settings.address_file
    if not path.is_file():
        return Finding(
            False,
            "dữ liệu địa chỉ",
            f"thiếu {path}: tra cứu địa chỉ sẽ tắt (tạo bằng tools/build_address_data.py)",
        )
    try:
        load_address_book(settings)
    except KnowledgeError as exc:
        return Finding(False, "dữ liệu địa chỉ", str(exc.issues[0]))
    return Finding(True, "dữ liệu địa chỉ", str(path.name))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cmd_doctor(argparse.Namespace()))
