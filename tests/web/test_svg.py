"""The server-side drawings (web/svg.py) and the pure helpers of the graph, map and timeline pages
(web/graph.py): valid XML, hostile labels escaped, what is drawn counted, coordinates projected where they
belong. No browser."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from jejak.model.graph import Edge, Graph, Node
from jejak.web import svg
from jejak.web.graph import (
    api_query,
    components,
    evidence_summary,
    filter_graph,
    holders_of,
    most_connected,
    parse_score,
    parse_time,
    time_bins,
    time_unit,
)

NS = {"s": svg.SVG_NS}
HOSTILE = '<script>alert("x")</script>&amp;"\'\x01.jpg'


def parse(markup: str) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == f"{{{svg.SVG_NS}}}svg"
    assert all("style" not in e.attrib for e in root.iter()), "a style attribute breaks the page's CSP"
    return root


def texts(root: ET.Element) -> list[str]:
    return [e.text or "" for e in root.iter() if e.text]


def test_graph_svg_draws_every_node_and_edge_and_escapes_labels() -> None:
    nodes = [
        svg.GraphNode(
            "content:" + "a" * 64, "content", HOSTILE, f"title {HOSTILE}", "/ui/cases/X/items/" + "a" * 64
        ),
        svg.GraphNode(
            "content:hidden-1", "hidden", "hidden-1", "held by case ID-7 of Polri ID: contact them"
        ),
        svg.GraphNode("camera:serial:x", "camera", "serial:x", "camera serial:x"),
        svg.GraphNode("place:p1", "place", "place p1", "place p1"),
    ]
    edges = [
        svg.GraphEdge(nodes[0].key, nodes[1].key, "pdq", 0.8, "pdq 0.80"),
        svg.GraphEdge(nodes[0].key, nodes[1].key, "vpdq", 0.6, "vpdq 0.60"),  # a second rule, same pair
        svg.GraphEdge(nodes[0].key, nodes[2].key, "camera", 0.95, "camera"),
        svg.GraphEdge(nodes[0].key, "person:nowhere", "victim", 1.0, "an end not drawn is left out"),
    ]
    pos = svg.layout([n.key for n in nodes], [(e.a, e.b, e.score) for e in edges])
    markup = svg.graph_svg(nodes, edges, pos, width=800, height=500)
    assert "<script>" not in markup
    root = parse(markup)
    drawn = root.findall(".//s:g[@class]", NS)
    node_groups = [g for g in drawn if g.get("class", "").startswith("node ")]
    assert [g.get("data-key") for g in node_groups] == [n.key for n in nodes]
    paths = root.findall(".//s:path", NS)
    assert len(paths) == 3
    assert {p.get("data-rule") for p in paths} == {"pdq", "vpdq", "camera"}
    assert len({p.get("d") for p in paths}) == 3, "two rules between one pair are drawn apart"
    widths = {p.get("data-rule"): float(p.get("stroke-width") or 0) for p in paths}
    assert widths["camera"] > widths["pdq"] > widths["vpdq"], "stronger links are drawn wider"
    # the hostile name comes back as text, with the control character replaced
    assert svg.shorten(HOSTILE, 28) in texts(root)  # the label, shortened
    assert f"title {HOSTILE}".replace("\x01", "\ufffd") in texts(root)
    links = root.findall(".//s:a", NS)
    assert [a.get("href") for a in links] == ["/ui/cases/X/items/" + "a" * 64], (
        "only the content with an href"
    )
    # every mark is inside the viewBox
    for c in root.findall(".//s:circle", NS):
        assert 0 <= float(c.get("cx", -1)) <= 800 and 0 <= float(c.get("cy", -1)) <= 500
    # edge ends name node ids for the page's script
    ids = {g.get("id") for g in node_groups}
    assert all(p.get("data-a") in ids and p.get("data-b") in ids for p in paths)


def test_layout_is_the_same_every_time() -> None:
    keys = [f"n{i}" for i in range(30)]
    pairs = [(f"n{i}", f"n{(i * 7) % 30}", 0.5) for i in range(30)]
    first = svg.layout(keys, pairs)
    assert first == svg.layout(list(reversed(keys)), list(reversed(pairs)))
    assert set(first) == set(keys)
    assert svg.layout([], []) == {}
    assert svg.layout(["a"], []) == {"a": (0.0, 0.0)}


def test_swatches_are_valid_and_hidden_from_screen_readers() -> None:
    for style in [*svg.STYLES, "unknown"]:
        root = parse(svg.swatch_svg(style=style))
        assert root.get("aria-hidden") == "true"
    line = parse(svg.swatch_svg(rule="holds")).find("s:line", NS)
    assert line is not None and line.get("stroke-dasharray")


def test_projection_of_known_coordinates() -> None:
    f = svg.Frame(west=0.0, south=0.0, east=10.0, north=10.0, width=100.0, height=200.0)
    assert f.project(10.0, 0.0) == (0.0, 0.0)  # north-west corner, y grows down
    assert f.project(0.0, 10.0) == (100.0, 200.0)
    assert f.project(5.0, 5.0) == (50.0, 100.0)
    world = svg.Frame.world(360.0, 180.0)
    assert world.project(0.0, 0.0) == (180.0, 90.0)
    assert world.project(52.37, 4.89) == pytest.approx((184.89, 37.63))
    assert world.project(-6.2, 106.8) == pytest.approx((286.8, 96.2))  # Jakarta: south-east of the middle


def test_frame_fits_points_with_a_margin_and_true_shape() -> None:
    points = [(52.37, 4.89), (52.3704, 4.8903), (52.36, 4.87)]
    f = svg.Frame.fit(points, 900.0, 560.0)
    for lat, lon in points:
        x, y = f.project(lat, lon)
        assert 0.1 * 900 < x < 0.9 * 900 and 0.1 * 560 < y < 0.9 * 560
    shrink = math.cos(math.radians((f.north + f.south) / 2))
    assert (f.east - f.west) * shrink / (f.north - f.south) == pytest.approx(900 / 560, rel=0.02)
    one = svg.Frame.fit([(52.37, 4.89)], 900.0, 560.0)
    assert one.north - one.south == pytest.approx(0.004), "one place alone is shown with its neighbourhood"
    assert one.project(52.37, 4.89) == pytest.approx((450.0, 280.0))
    edge = svg.Frame.fit([(89.9, 179.9), (-89.9, -179.9)], 900.0, 560.0)
    assert edge.south >= -90 and edge.north <= 90 and edge.west >= -180 and edge.east <= 180


def test_map_svg_marks_places_with_counts_and_a_labelled_grid() -> None:
    points = [
        svg.MapPoint(52.37018, 4.89, 2, f"place a {HOSTILE}", "#place-a", 20.0),
        svg.MapPoint(52.3802, 4.90, 7, "place b: 52.38020, 4.90000", "#place-b"),
    ]
    markup = svg.map_svg(points)
    assert "<script>" not in markup
    root = parse(markup)
    places = root.findall(".//s:g[@class='place']", NS)
    assert len(places) == 2
    counts = sorted(t.text or "" for t in root.findall(".//s:text[@class='count']", NS))
    assert counts == ["2", "7"]
    marks = {
        a.get("href"): float(c.get("r", 0))
        for a in root.findall(".//s:a", NS)
        for c in a.findall("s:circle[@class='mark']", NS)
    }
    assert marks["#place-b"] > marks["#place-a"], "more media, a bigger circle"
    labels = [t.text or "" for t in root.findall(".//s:g[@class='graticule-labels']/s:text", NS)]
    assert any(t.endswith("°N") for t in labels) and any(t.endswith("°E") for t in labels)
    assert root.find(".//s:g[@class='inset']", NS) is not None
    assert root.find(".//s:g[@class='scale-bar']", NS) is not None
    # the place sits where the frame projects it
    f = svg.Frame.fit([(p.lat, p.lon) for p in points], 900.0, 560.0)
    x, y = f.project(52.3802, 4.90)
    b = next(a for a in root.findall(".//s:a", NS) if a.get("href") == "#place-b")
    mark = b.find("s:circle[@class='mark']", NS)
    assert mark is not None
    assert float(mark.get("cx", 0)) == pytest.approx(x, abs=0.01)
    assert float(mark.get("cy", 0)) == pytest.approx(y, abs=0.01)


def test_histogram_svg_bars_are_proportional() -> None:
    bars = [svg.Bar(4, "a", "a", "#t-a"), svg.Bar(0, "b"), svg.Bar(2, f"c {HOSTILE}", "c")]
    root = parse(svg.histogram_svg(bars, label=HOSTILE))
    rects = root.findall(".//s:g[@class='bar']//s:rect", NS)
    assert len(rects) == 3
    heights = [float(r.get("height", 0)) for r in rects]
    assert heights[1] == 0 and heights[0] == pytest.approx(2 * heights[2])
    assert [a.get("href") for a in root.findall(".//s:a", NS)] == ["#t-a"]
    assert root.get("aria-label") == HOSTILE.replace("\x01", "\ufffd")
    assert parse(svg.histogram_svg([])).tag.endswith("svg")


def test_nice_steps_and_degrees() -> None:
    assert [svg.nice_step(s, 5) for s in (10.0, 1.0, 0.0105, 360.0)] == [2.0, 0.2, 0.005, 100.0]
    assert svg.degrees(-6.2, "N", "S", 1) == "6.2°S"
    assert svg.degrees(4.89, "E", "W", 3) == "4.890°E"


# -- the pages' pure helpers ------------------------------------------------------------------------------
def test_parse_score() -> None:
    assert parse_score("") == (0.0, None)
    assert parse_score("0.5") == (0.5, None)
    assert parse_score("2")[1] and parse_score("x")[1]


def test_parse_time_keeps_the_clock_time() -> None:
    assert parse_time("2026-03-12T18:30:00+07:00") == datetime(2026, 3, 12, 18, 30)
    assert parse_time("2026-03-12T18:30:00.250") == datetime(2026, 3, 12, 18, 30, 0, 250000)
    assert parse_time("0000:00:00 00:00:00") is None
    assert parse_time(None) is None


def test_time_bins_and_units() -> None:
    a, b = datetime(2026, 3, 12, 18, 30), datetime(2026, 3, 12, 19, 5)
    assert time_unit(a, b) == "hour"
    hours = time_bins([a, b, b], "hour")
    assert len(hours) == 24 and hours[0][0] == datetime(2026, 3, 12)
    assert dict(hours)[datetime(2026, 3, 12, 18)] == 1 and dict(hours)[datetime(2026, 3, 12, 19)] == 2
    assert time_unit(a, datetime(2026, 9, 1)) == "day"
    assert time_unit(a, datetime(2030, 1, 1)) == "month"
    months = time_bins([a, datetime(2027, 2, 3)], "month")
    assert months[0][0] <= datetime(2026, 3, 1) and months[-1][0] >= datetime(2027, 2, 1)
    assert sum(n for _t, n in months) == 2 and len(months) == 12
    assert time_unit(datetime(1970, 1, 1), a) == "year"
    assert sum(n for _t, n in time_bins([datetime(1, 1, 1), datetime(9999, 12, 31)], "year")) == 2


def test_evidence_summary() -> None:
    ev = {"segments": [{"a": 1}, {"b": 2}], "ber": 0.075, "by": None, "kind": "invite"}
    assert evidence_summary(ev) == "ber: 0.075; kind: invite; segments: 2 items"


def test_filter_graph_keeps_the_case_and_what_the_rules_join() -> None:
    own = {"content:" + "a" * 64, "content:" + "b" * 64}
    nodes = {
        k: Node(k, k)
        for k in [*own, "content:hidden-1", "camera:c", "case:NL-1", "person:V-1", "content:" + "c" * 64]
    }
    nodes["case:NL-1"] = Node("case:NL-1", "NL-1 (Politie NL)", {"agency": "Politie NL"})
    nodes["case:ID-7"] = Node("case:ID-7", "ID-7 (Polri ID)", {"agency": "Polri ID"})
    a, b = sorted(own)
    edges = [
        Edge(a, "content:hidden-1", "pdq", 0.7),
        Edge(a, "camera:c", "camera", 0.95),
        Edge(a, "person:V-1", "victim", 1.0),
        Edge("case:NL-1", a, "holds", 1.0),
        Edge("case:NL-1", b, "holds", 1.0),
        Edge("case:ID-7", "content:hidden-1", "holds", 1.0),
    ]
    g = Graph(nodes, edges)
    pdq = filter_graph(g, own, {"pdq"}, 0.0)
    assert {e.rule for e in pdq.edges} == {"pdq"}
    assert set(pdq.nodes) == {a, b, "content:hidden-1"}
    strong = filter_graph(g, own, {"pdq", "camera", "holds"}, 0.9)
    assert {e.rule for e in strong.edges} == {"camera", "holds"}
    assert components(filter_graph(g, own, {"pdq", "camera", "victim", "holds"}, 0.0)) == (1, 1)
    assert holders_of(g)["content:hidden-1"] == [("ID-7", "Polri ID")]
    assert most_connected(g, 2) == {a, "case:NL-1"}  # a: four links; the case: two
    assert api_query({"pdq", "holds"}, {"pdq", "camera", "holds"}, 0.5) == "&rules=pdq&min_score=0.5"
    assert api_query({"holds"}, {"pdq", "holds"}, 0.0) == "&rules=holds"
    assert api_query({"pdq"}, {"pdq"}, 0.0) == ""
