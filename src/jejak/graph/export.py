"""Exports of the link graph and of places: GraphML, Cytoscape.js elements, GeoJSON and KML.

* **GraphML** (:func:`to_graphml`) is for desktop analysis tools (Gephi, yEd, Cytoscape desktop, i2-style
  importers). It is written by ``networkx.write_graphml`` from a ``MultiGraph`` whose edge keys are the
  rules, so two rules linking the same pair stay two edges (an edge's identity is (a, b, rule)). GraphML
  holds only scalars, so every value is flattened: the evidence dict and any dict, list or tuple become
  JSON text (sorted keys, so equal evidence gives equal text), None is left out, integers beyond 64 bits
  and attributes whose values mix text, numbers and booleans across elements become text (GraphML
  declares one type per attribute name). Every node has ``kind`` and ``label``, every edge ``rule``,
  ``score`` and ``evidence``; a node's own attributes never override those.
* **Cytoscape.js** (:func:`to_cytoscape`) is for the web view: the ``elements`` form with nodes sorted by
  key and edges by (a, b, rule). Edge ids are ``e`` plus 16 hex digits of the SHA-256 of the edge's
  identity as JSON: stable across runs, and unambiguous even though node keys may contain ``|`` or ``:``.
  The evidence stays a JSON object there.
* **GeoJSON** (:func:`places_geojson`, RFC 7946) and **KML 2.2** (:func:`places_kml`) put places
  (:class:`~jejak.graph.places.PlaceSummary`) on a map, sorted by id. GeoJSON coordinates are
  [longitude, latitude] as the RFC says; KML's are "lon,lat,0". The KML is built with ElementTree, so
  labels and case names are escaped by the XML writer, not by hand.

Both graph exports take edges whose endpoints are missing from ``graph.nodes`` as well: such a node is
added with its kind from its key and its id as label (Cytoscape.js refuses an edge to an unknown node).
When ``graph.edges`` holds one identity twice, the higher score is kept (the first on a tie).
"""

from __future__ import annotations

import hashlib
import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any, BinaryIO

import networkx as nx

from jejak.graph.places import PlaceSummary
from jejak.model.graph import Edge, Graph, Node, split_key

__all__ = ["KML_NS", "PlaceSummary", "edge_id", "places_geojson", "places_kml", "to_cytoscape", "to_graphml"]

KML_NS = "http://www.opengis.net/kml/2.2"
_INT64 = 2**63
_NODE_CORE = ("kind", "label")
_EDGE_CORE = ("rule", "score", "evidence")


# --- the graph ----------------------------------------------------------------------------------------


def to_graphml(graph: Graph, out: BinaryIO) -> None:
    """Write ``graph`` as GraphML (UTF-8) to the binary stream ``out``."""
    nodes, edges = _prepared(graph)
    node_rows = {key: _node_data(node, json_text=True) for key, node in nodes.items()}
    edge_rows = [(edge, _edge_data(edge, json_text=True)) for edge in edges]
    _unify_types(list(node_rows.values()))
    _unify_types([row for _, row in edge_rows])
    multi = nx.MultiGraph()
    for key, row in node_rows.items():
        multi.add_node(key, **row)
    for edge, row in edge_rows:
        multi.add_edge(edge.a, edge.b, key=edge.rule, **row)
    nx.write_graphml(multi, out, encoding="utf-8", prettyprint=True, infer_numeric_types=True)


def to_cytoscape(graph: Graph) -> dict[str, Any]:
    """The Cytoscape.js ``elements`` form: ``{"elements": {"nodes": [...], "edges": [...]}}``."""
    nodes, edges = _prepared(graph)
    node_list = [{"data": {"id": key, **_node_data(node, json_text=False)}} for key, node in nodes.items()]
    edge_list = [
        {
            "data": {
                "id": edge_id(edge),
                "source": edge.a,
                "target": edge.b,
                **_edge_data(edge, json_text=False),
            }
        }
        for edge in edges
    ]
    return {"elements": {"nodes": node_list, "edges": edge_list}}


def edge_id(edge: Edge) -> str:
    """A stable id of an edge's identity (a, b, rule)."""
    text = json.dumps(list(edge.identity), ensure_ascii=False)
    return "e" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _prepared(graph: Graph) -> tuple[dict[str, Node], list[Edge]]:
    """Nodes sorted by key (with implied endpoints added) and edges deduplicated, sorted by identity."""
    best: dict[tuple[str, str, str], Edge] = {}
    for edge in graph.edges:
        kept = best.get(edge.identity)
        if kept is None or edge.score > kept.score:
            best[edge.identity] = edge
    nodes = dict(graph.nodes)
    for edge in best.values():
        for key in (edge.a, edge.b):
            if key not in nodes:
                nodes[key] = Node(key, split_key(key)[1])
    return {key: nodes[key] for key in sorted(nodes)}, [best[i] for i in sorted(best)]


