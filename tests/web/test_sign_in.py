"""Sign-in, the case list and the dashboard in a real browser; what a page answers without a session."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import World
from tests.web.conftest import SignIn, UiServer, audit_entries

pytestmark = pytest.mark.browser


def test_pages_need_a_session(ui: UiServer) -> None:
    r = httpx.get(ui.url("/ui/cases/NL-1"), follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/ui/sign-in?next=%2Fui%2Fcases%2FNL-1")
    # a bearer token is not a page session: pages want the cookie (a token in a URL or header is for the API)
    assert httpx.get(ui.url("/ui/"), follow_redirects=False).status_code == 303
    page = httpx.get(ui.url("/ui/sign-in"))
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store, private"


def test_sign_in_form_refuses_a_post_from_elsewhere(ui: UiServer) -> None:
    """Without the sign-in page's own token (double submit), a form posted from another site cannot sign the
    browser in to someone's account."""
    r = httpx.post(
        ui.url("/ui/sign-in"), data={"name": "nl-investigator", "password": "x", "login": "forged"}
    )
    assert r.status_code == 403
    assert "jejak_session" not in r.cookies


def test_sign_in_case_list_dashboard_sign_out(sign_in: SignIn, ui: UiServer, ui_world: World) -> None:
    page = sign_in("nl-investigator")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["jejak_session"]["httpOnly"] is True
    assert cookies["jejak_session"]["sameSite"] == "Strict"
    rows = page.locator("#cases tbody tr")
    cases = sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.case)"))
    own = sorted(c.name for c in ui_world.store.list_cases() if c.agency == "Politie NL")
    assert "NL-1" in cases and cases == own  # Polri ID's cases are not listed
    nl = page.locator('#cases tr[data-case="NL-1"] td')
    files = int(nl.nth(1).inner_text())
    assert files == ui_world.store.case_summary(ui_world.store.get_case("NL-1").id)["files"]

    page.click("text=NL-1")
    page.wait_for_url(ui.url("/ui/cases/NL-1"))
    assert page.locator("h1").inner_text().startswith("NL-1")
    # the alerts: links into Polri ID's cases, named with whom to contact
    alerts = page.locator("#alerts tbody tr")
    assert alerts.count() >= 1
    assert "Polri ID" in page.locator("#alerts").inner_text()
    page.wait_for_selector("#job-list p, #job-list ul")
    assert audit_entries(ui_world, "case_view", case="NL-1", actor="nl-investigator")

    page.click("header button:has-text('Sign out')")
    page.wait_for_url(ui.url("/ui/sign-in"))
    page.goto(ui.url("/ui/cases/NL-1"))
    assert "/ui/sign-in" in page.url
    assert audit_entries(ui_world, "logout", actor="nl-investigator")


def test_wrong_password_is_refused_and_audited(context: object, ui: UiServer, ui_world: World) -> None:
    from playwright.sync_api import BrowserContext

    assert isinstance(context, BrowserContext)
    page = context.new_page()
    page.goto(ui.url("/ui/sign-in"))
    page.fill("#name", "nl-reviewer")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert "Wrong user name or password" in page.locator("[role=alert]").inner_text()
    assert audit_entries(ui_world, "login_failed", actor="nl-reviewer")


def test_another_agency_gets_nothing(sign_in: SignIn, ui: UiServer) -> None:
    page = sign_in("id-investigator")
    cases = sorted(page.locator("#cases tbody tr").evaluate_all("rs => rs.map(r => r.dataset.case)"))
    assert "NL-1" not in cases and cases
    resp = page.goto(ui.url("/ui/cases/NL-1"))
    assert resp is not None and resp.status == 404
    assert "NL-1" in page.locator("[role=alert]").inner_text()  # the message of a case that does not exist


def test_media_urls_need_a_session(ui: UiServer, ui_world: World) -> None:
    sha = ui_world.sha("NL-1", "IMG_0002.jpg")
    for path in (f"/cases/NL-1/files/{sha}/preview", f"/cases/NL-1/files/{sha}/preview?reveal=true"):
        r = httpx.get(ui.url(path), follow_redirects=False)
        assert r.status_code == 401, path
        assert not r.headers["content-type"].startswith("image/")


UNLABELLED = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const named = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!(el.labels && el.labels.length) && !named) bad.push(el.outerHTML.slice(0, 120));
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) bad.push(img.outerHTML.slice(0, 120));
  }
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) bad.push('h1 count ' + h1);
  if (!document.documentElement.lang) bad.push('no lang');
  return bad;
}"""


def test_every_screen_has_labels_alt_texts_and_one_heading(sign_in: SignIn, ui: UiServer) -> None:
    """Accessibility basics on every screen: each control has a label, each image an alt text, each page
    one h1 and a language; the first Tab reaches the skip link."""
    page = sign_in("nl-investigator")
    screens = ["/ui/", "/ui/preferences", "/ui/lists"] + [
        f"/ui/cases/NL-1{tail}" for tail in ("", "/triage", "/graph", "/map", "/timeline", "/report")
    ]
    for path in screens:
        resp = page.goto(ui.url(path))
        assert resp is not None and resp.status == 200, path
        assert page.evaluate(UNLABELLED) == [], path
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
