"""/staff/accounts (admin): add accounts, change roles, lock, reset passwords."""

from __future__ import annotations

from aiohttp import web

from bot.console.accounts import AccountError, actor
from bot.console.models import ROLES
from bot.console.passwords import PasswordRejected
from bot.console.web.context import console_of
from bot.console.web.render import render, see_other
from bot.console.web.security import requires, staff


async def _page(
    request: web.Request, *, error: str = "", username: str = "", status: int = 200
) -> web.Response:
    console = console_of(request)
    return render(
        request,
        "accounts.html",
        {
            "title": "Tài khoản",
            "accounts": await console.accounts.list(),
            "roles": ROLES,
            "error": error,
            "username": username,
        },
        status=status,
    )


@requires("admin")
async def accounts_page(request: web.Request) -> web.Response:
    return await _page(request)


@requires("admin")
async def add_account(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    form = await request.post()
    username = str(form.get("username", ""))[:100]
    password = str(form.get("password", ""))
    if password != str(form.get("password2", "")):
        return await _page(
            request, error="Hai lần nhập mật khẩu không khớp.", username=username, status=422
        )
    try:
        await console.accounts.add(
            username, password, str(form.get("role", "")), by=actor(staff(request).account.username)
        )
    except (AccountError, PasswordRejected) as exc:
        return await _page(request, error=str(exc), username=username, status=422)
    return see_other("/staff/accounts", "account_added")


@requires("admin")
async def change_account(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    form = await request.post()
    username = request.match_info["username"]
    by = actor(staff(request).account.username)
    action = str(form.get("action", ""))
    try:
        if action == "role":
            await console.accounts.set_role(username, str(form.get("role", "")), by=by)
        elif action in ("disable", "enable"):
            await console.accounts.set_active(username, action == "enable", by=by)
        elif action == "password":
            password = str(form.get("password", ""))
            if password != str(form.get("password2", "")):
                raise AccountError("Hai lần nhập mật khẩu không khớp.")
            await console.accounts.set_password(username, password, by=by)
        else:
            raise AccountError("Không rõ việc cần làm.")
    except (AccountError, PasswordRejected) as exc:
        return await _page(request, error=str(exc), status=422)
    return see_other("/staff/accounts", "account_changed")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/accounts", accounts_page)
    router.add_post("/accounts", add_account)
    router.add_post("/accounts/{username}", change_account)
