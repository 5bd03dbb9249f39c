"""The web chat in a real browser (Debian's Chromium through Selenium), as citizens use it.

The app runs as `make run` serves it: the runtime on SQLite in a temporary directory, the web
chat on the shared HTTP server. A second server on another port plays a provincial portal that
embeds the loader. Screenshots land in test-artifacts/webchat/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from bot.channels.web import web_chat
from bot.config import PROJECT_ROOT, Settings
from bot.core import texts
from bot.runtime import Runtime, open_runtime
from bot.web.server import HttpServer
from tests import browser_support
from tests.browser_support import (
    LiveApp,
    browser_missing,
    free_port,
    new_browser,
    run_axe,
    serious,
    wait_for,
)
from tests.channels.web.support import HOSTILE, HOSTILE_ID

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing())),
]
ARTIFACTS = browser_support.ARTIFACTS / "webchat"
QUESTION = "dang ky tai khoan dich vu cong quoc gia o dau"
MARKUP = '<script>window.__pwned=3</script>"><img src=x onerror="window.__pwned=4"> hoi thu'
PHONE = (360, 740)


class Portal:
    """A province's page that adds the loader with the one script tag from the README."""

    def __init__(self, chat_url: str) -> None:
        self.html = (
            '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>Cổng dịch vụ công tỉnh (thử)</title></head><body><main>"
            "<h1>Cổng dịch vụ công tỉnh</h1><p>Trang thử nghiệm nhúng trợ lý.</p></main>"
            f'<script src="{chat_url}/embed.js" defer></script></body></html>'
        )

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self.page)

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(text=self.html, content_type="text/html")


class LiveChat(LiveApp[Runtime]):
    def __init__(self, settings: Settings, port: int, portal_port: int, other_port: int) -> None:
        self.settings = settings
        self.url = f"http://127.0.0.1:{port}"
        self.portal_url = f"http://127.0.0.1:{portal_port}"
        self.other_url = f"http://127.0.0.1:{other_port}"  # a site WEB_ALLOWED_ORIGINS omits
        self.ports = (port, portal_port, other_port)
        super().__init__(self._serve, self.url + "/chat")

    async def _serve(self, stack: AsyncExitStack) -> Runtime:
        runtime = await stack.enter_async_context(open_runtime(self.settings))
        assert runtime.storage is not None
        for port, provider in (
            (self.ports[0], web_chat(self.settings, runtime.assistant.handle, runtime.storage)),
            (self.ports[1], Portal(self.url)),
            (self.ports[2], Portal(self.url)),
        ):
            server = HttpServer("127.0.0.1", port)
            server.mount(provider)
            await server.start()
            stack.push_async_callback(server.stop)
        return runtime


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveChat]:
    root = tmp_path_factory.mktemp("webchat")
    knowledge = root / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge", knowledge)
    hostile = HOSTILE.to_dict()
    (knowledge / "faq" / "zz_hostile.yaml").write_text(
        yaml.safe_dump({"entries": [hostile]}, allow_unicode=True), encoding="utf-8"
    )
    port, portal_port, other_port = free_port(), free_port(), free_port()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        knowledge_dir=knowledge,
        database_url=f"sqlite:///{root / 'chat.db'}",
        web_allowed_origins=f"http://127.0.0.1:{portal_port}",
    )
    app = LiveChat(settings, port, portal_port, other_port)
    app.start()
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def phone() -> Iterator[Any]:
    driver = new_browser(*PHONE, phone=True)
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver: Any, name: str) -> Path:
    return browser_support.screenshot(driver, ARTIFACTS, name, full_page=False)


def bubbles(driver: Any, kind: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, f"#log .msg.{kind}"))


def wait_bot_count(driver: Any, count: int) -> Any:
    """Wait until the log holds ``count`` answers; return the last one."""
    wait_for(driver, lambda d: len(bubbles(d, "bot")) >= count)
    return bubbles(driver, "bot")[-1]


def open_chat(driver: Any, live: LiveChat) -> Any:
    driver.get(live.url + "/chat")
    return wait_bot_count(driver, 1)


