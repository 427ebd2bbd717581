"""A case's link graph, map of places and timeline of capture times, drawn on the server (web/svg.py).

- **Links** (``/cases/{case}/graph``): ``services.graph.case_graph`` through ``api.links.graph_view``, the
  redaction of ``GET /cases/{case}/graph``: contents no visible case holds are pseudonyms (``hidden-N``)
  that name only the case and agency to contact; they are never links. Filtered by rule and minimum score
  (a GET form), drawn with a seeded spring layout (at most ``NODE_CAP`` nodes, the most connected), with a
  legend and, for screen readers and for checking, the table of the links drawn.
- **Map** (``/cases/{case}/map``): ``services.graph.place_summaries`` (GPS clusters of the case's media,
  with every medium there, the other side's included) on a plain graticule, and under it each place's
  contents of this case, linked to their item pages; the API's GeoJSON and KML of the same places.
- **Timeline** (``/cases/{case}/timeline``): capture times (EXIF DateTimeOriginal, a video's container
  creation time) of the case's contents, binned by hour, day, month or year as the span asks, and the
  dated contents in a table. File-system times are shown beside them, never counted as capture times.

Every page reads the case through ``api.cases.read_case`` (another agency's unshared case is "not found",
and the read is audited as ``case_view``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import networkx as nx
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from jejak.api.cases import read_case
from jejak.api.context import ctx
from jejak.api.links import Viewer as LinkViewer
from jejak.api.links import file_names, graph_view
from jejak.model.graph import Edge, Graph, Node, NodeKind, node_key, split_key
from jejak.services.graph import case_graph, place_summaries
from jejak.store.sql import CaseRow, Store
from jejak.web import svg
from jejak.web.render import page
from jejak.web.session import Viewer

router = APIRouter()

NODE_CAP = 400
"""The most nodes drawn: a spring layout of more is slow and unreadable (filters narrow it)."""
EDGE_ROWS = 1000
"""The most links listed in the table under the drawing."""
TIMELINE_ROWS = 1000
"""The most dated contents listed under the histogram (the histogram counts them all)."""
MEDIA_KINDS = ("image", "video", "audio")
HOLDS = "holds"
HOLDS_PULL = 0.15
"""How hard a ``holds`` edge pulls in the layout: a case's contents gather near it, links still rule."""


def item_url(case: str, sha: str) -> str:
    return f"/ui/cases/{quote(case, safe='')}/items/{sha}"


def case_url(case: str, tail: str = "") -> str:
    return f"/ui/cases/{quote(case, safe='')}{tail}"


# -- the link graph ------------------------------------------------------------------------------------------
@dataclass
class End:
    """One end of a link as the page shows it: label, where it leads, and for a hidden content whom to
    contact."""

    key: str
    style: str
    label: str
    title: str
    href: str | None = None
    contacts: list[tuple[str, str]] = field(default_factory=list)

    @property
    def hidden(self) -> bool:
        return self.style == "hidden"


def parse_score(text: str) -> tuple[float, str | None]:
    """The form's minimum score (0 when empty), or 0 and what is wrong with it."""
    if not text.strip():
        return 0.0, None
    try:
        value = float(text)
    except ValueError:
        return 0.0, f"the minimum score must be a number between 0 and 1, not {text!r}"
    if not 0.0 <= value <= 1.0:
        return 0.0, f"the minimum score must be between 0 and 1, not {text!r}"
    return value, None


def evidence_summary(evidence: dict[str, Any], limit: int = 160) -> str:
    """A link's evidence in one line: scalars as they are, lists and objects by their size."""
    parts = []
    for k, v in sorted(evidence.items()):
        if isinstance(v, list | tuple):
            shown = f"{len(v)} item{'s' if len(v) != 1 else ''}"
        elif isinstance(v, dict):
            shown = f"{len(v)} fields"
        elif isinstance(v, float):
            shown = f"{v:g}"
        elif v is None:
            continue
        else:
            shown = str(v)
        parts.append(f"{k}: {shown}")
    return svg.shorten("; ".join(parts), limit)


