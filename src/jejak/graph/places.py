"""Same place: GPS positions grouped into places, and the links from media to the place they were taken at.

A photograph's GPS fix is a fact about its content (one SHA-256), so the owners clustered here are content
digests. Two media "share a place" when a chain of fixes, each within ``radius_m`` of the next, joins
them: the clusters are the connected components of the within-radius relation (single linkage). Single
linkage is chosen over centroid methods (k-means, DBSCAN's density rule) because it needs no cluster count
and no density threshold, its answer does not depend on input order, and it is what an investigator means
by "these fixes touch": the price is that a chain can stretch a place, which is why every link carries its
distance from the place's centre and its score falls with it.

How (no O(n^2) memory):

1. **Valid points only.** NaN or infinite values, ``|lat| > 90``, ``|lon| > 180`` and exactly (0, 0) (what
   many devices write when they have no fix: "Null Island" would otherwise gather every fixless photo) are
   set aside and reported (:func:`cluster_report`), never clustered.
2. **A latitude/longitude grid with cells at least ``radius_m`` wide.** Rows are ``radius_m`` of latitude
   tall (a great-circle distance is never less than its latitude difference), so close points are at
   most one row apart. Each row has its own longitude cell width, wide enough for the widest longitude
   difference two points within ``radius_m`` can have anywhere in that row and its two neighbours; from
   the haversine formula, ``sin(dlon/2) <= sin(r/2R) / cos(phi_max)``, which is exact at any distance, not
   the small-angle ``r / (R cos phi)``. Rows are split into a whole number of equal cells around the full
   circle, so the cell after the last one is the first: the ±180° antimeridian is an ordinary cell border.
   Near a pole the bound reaches the whole circle and the row becomes one cell (the clamp).
3. **Neighbouring cells only.** For each occupied cell, the cells of the row below, its own row and the
   row above that overlap its longitude span widened by that row's cell width are the only candidates;
   the pairs of occupied cells are collected once.
4. **Union-find.** For each pair of cells the distances are computed with numpy in blocks of at most
   ``_BLOCK`` values (bounded memory even when thousands of fixes sit in one cell), the block's connected
   components are found by min-label propagation (vectorised), and each point is united with its label.

Cluster values (:class:`PlaceCluster`) are deterministic: points are sorted before anything is summed; the
centroid is the normalised mean of the members' unit vectors (a plain mean of longitudes would put a place
on the antimeridian at 0°, on the other side of the Earth); the id is the centroid's geohash at 10
characters (cells of about 1.2 x 0.6 m) plus the first 8 hex digits of the SHA-256 of the sorted member
ids, so re-running on the same points gives the same ids, and two places that share a centroid cell
still differ.

:func:`place_edges` links each member content of a place with at least two distinct contents to the place
node. Its score is 1.0 within ``FULL_SCORE_M`` (25 m, the accuracy a phone's GPS commonly reports
outdoors, so nearer is not more meaningful) of the centroid, falling linearly to 0.5 at ``radius_m``, and
staying 0.5 beyond it (a member that far from the centre reached the place through a chain of fixes each
within ``radius_m`` of the next: still linked, with its distance in the evidence to judge).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from jejak.model.graph import Edge, NodeKind, node_key

__all__ = [
    "EARTH_RADIUS_M",
    "FULL_SCORE_M",
    "Clustering",
    "PlaceCluster",
    "PlaceSummary",
    "cluster_points",
    "cluster_report",
    "geohash",
    "haversine_m",
    "haversine_m_array",
    "is_valid_point",
    "place_edges",
]

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius
FULL_SCORE_M = 25.0
GEOHASH_CHARS = 10  # about 1.2 m x 0.6 m at the equator
DIGEST_CHARS = 8
_BLOCK = 1 << 20  # distances computed at once, at most (8 MB of float64)
_MARGIN = 1e-9  # relative widening of grid cells against rounding at a border
_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"

Point = tuple[str, float, float]


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two positions in decimal degrees (mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    half_dlat = (p2 - p1) / 2.0
    half_dlon = math.radians(lon2 - lon1) / 2.0
    h = math.sin(half_dlat) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(half_dlon) ** 2
    return 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def haversine_m_array(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """:func:`haversine_m` over numpy arrays (broadcast like any ufunc)."""
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    half_dlon = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64)) / 2.0
    h = np.sin((p2 - p1) / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(half_dlon) ** 2
    out: npt.NDArray[np.float64] = 2.0 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    return out


def is_valid_point(lat: float, lon: float) -> bool:
    """A usable fix: finite, inside the lat/lon ranges, and not exactly (0, 0) (a common "no fix" value)."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return False
    if abs(lat) > 90.0 or abs(lon) > 180.0:
        return False
    return not (lat == 0.0 and lon == 0.0)


