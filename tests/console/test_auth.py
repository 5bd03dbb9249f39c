"""Logging in and out, sessions, the stored login throttle, headers and cookies."""

from __future__ import annotations

from yarl import URL

from bot.console.web.context import Console
from bot.console.web.security import SESSION_COOKIE
from tests.console.conftest import PASSWORD, ConsoleEnv


async def test_every_console_path_but_login_sends_a_stranger_to_login(env: ConsoleEnv) -> None:
    stranger = await env.staff()
    for path in ("/staff", "/staff/inbox", "/staff/knowledge/account.register", "/staff/nope"):
        page = await stranger.get(path, follow=False)
        assert page.status == 303, path
        assert page.headers["Location"].startswith("/staff/login?next=")
    login = await stranger.get("/staff/login")
    assert (
        login.status == 200 and 'name="username"' in login.text and 'name="password"' in login.text
    )


async def test_login_lands_on_the_page_asked_for_and_logout_ends_the_session(
    env: ConsoleEnv,
) -> None:
    await env.accounts.add("lan", PASSWORD, "viewer", by="test")
    staff = await env.staff()
    form = await staff.get("/staff/inbox")  # redirected to the login form
    assert "/staff/login" in form.url
    page = await staff.post(
        "/staff/login",
        {"username": "Lan", "password": PASSWORD, "csrf_token": form.csrf, "next": "/staff/inbox"},
        follow=False,
    )
    assert page.status == 303 and page.headers["Location"] == "/staff/inbox"
    set_cookie = next(
        v for v in page.headers.getall("Set-Cookie") if v.startswith(SESSION_COOKIE + "=")
    )
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    assert "Secure" not in set_cookie and "Path=/staff" in set_cookie
    assert (await staff.get("/staff/inbox")).url.endswith("/staff/inbox")
    token = staff.client.session.cookie_jar.filter_cookies(URL(page.url))[SESSION_COOKIE].value
    assert (await staff.post("/staff/logout")).url.endswith("/staff/login?msg=logged_out")
    # The old cookie is worthless now, even replayed by hand.
    replay = await env.staff()
    replay.client.session.cookie_jar.update_cookies({SESSION_COOKIE: token})
    assert (await replay.get("/staff", follow=False)).status == 303
    actions = [r.action for r in await env.storage.audit.recent(10)]
    assert "staff.login" in actions and "staff.logout" in actions


async def test_wrong_password_unknown_user_and_forged_cookie_are_refused(env: ConsoleEnv) -> None:
    await env.accounts.add("lan", PASSWORD, "editor", by="test")
    staff = await env.staff()
    wrong = await staff.login("lan", "sai mật khẩu rồi")
    assert wrong.status == 401 and "Sai tên đăng nhập hoặc mật khẩu" in wrong.text
    unknown = await staff.login("khong.co", PASSWORD)
    assert unknown.status == 401 and unknown.text.count("Sai tên đăng nhập") == 1
    staff.client.session.cookie_jar.update_cookies({SESSION_COOKIE: "forged" * 8})
    assert (await staff.get("/staff", follow=False)).status == 303


async def test_an_idle_session_expires(env: ConsoleEnv) -> None:
    staff = await env.staff("lan", "editor")
    assert (await staff.get("/staff", follow=False)).status == 200
    env.clock.advance(minutes=env.console.settings.staff_session_idle_minutes + 1)
    page = await staff.get("/staff/inbox", follow=False)
    assert page.status == 303 and "/staff/login" in page.headers["Location"]


async def test_activity_keeps_a_session_alive_and_disabling_ends_it(env: ConsoleEnv) -> None:
    staff = await env.staff("lan", "editor")
    for _ in range(3):
        env.clock.advance(minutes=20)
        assert (await staff.get("/staff", follow=False)).status == 200
    await env.accounts.set_active("lan", False, by="test")
    assert (await staff.get("/staff", follow=False)).status == 303


async def test_five_failures_impose_a_growing_delay_shared_by_every_process(
    env: ConsoleEnv,
) -> None:
    await env.accounts.add("lan", PASSWORD, "editor", by="test")
    staff = await env.staff()
    env.clock.freeze()  # a slow machine must not turn "30 giây" into "29 giây"
    for _ in range(5):
        assert (await staff.login("lan", "không đúng đâu")).status == 401
    # Even the right password waits now, and says for how long.
    blocked = await staff.login("lan", PASSWORD)
    assert blocked.status == 429 and "30 giây" in blocked.text
    # Another process on the same database sees the same block.
    other = Console.from_runtime(env.runtime)
    other.clock = env.clock
    other.__post_init__()
    from bot.console.accounts import LoginBlocked

    try:
        await other.accounts.authenticate("lan", PASSWORD, "10.0.0.9")
    except LoginBlocked as exc:
        assert exc.seconds == 30
    else:
        raise AssertionError("the second process let the login through")
    env.clock.advance(seconds=31)
    assert (await staff.login("lan", "vẫn sai")).status == 401
    assert "60 giây" in (await staff.login("lan", PASSWORD)).text
    env.clock.advance(seconds=61)
    ok = await staff.login("lan", PASSWORD)
    assert ok.status == 200 and "/staff/login" not in ok.url


async def test_pages_cannot_be_framed_and_allow_only_our_own_scripts(env: ConsoleEnv) -> None:
    staff = await env.staff("lan", "viewer")
    for path in ("/staff/login", "/staff", "/staff/nope"):
        page = await staff.get(path)
        csp = page.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert page.headers["X-Frame-Options"] == "DENY"
    assert '<script src="/staff/static/console.js"' in (await staff.get("/staff")).text


async def test_cookies_are_secure_behind_https_only_when_the_proxy_is_trusted(
    env: ConsoleEnv,
) -> None:
    await env.accounts.add("lan", PASSWORD, "viewer", by="test")
    proxy = {"X-Forwarded-Proto": "https"}

    async def session_cookie() -> str | None:
        staff = await env.staff()
        form = await staff.get("/staff/login", headers=proxy)
        login_cookie = next(
            v.split(";")[0] for v in form.headers.getall("Set-Cookie") if "staff_login=" in v
        )
        # A client on plain http keeps Secure cookies to itself: hand the login token over.
        async with staff.client.post(
            "/staff/login",
            data={"username": "lan", "password": PASSWORD, "csrf_token": form.csrf},
            headers={
                **proxy,
                "Origin": staff.origin.replace("http://", "https://"),
                "Cookie": login_cookie,
            },
            allow_redirects=False,
        ) as response:
            return next(
                (v for v in response.headers.getall("Set-Cookie", []) if SESSION_COOKIE in v),
                None,
            )

    # Without the setting the header is ignored: an https Origin is then foreign (403).
    assert await session_cookie() is None
    env.console.settings = env.console.settings.model_copy(
        update={"staff_trust_forwarded_proto": True}
    )
    trusted = await session_cookie()
    assert trusted is not None and "Secure" in trusted


async def test_login_never_redirects_to_another_site(env: ConsoleEnv) -> None:
    await env.accounts.add("lan", PASSWORD, "viewer", by="test")
    for target in ("https://evil.example/", "//evil.example/staff", "/staff\\@evil", "/other"):
        staff = await env.staff()
        form = await staff.get("/staff/login")
        page = await staff.post(
            "/staff/login",
            {"username": "lan", "password": PASSWORD, "csrf_token": form.csrf, "next": target},
            follow=False,
        )
        assert page.status == 303 and page.headers["Location"] == "/staff", target