def filter_graph(g: Graph, own: set[str], rules: set[str], min_score: float) -> Graph:
    """The links of ``rules`` at or above ``min_score`` (the API's filter, plus whether to show which case
    holds each content), and the nodes they join; the case's own contents always stay."""
    edges = [e for e in g.edges if e.rule in rules and (e.rule == HOLDS or e.score >= min_score)]
    keep = (own & set(g.nodes)) | {k for e in edges for k in (e.a, e.b)}
    return Graph({k: n for k, n in g.nodes.items() if k in keep}, edges)


def holders_of(g: Graph) -> dict[str, list[tuple[str, str]]]:
    """Content key -> (case, agency) of the cases holding it, from the graph's ``holds`` edges."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for e in g.edges:
        if e.rule != HOLDS:
            continue
        case_key, content_key = (e.a, e.b) if e.a.startswith("case:") else (e.b, e.a)
        node = g.nodes.get(case_key)
        agency = str(node.attrs.get("agency", "")) if node else ""
        out[content_key].append((split_key(case_key)[1], agency))
    return {k: sorted(v) for k, v in out.items()}


def describe(
    node: Node, case: str, own: set[str], holders: dict[str, list[tuple[str, str]]], visible: set[str]
) -> End:
    """How a node of the viewed graph is drawn and listed."""
    kind, ident = node.kind, node.ident
    if kind is NodeKind.CONTENT and node.attrs.get("hidden"):
        contacts = holders.get(node.key, [])
        where = "; ".join(f"case {c} of {a or 'another agency'}" for c, a in contacts) or "another case"
        title = f"{ident}: a content you cannot see, held by {where}: contact them"
        return End(node.key, "hidden", ident, title, None, contacts)
    if kind is NodeKind.CONTENT:
        cases = [c for c, _a in holders.get(node.key, [])]
        held = ", ".join(cases) or case
        title = f"{node.label}\nSHA-256 {ident}\nheld by {held}"
        if node.key in own:
            return End(node.key, "content", node.label, title, item_url(case, ident))
        there = next((c for c in cases if c in visible), None)
        return End(node.key, "other", node.label, title, item_url(there, ident) if there else None)
    if kind is NodeKind.CASE:
        agency = str(node.attrs.get("agency", ""))
        title = f"case {ident} of {agency}" if agency else f"case {ident}"
        return End(node.key, "case", ident, title, case_url(ident) if ident in visible else None)
    if kind is NodeKind.PLACE:
        lat, lon = node.attrs.get("lat"), node.attrs.get("lon")
        where = f": {lat:.5f}, {lon:.5f}" if isinstance(lat, float) and isinstance(lon, float) else ""
        href = case_url(case, f"/map#place-{quote(ident, safe='')}")
        return End(node.key, "place", f"place {ident[:10]}", f"place {ident}{where}", href)
    if kind is NodeKind.PERSON:
        role = node.attrs.get("role") or "person"
        identified = node.attrs.get("identified")
        known = "" if identified is None else ", identified" if identified else ", not identified"
        return End(node.key, "person", ident, f"{role} {ident}{known}")
    return End(node.key, kind.value, node.label or ident, f"{kind.value} {ident}")


def most_connected(g: Graph, cap: int) -> set[str]:
    """The ``cap`` nodes with the most links (ties by key): what a capped drawing shows."""
    degree: dict[str, int] = defaultdict(int)
    for e in g.edges:
        degree[e.a] += 1
        degree[e.b] += 1
    return set(sorted(g.nodes, key=lambda k: (-degree[k], k))[:cap])


def components(g: Graph) -> tuple[int, int]:
    """(groups of two or more nodes joined by links, nodes linked to nothing), ``holds`` edges and the
    case nodes aside: who holds what is not a link between media."""
    nodes = [k for k in g.nodes if not k.startswith("case:")]
    x = nx.Graph()
    x.add_nodes_from(nodes)
    x.add_edges_from((e.a, e.b) for e in g.edges if e.rule != HOLDS)
    sizes = [len(c) for c in nx.connected_components(x)]
    return sum(1 for s in sizes if s > 1), sum(1 for s in sizes if s == 1)


def _edge_title(e: Edge, ends: dict[str, End]) -> str:
    text = f"{e.rule} · score {e.score:.2f}\n{ends[e.a].label} — {ends[e.b].label}"
    summary = evidence_summary(e.evidence)
    return f"{text}\n{summary}" if summary else text


@router.get("/cases/{case}/graph", response_class=HTMLResponse)
def graph_page(
    case: str,
    request: Request,
    who: Viewer,
    rule: Annotated[list[str] | None, Query()] = None,
    min_score: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    store = ctx(request).store
    row = read_case(request, who, case)
    viewer = LinkViewer(store, who)
    g = graph_view(viewer, case_graph(store, row.name))
    own = {node_key(NodeKind.CONTENT, s) for s in store.graph.case_contents(row.id).values()}
    present: dict[str, int] = defaultdict(int)
    for e in g.edges:
        present[e.rule] += 1
    wanted = {r for r in rule or [] if r in present} or set(present)
    score, error = parse_score(min_score)
    shown = filter_graph(g, own, wanted, score)
    holders = holders_of(g)
    ends = {k: describe(n, row.name, own, holders, set(viewer.cases)) for k, n in shown.nodes.items()}
    groups, unlinked = components(shown)

    drawn = most_connected(shown, NODE_CAP)
    drawn_edges = [e for e in shown.edges if e.a in drawn and e.b in drawn]
    positions = svg.layout(
        drawn, ((e.a, e.b, HOLDS_PULL if e.rule == HOLDS else e.score) for e in drawn_edges)
    )
    nodes = [
        svg.GraphNode(k, ends[k].style, ends[k].label, ends[k].title, ends[k].href) for k in sorted(drawn)
    ]
    lines = [svg.GraphEdge(e.a, e.b, e.rule, e.score, _edge_title(e, ends)) for e in drawn_edges]
    label = (
        f"Link graph of case {row.name}: {len(nodes)} nodes, {len(lines)} links (listed in the table below)"
    )
    drawing = svg.graph_svg(nodes, lines, positions, label=label) if nodes else None

    rows = sorted(shown.edges, key=lambda e: (e.rule == HOLDS, -e.score, e.rule, e.a, e.b))
    styles = sorted(
        {ends[k].style for k in drawn}, key=lambda s: list(svg.STYLES).index(s) if s in svg.STYLES else 99
    )
    hidden = sorted((e for e in ends.values() if e.hidden), key=lambda e: int(e.label.rsplit("-", 1)[-1]))
    return page(
        request,
        "graph.html",
        who,
        case=row,
        drawing=drawing,
        dense=len(nodes) > 80,
        rules=[
            {"name": r, "count": present[r], "checked": r in wanted, "swatch": svg.swatch_svg(rule=r)}
            for r in sorted(present)
        ],
        min_score=min_score if error is None else "",
        error=error,
        legend=[{"swatch": svg.swatch_svg(style=s), "text": svg.style_of(s).legend} for s in styles],
        counts={
            "nodes": len(shown.nodes),
            "drawn": len(nodes),
            "edges": len(shown.edges),
            "drawn_edges": len(lines),
            "groups": groups,
            "unlinked": unlinked,
        },
        capped=len(shown.nodes) > len(nodes),
        cap=NODE_CAP,
        links=[
            {
                "rule": e.rule,
                "score": e.score,
                "a": ends[e.a],
                "b": ends[e.b],
                "evidence": evidence_summary(e.evidence, 120),
            }
            for e in rows[:EDGE_ROWS]
        ],
        links_total=len(rows),
        hidden=hidden,
        filtered=bool(rule) or score > 0,
        api_query=api_query(wanted, set(present), score),
    )


def api_query(wanted: set[str], present: set[str], min_score: float) -> str:
    """The page's filters as the API's query (``&rules=a,b&min_score=x``; empty when unfiltered). The API
    always adds which case holds each content."""
    params = {}
    if wanted != present:
        params["rules"] = ",".join(sorted(wanted - {HOLDS})) or HOLDS  # holds alone: no rule of the API
    if min_score > 0:
        params["min_score"] = f"{min_score:g}"
    return "&" + urlencode(params) if params else ""


# -- the map ------------------------------------------------------------------------------------------------
@dataclass
class PlaceView:
    """A place as the page lists it: the service's summary and this case's contents there."""

    id: str
    lat: float
    lon: float
    radius_m: float
    media: int
    cases: list[tuple[str, str]]  # (case, agency)
    items: list[tuple[str, str]]  # (SHA-256, file name) of this case's contents there

    @property
    def elsewhere(self) -> int:
        return max(self.media - len(self.items), 0)


def case_places(store: Store, row: CaseRow) -> list[PlaceView]:
    """The case's places (``place_summaries``) with the case's own contents at each."""
    summaries = place_summaries(store, row.name)
    if not summaries:
        return []
    own = {node_key(NodeKind.CONTENT, s) for s in store.graph.case_contents(row.id).values()}
    at: dict[str, set[str]] = defaultdict(set)
    for e in store.graph.edges(own, ["place"]):
        content, place = (e.a, e.b) if e.a in own else (e.b, e.a)
        at[split_key(place)[1]].add(split_key(content)[1])
    names = file_names(store, {s for v in at.values() for s in v}, {row.id})
    agencies = {c.name: c.agency for c in store.list_cases()}
    return [
        PlaceView(
            p.id,
            p.lat,
            p.lon,
            p.radius_m,
            p.media,
            [(c, agencies.get(c, "")) for c in p.cases],
            sorted(((s, names.get(s, s[:12])) for s in at.get(p.id, ())), key=lambda x: (x[1], x[0])),
        )
        for p in summaries
    ]


@router.get("/cases/{case}/map", response_class=HTMLResponse)
def map_page(case: str, request: Request, who: Viewer) -> HTMLResponse:
    store = ctx(request).store
    row = read_case(request, who, case)
    places = case_places(store, row)
    points = [
        svg.MapPoint(
            p.lat,
            p.lon,
            p.media,
            f"place {p.id}: {p.lat:.5f}, {p.lon:.5f}\n{p.media} media, {len(p.items)} of them in {row.name}"
            f"\ncases: {', '.join(c for c, _a in p.cases)}",
            f"#place-{p.id}",
            p.radius_m,
        )
        for p in places
    ]
    label = f"Map of the places of case {row.name}: {len(places)} places (listed below)"
    return page(
        request,
        "map.html",
        who,
        case=row,
        places=places,
        drawing=svg.map_svg(points, label=label) if points else None,
        geojson=f"/cases/{quote(row.name, safe='')}/graph?format=geojson",
        kml=f"/cases/{quote(row.name, safe='')}/graph?format=kml",
        item_url=item_url,
    )


# -- the timeline -------------------------------------------------------------------------------------------
@dataclass
class Dated:
    """A content of the case with its capture time."""

    sha256: str
    when: datetime  # the clock time as written, offset dropped (binning)
    written: str  # as the file says it
    name: str
    exhibits: list[str]
    kind: str
    camera: str
    modified: datetime | None  # the file system's modification time (earliest copy), not a capture time
    anchor: str | None = None


def parse_time(text: object) -> datetime | None:
    """An ISO 8601 capture time as its clock time (any offset dropped); None when unreadable."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