def geohash(lat: float, lon: float, chars: int = GEOHASH_CHARS) -> str:
    """The standard geohash of a position (longitude bit first, base 32); 180° is folded onto -180°."""
    if lon >= 180.0:
        lon -= 360.0
    lat = min(90.0, max(-90.0, lat))
    lat_lo, lat_hi, lon_lo, lon_hi = -90.0, 90.0, -180.0, 180.0
    out: list[str] = []
    bits = 0
    value = 0
    even = True
    while len(out) < chars:
        if even:
            mid = (lon_lo + lon_hi) / 2.0
            bit = lon >= mid
            lon_lo, lon_hi = (mid, lon_hi) if bit else (lon_lo, mid)
        else:
            mid = (lat_lo + lat_hi) / 2.0
            bit = lat >= mid
            lat_lo, lat_hi = (mid, lat_hi) if bit else (lat_lo, mid)
        value = (value << 1) | int(bit)
        bits += 1
        even = not even
        if bits == 5:
            out.append(_BASE32[value])
            bits = value = 0
    return "".join(out)


@dataclass(frozen=True)
class PlaceCluster:
    """One place: fixes joined by chains of at most the clustering radius.

    ``radius_m`` is the largest member distance from the centroid (0 for a single position); ``members``
    are the distinct owner ids, sorted; ``points`` every (owner, lat, lon) clustered here, sorted.
    """

    id: str
    centroid: tuple[float, float]
    radius_m: float
    members: tuple[str, ...]
    points: tuple[Point, ...]

    def summary(
        self, *, media: int | None = None, cases: Iterable[str] = (), label: str = ""
    ) -> PlaceSummary:
        """The export form (:mod:`jejak.graph.export`); ``media`` defaults to the number of members."""
        lat, lon = self.centroid
        return PlaceSummary(
            id=self.id,
            lat=lat,
            lon=lon,
            radius_m=self.radius_m,
            media=len(self.members) if media is None else media,
            cases=tuple(sorted(set(cases))),
            label=label,
        )


@dataclass(frozen=True)
class PlaceSummary:
    """A place as shown on a map: centre, extent, how many media and which cases."""

    id: str
    lat: float
    lon: float
    radius_m: float
    media: int
    cases: tuple[str, ...]
    label: str


@dataclass(frozen=True)
class Clustering:
    """The places, and the points set aside as invalid (in input order)."""

    clusters: list[PlaceCluster]
    invalid: list[Point]


def cluster_points(points: Sequence[Point], radius_m: float = 100.0) -> list[PlaceCluster]:
    """Places of ``points`` (owner id, lat, lon) by single linkage within ``radius_m``, sorted by id.

    Invalid points are skipped; :func:`cluster_report` also returns them.
    """
    return cluster_report(points, radius_m).clusters


def cluster_report(points: Sequence[Point], radius_m: float = 100.0) -> Clustering:
    """:func:`cluster_points` with the invalid points that were set aside."""
    if not (math.isfinite(radius_m) and radius_m > 0.0):
        raise ValueError(f"radius_m must be a positive number of metres: {radius_m}")
    valid: list[Point] = []
    invalid: list[Point] = []
    for owner, lat, lon in points:
        point = (owner, float(lat), float(lon))
        (valid if is_valid_point(point[1], point[2]) else invalid).append(point)
    valid.sort()  # sums and ids must not depend on input order
    if not valid:
        return Clustering([], invalid)
    lats = np.array([p[1] for p in valid], dtype=np.float64)
    lons = np.array([p[2] for p in valid], dtype=np.float64)
    roots = _components(lats, lons, radius_m)
    groups: dict[int, list[int]] = {}
    for index, root in enumerate(roots):
        groups.setdefault(root, []).append(index)
    clusters = [_make_cluster([valid[i] for i in members]) for members in groups.values()]
    clusters.sort(key=lambda c: c.id)
    return Clustering(clusters, invalid)


