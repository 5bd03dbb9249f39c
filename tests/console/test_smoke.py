from __future__ import annotations

from tests.console.conftest import ConsoleEnv


async def test_pages_render(env: ConsoleEnv) -> None:
    staff = await env.staff("lan", "admin")
    for path in (
        "/staff",
        "/staff/inbox",
        "/staff/knowledge",
        "/staff/broadcasts",
        "/staff/accounts",
        "/staff/knowledge/import",
        "/staff/knowledge/new",
    ):
        page = await staff.get(path)
        assert page.status == 200, (path, page.text[:2000])
