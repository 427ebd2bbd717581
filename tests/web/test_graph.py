"""The link graph, the map of places and the timeline of NL-1 in a real browser: what is drawn, the filters,
the click through to an item, what never crosses to another agency, and who gets nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.api.conftest import World
from tests.web.conftest import SignIn, UiServer, audit_entries

pytestmark = pytest.mark.browser


def files_of(world: World, case: str) -> list[dict[str, object]]:
    return list(world.store.iter_files(world.store.get_case(case).id))


def secrets_of_polri(world: World) -> list[str]:
    """What Politie NL must never see of Polri ID's cases: their SHA-256s (whole and as shortened in
    pages) and file names."""
    out: list[str] = []
    for case in ("ID-7", "ID-9"):
        for r in files_of(world, case):
            sha = str(r["sha256"])
            out += [sha, sha[:12], Path(str(r["path"])).name]
    return out


def edge_rules(page: Page) -> list[str]:
    rules = page.locator("#graph-canvas svg path.edge").evaluate_all("es => es.map(e => e.dataset.rule)")
    return [str(r) for r in rules]


def table_rules(page: Page) -> list[str]:
    rows = page.locator("#graph-links tbody tr").evaluate_all("rs => rs.map(r => r.dataset.rule)")
    return [str(r) for r in rows]


def test_graph_draws_the_links_and_filters_by_rule(sign_in: SignIn, ui: UiServer, ui_world: World) -> None:
    page = sign_in("nl-investigator")
    page.goto(ui.url("/ui/cases/NL-1/graph"))
    svg = page.locator("#graph-canvas svg")
    nodes = svg.locator("g.node")
    assert nodes.count() >= 10
    everything = edge_rules(page)
    assert {"pdq", "camera", "place", "identifier", "holds"} <= set(everything)
    assert sorted(everything) == sorted(table_rules(page)), "the table lists what is drawn"
    for r in files_of(ui_world, "NL-1"):  # every content of the case is drawn
        assert svg.locator(f'g.node[data-key="content:{r["sha256"]}"]').count() == 1
    assert audit_entries(ui_world, "case_view", case="NL-1", actor="nl-investigator")

    # the page's script: hovering a content highlights it and its neighbours
    v12 = ui_world.sha("NL-1", "IMG_0002.jpg")
    node = svg.locator(f'g.node[data-key="content:{v12}"]')
    node.locator(".mark").hover()
    assert "dimmed" in (page.locator("#graph-canvas").get_attribute("class") or "")
    assert "hl" in (svg.locator('g.node[data-key="person:V-12"]').get_attribute("class") or "")
    before = svg.get_attribute("viewBox")
    page.click("button[data-zoom=in]")
    assert svg.get_attribute("viewBox") != before

    # only pdq: untick everything else, apply
    for box in page.locator("input[name=rule]").all():
        box.set_checked(box.get_attribute("value") == "pdq")
    page.click("#graph-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*/ui/cases/NL-1/graph\?rule=pdq.*"))
    only = edge_rules(page)
    assert only and set(only) == {"pdq"}
    assert len(only) == everything.count("pdq") < len(everything)
    assert set(table_rules(page)) == {"pdq"}
    assert page.locator("input[name=rule][value=pdq]").is_checked()
    assert not page.locator("input[name=rule][value=camera]").is_checked()

    # a minimum score leaves out the weaker links (camera by model alone scores 0.1)
    page.goto(ui.url("/ui/cases/NL-1/graph?min_score=0.5"))
    scores = [float(s) for s in page.locator("#graph-links tbody td.num").all_inner_texts()]
    assert scores and min(scores) >= 0.5
    assert len(edge_rules(page)) < len(everything)


def test_a_content_node_leads_to_its_item(sign_in: SignIn, ui: UiServer, ui_world: World) -> None:
    page = sign_in("nl-investigator")
    page.goto(ui.url("/ui/cases/NL-1/graph"))
    sha = ui_world.sha("NL-1", "IMG_0001.jpg")
    link = page.locator(f'#graph-canvas g.node[data-key="content:{sha}"] a')
    assert link.get_attribute("href") == f"/ui/cases/NL-1/items/{sha}"
    link.locator(".mark").click()
    page.wait_for_url(ui.url(f"/ui/cases/NL-1/items/{sha}"))
    # and from the keyboard: a node is a link like any other
    page.goto(ui.url("/ui/cases/NL-1/graph"))
    page.locator(f'#graph-canvas g.node[data-key="content:{sha}"] a').focus()
    page.keyboard.press("Enter")
    page.wait_for_url(ui.url(f"/ui/cases/NL-1/items/{sha}"))


def test_other_agencies_contents_are_pseudonyms(sign_in: SignIn, ui: UiServer, ui_world: World) -> None:
    page = sign_in("nl-investigator")
    page.goto(ui.url("/ui/cases/NL-1/graph"))
    hidden = page.locator('#graph-canvas g.node[data-key^="content:hidden-"]')
    assert hidden.count() >= 3  # the near-duplicates, the same place, the same camera...
    assert hidden.locator("a").count() == 0, "a hidden content leads nowhere"
    title = hidden.first.locator("title").text_content() or ""
    assert "Polri ID" in title and "contact them" in title
    listed = page.locator("#hidden-contents").inner_text()
    assert "ID-7 of Polri ID" in listed and "ID-9 of Polri ID" in listed
    html = page.content()
    for secret in secrets_of_polri(ui_world):
        assert secret not in html, secret
    for path in ("/ui/cases/NL-1/map", "/ui/cases/NL-1/timeline"):
        page.goto(ui.url(path))
        html = page.content()
        for secret in secrets_of_polri(ui_world):
            assert secret not in html, (path, secret)


def test_map_shows_the_places_with_counts(sign_in: SignIn, ui: UiServer, ui_world: World) -> None:
    page = sign_in("nl-investigator")
    page.goto(ui.url("/ui/cases/NL-1/map"))
    places = page.locator(".map-canvas svg g.place")
    assert places.count() == 1  # IMG_0001.jpg, and ID-7's photo 40 m away: one place
    assert places.locator("text.count").text_content() == "2"
    title = places.locator("title").text_content() or ""
    assert "52.370" in title and "4.890" in title and "2 media" in title
    labels = page.locator(".map-canvas svg .graticule-labels text").all_text_contents()
    assert any(t.endswith("°N") for t in labels) and any(t.endswith("°E") for t in labels)

    sha = ui_world.sha("NL-1", "IMG_0001.jpg")
    item = page.locator("#place-list ul.place-items a")
    assert item.inner_text() == "IMG_0001.jpg"
    assert item.get_attribute("href") == f"/ui/cases/NL-1/items/{sha}"
    assert "ID-7 (Polri ID)" in page.locator("#place-list").inner_text()
    places.locator("a").click()  # the circle leads to the place's entry in the list
    page.wait_for_url(re.compile(r".*/map#place-.+"))

    geojson = page.locator("a", has_text="GeoJSON").get_attribute("href")
    assert geojson == "/cases/NL-1/graph?format=geojson"
    r = page.request.get(ui.url(geojson))
    assert r.status == 200
    features = r.json()["features"]
    assert len(features) == 1 and features[0]["geometry"]["coordinates"] == pytest.approx([4.89, 52.37018])
    kml = page.request.get(ui.url(str(page.locator("a", has_text="KML").get_attribute("href"))))
    assert kml.status == 200 and b"<kml" in kml.body()


def test_timeline_shows_the_dated_items(sign_in: SignIn, ui: UiServer, ui_world: World) -> None:
    page = sign_in("nl-investigator")
    page.goto(ui.url("/ui/cases/NL-1/timeline"))
    rows = files_of(ui_world, "NL-1")
    dated = sorted(str(r["name"]) for r in rows if r["datetime_original"])
    undated_media = [
        r for r in rows if not r["datetime_original"] and r["kind"] in ("image", "video", "audio")
    ]
    assert dated == ["IMG_0001.jpg"]
    table = page.locator("#dated tbody tr")
    assert sorted(table.locator("td:nth-child(2)").all_inner_texts()) == dated
    first = table.first
    assert first.locator("td").first.inner_text() == "2026-03-12T18:30:00+00:00"
    sha = ui_world.sha("NL-1", "IMG_0001.jpg")
    assert first.locator("a").get_attribute("href") == f"/ui/cases/NL-1/items/{sha}"
    assert "Canon EOS 80D" in first.inner_text()
    assert page.locator("#undated-count .n").inner_text() == str(len(undated_media))
    # the histogram: one bar per hour of that day, the dated content in the 18:00 one, linked to its row
    bars = page.locator(".histogram-canvas svg g.bar")
    assert bars.count() == 24
    titles = bars.locator("title").all_text_contents()
    assert "2026-03-12T18: 1 content" in titles
    assert sum(int(t.split(": ")[1].split()[0]) for t in titles) == len(dated)
    page.locator('.histogram-canvas svg a[href="#t-2026-03-12T18"] rect').click()
    page.wait_for_url(re.compile(r".*#t-2026-03-12T18$"))
    assert "File-system time (not capture)" in page.locator("#dated thead").inner_text()


def test_another_agency_gets_not_found(sign_in: SignIn, ui: UiServer) -> None:
    page = sign_in("id-reviewer")
    for tail in ("graph", "map", "timeline"):
        r = page.goto(ui.url(f"/ui/cases/NL-1/{tail}"))
        assert r is not None and r.status == 404, tail
        assert page.locator("#graph-canvas, .map-canvas, .histogram-canvas").count() == 0