def place_edges(
    clusters: Iterable[PlaceCluster],
    *,
    radius_m: float = 100.0,
    full_score_m: float = FULL_SCORE_M,
    min_owners: int = 2,
) -> list[Edge]:
    """Edges ``content:<owner>`` -> ``place:<cluster id>`` (rule ``place``) for places of >= ``min_owners``.

    ``radius_m`` should be the radius the clusters were made with: the score is 1.0 up to ``full_score_m``
    from the centroid and falls linearly to 0.5 at ``radius_m`` (0.5 beyond). An owner with several fixes
    in one place gets one edge, from its nearest fix. Sorted by (place, owner).
    """
    edges: list[Edge] = []
    for cluster in sorted(clusters, key=lambda c: c.id):
        if len(cluster.members) < min_owners:
            continue
        place = node_key(NodeKind.PLACE, cluster.id)
        c_lat, c_lon = cluster.centroid
        nearest: dict[str, tuple[float, float, float]] = {}
        for owner, lat, lon in cluster.points:
            distance = haversine_m(c_lat, c_lon, lat, lon)
            if owner not in nearest or distance < nearest[owner][0]:
                nearest[owner] = (distance, lat, lon)
        for owner in cluster.members:
            distance, lat, lon = nearest[owner]
            evidence = {
                "lat": lat,
                "lon": lon,
                "distance_m": round(distance, 2),
                "radius_m": round(cluster.radius_m, 2),
            }
            score = _score(distance, radius_m, full_score_m)
            edges.append(Edge(node_key(NodeKind.CONTENT, owner), place, "place", score, evidence))
    return edges


def _score(distance: float, radius_m: float, full_score_m: float) -> float:
    if distance <= full_score_m:
        return 1.0
    if radius_m <= full_score_m or distance >= radius_m:
        return 0.5
    return round(1.0 - 0.5 * (distance - full_score_m) / (radius_m - full_score_m), 6)


# --- clusters ---------------------------------------------------------------------------------------------


def _make_cluster(points: list[Point]) -> PlaceCluster:
    lats = np.radians(np.array([p[1] for p in points], dtype=np.float64))
    lons = np.radians(np.array([p[2] for p in points], dtype=np.float64))
    x = float(np.sum(np.cos(lats) * np.cos(lons)))
    y = float(np.sum(np.cos(lats) * np.sin(lons)))
    z = float(np.sum(np.sin(lats)))
    norm = math.sqrt(x * x + y * y + z * z)
    if norm < 1e-12 * len(points):  # members spread evenly around the sphere: no meaningful centre
        c_lat, c_lon = points[0][1], points[0][2]
    else:
        c_lat = math.degrees(math.asin(max(-1.0, min(1.0, z / norm))))
        c_lon = math.degrees(math.atan2(y, x)) if math.hypot(x, y) > 1e-15 * norm else 0.0
    if c_lon >= 180.0:
        c_lon -= 360.0
    radius = float(np.max(haversine_m_array(c_lat, c_lon, [p[1] for p in points], [p[2] for p in points])))
    members = tuple(sorted({p[0] for p in points}))
    digest = hashlib.sha256("\n".join(members).encode("utf-8")).hexdigest()[:DIGEST_CHARS]
    return PlaceCluster(
        id=f"{geohash(c_lat, c_lon)}-{digest}",
        centroid=(c_lat, c_lon),
        radius_m=radius,
        members=members,
        points=tuple(points),
    )


# --- the grid and the union-find --------------------------------------------------------------------------


