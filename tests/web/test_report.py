"""The case report in a real browser: the page's counts are the store's, the examiner's choice of items and
how they appear (thumbnails blurred and greyscale, on pixels), the PDF download and its text, the audit
entries of both, the VICS export button; and another agency gets nothing.

On the lists world of tests/web/test_lists_ui.py (the shared UI world has no list, so no known item)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Page
from pypdf import PdfReader

from jejak.services.media import stored_preview
from jejak.services.triage import triage_case, triage_summary
from tests.api.conftest import World
from tests.web.conftest import (
    UiServer,
    audit_entries,
    close_world,
    colourfulness,
    served,
    sharpness,
    signed_in,
)
from tests.web.test_lists_ui import KNOWN, REVIEWED, listed_world

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, UiServer]]:
    w = listed_world(tmp_path_factory.mktemp("report-world"))
    with served(w) as server:
        yield w, server
    close_world(w)


def count(page: Page, key: str) -> int:
    return int(page.locator(f'#report-counts tr[data-count="{key}"] td').inner_text())


def test_report_page_and_pdf(listed: tuple[World, UiServer], context: BrowserContext, tmp_path: Path) -> None:
    w, server = listed
    page = signed_in(context, server, "nl-investigator")
    page.goto(server.url("/ui/cases/NL-1/report"))
    assert page.locator("#report-case").inner_text() == "NL-1"
    assert page.locator("#report-agency").inner_text() == "Politie NL"
    assert page.locator("#report-examiner").inner_text().startswith("nl-investigator")
    assert page.locator("#report-generated").inner_text().endswith("UTC")

    row = w.store.get_case("NL-1")
    summary = w.store.case_summary(row.id)
    tri = triage_summary(triage_case(w.store, w.settings, "NL-1"))
    assert count(page, "files") == summary["files"]
    assert count(page, "contents") == summary["unique_contents"]
    for status in ("new", "known", "known_good"):
        assert count(page, status) == tri["by_status"][status]
    assert tri["by_status"]["known"] == len(KNOWN) and tri["by_status"]["known_good"] == 1
    assert int(page.locator('#report-status tr[data-count="conflicts"] td').inner_text()) == 1
    assert page.locator("#report-rules tr[data-rule]").count() >= 1
    assert "Polri ID" in page.locator("#report-alerts").inner_text()

    # by default: the known items and the one a reviewer categorised, by their hashes only
    known = {w.sha("NL-1", n) for n in KNOWN}
    reviewed = w.sha("NL-1", REVIEWED)
    shas = set(page.locator("#report-items tbody tr").evaluate_all("rs => rs.map(r => r.dataset.sha)"))
    assert shas == {*known, reviewed}
    assert page.locator("#report-items img").count() == 0
    html = audit_entries(w, "export", case="NL-1", actor="nl-investigator", target="report-html")
    assert html and html[-1]["detail"]["item_count"] == 3 and html[-1]["detail"]["show"] == "hashes"

    # every new item too, as thumbnails: blurred and greyscale, never the stored (sharp, colour) preview
    page.check('input[name="items"][value="all"]')
    page.check('input[name="show"][value="thumbnails"]')
    page.click("#report-form button[type=submit]")
    page.wait_for_url("**/report?items=all&show=thumbnails")
    new = {r["sha256"] for r in triage_case(w.store, w.settings, "NL-1") if r["status"] == "new"}
    shas = set(page.locator("#report-items tbody tr").evaluate_all("rs => rs.map(r => r.dataset.sha)"))
    assert shas == known | new
    sha = w.sha("NL-1", KNOWN[1])
    img = page.locator(f'#report-items tr[data-sha="{sha}"] img')
    img.scroll_into_view_if_needed()
    page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=img.element_handle())
    shown = img.screenshot()
    box = Image.open(io.BytesIO(shown)).size
    _kind, stored = stored_preview(w.store, sha)
    sharp = io.BytesIO()
    Image.open(io.BytesIO(stored)).convert("RGB").resize(box).save(sharp, "PNG")
    assert colourfulness(shown) < 2 < colourfulness(sharp.getvalue())
    assert sharpness(shown) < 0.5 * sharpness(sharp.getvalue())

    # the PDF: a download named after the case, with the same options
    with page.expect_download() as got:
        page.click("#report-pdf")
    download = got.value
    assert download.suggested_filename == "NL-1-report.pdf"
    path = tmp_path / "report.pdf"
    download.save_as(path)
    pdf = PdfReader(path)
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "Case report: NL-1" in text and "CONFIDENTIAL — law enforcement" in text
    assert "nl-investigator" in text
    assert all(s in text for s in known)
    assert f"Files {summary['files']}" in text
    images = [i.image for p in pdf.pages for i in p.images]
    assert images and all(i is not None and i.mode == "L" for i in images)
    pdfs = audit_entries(w, "export", case="NL-1", actor="nl-investigator", target="report-pdf")
    assert pdfs and pdfs[-1]["detail"]["items"] == "all" and pdfs[-1]["detail"]["item_count"] == len(shas)

    # the VICS export button is the API's endpoint, with the page's session
    assert page.locator("#export-vics").get_attribute("href") == "/cases/NL-1/export/vics"
    vics = context.request.get(server.url("/cases/NL-1/export/vics"))
    assert vics.status == 200 and "NL-1" in vics.text()


def test_another_agency_gets_no_report(listed: tuple[World, UiServer], context: BrowserContext) -> None:
    _w, server = listed
    page = signed_in(context, server, "id-investigator")
    for path in ("/ui/cases/NL-1/report", "/ui/cases/NL-1/report.pdf"):
        resp = context.request.get(server.url(path))
        assert resp.status == 404, path
    shown = page.goto(server.url("/ui/cases/NL-1/report"))
    assert shown is not None and shown.status == 404
    assert "NL-1" in page.locator("[role=alert]").inner_text()
