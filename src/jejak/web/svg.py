"""Drawings of the review UI, made on the server as inline ``<svg>``: the link graph, the map of places and
the histogram of capture times.

Why on the server: no packaged, buildless graph or map library can be vendored offline, and a drawing made
here needs no tile server, no script and no network. Each drawing is built with ElementTree, so labels and
tooltips (file names are hostile input) are escaped by the XML writer, never by hand; control characters,
which XML cannot hold, become U+FFFD. Only presentation attributes are used (``fill=``, ``stroke=``): the
pages' Content-Security-Policy forbids ``style`` attributes. Every mark carries a ``<title>`` (the browser's
tooltip), and every drawing has a text alternative on its page (a table or a list).

The pieces: :func:`layout` (a seeded spring layout by networkx: the same graph draws the same way twice),
:func:`graph_svg`; :class:`Frame` (an equirectangular projection fitted to points, with a graticule) and
:func:`map_svg`; :func:`histogram_svg`; :func:`swatch_svg` for legends.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import networkx as nx
from markupsafe import Markup

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "system-ui, 'DejaVu Sans', sans-serif"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


@dataclass(frozen=True)
class Style:
    """How a kind of node is drawn: fill colour, shape, and what the legend calls it."""

    fill: str
    shape: str  # circle, square, diamond, triangle, hexagon, star
    legend: str
    radius: float = 8.0
    dashed: bool = False


STYLES: dict[str, Style] = {
    "content": Style("#1f5fa8", "circle", "content of this case", 7.0),
    "other": Style("#5aa9d6", "circle", "content of another case you can see", 7.0),
    "hidden": Style("#d9d9d9", "circle", "content of a case you cannot see (pseudonym)", 7.0, dashed=True),
    "case": Style("#20262e", "square", "case", 10.0),
    "camera": Style("#1b9e77", "square", "camera"),
    "place": Style("#66a61e", "diamond", "place (GPS cluster)", 9.0),
    "identifier": Style("#e6ab02", "triangle", "identifier (account, phone, link)", 9.0),
    "person": Style("#b2182b", "star", "person (victim or offender)", 10.0),
    "series": Style("#7b3294", "hexagon", "series", 9.0),
    "scene": Style("#bf5b17", "diamond", "scene (same room)"),
    "audio": Style("#7570b3", "hexagon", "audio segment"),
}
OTHER_STYLE = Style("#888888", "circle", "other")

RULE_COLOURS: dict[str, str] = {
    "pdq": "#d95f02",
    "vpdq": "#e7298a",
    "chromaprint": "#7570b3",
    "orb.frames": "#a6761d",
    "orb.frame": "#a6761d",
    "camera": "#1b9e77",
    "place": "#66a61e",
    "identifier": "#c79100",
    "series": "#7b3294",
    "scene": "#bf5b17",
    "victim": "#b2182b",
    "offender": "#b2182b",
    "same": "#4d4d4d",
    "holds": "#b5b5b5",
}
OTHER_RULE = "#555555"
DASHED_RULES = frozenset({"holds", "victim", "offender", "series", "same"})  # asserted, or who holds what


def rule_colour(rule: str) -> str:
    return RULE_COLOURS.get(rule, OTHER_RULE)


def style_of(kind: str) -> Style:
    return STYLES.get(kind, OTHER_STYLE)


def clean(text: object) -> str:
    """Text XML can hold: control characters and lone surrogates (undecodable file names) replaced."""
    s = str(text).encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub("\ufffd", s)


def shorten(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _num(v: float) -> str:
    """A coordinate as short text: two decimals are plenty on a viewBox of a thousand units."""
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _el(parent: ET.Element | None, tag: str, text: str | None = None, /, **attrs: object) -> ET.Element:
    """An element (under ``parent`` when given); attribute names with ``_`` become ``-`` (``stroke_width``),
    a trailing ``_`` is dropped (``class_``); None values are left out."""
    values = {}
    for k, v in attrs.items():
        if v is None:
            continue
        name = k.rstrip("_").replace("_", "-")
        values[name] = _num(v) if isinstance(v, float) else clean(v)
    e = ET.Element(tag, values) if parent is None else ET.SubElement(parent, tag, values)
    if text is not None:
        e.text = clean(text)
    return e


def _root(width: float, height: float, label: str, class_: str, role: str = "img") -> ET.Element:
    return _el(
        None,
        "svg",
        xmlns=SVG_NS,
        viewBox=f"0 0 {_num(width)} {_num(height)}",
        class_=class_,
        role=role,
        aria_label=label,
        font_family=FONT,
    )


def _markup(root: ET.Element) -> Markup:
    return Markup(ET.tostring(root, encoding="unicode", short_empty_elements=True))


def _shape(
    parent: ET.Element, shape: str, x: float, y: float, r: float, fill: str, dashed: bool = False
) -> ET.Element:
    """A node's mark centred on (x, y), about ``r`` in radius."""
    stroke = {"stroke": "#333333" if dashed else "#ffffff", "stroke_width": 1.5}
    if dashed:
        stroke["stroke_dasharray"] = "3 2"
    if shape == "circle":
        return _el(parent, "circle", cx=x, cy=y, r=r, fill=fill, class_="mark", **stroke)
    if shape == "square":
        s = r * 0.9
        return _el(
            parent, "rect", x=x - s, y=y - s, width=2 * s, height=2 * s, fill=fill, class_="mark", **stroke
        )
    corners = {"diamond": 4, "triangle": 3, "hexagon": 6, "star": 10}.get(shape, 4)
    turn = -math.pi / 2
    points = []
    for i in range(corners):
        radius = r * (0.5 if shape == "star" and i % 2 else 1.15 if shape == "triangle" else 1.0)
        a = turn + 2 * math.pi * i / corners
        points.append(f"{_num(x + radius * math.cos(a))},{_num(y + radius * math.sin(a))}")
    return _el(parent, "polygon", points=" ".join(points), fill=fill, class_="mark", **stroke)


