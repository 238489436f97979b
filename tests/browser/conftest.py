from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def browser_page(monkeypatch):
    """A page in Debian's headless Chromium, driven by Playwright.

    Playwright's sync API keeps an event loop on this thread, and Django then refuses ORM calls;
    the test's own ORM calls run while that loop is idle, so they are allowed explicitly.
    """
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make test installs it where it can)")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        page = browser.new_page()
        page.set_default_timeout(20_000)
        yield page
        browser.close()


def log_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
