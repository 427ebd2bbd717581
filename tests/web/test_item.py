"""The item page in a real browser (the instances with each layer of their provenance, metadata, hits with
their evidence, links, assertions, category history), and a video played on request: the media endpoint
needs ``review``, is audited, and says so when the evidence is gone.

Uses the triage tests' world (``make_triage_world``: listed pictures, edited copies, stacks, a ZIP), built
for this module and served by its own server."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from jejak.services.accounts import Principal
from jejak.services.review import categorise
from tests.api.conftest import World
from tests.web.conftest import UiServer, audit_entries, close_world, served, signed_in
from tests.web.test_triage import make_triage_world, records

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def iworld(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_triage_world(tmp_path_factory.mktemp("item-world"))
    yield w
    close_world(w)


@pytest.fixture(scope="module")
def iui(iworld: World) -> Iterator[UiServer]:
    with served(iworld) as server:
        yield server


def by_path(world: World, end: str) -> dict[str, Any]:
    """The triage record of the content found at a path ending so (the first path it was found under)."""
    return next(r for r in records(world) if any(p.endswith(end) for p in r["instances"]["paths"]))


def open_item(context: BrowserContext, server: UiServer, user: str, sha: str) -> Page:
    page = signed_in(context, server, user)
    resp = page.goto(server.url(f"/ui/cases/NL-1/items/{sha}"))
    assert resp is not None and resp.status == 200
    return page


def test_hits_with_their_evidence(context: BrowserContext, iui: UiServer, iworld: World) -> None:
    rec = by_path(iworld, "edited/edit_0002.jpg")  # a rotated, cropped copy: only the robust stage finds it
    (hit,) = rec["hits"]
    assert hit["stage"] == "robust"
    page = open_item(context, iui, "nl-reviewer", rec["sha256"])
    row = page.locator('#hits tbody tr[data-stage="robust"]')
    expect(row).to_contain_text(
        f"{hit['evidence']['inliers']} verified inliers of {hit['evidence']['matches']}"
    )
    expect(row).to_contain_text(f"rotation {hit['evidence']['rotation_deg']:.1f}°")
    expect(row).to_contain_text(f"scale {hit['evidence']['scale']:.2f}")
    assert "References" in row.inner_text()

    mirrored = by_path(iworld, "saved/0004_mirror.jpg")
    page.goto(iui.url(f"/ui/cases/NL-1/items/{mirrored['sha256']}"))
    pdq = next(h for h in mirrored["hits"] if h["list"] == "ProjectVIC")
    row = page.locator('#hits tbody tr[data-stage="pdq"]').first
    expect(row).to_contain_text(f"distance {pdq['distance']} bits, matched as {pdq['variant']}")
    expect(row).to_contain_text(pdq["entry"]["external_id"])
    record = page.locator("#record").inner_text()
    assert rec["sha256"] not in record and mirrored["sha256"] in record and mirrored["md5"] in record
    assert f"quality {mirrored['pdq_quality']}" in record

    conflicted = by_path(iworld, "Downloads/0007.jpg")  # VICS says 1, ICSE says 2
    page.goto(iui.url(f"/ui/cases/NL-1/items/{conflicted['sha256']}"))
    expect(page.locator("#record .conflict")).to_have_text(
        "vic-us 1 · CAM / vic-us 2 · Exploitive / Age-difficult"
    )
    lists = set(page.locator("#hits tbody tr td:first-child").all_inner_texts())
    assert {"ProjectVIC", "ICSE"} <= lists
    expect(page.locator("#hits")).to_contain_text("identical bytes (md5)")


def test_instances_with_every_layer_and_the_stack(
    context: BrowserContext, iui: UiServer, iworld: World
) -> None:
    rec = by_path(iworld, "album/IMG_0000_copy.jpg")  # a member of a ZIP, in a stack of three
    page = open_item(context, iui, "nl-reviewer", rec["sha256"])
    layers = page.locator("#instances ol.chain li")
    assert layers.count() == 2
    expect(layers.nth(0)).to_contain_text("file")
    expect(layers.nth(0)).to_contain_text("laptop/Downloads/album.zip")
    expect(layers.nth(1)).to_contain_text("ZIP member")
    expect(layers.nth(1)).to_contain_text("album/IMG_0000_copy.jpg")
    expect(layers.nth(1)).to_contain_text("entry 0")
    assert "deleted" not in page.locator("#instances tbody td:nth-child(4)").inner_text()

    members = [
        r for r in records(iworld) if r["stack"]["id"] == rec["stack"]["id"] and r["sha256"] != rec["sha256"]
    ]
    links = page.locator("#stack-members a")
    assert links.count() == len(members) == rec["stack"]["size"] - 1
    target = members[0]["sha256"]
    page.click(f'#stack-members a[href$="/items/{target}"]')
    page.wait_for_url(f"**/ui/cases/NL-1/items/{target}")
    expect(page.locator("#record")).to_contain_text(target)


def test_metadata_links_and_assertions(context: BrowserContext, iui: UiServer, iworld: World) -> None:
    camera = by_path(iworld, "nl-phone/IMG_0001.jpg")  # Canon EOS 80D, body serial, GPS in Amsterdam
    page = open_item(context, iui, "nl-investigator", camera["sha256"])
    meta = page.locator("#metadata").inner_text()
    assert "Canon EOS 80D" in meta and "084021001234" in meta and "52.37000, 4.89000" in meta
    assert "2026-03-12" in meta
    rules = page.locator('#links tbody tr[data-direct="true"] td:first-child').all_inner_texts()
    assert "camera" in rules and "place" in rules
    cam = page.locator('#links tbody tr[data-direct="true"][data-rule="camera"]').first  # the strongest
    expect(cam).to_contain_text("this item")
    expect(cam).to_contain_text("0.95")
    expect(cam).to_contain_text("model: Canon EOS 80D")  # the evidence: the body and its serial
    expect(cam).to_contain_text("source: BodySerialNumber")
    # one step on: ID-9's picture from the same body, a pseudonym (Polri ID did not share ID-9)
    onward = page.locator('#links tbody tr[data-direct="false"][data-rule="camera"]').first
    expect(onward).to_contain_text("content:hidden-")
    expect(onward).to_contain_text("ID-9 (Polri ID)")
    expect(onward).to_contain_text("evidence withheld")

    victim = by_path(iworld, "nl-phone/IMG_0002.jpg")  # asserted as V-12 by nl-investigator
    page.goto(iui.url(f"/ui/cases/NL-1/items/{victim['sha256']}"))
    row = page.locator('#assertions tbody tr[data-predicate="victim"]')
    expect(row).to_contain_text("person:V-12")
    expect(row).to_contain_text("nl-investigator")
    asserted = page.locator('#links tbody tr[data-rule="victim"]')
    expect(asserted).to_contain_text("asserted by nl-investigator")
    # its smaller copy in ID-7, which Polri ID shared with Politie NL: opens on ID-7's item page
    foto_a = iworld.sha("ID-7", "foto_a.jpg")
    shared = page.locator(f'#links tbody tr[data-rule="pdq"]:has(a[href="/ui/cases/ID-7/items/{foto_a}"])')
    expect(shared).to_contain_text("foto_a.jpg")
    expect(shared).to_contain_text("distance ")
    # its near-duplicate in ID-9 (Polri ID, not shared): a pseudonym, the case to contact, no evidence
    hidden = page.locator("#links tbody tr", has_text="content:hidden-")
    assert hidden.count() >= 1
    expect(hidden.first).to_contain_text("ID-9 (Polri ID)")
    expect(hidden.first).to_contain_text("evidence withheld")
    text = page.locator("#links").inner_text()
    assert "foto_d" not in text
    assert iworld.sha("ID-9", "foto_d.jpg")[:12] not in text


def test_category_history_and_notes(context: BrowserContext, iui: UiServer, iworld: World) -> None:
    rec = by_path(iworld, "camera/IMG_0008.jpg")
    reviewer = Principal.local()
    categorise(iworld.store, iworld.settings, reviewer, "NL-1", rec["sha256"], "4", by="nl-reviewer")
    categorise(iworld.store, iworld.settings, reviewer, "NL-1", rec["sha256"], "0", note="a test card")
    page = open_item(context, iui, "nl-investigator", rec["sha256"])
    rows = page.locator("#category-history tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("vic-us 4 · Comparison")
    expect(rows.nth(0)).to_contain_text("nl-reviewer")
    expect(rows.nth(1)).to_contain_text("vic-us 0 · Non-Pertinent")
    expect(rows.nth(1)).to_contain_text("a test card")
    expect(page.locator("#record")).to_contain_text("vic-us 0 · Non-Pertinent (from the reviewer)")
    # a note alone (no victim, offender or series) is an assertion of its own
    r = iworld.client.post(
        "/cases/NL-1/assertions",
        json={"content": rec["sha256"], "note": "same wallpaper as exhibit 3"},
        headers=iworld.auth("nl", "investigator"),
    )
    assert r.status_code == 201, r.text
    assert [a["predicate"] for a in r.json()["assertions"]] == ["note"]
    page.reload()
    row = page.locator('#assertions tbody tr[data-predicate="note"]')
    expect(row).to_contain_text("same wallpaper as exhibit 3")
    expect(row).to_contain_text("nl-investigator")
    empty = iworld.client.post(
        "/cases/NL-1/assertions", json={"content": rec["sha256"]}, headers=iworld.auth("nl", "investigator")
    )
    assert empty.status_code == 400  # still something to assert


def test_reveal_on_the_item_page(context: BrowserContext, iui: UiServer, iworld: World) -> None:
    rec = by_path(iworld, "camera/IMG_0009.jpg")
    page = open_item(context, iui, "nl-reviewer", rec["sha256"])
    media = page.locator(".media")
    media.locator('[data-action="reveal"]').click()
    expect(media).to_have_attribute("data-revealed", "true")
    assert audit_entries(iworld, "media_reveal", actor="nl-reviewer", target=rec["sha256"])
    page.keyboard.press("r")
    expect(media).to_have_attribute("data-revealed", "false")
    assert "reveal" not in (media.locator("img.thumb").get_attribute("src") or "")


# -- video ------------------------------------------------------------------------------------------------
def test_a_video_plays_muted_and_veiled_on_request(
    context: BrowserContext, iui: UiServer, iworld: World
) -> None:
    rec = by_path(iworld, "nl-phone/VID_0003.mp4")
    page = open_item(context, iui, "nl-reviewer", rec["sha256"])
    expect(page.locator(".media img.thumb")).to_have_count(1)  # the blurred contact sheet
    page.click('.media [data-action="play"]')
    video = page.locator(".media video")
    expect(video).to_have_js_property("muted", True)
    for _ in range(200):  # (wait_for_function evaluates a string: the page's CSP forbids that)
        if video.evaluate("v => v.readyState") >= 2:
            break
        page.wait_for_timeout(100)
    assert video.evaluate("v => v.readyState") >= 2  # it played: the server sent the video
    assert "blur" in video.evaluate("v => getComputedStyle(v).filter")
    assert "grayscale" in video.evaluate("v => getComputedStyle(v).filter")
    (entry,) = audit_entries(iworld, "media_reveal", actor="nl-reviewer", target=rec["sha256"])
    assert entry["detail"] == {"as": "video"}
    page.click('.media [data-action="reveal"]')
    expect(video).not_to_have_class("veiled")
    assert video.evaluate("v => getComputedStyle(v).filter") == "none"


def test_the_video_endpoint_needs_review_and_is_audited(iui: UiServer, iworld: World) -> None:
    rec = by_path(iworld, "nl-phone/VID_0003.mp4")
    url = iui.url(f"/cases/NL-1/files/{rec['sha256']}/media")
    denied = httpx.get(url, headers=iworld.auth("nl", "auditor"))
    assert denied.status_code == 403
    assert httpx.get(url, headers=iworld.auth("nl", "admin")).status_code == 403  # no review
    assert httpx.get(url, headers=iworld.auth("id", "reviewer")).status_code == 404  # another agency's case
    assert not audit_entries(iworld, "media_reveal", target=rec["sha256"], actor="nl-auditor")
    ok = httpx.get(url, headers=iworld.auth("nl", "investigator"))
    assert ok.status_code == 200
    assert ok.headers["content-type"] == "video/mp4"
    assert ok.headers["cache-control"] == "no-store, private"
    assert hashlib.sha256(ok.content).hexdigest() == rec["sha256"]
    (entry,) = audit_entries(iworld, "media_reveal", actor="nl-investigator", target=rec["sha256"])
    assert entry["detail"] == {"as": "video"} and entry["case"] == "NL-1"
    picture = by_path(iworld, "nl-phone/IMG_0004.jpg")
    still = httpx.get(
        iui.url(f"/cases/NL-1/files/{picture['sha256']}/media"), headers=iworld.auth("nl", "reviewer")
    )
    assert still.status_code == 404 and "not a video" in still.json()["detail"]


def test_a_video_whose_evidence_is_gone_is_404_saying_so(iui: UiServer, iworld: World) -> None:
    rec = by_path(iworld, "nl-phone/VID_0003.mp4")
    source = iworld.root / "evidence" / "nl-phone" / "VID_0003.mp4"
    moved = source.with_suffix(".moved")
    before = len(audit_entries(iworld, "media_reveal", actor="nl-reviewer", target=rec["sha256"]))
    source.rename(moved)
    try:
        r = httpx.get(
            iui.url(f"/cases/NL-1/files/{rec['sha256']}/media"), headers=iworld.auth("nl", "reviewer")
        )
    finally:
        moved.rename(source)
    assert r.status_code == 404
    assert "cannot be read any more" in r.json()["detail"]
    after = audit_entries(iworld, "media_reveal", actor="nl-reviewer", target=rec["sha256"])
    assert len(after) == before  # nothing was sent: nothing revealed


def test_another_agency_gets_404_on_an_item(context: BrowserContext, iui: UiServer, iworld: World) -> None:
    rec = by_path(iworld, "nl-phone/IMG_0002.jpg")
    page = signed_in(context, iui, "id-investigator")
    resp = page.goto(iui.url(f"/ui/cases/NL-1/items/{rec['sha256']}"))
    assert resp is not None and resp.status == 404
    own = signed_in(context, iui, "nl-reviewer")
    missing = own.goto(iui.url(f"/ui/cases/NL-1/items/{'ab' * 32}"))
    assert missing is not None and missing.status == 404