# -- the link graph -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GraphNode:
    """A node to draw: its key, style (a key of STYLES), label, tooltip, and where a click leads."""

    key: str
    style: str
    label: str
    title: str
    href: str | None = None


@dataclass(frozen=True)
class GraphEdge:
    a: str
    b: str
    rule: str
    score: float
    title: str


def layout(
    keys: Iterable[str], pairs: Iterable[tuple[str, str, float]], seed: int = 7
) -> dict[str, tuple[float, float]]:
    """Positions of ``keys`` by a force-directed (Fruchterman-Reingold) layout with a fixed seed, so that the
    same graph is drawn the same way on every load. ``pairs`` are (a, b, weight): stronger links pull
    harder."""
    g = nx.Graph()
    g.add_nodes_from(sorted(set(keys)))
    for a, b, w in sorted(pairs):
        if a in g and b in g and a != b:
            g.add_edge(a, b, weight=max(w, g.edges[a, b]["weight"]) if g.has_edge(a, b) else w)
    n = g.number_of_nodes()
    if n == 0:
        return {}
    if n == 1:
        return {next(iter(g.nodes)): (0.0, 0.0)}
    steps = 80 if n <= 150 else 50  # under a second for the largest graph drawn
    pos = nx.spring_layout(g, k=1.6 / math.sqrt(n), iterations=steps, weight="weight", seed=seed)
    return {str(k): (float(v[0]), float(v[1])) for k, v in pos.items()}


def _fit(
    positions: dict[str, tuple[float, float]], width: float, height: float, margin: float
) -> dict[str, tuple[float, float]]:
    """Positions stretched to fill the viewBox less ``margin``: a force layout has no true proportions,
    and a graph drawn across the whole box is easier to read."""
    if not positions:
        return {}
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()]

    def axis(v: float, lo: float, hi: float, size: float) -> float:
        return size / 2 if hi == lo else margin + (v - lo) / (hi - lo) * (size - 2 * margin)

    return {
        k: (axis(x, min(xs), max(xs), width), axis(y, min(ys), max(ys), height))
        for k, (x, y) in positions.items()
    }


