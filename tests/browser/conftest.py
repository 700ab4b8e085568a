"""Browser tests: Debian's chromium, driven by Playwright, against pytest-django's live server.

The live server runs in a thread of this process, so time-machine's travel (the `travel`
fixture) moves the server's clock too. Nothing here downloads a browser: `make chromium`
installs Debian's.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from aftersales.core.models import User

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PASSWORD = "pw-12345"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

expect.set_options(timeout=10_000)


@pytest.fixture
def browser(live_server, settings, tmp_path) -> Iterator[Browser]:
    """Chromium for one test.

    Playwright's sync API keeps an asyncio loop in this thread, which Django's async-safety
    check mistakes for async code; the ORM calls of the test stay synchronous, so the check
    is switched off only while the browser runs (and the loop is gone before the database
    is flushed)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # The server's clock is frozen in time-machine's world, the browser's is not: cookies
    # that last for the browser session never expire by the browser's clock.
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()


@dataclass
class Web:
    """Signs people in, each in a browser context of their own (their own cookies)."""

    browser: Browser
    base_url: str
    shots: Path
    contexts: list[BrowserContext] = field(default_factory=list)

    def sign_in(self, user: User, *, viewport: dict[str, int] = DESKTOP) -> Page:
        context = self.browser.new_context(
            base_url=self.base_url, viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        self.contexts.append(context)
        page = context.new_page()
        page.goto("/login/")
        page.locator("input[name=username]").fill(user.username)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("form:has(input[name=password]) button[type=submit]").click()
        expect(page).not_to_have_url(re.compile(r"/login/"))
        return page

    def url(self, path: str) -> str:
        return self.base_url + path

    def screenshot(self, page: Page, name: str) -> Path:
        """Saved under docs/screenshots when SAVE_SCREENSHOTS=1, else in the test's tmp dir."""
        path = self.shots / name
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000  # a rendered page, not a blank one
        return path


@pytest.fixture
def web(browser, live_server, tmp_path) -> Iterator[Web]:
    shots = SCREENSHOTS if os.environ.get("SAVE_SCREENSHOTS") == "1" else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    helper = Web(browser=browser, base_url=live_server.url, shots=shots)
    yield helper
    for context in helper.contexts:
        context.close()
