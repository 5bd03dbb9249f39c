"""Log in and out."""

from __future__ import annotations

from aiohttp import web

from bot.console.accounts import LoginBlocked
from bot.console.web.context import console_of
from bot.console.web.render import render, see_other
from bot.console.web.security import (
    LOGIN_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    new_login_token,
    set_cookie,
    staff,
)

WRONG = "Sai tên đăng nhập hoặc mật khẩu."
BLOCKED = (
    "Đăng nhập sai nhiều lần. Vui lòng đợi {seconds} giây rồi thử lại "
    "(hoặc nhờ quản trị viên đặt lại mật khẩu)."
)


def safe_next(value: object) -> str:
    """Only a path of the console itself: never another site (open redirect)."""
    if (
        isinstance(value, str)
        and (value == PREFIX or value.startswith(PREFIX + "/") or value.startswith(PREFIX + "?"))
        and not any(ch in value for ch in "\\\r\n")
    ):
        return value
    return PREFIX


def _login_page(
    request: web.Request, *, error: str = "", username: str = "", status: int = 200
) -> web.Response:
    token = new_login_token()
    response = render(
        request,
        "login.html",
        {
            "title": "Đăng nhập",
            "error": error,
            "username": username,
            "next": safe_next(request.query.get("next")),
            "login_token": token,
        },
        status=status,
    )
    set_cookie(request, response, LOGIN_COOKIE, token)
    return response


async def login_form(request: web.Request) -> web.Response:
    return _login_page(request)


async def login(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    form = await request.post()
    username = str(form.get("username", ""))[:200]
    password = str(form.get("password", ""))
    client = request.remote or "unknown"
    try:
        account = await console.accounts.authenticate(username, password, client)
    except LoginBlocked as exc:
        return _login_page(
            request, error=BLOCKED.format(seconds=exc.seconds), username=username, status=429
        )
    if account is None:
        return _login_page(request, error=WRONG, username=username, status=401)
    token = await console.sessions.create(account)
    response = see_other(safe_next(form.get("next")))
    set_cookie(request, response, SESSION_COOKIE, token)
    response.del_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    await console.sessions.end(request.cookies.get(SESSION_COOKIE))
    from bot.storage.audit import add_audit

    async with console.storage.session_factory.begin() as session:
        name = staff(request).account.username
        add_audit(session, f"web:{name}", "staff.logout", f"staff:{name}")
    response = see_other(f"{PREFIX}/login", "logged_out")
    response.del_cookie(SESSION_COOKIE, path=PREFIX)
    return response


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/login", login_form)
    router.add_post("/login", login)
    router.add_post("/logout", logout)
