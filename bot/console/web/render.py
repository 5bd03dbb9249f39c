"""Jinja2 templates (escaped by default) and the values every page shows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from bot.console.web.context import console_of

TEMPLATES = Path(__file__).resolve().parent / "templates"
ROLE_LABELS = {"viewer": "Xem", "editor": "Biên tập", "admin": "Quản trị"}
NAV = (
    ("overview", "/staff", "Tổng quan"),
    ("inbox", "/staff/inbox", "Hộp thư câu hỏi"),
    ("knowledge", "/staff/knowledge", "Kiến thức"),
    ("broadcasts", "/staff/broadcasts", "Mẹo và thông báo"),
    ("accounts", "/staff/accounts", "Tài khoản"),
)
# Notices after a redirect are chosen by code, so no text from the address bar is shown.
NOTICES = {
    "saved": "Đã lưu.",
    "published": "Đã xuất bản: trợ lý dùng nội dung mới sau vài giây.",
    "promoted": "Đã thêm cách hỏi; trợ lý trả lời được câu này sau vài giây.",
    "already": "Cách hỏi này đã có trong mục; đã đóng câu hỏi.",
    "drafted": "Đã tạo bản nháp từ câu hỏi; sửa rồi xuất bản.",
    "dismissed": "Đã bỏ qua câu hỏi.",
    "reverted": "Đã khôi phục phiên bản cũ.",
    "imported": "Đã nhập xong.",
    "tip_saved": "Đã lưu mẹo.",
    "scheduled": "Đã lên lịch thông báo.",
    "sending": "Đang gửi thông báo.",
    "resumed": "Đã tiếp tục gửi.",
    "account_added": "Đã thêm tài khoản.",
    "account_changed": "Đã cập nhật tài khoản.",
    "logged_out": "Đã đăng xuất.",
    "expired": "Phiên làm việc đã hết hạn; vui lòng đăng nhập lại.",
}


def number(value: int | float) -> str:
    """1234567 → 1.234.567 (Vietnamese grouping)."""
    return f"{int(value):,}".replace(",", ".")


def percent(part: int, whole: int) -> str:
    if not whole:
        return "—"
    return f"{part * 100 / whole:.1f}".replace(".", ",") + "%"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = number
    env.globals["percent"] = percent
    env.globals["ROLE_LABELS"] = ROLE_LABELS
    return env


def local_time(request: web.Request, value: dt.datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    if value is None:
        return ""
    zone = ZoneInfo(console_of(request).settings.timezone)
    return value.astimezone(zone).strftime(fmt)


def render(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    from bot.console.web.security import STAFF

    console = console_of(request)
    logged_in = request.get(STAFF)
    page = {
        "staff": logged_in.account if logged_in else None,
        "csrf": logged_in.csrf if logged_in else "",
        "nav": NAV,
        "notice": NOTICES.get(request.query.get("msg", "")),
        "when": lambda value, fmt="%d/%m/%Y %H:%M": local_time(request, value, fmt),
        "current": request.path,
        **context,
    }
    html = console.templates.get_template(template).render(page)
    return web.Response(text=html, content_type="text/html", charset="utf-8", status=status)


def see_other(location: str, notice: str | None = None) -> web.Response:
    """Redirect after a POST (303), optionally with a notice code shown by the next page."""
    if notice:
        path, hash_sign, fragment = location.partition("#")
        path += ("&" if "?" in path else "?") + f"msg={notice}"
        location = path + hash_sign + fragment
    return web.Response(status=303, headers={"Location": location})
