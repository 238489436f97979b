"""An admin launches an ATLAS run in the browser; a real worker runs it while the bar fills."""

from __future__ import annotations

import pytest

from apps.lab.models import AtlasSessionRecord, Experiment
from tests.browser.conftest import log_in
from tests.conftest import make_user


@pytest.mark.django_db(transaction=True)
def test_admin_launches_an_atlas_run_and_watches_it_finish(worker, web_server, browser_page):
    make_user("root", "admin")
    page = browser_page
    log_in(page, web_server, "root", "root-pw")
    page.goto(f"{web_server}/lab/")
    form = page.locator("#atlas-form")
    form.evaluate("f => { f.noValidate = true; }")  # let the server's validation answer
    form.locator("input[name=atlas-limit]").fill("0")
    form.locator("select[name=atlas-student_engine]").select_option("scripted")
    form.locator("select[name=atlas-teacher_engine]").select_option("scripted")
    form.locator("button[type=submit]").click()
    page.get_by_text("Ensure this value is greater than or equal to 1").wait_for()

    form = page.locator("#atlas-form")
    form.locator("input[name=atlas-limit]").fill("2")
    form.locator("select[name=atlas-student_engine]").select_option("scripted")
    form.locator("select[name=atlas-teacher_engine]").select_option("scripted")
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/lab/" in url and url.rstrip("/").split("/")[-1].isdigit())
    page.get_by_text("2 / 2 problems").wait_for(timeout=90_000)
    page.locator("#sessions").get_by_text("attempt 1:").first.wait_for()  # reloaded with results

    experiment = Experiment.objects.get()
    assert experiment.status == "done" and experiment.created_by.username == "root"
    assert AtlasSessionRecord.objects.filter(experiment=experiment).count() == 6  # 3 arms each
    assert page.locator("#arms").get_by_text("student self-retry").is_visible()
