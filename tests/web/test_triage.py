"""The triage grid in a real browser: previews blurred and grey until one is revealed (pixels, not class
names), the reveal audited; a near-duplicate stack categorised from the keyboard; arrows; assertions and
notes from the keyboard; what a shared (read-only) case and another agency's case give.

The grid needs near-duplicate stacks and list hits, which the session's world has none of: this module
builds its own (``make_triage_world``: the two-agency world, plus a laptop exhibit of NL-1 holding listed
pictures, their edited copies and near-duplicate stacks, matched against lists), served by its own server."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

from jejak.services.ingest import ingest_case
from jejak.services.lists import build_list, import_list
from jejak.services.triage import triage_case
from jejak.testing.images import jpeg_bytes
from jejak.testing.known import build_known_material
from tests.api.conftest import World, make_world
from tests.web.conftest import (
    UiServer,
    audit_entries,
    close_world,
    colourfulness,
    served,
    sharpness,
    signed_in,
)

pytestmark = pytest.mark.browser


# -- the world -----------------------------------------------------------------------------------------------
def make_triage_world(root: Path) -> World:
    """The two-agency world (tests/api/conftest.py) with, in NL-1, a laptop exhibit of known material
    (``testing.known``): exact and edited copies of listed pictures, a picture only the robust stage finds,
    new pictures, known-good files; plus two near-duplicate stacks (a resized copy of a listed picture: a
    known stack of 2; a new picture with a resized copy and a recompressed copy inside a ZIP: a new stack
    of 3). Lists: Project VIC (VICS), ICSE (disagrees on one picture: a conflict), NSRL (known-good), and
    one built from a reference picture (robust stage). ID-7 is shared with Politie NL, to read."""
    world = make_world(root)
    known = root / "evidence" / "known"
    manifest = build_known_material(known)
    laptop = known / "seizure" / "laptop"
    saved = Image.open(laptop / "Pictures/saved/0001.jpg").convert("RGB")
    (laptop / "Pictures/saved/0001_small.jpg").write_bytes(jpeg_bytes(saved.resize((512, 384)), quality=80))
    new = Image.open(laptop / "Pictures/camera/IMG_0000.jpg").convert("RGB")
    (laptop / "Pictures/camera/IMG_0000_small.jpg").write_bytes(
        jpeg_bytes(new.resize((400, 300)), quality=80)
    )
    album = io.BytesIO()
    with zipfile.ZipFile(album, "w") as z:
        z.writestr("album/IMG_0000_copy.jpg", jpeg_bytes(new, quality=60))
    (laptop / "Downloads/album.zip").write_bytes(album.getvalue())
    rotated = next(c for c in manifest["hard_copies"] if c["edit"] == "rotate7")
    (laptop / "Pictures/edited").mkdir()
    shutil.copy(known / "seizure" / rotated["path"], laptop / "Pictures/edited/edit_0002.jpg")
    lists = known / "lists"
    import_list(world.store, lists / "projectvic-2026-10.json", "ProjectVIC", by="nl-admin")
    import_list(world.store, lists / "icse-export.csv", "ICSE", by="nl-admin")
    import_list(world.store, lists / "nsrl-rds-demo.db", "NSRL", known_good=True, by="nl-admin")
    reference = next(r for r in manifest["references"] if r["reference"] == rotated["reference"])
    build_list(world.store, world.settings, [str(known / reference["path"])], "References", by="nl-admin")
    ingest_case(world.store, world.settings, "NL-1", [str(laptop)])  # matches at its end: lists exist
    nl = world.store.accounts.agency("Politie NL")
    world.store.accounts.share_case(world.store.get_case("ID-7").id, nl.id, "id-admin")
    return world


@pytest.fixture(scope="module")
def tworld(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_triage_world(tmp_path_factory.mktemp("triage-world"))
    yield w
    close_world(w)


@pytest.fixture(scope="module")
def tui(tworld: World) -> Iterator[UiServer]:
    with served(tworld) as server:
        yield server


def records(world: World, case: str = "NL-1") -> list[dict[str, Any]]:
    return triage_case(world.store, world.settings, case)


def tile(page: Page, sha: str) -> Any:
    return page.locator(f'#grid .tile[data-sha="{sha}"]')


# -- blurred by default, revealed on purpose -----------------------------------------------------------------
def test_thumbnails_are_blurred_until_revealed_and_the_reveal_is_audited(
    context: BrowserContext, tui: UiServer, tworld: World
) -> None:
    rec = next(  # alone in its stack: no badge over the picture
        r for r in records(tworld) if (r["status"], r["kind"], r["stack"]["size"]) == ("known", "image", 1)
    )
    page = signed_in(context, tui, "nl-reviewer")
    page.goto(tui.url("/ui/cases/NL-1/triage"))
    box = tile(page, rec["sha256"])
    img = box.locator("img.thumb")
    img.scroll_into_view_if_needed()
    expect(img).to_have_js_property("complete", True)
    blurred = img.screenshot()
    assert colourfulness(blurred) < 1.0  # greyscale: the server sent no colour

    box.locator('[data-action="reveal"]').click()
    expect(box).to_have_attribute("data-revealed", "true")
    revealed = img.screenshot()
    assert sharpness(revealed) > 2 * sharpness(blurred)
    assert colourfulness(revealed) > 5 * max(colourfulness(blurred), 1.0)
    (entry,) = audit_entries(tworld, "media_reveal", actor="nl-reviewer", target=rec["sha256"])
    assert entry["case"] == "NL-1"

    # R blurs it again (nothing is remembered: another view starts blurred too)
    box.focus()
    page.keyboard.press("r")
    expect(box).to_have_attribute("data-revealed", "false")
    assert sharpness(img.screenshot()) < sharpness(revealed) / 2
    page.reload()
    again = tile(page, rec["sha256"]).locator("img.thumb")
    assert "reveal" not in (again.get_attribute("src") or "")
    assert len(audit_entries(tworld, "media_reveal", actor="nl-reviewer", target=rec["sha256"])) == 1


def test_a_role_without_review_gets_no_reveal(context: BrowserContext, tui: UiServer) -> None:
    page = signed_in(context, tui, "nl-admin")
    page.goto(tui.url("/ui/cases/NL-1/triage"))
    assert page.locator("#grid .tile").count() > 0
    assert page.locator('[data-action="reveal"], [data-action="play"]').count() == 0
    assert page.locator("#triage").get_attribute("data-can-categorise") == "false"


# -- the keyboard --------------------------------------------------------------------------------------------
def test_categorise_a_whole_stack_from_the_keyboard(
    context: BrowserContext, tui: UiServer, tworld: World
) -> None:
    before = records(tworld)
    rep = next(
        r for r in before if r["status"] == "new" and r["stack"]["size"] >= 3 and r["stack"]["representative"]
    )
    members = {r["sha256"] for r in before if r["stack"]["id"] == rep["stack"]["id"]}
    assert len(members) == rep["stack"]["size"]
    page = signed_in(context, tui, "nl-reviewer")
    page.goto(tui.url("/ui/cases/NL-1/triage"))
    tiles = page.locator("#grid .tile")
    order = tiles.evaluate_all("ts => ts.map(t => t.dataset.sha)")
    assert len(order) == len({r["stack"]["id"] for r in before})  # one tile per stack
    assert order.index(rep["sha256"]) < order.index(
        next(r["sha256"] for r in before if r["status"] == "known")
    )
    box = tile(page, rep["sha256"])
    assert box.locator(".stack-badge").inner_text() == f"×{rep['stack']['size']}"
    box.click(position={"x": 20, "y": 20})
    page.keyboard.press("Shift+Digit2")
    expect(box.locator('[data-role="category"]')).to_have_text("vic-us 2 · Exploitive / Age-difficult")
    # then the next tile has the focus
    after_rep = order[order.index(rep["sha256"]) + 1]
    expect(page.locator(f'#grid .tile[data-sha="{after_rep}"]')).to_be_focused()

    after = {r["sha256"]: r for r in records(tworld)}
    for sha in members:
        cat = after[sha]["reviewer_category"]
        assert cat is not None and (cat["scheme"], cat["code"], cat["by"]) == (
            "vic-us",
            "2",
            "nl-reviewer",
        ), sha
        assert after[sha]["category_source"] == "reviewer"
        assert after[sha]["status"] == "new"  # a category does not make it known
    (entry,) = audit_entries(tworld, "category_change", actor="nl-reviewer", target=rep["sha256"])
    assert entry["detail"]["stack"] is True and entry["detail"]["members"] == len(members)

    # the stack opened: every member shows its new category
    box.locator(".stack-badge").click()
    page.wait_for_url("**/triage?stack=*")
    shown = page.locator("#grid .tile")
    assert sorted(shown.evaluate_all("ts => ts.map(t => t.dataset.sha)")) == sorted(members)
    assert set(shown.locator('[data-role="category"]').all_inner_texts()) == {
        "vic-us 2 · Exploitive / Age-difficult"
    }


def test_number_key_categorises_one_content_and_shows_a_conflict(
    context: BrowserContext, tui: UiServer, tworld: World
) -> None:
    """A single content (no Shift) in a known stack: only it changes; a list says otherwise, so a conflict."""
    rec = next(r for r in records(tworld) if r["status"] == "known" and r["stack"]["size"] == 2)
    page = signed_in(context, tui, "nl-investigator")
    page.goto(tui.url("/ui/cases/NL-1/triage?status=known"))
    box = tile(page, rec["sha256"])
    expect(box.locator('[data-role="conflict"]')).to_have_count(0)
    box.focus()
    page.keyboard.press("Digit3")
    expect(box.locator('[data-role="category"]')).to_have_text("vic-us 3 · CGI / Animation")
    expect(box.locator('[data-role="conflict"]')).to_have_count(1)
    after = {r["sha256"]: r for r in records(tworld)}
    assert after[rec["sha256"]]["reviewer_category"]["code"] == "3"
    assert after[rec["sha256"]]["conflict"] is not None
    other = next(s for s, r in after.items() if r["stack"]["id"] == rec["stack"]["id"] and s != rec["sha256"])
    assert after[other]["reviewer_category"] is None  # the rest of the stack is untouched


def test_arrows_move_focus_on_the_grid_and_the_side_panel_follows(
    context: BrowserContext, tui: UiServer
) -> None:
    page = signed_in(context, tui, "nl-reviewer")
    page.goto(tui.url("/ui/cases/NL-1/triage"))
    tiles = page.locator("#grid .tile")
    shas = tiles.evaluate_all("ts => ts.map(t => t.dataset.sha)")
    tops = tiles.evaluate_all("ts => ts.map(t => t.offsetTop)")
    cols = tops.count(tops[0])
    assert 1 < cols < len(shas)

    def focused() -> str:
        return str(page.evaluate("document.activeElement.dataset.sha"))

    page.locator("main h1").click()  # the focus nowhere in the grid: the first arrow brings it there
    page.keyboard.press("ArrowRight")
    assert focused() == shas[0]
    page.keyboard.press("ArrowRight")
    assert focused() == shas[1]
    page.keyboard.press("ArrowDown")
    assert focused() == shas[1 + cols]
    page.keyboard.press("ArrowLeft")
    assert focused() == shas[cols]
    page.keyboard.press("ArrowUp")
    assert focused() == shas[0]
    page.keyboard.press("ArrowUp")  # nothing above the first row
    assert focused() == shas[0]
    page.keyboard.press("ArrowDown")
    assert tiles.nth(cols).get_attribute("tabindex") == "0"  # one tab stop: the current tile
    assert tiles.evaluate_all("ts => ts.filter(t => t.tabIndex === 0).length") == 1
    # the side panel shows the focused item's hashes, provenance and hits
    panel = page.locator("#details")
    expect(panel).to_contain_text(shas[cols])
    page.keyboard.press("?")
    expect(page.locator("#key-help")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/items/{shas[cols]}")


def test_hovering_shows_hits_and_provenance(context: BrowserContext, tui: UiServer, tworld: World) -> None:
    rec = next(r for r in records(tworld) if any(h["stage"] == "pdq" and h["variant"] for h in r["hits"]))
    page = signed_in(context, tui, "nl-reviewer")
    page.goto(tui.url("/ui/cases/NL-1/triage?status=known"))
    tile(page, rec["sha256"]).locator(".facts").hover()
    panel = page.locator("#details")
    expect(panel).to_contain_text(rec["md5"])
    expect(panel).to_contain_text(rec["instances"]["paths"][0])
    hit = next(h for h in rec["hits"] if h["variant"])
    expect(panel).to_contain_text(f"distance {hit['distance']} bits, matched as {hit['variant']}")
    assert tile(page, rec["sha256"]).locator(".stage").inner_text() == f"pdq {hit['distance']}"


def test_victim_and_note_from_the_keyboard(context: BrowserContext, tui: UiServer, tworld: World) -> None:
    rec = next(
        r for r in records(tworld) if r["status"] == "new" and "IMG_0005" in r["instances"]["paths"][0]
    )
    key = f"content:{rec['sha256']}"
    page = signed_in(context, tui, "nl-investigator")
    page.goto(tui.url("/ui/cases/NL-1/triage?status=new"))
    tile(page, rec["sha256"]).focus()
    page.keyboard.press("v")
    dialog = page.locator("#assert-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#assert-value")).to_be_focused()
    page.keyboard.type("V-77")  # typing: no key of the grid fires (v, n, digits...)
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#status-line")).to_contain_text("victim V-77")
    page.keyboard.press("n")
    page.keyboard.type("bedroom wallpaper matches series 4")
    page.keyboard.press("Enter")
    expect(page.locator("#status-line")).to_contain_text("Note saved")
    facts = [(a.predicate, a.object, a.note, a.by) for a in tworld.store.graph.assertions([key])]
    assert ("victim", "person:V-77", None, "nl-investigator") in facts
    assert ("note", key, "bedroom wallpaper matches series 4", "nl-investigator") in facts
    assert len(facts) == 2  # the typed letters asserted nothing more
    assert audit_entries(tworld, "assertion", actor="nl-investigator", target=key)


# -- who gets what -------------------------------------------------------------------------------------------
def test_a_shared_case_is_read_only_and_another_agency_gets_404(
    context: BrowserContext, tui: UiServer, tworld: World
) -> None:
    page = signed_in(context, tui, "nl-reviewer")
    page.goto(tui.url("/ui/cases/ID-7/triage"))  # shared with Politie NL, to read
    assert page.locator("#triage").get_attribute("data-can-categorise") == "false"
    assert "only Polri ID categorises" in page.locator("#legend").inner_text()
    first = page.locator("#grid .tile").first
    sha = first.get_attribute("data-sha")
    first.focus()
    page.keyboard.press("Digit1")
    expect(page.locator("#status-line")).to_contain_text("cannot categorise")
    assert all(r["reviewer_category"] is None for r in records(tworld, "ID-7")), sha

    other = signed_in(context, tui, "id-reviewer")
    resp = other.goto(tui.url("/ui/cases/NL-1/triage"))
    assert resp is not None and resp.status == 404
    assert "NL-1" in other.locator("[role=alert]").inner_text()
    assert not audit_entries(tworld, "case_view", actor="id-reviewer", case="NL-1")


def test_filters_and_paging(context: BrowserContext, tui: UiServer, tworld: World) -> None:
    recs = records(tworld)
    page = signed_in(context, tui, "nl-reviewer")
    page.goto(tui.url("/ui/cases/NL-1/triage"))
    page.select_option("#f-status", "known_good")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**status=known_good**")
    shown = page.locator("#grid .tile").evaluate_all("ts => ts.map(t => t.dataset.sha)")
    assert sorted(shown) == sorted(r["sha256"] for r in recs if r["status"] == "known_good")
    page.goto(tui.url("/ui/cases/NL-1/triage?exhibit=nl-phone"))
    shown = page.locator("#grid .tile").evaluate_all("ts => ts.map(t => t.dataset.sha)")
    assert sorted(shown) == sorted(r["sha256"] for r in recs if "nl-phone" in r["instances"]["exhibits"])
    # a text has no preview: its tile names its kind
    doc = next(r for r in recs if r["kind"] == "document" and "nl-phone" in r["instances"]["exhibits"])
    expect(tile(page, doc["sha256"]).locator(".placeholder")).to_have_text("document")
    views = audit_entries(tworld, "case_view", actor="nl-reviewer", case="NL-1")
    assert any(e["detail"]["path"] == "/ui/cases/NL-1/triage" for e in views)

    # pages of tiles, in triage order
    tiles = [r["sha256"] for r in recs if r["stack"]["representative"]]
    page.goto(tui.url("/ui/cases/NL-1/triage?per=10"))
    seen: list[str] = []
    while True:
        seen += page.locator("#grid .tile").evaluate_all("ts => ts.map(t => t.dataset.sha)")
        following = page.locator(".pager a[rel=next]")
        if not following.count():
            break
        following.click()
        page.wait_for_load_state()
    assert seen == tiles and len(tiles) > 20