def graph_svg(
    nodes: Sequence[GraphNode],
    edges: Sequence[GraphEdge],
    positions: dict[str, tuple[float, float]],
    width: float = 1000.0,
    height: float = 680.0,
    label: str = "Link graph",
    labels: bool = True,
) -> Markup:
    """The graph: edges (rule colour, width by score, curved apart when two rules join the same pair) under
    the nodes (shape and colour by kind; a link when ``href``), each with its ``<title>``. Nodes carry
    ``id="gn<i>"`` and ``data-key``; edges ``data-a``/``data-b`` (node ids) and ``data-rule``, for the page's
    script (neighbour highlighting)."""
    root = _root(width, height, label, "graph-drawing", role="group")
    _el(root, "title", label)
    at = _fit({n.key: positions.get(n.key, (0.0, 0.0)) for n in nodes}, width, height, 40.0)
    ids = {n.key: f"gn{i}" for i, n in enumerate(nodes)}
    layer = _el(root, "g", class_="edges")
    parallel: dict[tuple[str, str], list[GraphEdge]] = defaultdict(list)
    for e in edges:
        if e.a in ids and e.b in ids:
            parallel[(min(e.a, e.b), max(e.a, e.b))].append(e)
    for (a, b), group in sorted(parallel.items()):
        (x1, y1), (x2, y2) = at[a], at[b]
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        nx_, ny_ = -(y2 - y1) / length, (x2 - x1) / length  # unit normal
        for i, e in enumerate(sorted(group, key=lambda e: e.rule)):
            bend = (i - (len(group) - 1) / 2) * 14.0
            mx, my = (x1 + x2) / 2 + nx_ * bend * 2, (y1 + y2) / 2 + ny_ * bend * 2
            path = f"M{_num(x1)} {_num(y1)} Q{_num(mx)} {_num(my)} {_num(x2)} {_num(y2)}"
            g = _el(
                layer,
                "path",
                d=path,
                fill="none",
                stroke=rule_colour(e.rule),
                stroke_width=0.8 + 3.2 * max(0.0, min(1.0, e.score)),
                stroke_dasharray="5 4" if e.rule in DASHED_RULES else None,
                stroke_opacity=0.85,
                class_="edge",
                data_a=ids[a],
                data_b=ids[b],
                data_rule=e.rule,
            )
            _el(g, "title", e.title)
    layer = _el(root, "g", class_="nodes")
    for n in nodes:
        x, y = at[n.key]
        st = style_of(n.style)
        g = _el(layer, "g", id=ids[n.key], class_=f"node k-{n.style}", data_key=n.key)
        holder = _el(g, "a", href=n.href, class_="node-link") if n.href else g
        _el(holder, "title", n.title)
        _shape(holder, st.shape, x, y, st.radius, st.fill, st.dashed)
        if labels:
            _el(
                holder,
                "text",
                shorten(n.label, 28),
                x=x,
                y=y + st.radius + 12.0,
                text_anchor="middle",
                font_size=11.0,
                fill="#1b1b1b",
                stroke="#ffffff",
                stroke_width=3.0,
                paint_order="stroke",
                class_="label",
            )
    return _markup(root)


def swatch_svg(style: str | None = None, rule: str | None = None) -> Markup:
    """A legend's sample: a node's shape (``style``) or a link's line (``rule``), 18 by 18, hidden from
    screen readers (the legend's text says it)."""
    root = _el(
        None,
        "svg",
        xmlns=SVG_NS,
        viewBox="0 0 18 18",
        width=18,
        height=18,
        aria_hidden="true",
        class_="swatch",
    )
    if rule is not None:
        _el(
            root,
            "line",
            x1=1.0,
            y1=9.0,
            x2=17.0,
            y2=9.0,
            stroke=rule_colour(rule),
            stroke_width=3.0,
            stroke_dasharray="4 3" if rule in DASHED_RULES else None,
        )
    else:
        st = style_of(style or "")
        _shape(root, st.shape, 9.0, 9.0, 6.5, st.fill, st.dashed)
    return _markup(root)


# -- the map ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MapPoint:
    """A place to mark: where, how many media (the circle's size and its number), tooltip and link."""

    lat: float
    lon: float
    count: int
    title: str
    href: str | None = None
    radius_m: float = 0.0