def choice_button(bubble: Any, label: str) -> Any:
    from selenium.webdriver.common.by import By

    return next(
        b for b in bubble.find_elements(By.CSS_SELECTOR, ".choices button") if b.text == label
    )


def test_a_citizen_on_a_phone(live: LiveChat, phone: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    greeting = open_chat(phone, live)
    assert greeting.text.startswith("Xin chào")
    topics = greeting.find_elements(By.CSS_SELECTOR, ".choices button")
    assert len(topics) >= 5  # a visitor who cannot type can start from the topics
    check_layout(phone)
    check_axe(phone, "greeting")

    phone.find_element(By.ID, "q").send_keys(QUESTION + Keys.ENTER)
    answer = wait_bot_count(phone, 2)
    assert bubbles(phone, "me")[-1].text == QUESTION
    assert "VNeID" in answer.text
    assert len(answer.find_elements(By.CSS_SELECTOR, "ol > li")) >= 4  # steps as a list
    links = [a.get_attribute("href") for a in answer.find_elements(By.CSS_SELECTOR, "a")]
    assert "https://dichvucong.gov.vn/" in links
    assert phone.find_element(By.ID, "q").get_attribute("value") == ""
    shot(phone, "01-phone-answer")
    check_axe(phone, "answer")

    related = answer.find_element(By.CSS_SELECTOR, ".choices button")
    label = related.text
    related.click()
    second = wait_bot_count(phone, 3)
    assert bubbles(phone, "me")[-1].text == label
    assert second.text.startswith(label.rstrip("?")[:20])
    assert related.get_attribute("disabled") is not None  # older buttons retire
    choice_button(second, texts.FEEDBACK_DOWN).click()
    sorry = wait_bot_count(phone, 4)
    assert sorry.text.startswith("Cảm ơn bạn đã cho biết")
    shot(phone, "02-phone-feedback")

    before = [b.text for b in bubbles(phone, "bot")]
    phone.refresh()
    wait_for(phone, lambda d: len(bubbles(d, "bot")) == len(before))
    assert [b.text for b in bubbles(phone, "bot")] == before
    assert [b.text for b in bubbles(phone, "me")] == [QUESTION, label, texts.FEEDBACK_DOWN]
    last = bubbles(phone, "bot")[-1]
    assert choice_button(last, texts.LEAVE_COMMENT).is_enabled()
    shot(phone, "03-phone-after-reload")
    check_layout(phone)


def test_keyboard_only(live: LiveChat, phone: Any) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    open_chat(phone, live)
    wait_for(phone, lambda d: d.switch_to.active_element.get_attribute("id") == "q")
    keys = ActionChains(phone)
    keys.send_keys("quen mat khau dich vu cong" + Keys.ENTER).perform()
    answer = wait_bot_count(phone, 2)
    assert "mật khẩu" in answer.text.lower()
    # Back from the input: the topics button, then the answer's last button (👎).
    wait_for(phone, lambda d: d.switch_to.active_element.get_attribute("id") == "q")
    ActionChains(phone).key_down(Keys.SHIFT).send_keys(Keys.TAB).send_keys(Keys.TAB).key_up(
        Keys.SHIFT
    ).perform()
    assert phone.switch_to.active_element.text == texts.FEEDBACK_DOWN
    ActionChains(phone).send_keys(Keys.ENTER).perform()
    sorry = wait_bot_count(phone, 3)
    assert sorry.text.startswith("Cảm ơn bạn đã cho biết")
    # Focus moved to the reply's first button: "leave a comment".
    assert phone.switch_to.active_element.text == texts.LEAVE_COMMENT
    ActionChains(phone).send_keys(Keys.SPACE).perform()
    prompt = wait_bot_count(phone, 4)
    assert prompt.text == texts.COMMENT_PROMPT
    wait_for(phone, lambda d: d.switch_to.active_element.get_attribute("id") == "q")
    ActionChains(phone).send_keys("thieu buoc lay lai mat khau" + Keys.ENTER).perform()
    thanks = wait_bot_count(phone, 5)
    assert thanks.text == texts.COMMENT_THANKS
    shot(phone, "04-keyboard-only")


def test_markup_from_citizens_and_knowledge_stays_text(live: LiveChat, phone: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    open_chat(phone, live)
    phone.find_element(By.ID, "q").send_keys(MARKUP + Keys.ENTER)
    wait_bot_count(phone, 2)
    assert bubbles(phone, "me")[-1].text == MARKUP
    phone.find_element(By.ID, "q").send_keys("ma doc thu nghiem xuat hien the nao" + Keys.ENTER)
    answer = wait_bot_count(phone, 3)
    assert "<script>window.__pwned=1</script>" in answer.text
    assert '"><img src=x onerror="window.__pwned=2">' in answer.text
    log = phone.find_element(By.ID, "log")
    assert log.find_elements(By.CSS_SELECTOR, "script, img, b, iframe") == []
    assert phone.execute_script("return window.__pwned === undefined")
    hrefs = [a.get_attribute("href") for a in log.find_elements(By.CSS_SELECTOR, "a")]
    assert hrefs and all(h.startswith(("https://", "tel:", "mailto:")) for h in hrefs), hrefs
    assert "tel:19001234" in hrefs  # the hotline is one tap away
    assert "mailto:hotro@dichvucong.example.gov.vn" in hrefs
    assert "https://dichvucong.gov.vn/trang?a=1&b=2" in hrefs  # the full stop stays text
    assert "javascript:alert(1)" in answer.text
    assert HOSTILE_ID  # the entry the answer came from (tests/channels/web/support.py)
    shot(phone, "05-markup-as-text")


def test_the_loader_on_another_origin(live: LiveChat) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = new_browser(390, 844, phone=True)
    try:
        driver.get(live.portal_url + "/")
        button = wait_for(driver, lambda d: d.find_elements(By.TAG_NAME, "button"))[0]
        assert button.accessible_name.endswith("Hỏi trợ lý dịch vụ công")
        assert button.get_attribute("aria-expanded") == "false"
        assert driver.find_elements(By.TAG_NAME, "iframe") == []  # nothing loads before a click
        check_axe(driver, "portal with loader")
        button.click()
        frame = wait_for(driver, lambda d: d.find_elements(By.TAG_NAME, "iframe"))[0]
        assert frame.get_attribute("title") == "Hỏi trợ lý dịch vụ công"
        assert button.get_attribute("aria-expanded") == "true"
        driver.switch_to.frame(frame)
        wait_bot_count(driver, 1)
        driver.find_element(By.ID, "q").send_keys(QUESTION + Keys.ENTER)
        answer = wait_bot_count(driver, 2)
        assert "VNeID" in answer.text
        driver.switch_to.default_content()
        shot(driver, "06-embedded-in-a-portal")
        button.click()
        assert not frame.is_displayed()
    finally:
        driver.quit()


def test_a_site_not_listed_cannot_frame_the_chat(live: LiveChat) -> None:
    from selenium.webdriver.common.by import By

    driver = new_browser(390, 844, phone=True)
    try:
        driver.get(live.other_url + "/")
        wait_for(driver, lambda d: d.find_elements(By.TAG_NAME, "button"))[0].click()
        frame = wait_for(driver, lambda d: d.find_elements(By.TAG_NAME, "iframe"))[0]
        driver.switch_to.frame(frame)
        # frame-ancestors refuses this origin: Chromium shows its error page instead.
        url = wait_for(driver, lambda d: d.execute_script("return document.URL") != "about:blank")
        assert url
        assert driver.execute_script("return document.URL").startswith("chrome-error://")
        assert driver.find_elements(By.ID, "q") == []
    finally:
        driver.quit()


def check_layout(driver: Any) -> None:
    """Fits 360 px without sideways scrolling; the input is ≥ 16 px and on screen."""
    from selenium.webdriver.common.by import By

    assert driver.execute_script("return window.innerWidth") == PHONE[0]
    assert driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1"
    )
    box = driver.find_element(By.ID, "q")
    size = driver.execute_script("return parseFloat(getComputedStyle(arguments[0]).fontSize)", box)
    assert size >= 16
    bottom = driver.execute_script("return arguments[0].getBoundingClientRect().bottom", box)
    assert bottom <= driver.execute_script("return window.innerHeight")


def check_axe(driver: Any, name: str) -> None:
    problems = serious(run_axe(driver))
    assert problems == [], (name, problems)
