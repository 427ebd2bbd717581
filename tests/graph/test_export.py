"""Graph and place exports: GraphML read back by networkx, Cytoscape.js elements, GeoJSON and KML."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from typing import Any

import networkx as nx
import pytest

from jejak.graph.export import KML_NS, edge_id, places_geojson, places_kml, to_cytoscape, to_graphml
from jejak.graph.places import PlaceSummary, cluster_points
from jejak.model.graph import Edge, Graph, Node

SHA_A = "a" * 64
SHA_B = "b" * 64
CAMERA = "camera:serial:canon|eos 5d|123456"
PLACE = "place:u4pruydqqv-0123abcd"
TRICKY = """Yard <north> & "shed" 'B'"""


def _graph() -> Graph:
    nodes = {
        f"content:{SHA_A}": Node(
            f"content:{SHA_A}", "IMG_0001.JPG", {"size": 1234, "width": 640, "ratio": 1.5}
        ),
        f"content:{SHA_B}": Node(
            f"content:{SHA_B}",
            "IMG_0002.JPG",
            {"size": 2.5, "deleted": True, "paths": ["/a", "/b"], "note": None, "huge": 2**70, "ratio": 2},
        ),
        CAMERA: Node(
            CAMERA, "Canon EOS 5D #123456", {"strength": "serial", "score": 0.95, "label": "ignored"}
        ),
        PLACE: Node(PLACE, TRICKY, {"lat": 57.64911, "lon": 10.40744, "kind": "ignored"}),
        "case:K-1": Node("case:K-1", "Case K-1", {"deleted": "no"}),
    }
    edges = [
        Edge(f"content:{SHA_A}", CAMERA, "camera", 0.95, {"strength": "serial", "serial": "123456"}),
        Edge(f"content:{SHA_B}", CAMERA, "camera", 0.95, {"strength": "serial", "serial": "123456"}),
        Edge(f"content:{SHA_A}", PLACE, "place", 1.0, {"lat": 57.6491, "lon": 10.4074, "distance_m": 3.2}),
        Edge(f"content:{SHA_A}", f"content:{SHA_B}", "near_duplicate", 0.8, {"pdq_distance": 12}),
        Edge(f"content:{SHA_A}", f"content:{SHA_B}", "same_place", 0.6, {}),  # a second rule, same pair
        Edge(
            f"content:{SHA_A}", f"content:{SHA_B}", "near_duplicate", 0.7, {"pdq_distance": 20}
        ),  # weaker twin
        Edge("case:K-1", f"content:{SHA_A}", "holds", 1.0, {"exhibits": ["E1", "E2"], "note": TRICKY}),
        Edge("case:K-1", "exhibit:E9", "holds", 1.0, {}),  # exhibit:E9 is not among the nodes
    ]
    return Graph(nodes, edges)


# --- GraphML ----------------------------------------------------------------------------------------------


def _read_back(graph: Graph) -> Any:
    out = io.BytesIO()
    to_graphml(graph, out)
    ET.fromstring(out.getvalue())  # well-formed XML
    return nx.read_graphml(io.BytesIO(out.getvalue()), force_multigraph=True, edge_key_type=str)


def test_graphml_round_trip() -> None:
    back = _read_back(_graph())
    assert set(back.nodes) == set(_graph().nodes) | {"exhibit:E9"}
    a = back.nodes[f"content:{SHA_A}"]
    assert a == {"kind": "content", "label": "IMG_0001.JPG", "size": 1234.0, "width": 640, "ratio": 1.5}
    b = back.nodes[f"content:{SHA_B}"]
    assert b["kind"] == "content"
    assert b["size"] == 2.5  # int and float across nodes: one numeric type
    assert json.loads(b["paths"]) == ["/a", "/b"]
    assert "note" not in b  # None is left out
    assert b["huge"] == str(2**70)
    # "deleted" is a bool on one node and text on another: text everywhere
    assert b["deleted"] == "true"
    assert back.nodes["case:K-1"]["deleted"] == "no"
    camera = back.nodes[CAMERA]
    assert camera["label"] == "Canon EOS 5D #123456"  # an attribute never overrides the label or the kind
    assert camera["kind"] == "camera"
    assert back.nodes[PLACE]["label"] == TRICKY
    assert back.nodes[PLACE]["kind"] == "place"
    assert back.nodes["exhibit:E9"] == {"kind": "exhibit", "label": "E9"}

    edges = {(min(u, v), max(u, v), k): d for u, v, k, d in back.edges(keys=True, data=True)}
    assert len(edges) == 7  # the weaker duplicate identity is dropped, the second rule kept
    pair = (f"content:{SHA_A}", f"content:{SHA_B}")
    duplicate = edges[(*pair, "near_duplicate")]
    assert duplicate["rule"] == "near_duplicate"
    assert duplicate["score"] == pytest.approx(0.8)
    assert json.loads(duplicate["evidence"]) == {"pdq_distance": 12}
    assert json.loads(edges[(*pair, "same_place")]["evidence"]) == {}
    holds = edges[("case:K-1", f"content:{SHA_A}", "holds")]
    assert json.loads(holds["evidence"]) == {"exhibits": ["E1", "E2"], "note": TRICKY}
    for edge in _graph().edges[:4]:
        data = edges[(edge.a, edge.b, edge.rule)]
        assert data["score"] == pytest.approx(edge.score)
        assert json.loads(data["evidence"]) == edge.evidence


def test_graphml_of_an_empty_graph() -> None:
    back = _read_back(Graph({}, []))
    assert back.number_of_nodes() == 0
    assert back.number_of_edges() == 0


# --- Cytoscape.js -----------------------------------------------------------------------------------------


def test_cytoscape_elements() -> None:
    graph = _graph()
    doc = to_cytoscape(graph)
    json.dumps(doc)  # JSON-ready as it is
    nodes = doc["elements"]["nodes"]
    edges = doc["elements"]["edges"]
    ids = [n["data"]["id"] for n in nodes]
    assert ids == sorted(set(graph.nodes) | {"exhibit:E9"})
    camera = next(n["data"] for n in nodes if n["data"]["id"] == CAMERA)
    assert camera == {
        "id": CAMERA,
        "kind": "camera",
        "label": "Canon EOS 5D #123456",
        "strength": "serial",
        "score": 0.95,
    }
    assert len(edges) == 7
    keys = [(e["data"]["source"], e["data"]["target"], e["data"]["rule"]) for e in edges]
    assert keys == sorted(keys)
    assert len({e["data"]["id"] for e in edges}) == 7
    node_ids = set(ids)
    for e in edges:
        data = e["data"]
        assert set(data) == {"id", "source", "target", "rule", "score", "evidence"}
        assert data["source"] in node_ids
        assert data["target"] in node_ids
        assert data["source"] < data["target"]
        assert isinstance(data["evidence"], dict)
        assert data["id"].startswith("e")
        assert len(data["id"]) == 17
    holds = next(e["data"] for e in edges if e["data"]["target"] == "exhibit:E9")
    assert holds["id"] == edge_id(
        Edge("exhibit:E9", "case:K-1", "holds", 1.0)
    )  # discovery order is irrelevant


def test_cytoscape_is_deterministic() -> None:
    graph = _graph()
    shuffled = Graph(
        dict(reversed(list(graph.nodes.items()))), list(reversed(graph.edges[:5])) + graph.edges[5:]
    )
    first = to_cytoscape(graph)
    # the weaker near_duplicate twin comes first in the reversed list: the stronger one still wins
    assert to_cytoscape(shuffled) == first
    assert json.dumps(first, sort_keys=False) == json.dumps(to_cytoscape(graph), sort_keys=False)


# --- places -----------------------------------------------------------------------------------------------


def _places() -> list[PlaceSummary]:
    (cluster,) = cluster_points([(SHA_A, -33.8568, 151.2153), (SHA_B, -33.85685, 151.2153)])
    return [
        cluster.summary(cases=("K-2", "K-1"), label=TRICKY),
        PlaceSummary("p-west", 40.7, -74.0, 12.5, 1, (), ""),
        PlaceSummary("p-antimeridian", -16.5, -180.0, 0.0, 3, ("K-1",), "Date line"),
    ]


def test_geojson() -> None:
    places = _places()
    doc = json.loads(json.dumps(places_geojson(places)))
    assert doc["type"] == "FeatureCollection"
    features = doc["features"]
    assert [f["id"] for f in features] == sorted(p.id for p in places)
    by_id = {f["id"]: f for f in features}
    for place in places:
        feature = by_id[place.id]
        assert feature["type"] == "Feature"
        assert feature["geometry"] == {"type": "Point", "coordinates": [place.lon, place.lat]}
        assert feature["properties"] == {
            "id": place.id,
            "label": place.label,
            "media": place.media,
            "cases": list(place.cases),
            "radius_m": place.radius_m,
        }
    sydney = by_id[places[0].id]
    lon, lat = sydney["geometry"]["coordinates"]
    assert lon == pytest.approx(151.2153) and lat == pytest.approx(-33.856825)  # [lon, lat], not [lat, lon]
    assert sydney["properties"]["cases"] == ["K-1", "K-2"]
    assert sydney["properties"]["media"] == 2


def test_kml_parses_and_escapes() -> None:
    places = _places()
    text = places_kml(places)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(text.encode("utf-8"))
    ns = {"k": KML_NS}
    assert root.tag == f"{{{KML_NS}}}kml"
    marks = root.findall("k:Document/k:Placemark", ns)
    assert len(marks) == 3
    by_id: dict[str, ET.Element] = {}
    for mark in marks:
        data = {
            d.get("name"): d.findtext("k:value", namespaces=ns)
            for d in mark.findall("k:ExtendedData/k:Data", ns)
        }
        assert data["id"] is not None
        by_id[data["id"]] = mark
    assert list(by_id) == sorted(p.id for p in places)
    sydney = by_id[places[0].id]
    assert sydney.findtext("k:name", namespaces=ns) == TRICKY
    assert "2 media items" in (sydney.findtext("k:description", namespaces=ns) or "")
    assert "K-1, K-2" in (sydney.findtext("k:description", namespaces=ns) or "")
    coordinates = sydney.findtext("k:Point/k:coordinates", namespaces=ns) or ""
    lon, lat, alt = (float(v) for v in coordinates.split(","))
    assert lon == pytest.approx(151.2153, abs=1e-7)
    assert lat == pytest.approx(-33.856825, abs=1e-7)
    assert alt == 0.0
    unnamed = by_id["p-west"]
    assert unnamed.findtext("k:name", namespaces=ns) == "p-west"  # no label: the id
    assert "1 media item " in (unnamed.findtext("k:description", namespaces=ns) or "")
    assert unnamed.findtext("k:Point/k:coordinates", namespaces=ns) == "-74,40.7,0"
    assert "&lt;north&gt; &amp;" in text  # escaped by the XML writer, not dropped


def test_places_refuse_invalid_positions() -> None:
    bad = PlaceSummary("nan", float("nan"), 1.0, 0.0, 1, (), "")
    with pytest.raises(ValueError, match="nan"):
        places_geojson([bad])
    with pytest.raises(ValueError, match="outside"):
        places_kml([PlaceSummary("far", 91.0, 1.0, 0.0, 1, (), "")])
