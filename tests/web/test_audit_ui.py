"""The audit view in a real browser: an auditor reads their agency's entries newest first, filters and pages
them, verifies the chain; reading is audited; another agency's auditor sees none of them; an investigator
(no audit:read) is refused."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.api.conftest import World
from tests.web.conftest import SignIn, UiServer, audit_entries

pytestmark = pytest.mark.browser
MARK = "audit-ui-paging"  # the target of this test's own entries


def seqs(page: Page) -> list[int]:
    return [int(s) for s in page.locator("#audit tbody tr").evaluate_all("rs => rs.map(r => r.dataset.seq)")]


def test_auditor_reads_filters_pages_and_verifies(sign_in: SignIn, ui: UiServer, ui_world: World) -> None:
    for i in range(60):  # more entries of one kind than a page holds
        ui_world.store.audit.append(
            "nl-reviewer", "case_view", agency="Politie NL", case_name="NL-1", target=MARK, detail={"i": i}
        )
    page = sign_in("nl-auditor")
    assert page.url == ui.url("/ui/audit")  # an auditor reads no case data: signing in lands on the trail
    assert page.locator("header nav a", has_text="Cases").count() == 0
    page.click("header nav >> text=Audit")
    page.wait_for_url(ui.url("/ui/audit"))
    first = seqs(page)
    assert first and first == sorted(first, reverse=True)  # newest first
    assert "login" in page.locator("#audit").inner_text()  # the auditor's own sign-in, a moment ago

    page.fill("#f-actor", "nl-reviewer")
    page.select_option("#f-action", "case_view")
    page.fill("#f-case", "NL-1")
    page.click("#audit-filters button[type=submit]")
    page.wait_for_url("**/ui/audit?case=NL-1&actor=nl-reviewer&action=case_view")
    newest = seqs(page)
    assert len(newest) == 50
    rows = page.locator("#audit tbody tr")
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.action)")) == {"case_view"}
    top = rows.first.inner_text()
    assert "nl-reviewer" in top and MARK in top and '{"i":59}' in top  # compact JSON detail

    page.click("#older")
    older = seqs(page)
    assert older and max(older) < min(newest)
    assert '{"i":0}' in page.locator("#audit").inner_text()
    assert page.locator("#older").count() == 0 or len(older) == 50

    page.click("#verify-form button[type=submit]")
    result = page.locator("#verify-result")
    assert "intact" in result.inner_text()
    assert "verify=true" in page.url and "actor=nl-reviewer" in page.url  # the filters are kept

    views = audit_entries(ui_world, "audit_view", actor="nl-auditor")
    details = [e["detail"] for e in views]
    assert any(d["via"] == "ui" and d["actor"] == "nl-reviewer" and d["entries"] == 50 for d in details)
    assert any(d["verify"] for d in details)


def test_another_agency_auditor_sees_none_of_it(sign_in: SignIn, ui: UiServer) -> None:
    page = sign_in("id-auditor")
    page.goto(ui.url("/ui/audit?actor=nl-reviewer"))
    assert page.locator("#audit").count() == 0
    page.goto(ui.url("/ui/audit"))
    agencies = set(page.locator("#audit tbody tr").evaluate_all("rs => rs.map(r => r.dataset.agency)"))
    assert agencies and "Politie NL" not in agencies


def test_investigator_is_refused(sign_in: SignIn, ui: UiServer) -> None:
    page = sign_in("nl-investigator")
    assert page.locator("header nav >> text=Audit").count() == 0
    resp = page.goto(ui.url("/ui/audit"))
    assert resp is not None and resp.status == 403
    assert "audit:read" in page.locator("[role=alert]").inner_text()