METRES_PER_DEGREE = 111_320.0


def nice_step(span: float, target: int = 5) -> float:
    """A round step (1, 2 or 5 times a power of ten) cutting ``span`` into about ``target`` parts."""
    if span <= 0:
        return 1.0
    raw = span / target
    mag = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 5.0):
        if raw <= m * mag:
            return m * mag
    return 10.0 * mag


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9))


def degrees(value: float, positive: str, negative: str, decimals: int) -> str:
    """A latitude or longitude as ``52.370°N``."""
    hemi = positive if value >= 0 else negative
    return f"{abs(value):.{decimals}f}°{hemi}"


@dataclass(frozen=True)
class Frame:
    """An equirectangular projection of the box west..east, south..north onto width x height pixels (y
    down). :meth:`fit` chooses the box so that one pixel is as many metres across as down at its middle
    latitude (longitudes shrink by cos(latitude)): shapes are true near the places shown."""

    west: float
    south: float
    east: float
    north: float
    width: float
    height: float

    def project(self, lat: float, lon: float) -> tuple[float, float]:
        x = (lon - self.west) / (self.east - self.west) * self.width
        y = (self.north - lat) / (self.north - self.south) * self.height
        return x, y

    @property
    def metres_per_pixel(self) -> float:
        return (self.north - self.south) * METRES_PER_DEGREE / self.height

    @classmethod
    def world(cls, width: float, height: float) -> Frame:
        return cls(-180.0, -90.0, 180.0, 90.0, width, height)

    @classmethod
    def fit(
        cls,
        points: Sequence[tuple[float, float]],
        width: float,
        height: float,
        margin: float = 0.2,
        min_span: float = 0.004,
    ) -> Frame:
        """The box around ``points`` (lat, lon), widened by ``margin`` of its size on each side and to at
        least ``min_span`` degrees of latitude (about 450 m by default: one place alone is not a dot in
        nowhere), shaped to the pixels' aspect, kept within the world."""
        if not points:
            return cls.world(width, height)
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        mid_lat = (max(lats) + min(lats)) / 2
        shrink = max(math.cos(math.radians(mid_lat)), 0.05)
        lat_span = max((max(lats) - min(lats)) * (1 + 2 * margin), min_span)
        lon_span = max((max(lons) - min(lons)) * (1 + 2 * margin), min_span / shrink)
        aspect = width / height
        if lon_span * shrink / lat_span < aspect:
            lon_span = lat_span * aspect / shrink
        else:
            lat_span = lon_span * shrink / aspect
        lat_span, lon_span = min(lat_span, 180.0), min(lon_span, 360.0)
        clat, clon = mid_lat, (max(lons) + min(lons)) / 2
        south = min(max(clat - lat_span / 2, -90.0), 90.0 - lat_span)
        west = min(max(clon - lon_span / 2, -180.0), 180.0 - lon_span)
        return cls(west, south, west + lon_span, south + lat_span, width, height)


def _graticule(parent: ET.Element, f: Frame, lat_step: float, lon_step: float, labels: bool) -> None:
    grid = _el(parent, "g", class_="graticule", stroke="#c9c9c4", stroke_width=0.8, fill="none")
    text = _el(parent, "g", class_="graticule-labels", font_size=11.0, fill="#555555")
    ld, od = _decimals(lat_step), _decimals(lon_step)
    lat = math.ceil(f.south / lat_step) * lat_step
    while lat <= f.north + 1e-9:
        _, y = f.project(lat, f.west)
        _el(grid, "line", x1=0.0, y1=y, x2=f.width, y2=y)
        if labels and 12 < y < f.height - 20:
            _el(text, "text", degrees(lat, "N", "S", ld), x=4.0, y=y - 3)
        lat += lat_step
    lon = math.ceil(f.west / lon_step) * lon_step
    while lon <= f.east + 1e-9:
        x, _ = f.project(f.south, lon)
        _el(grid, "line", x1=x, y1=0.0, x2=x, y2=f.height)
        if labels and 24 < x < f.width - 70:
            _el(text, "text", degrees(lon, "E", "W", od), x=x + 3, y=f.height - 6)
        lon += lon_step


