"""Real-browser helpers shared by the console's and the web chat's browser tests.

Debian's Chromium driven by Selenium with explicit paths (never a browser download), axe-core
injected from tests/vendor, and an app served from a thread with its own event loop, the way
`make run` serves it. Screenshots land in test-artifacts/ (gitignored), kept after the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, Generic, TypeVar

from bot.config import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE = PROJECT_ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
WAIT = 60  # seconds a browser wait may take on a loaded CI machine before it is a failure
T = TypeVar("T")
V = TypeVar("V")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return f"{path} missing: apt-get install chromium chromium-driver"
    return None


def new_browser(width: int = 1280, height: int = 900, *, phone: bool = False) -> Any:
    """Chromium at ``width`` × ``height`` CSS pixels. Headless windows are never narrower than
    500 px, so a phone (``phone=True``) is emulated: its viewport, touch and pixel ratio."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=vi"):
        options.add_argument(flag)
    if phone:
        metrics = {"width": width, "height": height, "pixelRatio": 2.0, "touch": True}
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": metrics})
        width, height = max(width, 500), height + 200
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_script_timeout(WAIT)
    return driver


def wait_for(driver: Any, condition: Callable[[Any], Any]) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # A page that is being replaced can drop an element between finding and reading it.
    ignored = (StaleElementReferenceException,)
    return WebDriverWait(driver, WAIT, ignored_exceptions=ignored).until(condition)


def screenshot(driver: Any, folder: Path, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG under ``folder``; ``full_page`` grows the window to the document first."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.png"
    if full_page:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        width = driver.get_window_size()["width"]
        driver.set_window_size(width, min(max(int(height) + 120, 600), 4000))
    driver.save_screenshot(str(target))
    return target


def run_axe(driver: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the current page (injected through WebDriver, not the page)."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result: Any = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ["violations"]})
          .then(r => done(r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(" "))
          }))))
          .catch(e => done([{id: "axe-error", impact: "critical", help: String(e), nodes: []}]));
        """
    )
    return list(result)


def serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in ("serious", "critical")]


class LiveApp(Generic[V]):
    """Whatever ``serve`` starts, kept running in a thread with its own event loop.

    ``serve`` enters everything into the exit stack and returns a value the tests use (the
    runtime); ``probe`` is a URL that answers 200 once the app is up.
    """

    def __init__(self, serve: Callable[[AsyncExitStack], Awaitable[V]], probe: str) -> None:
        self._serve = serve
        self._probe = probe
        self.value: V | None = None
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-app", daemon=True)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop

        async def main() -> None:
            self._stop = asyncio.Event()
            async with AsyncExitStack() as stack:
                self.value = await self._serve(stack)
                self._ready.set()
                await self._stop.wait()

        try:
            loop.run_until_complete(main())
        except BaseException as exc:
            self.error = exc
            self._ready.set()
        finally:
            loop.close()

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(WAIT)
        if self.error is not None:
            raise RuntimeError("the app did not start") from self.error
        deadline = time.monotonic() + WAIT
        while True:
            with contextlib.suppress(OSError), urllib.request.urlopen(self._probe, timeout=5) as r:
                if r.status == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app did not answer at {self._probe}")
            time.sleep(0.2)

    def run(self, make: Callable[[V], Awaitable[T]]) -> T:
        """Run a coroutine on the app's loop with the value ``serve`` returned."""
        assert self._loop is not None and self.value is not None
        value = self.value

        async def call() -> T:
            return await make(value)

        coroutine: Coroutine[Any, Any, T] = call()
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(WAIT)

    def close(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(WAIT)