UNITS: dict[str, tuple[str, str]] = {  # unit -> (bin key format, tick format)
    "hour": ("%Y-%m-%dT%H", "%H:00"),  # midnight shows the date
    "day": ("%Y-%m-%d", "%Y-%m-%d"),
    "month": ("%Y-%m", "%Y-%m"),
    "year": ("%Y", "%Y"),
}


def time_unit(first: datetime, last: datetime) -> str:
    """Hours for up to three days, days for up to about 13 months, months for up to 20 years, else years."""
    span = last - first
    if span <= timedelta(days=3):
        return "hour"
    if span <= timedelta(days=400):
        return "day"
    if span <= timedelta(days=366 * 20):
        return "month"
    return "year"


def _floor(t: datetime, unit: str) -> datetime:
    if unit == "hour":
        return t.replace(minute=0, second=0, microsecond=0)
    if unit == "day":
        return t.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "month":
        return t.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return t.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


def _next(t: datetime, unit: str) -> datetime:
    if unit == "hour":
        return t + timedelta(hours=1)
    if unit == "day":
        return t + timedelta(days=1)
    if unit == "month":
        return t.replace(year=t.year + t.month // 12, month=t.month % 12 + 1)
    return t.replace(year=t.year + 1)


def _previous(t: datetime, unit: str) -> datetime:
    if unit == "hour":
        return t - timedelta(hours=1)
    if unit == "day":
        return t - timedelta(days=1)
    if unit == "month":
        return t.replace(year=t.year - (t.month == 1), month=(t.month - 2) % 12 + 1)
    return t.replace(year=t.year - 1)


def time_bins(times: Sequence[datetime], unit: str, least: int = 12) -> list[tuple[datetime, int]]:
    """Every bin of ``unit`` from the first time's to the last's (empty ones too), with its count; hours
    cover whole days, and a short range is widened on both sides to ``least`` bins (one bar alone says
    nothing about when)."""
    if not times:
        return []
    counts: dict[datetime, int] = defaultdict(int)
    for t in times:
        counts[_floor(t, unit)] += 1
    first, last = _floor(min(times), unit), _floor(max(times), unit)
    if unit == "hour":
        first, last = _floor(first, "day"), _floor(last, "day") + timedelta(hours=23)
    starts = [first]
    while starts[-1] < last:
        starts.append(_next(starts[-1], unit))
    try:
        while len(starts) < least:
            starts.append(_next(starts[-1], unit))
            if len(starts) < least:
                starts.insert(0, _previous(starts[0], unit))
    except (ValueError, OverflowError):  # the ends of the calendar
        pass
    return [(t, counts.get(t, 0)) for t in starts]


def case_times(store: Store, row: CaseRow) -> tuple[list[Dated], dict[str, int]]:
    """The case's dated contents, earliest first, and counts of the undated: media without a (readable)
    capture time, and other files (documents, archives), which never have one."""
    by_sha: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in store.iter_files(row.id):
        if r["sha256"]:
            by_sha[str(r["sha256"])].append(r)
    dated: list[Dated] = []
    undated = {"media": 0, "unreadable": 0, "other": 0}
    for sha, rs in by_sha.items():
        first = min(rs, key=lambda r: (str(r["name"]), str(r["exhibit"])))
        written = first["datetime_original"]
        when = parse_time(written)
        if when is None:
            if first["kind"] not in MEDIA_KINDS:
                undated["other"] += 1
            elif written:
                undated["unreadable"] += 1
            else:
                undated["media"] += 1
            continue
        make, model = str(first["make"] or ""), str(first["model"] or "")
        camera = model if make and model.lower().startswith(make.lower()) else f"{make} {model}".strip()
        times = [r["mtime"] for r in rs if isinstance(r["mtime"], datetime)]
        dated.append(
            Dated(
                sha,
                when,
                str(written),
                str(first["name"]),
                sorted({str(r["exhibit"]) for r in rs}),
                str(first["kind"]),
                camera,
                min(times) if times else None,
            )
        )
    dated.sort(key=lambda d: (d.when, d.name, d.sha256))
    return dated, undated


@router.get("/cases/{case}/timeline", response_class=HTMLResponse)
def timeline_page(case: str, request: Request, who: Viewer) -> HTMLResponse:
    store = ctx(request).store
    row = read_case(request, who, case)
    dated, undated = case_times(store, row)
    listed = dated[:TIMELINE_ROWS]
    drawing = None
    unit = "day"
    if dated:
        unit = time_unit(dated[0].when, dated[-1].when)
        key_format, tick_format = UNITS[unit]
        anchors: set[str] = set()
        for d in listed:  # the first row of each bin is where its bar leads
            key = f"t-{d.when.strftime(key_format)}"
            if key not in anchors:
                d.anchor = key
                anchors.add(key)
        bars = []
        for start, n in time_bins([d.when for d in dated], unit):
            key = start.strftime(key_format)
            bars.append(
                svg.Bar(
                    n,
                    f"{key}: {n} content{'s' if n != 1 else ''}",
                    start.strftime("%Y-%m-%d" if unit == "hour" and start.hour == 0 else tick_format),
                    f"#t-{key}" if f"t-{key}" in anchors else None,
                )
            )
        label = f"Capture times of case {row.name}: {len(dated)} contents by {unit} (listed below)"
        drawing = svg.histogram_svg(bars, label=label, y_label="contents", x_label=f"capture time, by {unit}")
    return page(
        request,
        "timeline.html",
        who,
        case=row,
        drawing=drawing,
        unit=unit,
        dated=listed,
        dated_total=len(dated),
        undated=undated,
        first=dated[0] if dated else None,
        last=dated[-1] if dated else None,
        item_url=item_url,
    )
