"""The console in a real browser (Debian's Chromium through Selenium), as staff use it.

The app runs as `make run` starts it (runtime + the shared HTTP server with the web chat and the
console) on SQLite in a temporary directory. Citizens ask through the web chat's POST /api/chat,
as a visitor of the province's portal would. Screenshots land in test-artifacts/console/.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.admin.sheets import write_xlsx
from bot.config import PROJECT_ROOT, Settings
from bot.core.knowledge import FaqEntry
from bot.runtime import Runtime
from tests.console.browser import (
    WAIT,
    LiveConsole,
    browser_missing,
    free_port,
    new_browser,
    run_axe,
    screenshot,
    serious,
    wait_for,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing())),
]
PASSWORD = "mật khẩu đủ dài 123"
MISSED = "cho em hỏi cách đăng ký nuôi chim yến ở phường mình"
PROBE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2"> nuôi cá koi'
# A wording no lexicon entry or phrasing knows yet ("nick" and "trang nhà nước" are in the
# lexicon since 2026-12-01, which answers the plain spelling already).
NEW_WORDING = "cho em làm cái ních trên mạng nhà nước với"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveConsole]:
    root = tmp_path_factory.mktemp("console")
    knowledge = root / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge", knowledge)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        knowledge_dir=knowledge,
        database_url=f"sqlite:///{root / 'console.db'}",
        web_port=free_port(),
        web_rate_per_session=10_000,  # ask_until polls while the index is rebuilt
        web_rate_per_ip=10_000,
    )
    app = LiveConsole(settings)
    app.start()

    async def accounts(runtime: Runtime) -> None:
        from bot.console.accounts import AccountRepository

        assert runtime.storage is not None
        repo = AccountRepository(runtime.storage.session_factory)
        for name, role in (("bien.tap", "editor"), ("xem", "viewer"), ("quan.tri", "admin")):
            await repo.add(name, PASSWORD, role, by="test")

    app.run(accounts)
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    driver = new_browser()
    try:
        yield driver
    finally:
        driver.quit()


@dataclass(frozen=True)
class Asked:
    """What the web chat answered (the contract's reply object)."""

    text: str
    outcome: str
    faq_id: str | None


SESSIONS: dict[tuple[int, str], str] = {}  # (app, citizen) → web chat session


def ask(live: LiveConsole, text: str, user: str = "citizen-1") -> Asked:
    """One citizen's question through POST /api/chat; the logs are written before it returns."""
    body = json.dumps({"text": text, "session": SESSIONS.get((id(live), user))}).encode("utf-8")
    request = urllib.request.Request(
        live.url + "/api/chat", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=WAIT) as response:
        data = json.load(response)
    SESSIONS[(id(live), user)] = data["session"]

    async def drain(runtime: Runtime) -> None:
        await runtime.assistant.bookkeeping.drain()
        assert runtime.storage is not None
        await runtime.storage.writer.drain()

    live.run(drain)
    reply = data["reply"]
    return Asked(reply["text"], reply["outcome"], reply["faq_id"])


def ask_until(live: LiveConsole, text: str, faq_id: str | None, user: str) -> Asked:
    """Ask until the answer is ``faq_id``: the console rebuilds the index in the background."""
    reply = ask(live, text, user)
    for _ in range(int(WAIT / 0.2)):
        if reply.faq_id == faq_id:
            break
        time.sleep(0.2)
        reply = ask(live, text, user)
    return reply


def log_in(driver: Any, live: LiveConsole, username: str, path: str = "/staff") -> None:
    from selenium.webdriver.common.by import By

    driver.get(live.url + path)
    wait_for(driver, lambda d: d.find_elements(By.ID, "username"))
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(driver, lambda d: "/staff/login" not in d.current_url)


def check_axe(driver: Any, name: str) -> None:
    problems = serious(run_axe(driver))
    assert problems == [], (name, problems)


def test_the_improvement_loop_end_to_end(live: LiveConsole, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    assert ask(live, MISSED).faq_id is None
    ask(live, PROBE, user="citizen-2")
    log_in(browser, live, "bien.tap", "/staff/inbox")
    assert browser.current_url.endswith("/staff/inbox")

    # A citizen's markup is text on the page: no element, no script run.
    main = browser.find_element(By.ID, "main")
    assert "<script>window.__pwned = 1</script>" in main.text
    assert browser.execute_script("return window.__pwned === undefined")
    assert main.find_elements(By.CSS_SELECTOR, "script, img") == []
    screenshot(browser, "01-inbox")
    check_axe(browser, "inbox")

    # One click: the wording becomes a phrasing of the top guess, and citizens get an answer.
    section = next(
        s for s in browser.find_elements(By.CSS_SELECTOR, "section.card") if MISSED in s.text
    )
    target = Select(section.find_element(By.CSS_SELECTOR, "select[name=faq_id]"))
    faq_id = target.first_selected_option.get_attribute("value")
    section.find_element(By.CSS_SELECTOR, "button[value=promote]").click()
    wait_for(browser, lambda d: "msg=promoted" in d.current_url)
    assert MISSED not in browser.find_element(By.ID, "main").text
    assert ask_until(live, MISSED, faq_id, user="citizen-3").faq_id == faq_id

    # The editor: the try-questions panel changes before anything is saved.
    browser.get(live.url + "/staff/knowledge/account.register")
    tests = browser.find_element(By.ID, "f-tests")
    tests.clear()
    tests.send_keys(NEW_WORDING)
    wait_for(browser, lambda d: NEW_WORDING in d.find_element(By.ID, "trial-results").text)
    assert not browser.find_elements(By.CSS_SELECTOR, "#trial-results td.changed")
    browser.find_element(By.ID, "f-alternates").send_keys("\n" + NEW_WORDING)
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#trial-results td.changed"))
    changed = browser.find_element(By.CSS_SELECTOR, "#trial-results td.changed").text
    assert changed.startswith("Trả lời")
    screenshot(browser, "02-editor-trial")
    check_axe(browser, "editor")
    assert ask(live, NEW_WORDING, user="citizen-4").faq_id != "account.register"  # not saved

    # Import a spreadsheet: preview first, then confirm.
    sheet = tmp_path / "cau-hoi-moi.xlsx"
    write_xlsx(
        [
            FaqEntry(
                id="help.lich_tiep_dan",
                category="help",
                question="Lịch tiếp công dân của phường?",
                alternates=("lịch tiếp dân", "khi nào phường tiếp dân"),
                answer="Sáng thứ Năm hằng tuần tại trụ sở phường.",
            )
        ],
        sheet,
    )
    browser.get(live.url + "/staff/knowledge/import")
    browser.find_element(By.ID, "file").send_keys(str(sheet))
    browser.find_element(By.CSS_SELECTOR, "form[enctype] button[type=submit]").click()
    wait_for(browser, lambda d: "Nếu nhập, sẽ có" in d.find_element(By.ID, "main").text)
    text = browser.find_element(By.ID, "main").text
    assert "Thêm mới: 1" in text and "thêm 4 cách nữa" in text
    screenshot(browser, "03-import-preview")
    check_axe(browser, "import preview")
    browser.find_element(By.XPATH, "//button[normalize-space()='Xác nhận nhập']").click()
    wait_for(browser, lambda d: "msg=imported" in d.current_url)
    reply = ask_until(live, "khi nào phường tiếp dân", "help.lich_tiep_dan", user="citizen-5")
    assert reply.faq_id == "help.lich_tiep_dan"

    for path, name in (("/staff", "04-overview"), ("/staff/knowledge", "05-knowledge")):
        browser.get(live.url + path)
        screenshot(browser, name)
        check_axe(browser, name)

    # A POST without the CSRF token, from the page itself, is refused.
    status = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        fetch("/staff/knowledge/new", {method: "POST", body: new URLSearchParams({id: "x.y"})})
          .then(r => done(r.status)).catch(e => done(String(e)));
        """
    )
    assert status == 403

    browser.find_element(By.XPATH, "//button[normalize-space()='Đăng xuất']").click()
    wait_for(browser, lambda d: "/staff/login" in d.current_url)
    browser.get(live.url + "/staff/inbox")
    assert "/staff/login" in browser.current_url


def test_a_viewer_on_a_tablet_reads_but_cannot_edit(live: LiveConsole) -> None:
    from selenium.webdriver.common.by import By

    driver = new_browser(820, 1180)
    try:
        ask(live, "hỏi về thủ tục nuôi cá sấu trong vườn", user="citizen-9")
        driver.get(live.url + "/staff/login")
        check_axe(driver, "login")
        screenshot(driver, "00-login-tablet")
        log_in(driver, live, "xem", "/staff/inbox")
        assert not driver.find_elements(By.CSS_SELECTOR, "button[value=promote]")
        screenshot(driver, "06-viewer-inbox-tablet")
        driver.get(live.url + "/staff/knowledge/account.register")
        assert not driver.find_elements(By.CSS_SELECTOR, "button[value=save]")
        assert driver.find_element(By.ID, "f-answer").get_attribute("readonly") is not None
        check_axe(driver, "viewer editor")
        # No horizontal scrolling at tablet width.
        assert driver.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1"
        )
        driver.get(live.url + "/staff/accounts")
        assert "Không có quyền" in driver.find_element(By.ID, "main").text
        screenshot(driver, "07-viewer-forbidden")
    finally:
        driver.quit()


def test_an_admin_previews_an_announcement(live: LiveConsole, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    log_in(browser, live, "quan.tri", "/staff/broadcasts")
    browser.find_element(By.ID, "b-text").send_keys("Nghỉ lễ <b>2/9</b>: trung tâm đóng cửa.")
    browser.find_element(By.CSS_SELECTOR, "button[value=preview]").click()
    wait_for(browser, lambda d: "Người đăng ký sẽ nhận đúng như sau" in d.page_source)
    assert "Nghỉ lễ <b>2/9</b>" in browser.find_element(By.CSS_SELECTOR, ".pre").text
    screenshot(browser, "08-broadcast-preview")
    check_axe(browser, "broadcasts")
    browser.get(live.url + "/staff/accounts")
    screenshot(browser, "09-accounts")
    check_axe(browser, "accounts")
