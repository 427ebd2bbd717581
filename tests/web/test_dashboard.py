"""The case dashboard's live ingest progress: an ingest started from the page runs as a server job, and the
page follows it (queued, running with its counters, finished) without a reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from jejak.testing.images import procedural_image
from tests.api.conftest import World
from tests.web.conftest import SignIn, UiServer, audit_entries

pytestmark = pytest.mark.browser
PICTURES = 160


def _folder(root: Path) -> Path:
    folder = root / "evidence" / "dashboard-phone"
    folder.mkdir(parents=True)
    for i in range(PICTURES):
        procedural_image(97_000 + i, 480, 360).save(folder / f"IMG_{i:04d}.jpg", quality=85)
    return folder


def test_ingest_from_the_dashboard_shows_live_progress(
    sign_in: SignIn, ui: UiServer, ui_world: World
) -> None:
    ui_world.store.create_case("NL-DASH", "Politie NL")
    folder = _folder(ui_world.root)
    page = sign_in("nl-investigator")
    page.goto(ui.url("/ui/cases/NL-DASH"))
    page.wait_for_selector("#job-list p.hint")  # no job yet
    page.fill("#ingest-source", str(folder))
    page.click("#ingest-form button[type=submit]")
    # the running job's counters appear on the page, and grow, while it runs (the page is never reloaded)
    running = page.locator("li.job.running .progress")
    running.wait_for(timeout=120_000)
    first = running.inner_text()
    assert "files" in first
    page.wait_for_selector("li.job.finished", timeout=300_000)
    assert "files" in page.locator("li.job.finished").inner_text()
    assert page.locator("#jobs").get_attribute("data-active") == "false"
    case = ui_world.store.get_case("NL-DASH")
    assert ui_world.store.case_summary(case.id)["files"] == PICTURES
    assert audit_entries(ui_world, "ingest_job", case="NL-DASH", actor="nl-investigator")


def test_reviewer_gets_no_ingest_form(sign_in: SignIn, ui: UiServer) -> None:
    page = sign_in("nl-reviewer")
    page.goto(ui.url("/ui/cases/NL-1"))
    assert page.locator("#ingest-form").count() == 0
    page.wait_for_selector("#job-list p, #job-list ul")
