"""Walk the review UI of a running ``jejak serve --roles ui`` as an examiner would, in Debian's Chromium
(Playwright), and save a screenshot of each screen: ``make demo`` (into demo/screenshots) and
``make screenshots`` (into docs/ui, the pictures docs/ui.md shows). Benign demo data only; previews stay
blurred in every screenshot but the one that shows a reveal.

    python scripts/ui_screenshots.py --base http://127.0.0.1:8765 --out demo/screenshots \
        --user eva --password '...' --case DEMO-2026-0001 --links-user anna --links-password '...' \
        --links-case NL-1 --auditor audrey --auditor-password '...'
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"


def sign_in(browser: Browser, base: str, user: str, password: str) -> Page:
    ctx = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    page = ctx.new_page()
    page.goto(f"{base}/ui/sign-in")
    page.fill("#name", user)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: url.startswith(f"{base}/ui/") and "/ui/sign-in" not in url)
    return page


def shot(page: Page, out: Path, name: str, what: str, full: bool = True) -> None:
    page.wait_for_load_state("networkidle")
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    print(f"  {path}  {what}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--case", required=True)
    ap.add_argument("--links-user", required=True)
    ap.add_argument("--links-password", required=True)
    ap.add_argument("--links-case", required=True)
    ap.add_argument("--auditor", required=True)
    ap.add_argument("--auditor-password", required=True)
    ap.add_argument("--pdf", type=Path, help="also download the case report's PDF here and print its start")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    base, case = a.base.rstrip("/"), a.case
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        anon = browser.new_context(viewport={"width": 1360, "height": 700}).new_page()
        anon.goto(f"{base}/ui/sign-in")
        shot(anon, a.out, "01-sign-in", "sign-in")

        page = sign_in(browser, base, a.user, a.password)
        shot(page, a.out, "02-cases", "the agency's cases with their counts")
        page.goto(f"{base}/ui/cases/{case}")
        shot(page, a.out, "03-dashboard", "a case's dashboard: ingest jobs, triage, alerts, warnings")
        page.goto(f"{base}/ui/cases/{case}/triage")
        shot(page, a.out, "04-triage", "the triage grid: stacks collapsed, new first, blurred and greyscale", False)
        tile = page.locator("#grid li.tile[data-kind='image']:not([data-preview=''])").nth(1)
        tile.focus()
        page.keyboard.press("r")  # reveal the focused item, for this view only (audited)
        page.wait_for_selector("#grid img.thumb[data-veiled='false']")
        shot(page, a.out, "04b-triage-reveal", "one item revealed on purpose (audited), the rest stay blurred", False)
        page.keyboard.press("r")
        focused = page.locator("#grid li.tile:focus")
        sha = focused.get_attribute("data-sha")
        page.keyboard.press("Shift+1")  # its whole near-duplicate stack in category 1, by keyboard
        page.wait_for_function(
            "sha => document.querySelector(`#grid li.tile[data-sha='${sha}'] [data-role=category]`)"
            ".textContent.includes('1')",
            arg=sha,
        )
        print(f"  categorised {sha[:12] if sha else '?'}... and its stack as 1 with Shift+1")
        page.goto(f"{base}/ui/cases/{case}/items/{sha}")
        shot(page, a.out, "05-item", "an item: provenance, instances, hits with their evidence, links")
        page.goto(f"{base}/ui/cases/{case}/report?show=thumbnails")
        shot(page, a.out, "06-report", "the case report (HTML; PDF and VICS downloads)", False)
        if a.pdf is not None:
            with page.expect_download() as dl:
                page.click("#report-pdf")
            dl.value.save_as(a.pdf)
            from pypdf import PdfReader

            text = PdfReader(str(a.pdf)).pages[0].extract_text()
            print(f"  {a.pdf}  the report as PDF; its first lines:")
            for line in text.splitlines()[:8]:
                print(f"    {line}")
        page.goto(f"{base}/ui/lists")
        shot(page, a.out, "07-lists", "the imported lists with their versions")
        page.goto(f"{base}/ui/preferences")
        shot(page, a.out, "08-preferences", "how gently previews are blurred")

        links = sign_in(browser, base, a.links_user, a.links_password)
        lcase = a.links_case
        links.goto(f"{base}/ui/cases/{lcase}/graph")
        shot(links, a.out, "09-graph", "the link graph (server-side SVG), filtered by rule and score", False)
        links.goto(f"{base}/ui/cases/{lcase}/map")
        shot(links, a.out, "10-map", "places on a coordinates grid, no tile server")
        links.goto(f"{base}/ui/cases/{lcase}/timeline")
        shot(links, a.out, "11-timeline", "capture times")

        auditor = sign_in(browser, base, a.auditor, a.auditor_password)
        auditor.goto(f"{base}/ui/audit")
        shot(auditor, a.out, "12-audit", "the audit trail, for auditors, with its verification")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
