"""An admin in a real browser: request an export, watch its progress finish, download a file."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.conftest import make_user
from tests.exports.factories import tutoring_session

pytestmark = [pytest.mark.browser, pytest.mark.worker]


@pytest.fixture
def exports_env(monkeypatch, tmp_path):
    """The web server (a child process) writes exports under this test's tmp_path."""
    monkeypatch.setenv("EXPORTS_ROOT", str(tmp_path / "exports"))
    return tmp_path / "exports"


@pytest.fixture
def three_sessions_and_an_admin(web_server, alice, problem, classroom):
    for _ in range(3):
        tutoring_session(alice, problem, classroom=classroom)
    make_user("root", "admin")


def test_admin_exports_sft_and_downloads_it(exports_env, web_server, worker,
                                            three_sessions_and_an_admin, browser_page):
    page = browser_page
    log_in(page, web_server, "root", "root-pw")
    page.click("nav >> text=Exports")
    page.click("text=New export")
    page.select_option("select[name=format]", "sft")
    page.fill("input[name=validation_fraction]", "0")
    page.click("main form button[type=submit]")
    expect(page.locator("#export-progress")).to_contain_text("done", timeout=60_000)
    expect(page.locator("#export-progress progress")).to_have_attribute("value", "100")
    with page.expect_download() as download:
        page.click("#export-progress li a >> text=train.jsonl")
    rows = [json.loads(line) for line in Path(download.value.path()).read_text().splitlines()]
    assert len(rows) == 3 and rows[0]["messages"][-1]["role"] == "assistant"
    assert "alice" not in json.dumps(rows)


def shot(page, name: str) -> None:
    """A 1280x800 screenshot where `TG_SHOTS_DIR` asks for one (to look at the page)."""
    import os

    if os.environ.get("TG_SHOTS_DIR"):
        page.set_viewport_size({"width": 1280, "height": 800})
        page.screenshot(path=str(Path(os.environ["TG_SHOTS_DIR"]) / name), full_page=True)


def test_an_export_that_finds_nothing_says_so_and_why_on_the_page(exports_env, web_server, worker,
                                                                  three_sessions_and_an_admin,
                                                                  browser_page):
    page = browser_page
    log_in(page, web_server, "root", "root-pw")
    page.goto(f"{web_server}/exports/new/")
    page.select_option("select[name=format]", "sft")
    page.fill("input[name=engine]", "vllm")
    page.click("main form button[type=submit]")
    warnings = page.locator("[data-export-warnings]")
    expect(warnings).to_contain_text("Nothing was exported.", timeout=60_000)
    expect(warnings).to_contain_text("source tutoring: 0 records written")
    shot(page, "export_empty.png")
    page.goto(f"{web_server}/exports/new/")
    page.select_option("select[name=format]", "openai_chat")
    page.select_option("select[name=file_type]", "parquet")
    page.click("main form button[type=submit]")
    expect(page.locator("main")).to_contain_text("openai_chat files are jsonl only")
    shot(page, "export_openai_parquet_refused.png")
    page.goto(f"{web_server}/exports/new/")
    page.select_option("select[name=format]", "sft")
    page.click("main form button[type=submit]")
    expect(page.locator("#export-progress")).to_contain_text("done", timeout=60_000)
    expect(page.locator("#export-progress table")).to_contain_text("tutoring")
    shot(page, "export_done_by_source.png")
