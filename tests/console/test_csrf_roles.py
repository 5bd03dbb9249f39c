"""CSRF tokens and Origin on every form, and what each role may do."""

from __future__ import annotations

from tests.console.conftest import ConsoleEnv


async def _an_inbox_item(env: ConsoleEnv) -> int:
    await env.ask("làm sao nuôi cá koi trong chung cư")
    await env.storage.writer.drain()
    items = await env.storage.inbox.items()
    assert items
    return items[0].id


async def test_a_post_without_the_token_gets_403_and_changes_nothing(env: ConsoleEnv) -> None:
    item = await _an_inbox_item(env)
    staff = await env.staff("lan", "editor")
    page = await staff.post(f"/staff/inbox/{item}/dismiss", csrf=False)
    assert page.status == 403 and "Biểu mẫu đã hết hạn" in page.text
    assert (await env.storage.inbox.get(item)).status == "open"  # type: ignore[union-attr]


async def test_a_stale_token_from_an_earlier_session_gets_403(env: ConsoleEnv) -> None:
    item = await _an_inbox_item(env)
    staff = await env.staff("lan", "editor")
    old = staff.csrf
    await staff.post("/staff/logout")
    await staff.login("lan")
    page = await staff.post(f"/staff/inbox/{item}/dismiss", {"csrf_token": old})
    assert page.status == 403
    assert (await env.storage.inbox.get(item)).status == "open"  # type: ignore[union-attr]


async def test_another_origin_gets_403_even_with_the_token(env: ConsoleEnv) -> None:
    item = await _an_inbox_item(env)
    staff = await env.staff("lan", "editor")
    page = await staff.post(
        f"/staff/inbox/{item}/dismiss", headers={"Origin": "https://evil.example"}
    )
    assert page.status == 403
    page = await staff.post(f"/staff/inbox/{item}/dismiss")
    assert page.status == 200 and "Đã bỏ qua" in page.text


async def test_the_login_form_needs_its_own_token(env: ConsoleEnv) -> None:
    staff = await env.staff()
    page = await staff.post("/staff/login", {"username": "a", "password": "b"}, csrf=False)
    assert page.status == 403


async def test_a_viewer_reads_but_cannot_edit(env: ConsoleEnv) -> None:
    item = await _an_inbox_item(env)
    viewer = await env.staff("xem", "viewer")
    inbox = await viewer.get("/staff/inbox")
    assert inbox.status == 200 and "Thêm cách hỏi" not in inbox.text
    editor_page = await viewer.get("/staff/knowledge/account.register")
    assert editor_page.status == 200 and 'value="save"' not in editor_page.text
    promoted = await viewer.post(f"/staff/inbox/{item}/promote", {"faq_id": "account.register"})
    assert promoted.status == 403 and "Biên tập" in promoted.text
    saved = await viewer.post(
        "/staff/knowledge/account.register", {"question": "x", "answer": "y", "action": "save"}
    )
    assert saved.status == 403
    entry = await env.storage.knowledge.get("account.register")
    assert entry is not None and entry.question != "x"
    assert (await viewer.get("/staff/knowledge/import")).status == 403


async def test_an_editor_cannot_open_admin_pages(env: ConsoleEnv) -> None:
    editor = await env.staff("bien.tap", "editor")
    page = await editor.get("/staff/accounts")
    assert page.status == 403 and "Quản trị" in page.text
    add = await editor.post(
        "/staff/accounts",
        {"username": "ke.gian", "role": "admin", "password": "x" * 12, "password2": "x" * 12},
    )
    assert add.status == 403 and await env.accounts.get("ke.gian") is None
    send = await editor.post("/staff/broadcasts", {"text": "Thông báo", "action": "send"})
    assert send.status == 403


async def test_an_admin_manages_accounts_and_every_change_is_audited(env: ConsoleEnv) -> None:
    admin = await env.staff("quan.tri", "admin")
    page = await admin.post(
        "/staff/accounts",
        {
            "username": "moi",
            "role": "viewer",
            "password": "mật khẩu mới 12",
            "password2": "mật khẩu mới 12",
        },
    )
    assert page.status == 200 and "Đã thêm tài khoản" in page.text
    await admin.post("/staff/accounts/moi", {"action": "role", "role": "editor"})
    await admin.post("/staff/accounts/moi", {"action": "disable"})
    account = await env.accounts.get("moi")
    assert account is not None and account.role == "editor" and not account.active
    last_admin = await admin.post("/staff/accounts/quan.tri", {"action": "disable"})
    assert last_admin.status == 422 and "ít nhất một quản trị viên" in last_admin.text
    actions = {(r.actor, r.action) for r in await env.storage.audit.recent(20)}
    assert {("web:quan.tri", "staff.add"), ("web:quan.tri", "staff.role")} <= actions
    assert ("web:quan.tri", "staff.disable") in actions