class _Grid:
    """Rows ``row_deg`` tall from -90°, each split into ``cols(row)`` equal longitude cells from -180°."""

    def __init__(self, radius_m: float) -> None:
        r = min(radius_m / EARTH_RADIUS_M, math.pi)  # beyond half the circumference every pair is close
        self.row_deg = math.degrees(r) * (1.0 + _MARGIN)
        self.rows = max(1, math.ceil(180.0 / self.row_deg))
        self._half_chord = math.sin(r / 2.0)
        self._cols: dict[int, int] = {}

    def row(self, lat: float) -> int:
        return min(self.rows - 1, max(0, math.floor((lat + 90.0) / self.row_deg)))

    def cols(self, row: int) -> int:
        n = self._cols.get(row)
        if n is None:
            lo = -90.0 + (row - 1) * self.row_deg  # this row and both neighbours
            hi = -90.0 + (row + 2) * self.row_deg
            phi = min(90.0, max(abs(lo), abs(hi)))
            cos_phi = math.cos(math.radians(phi))
            if cos_phi <= self._half_chord:
                n = 1  # the pole clamp: any longitude difference is possible
            else:
                width = math.degrees(2.0 * math.asin(self._half_chord / cos_phi)) * (1.0 + _MARGIN)
                n = max(1, math.floor(360.0 / width))
            self._cols[row] = n
        return n

    def col(self, row: int, lon: float) -> int:
        n = self.cols(row)
        return math.floor((lon + 180.0) / (360.0 / n)) % n


def _components(lats: npt.NDArray[np.float64], lons: npt.NDArray[np.float64], radius_m: float) -> list[int]:
    """The union-find root of every point under the within-``radius_m`` relation."""
    grid = _Grid(radius_m)
    cells: dict[tuple[int, int], list[int]] = {}
    for index, (lat, lon) in enumerate(zip(lats.tolist(), lons.tolist(), strict=True)):
        row = grid.row(lat)
        cells.setdefault((row, grid.col(row, lon)), []).append(index)
    by_row: dict[int, list[int]] = {}
    for row, col in cells:
        by_row.setdefault(row, []).append(col)

    pairs: set[tuple[tuple[int, int], tuple[int, int]]] = set()
    for cell in cells:
        for other in _neighbours(grid, cell, by_row):
            pairs.add((cell, other) if cell <= other else (other, cell))

    parent = list(range(len(lats)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    for first, second in sorted(pairs):
        a = np.array(cells[first], dtype=np.int64)
        if first == second:
            if len(a) > 1:
                _link_block(a, a, lats, lons, radius_m, union)
        else:
            _link_block(a, np.array(cells[second], dtype=np.int64), lats, lons, radius_m, union)
    return [find(i) for i in range(len(lats))]


def _neighbours(
    grid: _Grid, cell: tuple[int, int], by_row: dict[int, list[int]]
) -> Iterable[tuple[int, int]]:
    """Occupied cells that may hold a point within the radius of a point in ``cell`` (itself included)."""
    row, col = cell
    width = 360.0 / grid.cols(row)
    west, east = col * width, (col + 1) * width  # the cell's span, in degrees east of -180°
    for other_row in (row - 1, row, row + 1):
        occupied = by_row.get(other_row)
        if not occupied:
            continue
        n = grid.cols(other_row)
        other_width = 360.0 / n
        start = math.floor((west - other_width) / other_width)
        end = math.floor((east + other_width) / other_width)
        if end - start + 1 >= n:
            yield from ((other_row, c) for c in occupied)
        else:
            yield from ((other_row, c) for c in occupied if (c - start) % n <= end - start)


def _link_block(
    a: npt.NDArray[np.int64],
    b: npt.NDArray[np.int64],
    lats: npt.NDArray[np.float64],
    lons: npt.NDArray[np.float64],
    radius_m: float,
    union: Callable[[int, int], None],
) -> None:
    """Unite the points of ``a`` and ``b`` that are joined by close pairs between them, block by block."""
    step = max(1, _BLOCK // len(b))
    b_lat, b_lon = lats[b], lons[b]
    for start in range(0, len(a), step):
        chunk = a[start : start + step]
        close = haversine_m_array(lats[chunk][:, None], lons[chunk][:, None], b_lat, b_lon) <= radius_m
        rows = close.any(axis=1)
        if not rows.any():
            continue
        # Min-label propagation over the bipartite block: every connected part ends with its least index.
        la, lb = chunk.copy(), b.copy()
        sentinel = np.iinfo(np.int64).max
        while True:
            new_la = np.minimum(la, np.where(close, lb[None, :], sentinel).min(axis=1))
            new_lb = np.minimum(lb, np.where(close, new_la[:, None], sentinel).min(axis=0))
            if np.array_equal(new_la, la) and np.array_equal(new_lb, lb):
                break
            la, lb = new_la, new_lb
        for point, label in zip(
            np.concatenate([chunk, b]).tolist(), np.concatenate([la, lb]).tolist(), strict=True
        ):
            if point != label:
                union(point, label)
