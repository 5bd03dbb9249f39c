"""The page, its files and the loader: headers, weight, nothing fetched from elsewhere."""

from __future__ import annotations

import re

from bot.channels.web.assets import LOADER, PAGE, Assets
from tests.channels.web.conftest import PORTAL, ChatEnv, MakeEnv

PAGE_LIMIT = 50 * 1024
LOADER_LIMIT = 2 * 1024


def test_page_and_loader_weigh_what_the_issue_allows() -> None:
    assets = Assets.load()
    assert assets.page_size() <= PAGE_LIMIT
    assert len(assets.files[LOADER]) < LOADER_LIMIT


def test_no_file_reaches_another_origin() -> None:
    assets = Assets.load()
    for name in PAGE:
        body = assets.files[name].decode("utf-8")
        # No absolute URL to fetch: src/href/url()/import stay on our own paths.
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", body), name
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", body), name
        assert "innerHTML" not in body and "insertAdjacentHTML" not in body, name
        assert "eval(" not in body and "document.write" not in body, name
    html = assets.files["chat.html"].decode("utf-8")
    assert "<script>" not in html and " on" not in re.sub(r"\s+", " ", html).split("<body>")[0]
    assert 'role="log"' in html and 'aria-live="polite"' in html and 'lang="vi"' in html


async def test_page_headers(env: ChatEnv) -> None:
    async with env.client.get("/chat") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        csp = response.headers["Content-Security-Policy"]
        body = await response.text()
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert f"frame-ancestors 'self' {PORTAL}" in csp
    assert "X-Frame-Options" not in response.headers  # it could not name the portal
    version = re.search(r"chat\.js\?v=([0-9a-f]{12})", body)
    assert version, body[:400]
    for name in ("chat.js", "chat.css", "icon.svg"):
        async with env.client.get(f"/chat/static/{name}?v={version.group(1)}") as r:
            assert r.status == 200 and "max-age" in r.headers["Cache-Control"]
            assert r.headers["X-Content-Type-Options"] == "nosniff"


async def test_without_portals_only_this_server_may_frame_the_page(make_env: MakeEnv) -> None:
    env = await make_env(web_allowed_origins="")
    async with env.client.get("/chat") as response:
        assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


async def test_loader_and_unknown_files(env: ChatEnv) -> None:
    async with env.client.get("/embed.js") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/javascript")
        assert "iframe" in await response.text()
    for path in ("/chat/static/chat.html", "/chat/static/..%2f__init__.py", "/chat/static/x.js"):
        async with env.client.get(path) as response:
            assert response.status == 404, path
