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
        page.click("text=train.jsonl")
    rows = [json.loads(line) for line in Path(download.value.path()).read_text().splitlines()]
    assert len(rows) == 3 and rows[0]["messages"][-1]["role"] == "assistant"
    assert "alice" not in json.dumps(rows)