def _scale_bar(parent: ET.Element, f: Frame) -> None:
    """A bar of a round number of metres or kilometres, about a fifth of the width, bottom right."""
    metres = nice_step(f.metres_per_pixel * f.width / 5, 1)
    px = metres / f.metres_per_pixel
    x0, y0 = f.width - px - 16, f.height - 26
    g = _el(parent, "g", class_="scale-bar")
    _el(g, "rect", x=x0 - 6, y=y0 - 16, width=px + 12, height=26.0, fill="#ffffff", fill_opacity=0.8)
    _el(g, "line", x1=x0, y1=y0, x2=x0 + px, y2=y0, stroke="#1b1b1b", stroke_width=2.0)
    for x in (x0, x0 + px):
        _el(g, "line", x1=x, y1=y0 - 4, x2=x, y2=y0 + 4, stroke="#1b1b1b", stroke_width=2.0)
    text = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    _el(g, "text", text, x=x0 + px / 2, y=y0 - 4, text_anchor="middle", font_size=11.0, fill="#1b1b1b")


def _inset(parent: ET.Element, f: Frame, points: Sequence[MapPoint], width: float) -> None:
    """The whole world (a 30° graticule) top right, with the frame shown and the places as dots."""
    w = width
    h = w / 2
    world = Frame.world(w, h)
    g = _el(parent, "g", class_="inset", transform=f"translate({_num(f.width - w - 8)} 8)")
    _el(g, "title", "Where the map is in the world (graticule every 30°)")
    _el(g, "rect", x=0.0, y=0.0, width=w, height=h, fill="#ffffff", stroke="#8a8a84", stroke_width=1.0)
    for lat in range(-60, 61, 30):
        _, y = world.project(lat, 0)
        _el(g, "line", x1=0.0, y1=y, x2=w, y2=y, stroke="#e0e0dc" if lat else "#b0b0aa", stroke_width=0.6)
    for lon in range(-150, 151, 30):
        x, _ = world.project(0, lon)
        _el(g, "line", x1=x, y1=0.0, x2=x, y2=h, stroke="#e0e0dc" if lon else "#b0b0aa", stroke_width=0.6)
    x1, y1 = world.project(f.north, f.west)
    x2, y2 = world.project(f.south, f.east)
    bw, bh = max(x2 - x1, 3.0), max(y2 - y1, 3.0)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    _el(
        g,
        "rect",
        x=cx - bw / 2,
        y=cy - bh / 2,
        width=bw,
        height=bh,
        fill="none",
        stroke="#a40e26",
        stroke_width=1.5,
    )
    for p in points:
        x, y = world.project(p.lat, p.lon)
        _el(g, "circle", cx=x, cy=y, r=1.5, fill="#a40e26")
    _el(g, "text", "world", x=4.0, y=h - 4, font_size=9.0, fill="#555555")


def map_svg(
    points: Sequence[MapPoint],
    width: float = 900.0,
    height: float = 560.0,
    label: str = "Map of places",
    inset: bool = True,
) -> Markup:
    """Places on an equirectangular map fitted to them: a labelled graticule, a scale bar, a world inset,
    and a circle per place sized by its number of media (area proportional), with the number on it."""
    f = Frame.fit([(p.lat, p.lon) for p in points], width, height)
    root = _root(width, height, label, "map-drawing", role="group")
    _el(root, "title", label)
    _el(root, "rect", x=0.0, y=0.0, width=width, height=height, fill="#f4f7f9", class_="sea")
    _graticule(root, f, nice_step(f.north - f.south, 4), nice_step(f.east - f.west, 7), labels=True)
    biggest = max((p.count for p in points), default=1) or 1
    layer = _el(root, "g", class_="places")
    for p in sorted(points, key=lambda p: -p.count):  # big circles under small ones
        x, y = f.project(p.lat, p.lon)
        g = _el(layer, "g", class_="place")
        holder = _el(g, "a", href=p.href, class_="place-link") if p.href else g
        _el(holder, "title", p.title)
        extent = p.radius_m / f.metres_per_pixel
        if extent > 2:
            _el(holder, "circle", cx=x, cy=y, r=extent, fill="#a40e26", fill_opacity=0.12, stroke="none")
        r = 7.0 + 13.0 * math.sqrt(max(p.count, 0) / biggest)
        _el(
            holder,
            "circle",
            cx=x,
            cy=y,
            r=r,
            fill="#a40e26",
            fill_opacity=0.8,
            stroke="#ffffff",
            stroke_width=1.5,
            class_="mark",
        )
        _el(
            holder,
            "text",
            str(p.count),
            x=x,
            y=y + 4,
            text_anchor="middle",
            font_size=11.0,
            fill="#ffffff",
            class_="count",
        )
    _scale_bar(root, f)
    if inset:
        _inset(root, f, points, min(180.0, width / 4))
    return _markup(root)


