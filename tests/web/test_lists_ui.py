"""The lists screens in a real browser: every list with its versions, a list's page, an upload through the
form that becomes a new version, the category conflicts of the user's cases, and who may import.

The shared UI world imports no list, so these tests run on a world of their own (``listed_world``: the
two-agency scenario with two small lists of its own pictures that disagree on one category, and a
known-good list), also used by tests/web/test_report.py."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext

from jejak.services.accounts import Principal
from jejak.services.lists import import_list
from jejak.services.match import match_case
from jejak.services.review import categorise
from tests.api.conftest import World, make_world
from tests.web.conftest import UiServer, audit_entries, close_world, served, signed_in

pytestmark = pytest.mark.browser

KNOWN = ("IMG_0001.jpg", "IMG_0002.jpg")  # listed as known material by "national"
DISPUTED = "IMG_0001.jpg"  # "partner" gives it another category
BENIGN = "WhatsApp Chat with Dewi.txt"  # listed known-good
REVIEWED = "IMG_0004.jpg"  # new, categorised by a reviewer


def listed_world(root: Path) -> World:
    """The two-agency world with three lists imported and NL-1 matched: "national" (generic CSV, vic-us 4
    for IMG_0001 and IMG_0002), "partner" (vic-us 0 for IMG_0001: a category conflict) and "os-files"
    (md5sum, known-good: the chat export); and IMG_0004, new, categorised by a reviewer."""
    w = make_world(root)
    lists = root / "lists"
    lists.mkdir()
    national = lists / "national.csv"
    national.write_text(
        "sha256,category,series\n" + "".join(f"{w.sha('NL-1', n)},4,demo-series\n" for n in KNOWN)
    )
    partner = lists / "partner.csv"
    partner.write_text(f"sha256,category\n{w.sha('NL-1', DISPUTED)},0\n")
    benign = lists / "os-files.md5"
    chat = w.root / "evidence" / w.manifest["cases"]["NL-1"]["folder"] / BENIGN
    benign.write_text(f"{hashlib.md5(chat.read_bytes()).hexdigest()}  {BENIGN}\n")
    import_list(w.store, national, "national", fmt="csv", scheme="vic-us", by="nl-investigator")
    import_list(w.store, partner, "partner", fmt="csv", by="id-investigator")
    import_list(w.store, benign, "os-files", fmt="md5sum", known_good=True)
    match_case(w.store, w.settings, "NL-1")
    categorise(
        w.store,
        w.settings,
        Principal.local(),
        "NL-1",
        w.sha("NL-1", REVIEWED),
        "3",
        scheme="vic-us",
        by="nl-reviewer",
    )
    return w


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, UiServer]]:
    w = listed_world(tmp_path_factory.mktemp("lists-world"))
    with served(w) as server:
        yield w, server
    close_world(w)


def sign_in(context: BrowserContext, server: UiServer, user: str) -> None:
    signed_in(context, server, user).close()


def test_lists_page_shows_every_list_and_the_conflicts(
    listed: tuple[World, UiServer], context: BrowserContext
) -> None:
    w, server = listed
    sign_in(context, server, "nl-reviewer")
    page = context.new_page()
    page.goto(server.url("/ui/lists"))
    names = page.locator("#lists tbody tr").evaluate_all("rs => rs.map(r => r.dataset.list)")
    assert {"national", "os-files", "partner"} <= set(names)  # (and the upload test's, once it ran)
    national = page.locator('#lists tr[data-list="national"]')
    assert national.locator('[data-field="entries"]').inner_text() == "2"
    assert national.locator('[data-field="versions"]').inner_text() == "1"
    assert "vic-us" in national.inner_text()
    assert "by nl-investigator" in national.inner_text()  # the reviewer's own agency: by name
    # another agency's importer shows as that agency, never by name
    partner = page.locator('#lists tr[data-list="partner"]').inner_text()
    assert "agency:Polri ID" in partner and "id-investigator" not in partner
    assert "known-good" in page.locator('#lists tr[data-list="os-files"]').inner_text()
    # a reviewer reads lists but may not import them: no form
    assert page.locator("#import-form").count() == 0

    # the disputed picture of NL-1, with what each list says and a way to the item page
    disputed = w.sha("NL-1", DISPUTED)
    row = page.locator(f'#conflicts table[data-case="NL-1"] tr[data-sha="{disputed}"]')
    text = row.inner_text()
    assert "national: vic-us 4" in text and "partner: vic-us 0" in text
    assert row.locator("a").get_attribute("href") == f"/ui/cases/NL-1/items/{disputed}"
    assert page.locator("#conflicts tr[data-sha]").count() == 1  # IMG_0002: the lists agree
    shown = audit_entries(w, "case_view", case="NL-1", actor="nl-reviewer")
    assert [e for e in shown if (e["detail"] or {}).get("conflicts") == 1]  # the case's data read, audited

    page.click('#lists a:text-is("national")')
    page.wait_for_url(server.url("/ui/lists/national"))
    assert page.locator('#versions tr[data-version="1"] [data-field="added"]').inner_text() == "2"
    assert "vic-us 4 · Comparison" in page.locator("#entry-categories").inner_text()
    formats = page.locator("#exports a").evaluate_all("as => as.map(a => a.dataset.format)")
    assert "vics" in formats and "csv" in formats
    # the export links are the API's, and work with the page's session cookie
    href = page.locator('#exports a[data-format="md5sum"]').get_attribute("href")
    assert href == "/lists/national/export?format=md5sum"
    got = context.request.get(server.url(href))
    assert got.status == 200 and "attachment" in got.headers["content-disposition"]
    vics = page.locator('#exports a[data-format="vics"]').get_attribute("href") or ""
    assert vics.endswith("format=vics&profile=US")
    got = context.request.get(server.url(vics))
    assert got.status == 200 and len(got.json()["value"]) == len(KNOWN)
    assert audit_entries(w, "list_export", actor="nl-reviewer", target="national")


def test_upload_a_release_through_the_form(
    listed: tuple[World, UiServer], context: BrowserContext, tmp_path: Path
) -> None:
    w, server = listed
    sign_in(context, server, "nl-investigator")
    page = context.new_page()
    page.goto(server.url("/ui/lists"))
    first = tmp_path / "seized-before.md5"
    first.write_text("".join(f"{hashlib.md5(n.encode()).hexdigest()}  {n}\n" for n in ("a.jpg", "b.jpg")))
    page.set_input_files("#import-file", str(first))
    page.fill("#import-name", "ui-upload")
    page.select_option("#import-format", "md5sum")
    page.click("#import-form button[type=submit]")
    page.wait_for_url(server.url("/ui/lists/ui-upload?imported=1"))
    assert "Version 1 imported" in page.locator("#imported").inner_text()
    assert page.locator('#versions tr[data-version="1"] [data-field="added"]').inner_text() == "2"

    # a second release from the list's own page: one entry removed, one added
    second = tmp_path / "seized-after.md5"
    second.write_text("".join(f"{hashlib.md5(n.encode()).hexdigest()}  {n}\n" for n in ("b.jpg", "c.jpg")))
    assert page.locator("#import-name").input_value() == "ui-upload"
    page.set_input_files("#import-file", str(second))
    page.select_option("#import-format", "md5sum")
    page.click("#import-form button[type=submit]")
    page.wait_for_url(server.url("/ui/lists/ui-upload?imported=2"))
    v2 = page.locator('#versions tr[data-version="2"]')
    assert v2.locator('[data-field="added"]').inner_text() == "1"
    assert v2.locator('[data-field="removed"]').inner_text() == "1"
    assert "seized-after.md5" in v2.inner_text()
    page.goto(server.url("/ui/lists"))
    row = page.locator('#lists tr[data-list="ui-upload"]')
    assert row.locator('[data-field="versions"]').inner_text() == "2"
    assert "nl-investigator" in row.inner_text()
    imports = audit_entries(w, "list_import", actor="nl-investigator", target="ui-upload")
    assert [e["detail"]["via"] for e in imports] == ["ui", "ui"]


def test_import_is_refused_without_the_permission_or_the_form_token(
    listed: tuple[World, UiServer], context: BrowserContext
) -> None:
    w, server = listed
    body = {"file": ("forged.md5", f"{hashlib.md5(b'x').hexdigest()}  x\n", "text/plain")}
    # a reviewer (lists:read only) posting the form, with the session's own token: not allowed
    sign_in(context, server, "nl-reviewer")
    page = context.new_page()
    page.goto(server.url("/ui/lists"))
    token = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    r = httpx.post(
        server.url("/ui/lists/import"),
        cookies=cookies,
        data={"csrf": token, "name": "forged", "format": "md5sum"},
        files=body,
    )
    assert r.status_code == 403
    # an investigator's browser made to post from elsewhere: no form token, refused
    context.clear_cookies()
    sign_in(context, server, "nl-investigator")
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    for token in ("", "forged"):
        r = httpx.post(
            server.url("/ui/lists/import"),
            cookies=cookies,
            data={"csrf": token, "name": "forged", "format": "md5sum"},
            files=body,
        )
        assert r.status_code == 403, r.text
    assert w.store.lists.find("forged") is None