def _node_data(node: Node, *, json_text: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": split_key(node.key)[0].value, "label": node.label}
    for name, value in sorted(node.attrs.items()):
        if name in _NODE_CORE or name == "id":
            continue
        flat = _flatten(value) if json_text else value
        if flat is not None:
            data[name] = flat
    return data


def _edge_data(edge: Edge, *, json_text: bool) -> dict[str, Any]:
    return {
        "rule": edge.rule,
        "score": float(edge.score),
        "evidence": _json(edge.evidence) if json_text else edge.evidence,
    }


def _flatten(value: Any) -> Any:
    """A GraphML-safe scalar: bool, int (64-bit), float or str; None when there is nothing to write."""
    if value is None:
        return None
    if isinstance(value, bool | float | str):
        return value
    if isinstance(value, int):
        return value if -_INT64 <= value < _INT64 else str(value)
    if isinstance(value, dict | list | tuple):
        return _json(value)
    return str(value)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _unify_types(rows: list[dict[str, Any]]) -> None:
    """Turn into text every attribute whose values are not all bools, all numbers or all text."""
    families: dict[str, set[str]] = {}
    for row in rows:
        for name, value in row.items():
            families.setdefault(name, set()).add(_family(value))
    mixed = {name for name, found in families.items() if len(found) > 1}
    for row in rows:
        for name in mixed & row.keys():
            value = row[name]
            row[name] = value if isinstance(value, str) else _json(value)


def _family(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "text"


# --- places -----------------------------------------------------------------------------------------------


def places_geojson(places: Iterable[PlaceSummary]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection with one Point per place ([lon, lat]), sorted by place id."""
    features = []
    for place in _sorted_places(places):
        features.append(
            {
                "type": "Feature",
                "id": place.id,
                "geometry": {"type": "Point", "coordinates": [place.lon, place.lat]},
                "properties": {
                    "id": place.id,
                    "label": place.label,
                    "media": place.media,
                    "cases": list(place.cases),
                    "radius_m": place.radius_m,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def places_kml(places: Iterable[PlaceSummary], *, name: str = "jejak places") -> str:
    """A KML 2.2 document with one Placemark per place, sorted by place id."""
    root = ET.Element("kml", {"xmlns": KML_NS})
    document = ET.SubElement(root, "Document")
    ET.SubElement(document, "name").text = name
    for place in _sorted_places(places):
        mark = ET.SubElement(document, "Placemark")
        ET.SubElement(mark, "name").text = place.label or place.id
        ET.SubElement(mark, "description").text = _description(place)
        extended = ET.SubElement(mark, "ExtendedData")
        fields: tuple[tuple[str, str], ...] = (
            ("id", place.id),
            ("media", str(place.media)),
            ("cases", ", ".join(place.cases)),
            ("radius_m", f"{place.radius_m:.1f}"),
        )
        for key, value in fields:
            data = ET.SubElement(extended, "Data", {"name": key})
            ET.SubElement(data, "value").text = value
        point = ET.SubElement(mark, "Point")
        ET.SubElement(point, "coordinates").text = f"{_coordinate(place.lon)},{_coordinate(place.lat)},0"
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _sorted_places(places: Iterable[PlaceSummary]) -> list[PlaceSummary]:
    out = sorted(places, key=lambda p: p.id)
    for place in out:
        if not (math.isfinite(place.lat) and math.isfinite(place.lon)):
            raise ValueError(f"place {place.id} has no valid position: {place.lat}, {place.lon}")
        if abs(place.lat) > 90.0 or abs(place.lon) > 180.0:
            raise ValueError(f"place {place.id} is outside lat/lon ranges: {place.lat}, {place.lon}")
    return out


def _description(place: PlaceSummary) -> str:
    media = f"{place.media} media item" + ("" if place.media == 1 else "s")
    text = f"{media} within {place.radius_m:.0f} m"
    if place.cases:
        text += "; cases: " + ", ".join(place.cases)
    return text


def _coordinate(value: float) -> str:
    """Fixed notation (KML readers do not all take exponents), 7 decimals: about 1 cm."""
    text = f"{value:.7f}".rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text