# -- the histogram ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bar:
    """One bin: its count, its tooltip, its tick label on the x axis (None: no label), and a link."""

    count: int
    title: str
    tick: str | None = None
    href: str | None = None


def histogram_svg(
    bars: Sequence[Bar],
    width: float = 900.0,
    height: float = 260.0,
    label: str = "Histogram",
    y_label: str = "count",
    x_label: str = "",
) -> Markup:
    """Bars over a time axis: y ticks at round counts, the bars' tick labels under them (thinned to about a
    dozen), axis titles. Each bar has its ``<title>`` and, when given, links to ``href``."""
    left, right, top, bottom = 52.0, 12.0, 14.0, 46.0
    root = _root(width, height, label, "histogram-drawing", role="group")
    _el(root, "title", label)
    plot_w, plot_h = width - left - right, height - top - bottom
    most = max((b.count for b in bars), default=0)
    step = max(1.0, math.ceil(nice_step(float(most), 4)))
    top_value = max(step, math.ceil(most / step) * step)
    axis = _el(root, "g", class_="axis", font_size=11.0, fill="#555555")
    v = 0.0
    while v <= top_value + 1e-9:
        y = top + plot_h - v / top_value * plot_h
        _el(root, "line", x1=left, y1=y, x2=width - right, y2=y, stroke="#e0e0dc", stroke_width=1.0)
        _el(axis, "text", f"{v:g}", x=left - 6, y=y + 4, text_anchor="end")
        v += step
    _el(
        axis,
        "text",
        y_label,
        x=12.0,
        y=top + plot_h / 2,
        text_anchor="middle",
        transform=f"rotate(-90 12 {_num(top + plot_h / 2)})",
    )
    if x_label:
        _el(axis, "text", x_label, x=left + plot_w / 2, y=height - 4, text_anchor="middle")
    n = max(len(bars), 1)
    slot = plot_w / n
    every = max(1, math.ceil(len([b for b in bars if b.tick]) / 12))
    layer = _el(root, "g", class_="bars")
    ticked = 0
    for i, b in enumerate(bars):
        x = left + i * slot
        h = b.count / top_value * plot_h
        g = _el(layer, "g", class_="bar")
        holder = _el(g, "a", href=b.href) if b.href else g
        _el(holder, "title", b.title)
        _el(
            holder,
            "rect",
            x=x + slot * 0.1,
            y=top + plot_h - h,
            width=max(slot * 0.8, 1.0),
            height=h,
            fill="#0b4f8a",
            class_="mark",
        )
        if b.tick:
            if ticked % every == 0:
                _el(
                    axis,
                    "line",
                    x1=x + slot / 2,
                    y1=top + plot_h,
                    x2=x + slot / 2,
                    y2=top + plot_h + 4,
                    stroke="#555555",
                )
                _el(axis, "text", b.tick, x=x + slot / 2, y=top + plot_h + 16, text_anchor="middle")
            ticked += 1
    _el(
        root,
        "line",
        x1=left,
        y1=top + plot_h,
        x2=width - right,
        y2=top + plot_h,
        stroke="#1b1b1b",
        stroke_width=1.0,
    )
    return _markup(root)
