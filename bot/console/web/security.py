"""Headers, login, CSRF and roles for every console request.

Order: headers (always, also on errors) → session (redirect to the login page when missing) →
Origin and CSRF token on every state-changing request → the page's role check.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiohttp import web

from bot.console.sessions import LoggedIn
from bot.console.web.context import console_of

SESSION_COOKIE = "staff_session"
LOGIN_COOKIE = "staff_login"  # double-submit token of the login form (no session yet)
PREFIX = "/staff"
PUBLIC = (f"{PREFIX}/login", f"{PREFIX}/static/")
# Only our own files: no inline script or style, no other origin, never inside a frame.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
STAFF: web.RequestKey[LoggedIn] = web.RequestKey("staff", LoggedIn)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def is_https(request: web.Request) -> bool:
    if request.secure:
        return True
    console = console_of(request)
    if console.settings.staff_trust_forwarded_proto:
        forwarded = request.headers.get("X-Forwarded-Proto", "")
        return forwarded.split(",")[0].strip().lower() == "https"
    return False


def own_origin(request: web.Request) -> str:
    scheme = "https" if is_https(request) else "http"
    return f"{scheme}://{request.host}"


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        path=PREFIX,
        httponly=True,
        secure=is_https(request),
        samesite="Lax",
    )


def staff(request: web.Request) -> LoggedIn:
    return request[STAFF]


def error_page(request: web.Request, status: int, title: str, message: str) -> web.Response:
    from bot.console.web.render import render

    return render(request, "error.html", {"title": title, "message": message}, status=status)


@web.middleware
async def headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _secure_headers(request, exc)
        raise
    _secure_headers(request, response)
    return response


def _secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if not request.path.startswith(f"{PREFIX}/static/"):
        response.headers["Cache-Control"] = "no-store"


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(PUBLIC):
        return await handler(request)
    console = console_of(request)
    logged_in = await console.sessions.lookup(request.cookies.get(SESSION_COOKIE))
    if logged_in is None:
        target = request.path_qs if request.method in SAFE_METHODS else PREFIX
        return web.Response(
            status=303, headers={"Location": f"{PREFIX}/login?next={quote(target, safe='')}"}
        )
    request[STAFF] = logged_in
    return await handler(request)


def origin_ok(request: web.Request) -> bool:
    """A browser's Origin (or Referer) must be ours; tools that send neither rely on the token."""
    origin = request.headers.get("Origin")
    if origin is None:
        referer = request.headers.get("Referer")
        if referer is None:
            return True
        return referer == own_origin(request) or referer.startswith(own_origin(request) + "/")
    return origin == own_origin(request)


def tokens_match(expected: str, given: object) -> bool:
    return isinstance(given, str) and hmac.compare_digest(expected.encode(), given.encode())


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in SAFE_METHODS:
        return await handler(request)
    if not origin_ok(request):
        return forbidden_csrf(request)
    if request.content_type == "multipart/form-data":
        # Uploads are streamed: the handler checks the token (the form's first field) itself.
        return await handler(request)
    form = await request.post()
    if request.path == f"{PREFIX}/login":
        expected = request.cookies.get(LOGIN_COOKIE, "")
        valid = bool(expected) and tokens_match(expected, form.get("csrf_token"))
    else:
        valid = STAFF in request and tokens_match(request[STAFF].csrf, form.get("csrf_token"))
    if not valid:
        return forbidden_csrf(request)
    return await handler(request)


def forbidden_csrf(request: web.Request) -> web.Response:
    return error_page(
        request,
        403,
        "Biểu mẫu đã hết hạn",
        "Trang này đã mở quá lâu hoặc không gửi từ trang quản trị. Hãy quay lại, tải lại "
        "trang (F5) rồi làm lại; nội dung bạn đã gõ vẫn còn khi bấm Quay lại.",
    )


def requires(role: str) -> Callable[[Handler], Handler]:
    """Allow the page to accounts whose role includes ``role``; others get a clear 403."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            if not staff(request).account.can(role):
                from bot.console.web.render import ROLE_LABELS

                return error_page(
                    request,
                    403,
                    "Không có quyền",
                    f"Việc này cần vai trò “{ROLE_LABELS[role]}”. Tài khoản của bạn là "
                    f"“{ROLE_LABELS[staff(request).account.role]}”; hãy nhờ quản trị viên.",
                )
            return await handler(request)

        return checked

    return wrap


def new_login_token() -> str:
    return secrets.token_urlsafe(24)
