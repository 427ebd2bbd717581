"""Places: distances, the grid clustering against a brute-force twin, ids, centroids and place edges."""

from __future__ import annotations

import math
import random
import time

import numpy as np
import pytest

from jejak.graph.places import (
    EARTH_RADIUS_M,
    PlaceCluster,
    cluster_points,
    cluster_report,
    geohash,
    haversine_m,
    haversine_m_array,
    is_valid_point,
    place_edges,
)
from jejak.model.graph import split_key

Point = tuple[str, float, float]


def _offset(lat: float, lon: float, metres: float, bearing_rad: float) -> tuple[float, float]:
    """The position ``metres`` from (lat, lon) along the great circle with the given bearing."""
    p1, l1 = math.radians(lat), math.radians(lon)
    d = metres / EARTH_RADIUS_M
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(bearing_rad))
    l2 = l1 + math.atan2(
        math.sin(bearing_rad) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    lon2 = (math.degrees(l2) + 180.0) % 360.0 - 180.0
    return math.degrees(p2), lon2


def _scatter(rng: random.Random, n: int, spread_m: float, seeds: list[tuple[float, float]]) -> list[Point]:
    """``n`` points, each within ``spread_m`` of a seed (uniform in bearing and distance)."""
    points: list[Point] = []
    for i in range(n):
        lat, lon = seeds[rng.randrange(len(seeds))]
        p_lat, p_lon = _offset(lat, lon, rng.uniform(0.0, spread_m), rng.uniform(0.0, 2.0 * math.pi))
        points.append((f"c{i:05d}", p_lat, p_lon))
    return points


def _seeds(rng: random.Random, count: int) -> list[tuple[float, float]]:
    seeds = [(rng.uniform(-80.0, 80.0), rng.uniform(-180.0, 180.0)) for _ in range(count)]
    seeds += [
        (10.0, 179.9995),  # straddles the antimeridian
        (-33.0, -179.9999),
        (89.9995, 12.0),  # around the north pole: every longitude
        (90.0, 0.0),
        (-89.9993, -140.0),
        (45.0, 0.0001),  # around the prime meridian
    ]
    return seeds


def _brute_partition(points: list[Point], radius_m: float) -> set[frozenset[int]]:
    lats = np.array([p[1] for p in points])
    lons = np.array([p[2] for p in points])
    close = haversine_m_array(lats[:, None], lons[:, None], lats[None, :], lons[None, :]) <= radius_m
    parent = list(range(len(points)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(close), strict=True):
        ri, rj = find(int(i)), find(int(j))
        if ri != rj:
            parent[ri] = rj
    groups: dict[int, set[int]] = {}
    for i in range(len(points)):
        groups.setdefault(find(i), set()).add(i)
    return {frozenset(g) for g in groups.values()}


def _partition(clusters: list[PlaceCluster], points: list[Point]) -> set[frozenset[int]]:
    index = {p: i for i, p in enumerate(points)}
    return {frozenset(index[p] for p in c.points) for c in clusters}


# --- distances --------------------------------------------------------------------------------------------


def test_haversine_known_distances() -> None:
    one_degree = math.pi / 180.0 * EARTH_RADIUS_M
    assert haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(one_degree, rel=1e-12)
    assert haversine_m(0.0, 0.0, 0.0, 1.0) == pytest.approx(one_degree, rel=1e-12)
    assert haversine_m(60.0, 10.0, 60.0, 11.0) == pytest.approx(one_degree * 0.5, rel=1e-4)
    assert haversine_m(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * EARTH_RADIUS_M)
    assert haversine_m(0.0, 179.9999, 0.0, -179.9999) == pytest.approx(0.0002 * one_degree, rel=1e-6)
    assert haversine_m(90.0, 0.0, 90.0, 123.0) == pytest.approx(0.0, abs=1e-6)
    assert haversine_m(12.5, 45.0, 12.5, 45.0) == 0.0


def test_vectorised_haversine_matches_scalar() -> None:
    rng = random.Random(7)
    rows = [
        tuple(rng.uniform(-90, 90) if k % 2 == 0 else rng.uniform(-180, 180) for k in range(4))
        for _ in range(200)
    ]
    arr = np.array(rows)
    got = haversine_m_array(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3])
    want = [haversine_m(*row) for row in rows]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-6)
    assert haversine_m_array(0.0, 0.0, [0.0, 1.0], 0.0).shape == (2,)


def test_geohash_reference_values() -> None:
    # Published examples of the geohash encoding.
    assert geohash(57.64911, 10.40744, 11) == "u4pruydqqvj"
    assert geohash(42.6, -5.6, 5) == "ezs42"
    assert geohash(0.0, 180.0, 4) == geohash(0.0, -180.0, 4)


def test_valid_points() -> None:
    assert is_valid_point(51.5, -0.12)
    assert is_valid_point(0.0, 0.0001)
    assert is_valid_point(-90.0, 180.0)
    for lat, lon in ((0.0, 0.0), (math.nan, 1.0), (1.0, math.inf), (90.01, 1.0), (1.0, -180.5)):
        assert not is_valid_point(lat, lon)


# --- clustering -------------------------------------------------------------------------------------------


def test_single_linkage_chains() -> None:
    a = (51.5, -0.12)
    b = _offset(*a, 80.0, 0.0)
    c = _offset(*b, 80.0, 0.0)
    far = _offset(*c, 500.0, 0.0)
    assert haversine_m(*a, *c) > 100.0
    clusters = cluster_points([("a", *a), ("b", *b), ("c", *c), ("far", *far)], radius_m=100.0)
    assert sorted(c.members for c in clusters) == [("a", "b", "c"), ("far",)]
    chain = next(c for c in clusters if len(c.members) == 3)
    assert 75.0 < chain.radius_m < 85.0  # the middle fix is the centroid's neighbour
    assert haversine_m(*chain.centroid, *b) < 1.0


def test_invalid_points_are_reported_not_clustered() -> None:
    points: list[Point] = [
        ("ok1", 48.85, 2.35),
        ("ok2", 48.8501, 2.3501),
        ("null", 0.0, 0.0),
        ("nan", math.nan, 2.35),
        ("lat", 91.0, 2.35),
        ("lon", 48.85, 181.0),
    ]
    report = cluster_report(points)
    assert [c.members for c in report.clusters] == [("ok1", "ok2")]
    assert [p[0] for p in report.invalid] == ["null", "nan", "lat", "lon"]
    assert cluster_points([("null", 0.0, 0.0)]) == []


def test_bad_radius_is_refused() -> None:
    with pytest.raises(ValueError, match="radius_m"):
        cluster_points([("a", 1.0, 1.0)], radius_m=0.0)


def test_antimeridian_cluster_and_centroid() -> None:
    points: list[Point] = [("east", -16.5, 179.9997), ("west", -16.5, -179.9997), ("far", -16.5, 179.99)]
    clusters = cluster_points(points, radius_m=100.0)
    together = next(c for c in clusters if "east" in c.members)
    assert together.members == ("east", "west")
    lat, lon = together.centroid
    assert lat == pytest.approx(-16.5, abs=1e-6)
    assert abs(lon) > 179.999  # a naive mean would say 0
    assert together.radius_m == pytest.approx(haversine_m(-16.5, 179.9997, -16.5, 180.0), rel=1e-3)


def test_pole_cluster() -> None:
    points = [(f"p{k}", 89.9996, k * 45.0 - 180.0) for k in range(8)]  # a ring of 44 m radius
    clusters = cluster_points(points, radius_m=100.0)
    assert len(clusters) == 1
    assert clusters[0].centroid[0] == pytest.approx(90.0, abs=1e-6)
    assert clusters[0].radius_m == pytest.approx(44.5, abs=1.0)


def test_ids_are_stable_and_order_independent() -> None:
    rng = random.Random(3)
    points = _scatter(rng, 400, 300.0, _seeds(rng, 30))
    first = cluster_points(points)
    shuffled = points[:]
    rng.shuffle(shuffled)
    again = cluster_points(shuffled)
    assert first == again
    assert [c.id for c in first] == sorted(c.id for c in first)
    assert len({c.id for c in first}) == len(first)
    for cluster in first:
        assert list(cluster.members) == sorted(set(cluster.members))
        hash_part, _, digest = cluster.id.partition("-")
        assert hash_part == geohash(*cluster.centroid)
        assert len(hash_part) == 10
        assert len(digest) == 8


def test_same_centroid_different_members_get_different_ids() -> None:
    one = cluster_points([("a", 10.0, 10.0)])[0]
    two = cluster_points([("b", 10.0, 10.0)])[0]
    assert one.id.partition("-")[0] == two.id.partition("-")[0]
    assert one.id != two.id


def test_grid_agrees_with_brute_force() -> None:
    rng = random.Random(20240611)
    points = _scatter(rng, 1500, 400.0, _seeds(rng, 25))
    for radius in (30.0, 100.0, 250.0):
        clusters = cluster_points(points, radius_m=radius)
        assert _partition(clusters, points) == _brute_partition(points, radius), radius
        sizes = sorted(len(c.points) for c in clusters)
        assert sizes[-1] > 1  # the test means something: there are real clusters
        assert sizes[0] == 1 or radius == 250.0


def test_grid_agrees_with_brute_force_at_large_radius() -> None:
    rng = random.Random(11)
    points = [(f"w{i}", rng.uniform(-90.0, 90.0), rng.uniform(-180.0, 180.0)) for i in range(600)]
    for radius in (300_000.0, 2_000_000.0):
        assert _partition(cluster_points(points, radius_m=radius), points) == _brute_partition(points, radius)


def test_ten_thousand_points_in_seconds() -> None:
    rng = random.Random(5)
    clustered = _scatter(rng, 9000, 300.0, _seeds(rng, 400))
    dense = _scatter(rng, 1500, 40.0, [(52.37, 4.89)])  # one block of 1,500 fixes in a single place
    scattered = [(f"s{i}", rng.uniform(-85.0, 85.0), rng.uniform(-180.0, 180.0)) for i in range(2000)]
    points = clustered + [("d" + p[0], p[1], p[2]) for p in dense] + scattered
    start = time.perf_counter()
    clusters = cluster_points(points, radius_m=100.0)
    elapsed = time.perf_counter() - start
    assert elapsed < 30.0, elapsed
    assert sum(len(c.points) for c in clusters) == len(points)
    assert any(len(c.points) >= 1500 for c in clusters)


# --- edges ------------------------------------------------------------------------------------------------


def test_place_edges_scores_and_evidence() -> None:
    centre = (-6.2, 106.8)
    sha = [f"{k:064x}" for k in range(1, 5)]
    near = _offset(*centre, 10.0, 0.0)
    middle = _offset(*centre, 62.5, math.pi)
    edge = _offset(*centre, 99.0, math.pi / 2)
    points = [(sha[0], *near), (sha[1], *middle), (sha[2], *edge), (sha[3], *_offset(*centre, 10.0, 3.0))]
    (cluster,) = cluster_points(points, radius_m=120.0)
    edges = place_edges([cluster], radius_m=100.0)
    assert len(edges) == 4
    by_owner = {split_key(e.a)[1]: e for e in edges}
    for e in edges:
        assert split_key(e.b) == ("place", cluster.id)
        assert e.rule == "place"
        assert set(e.evidence) == {"lat", "lon", "distance_m", "radius_m"}
        assert e.evidence["radius_m"] == pytest.approx(cluster.radius_m, abs=0.01)
        expected = haversine_m(*cluster.centroid, e.evidence["lat"], e.evidence["lon"])
        assert e.evidence["distance_m"] == pytest.approx(expected, abs=0.01)
        distance = expected
        if distance <= 25.0:
            assert e.score == 1.0
        elif distance >= 100.0:
            assert e.score == 0.5
        else:
            assert e.score == pytest.approx(1.0 - 0.5 * (distance - 25.0) / 75.0, abs=1e-6)
    assert by_owner[sha[0]].score > by_owner[sha[1]].score > by_owner[sha[2]].score >= 0.5


def test_place_edges_need_two_owners_and_take_the_nearest_fix() -> None:
    lone = cluster_points([("a" * 64, 1.0, 1.0), ("a" * 64, 1.0001, 1.0)])
    assert len(lone) == 1
    assert lone[0].members == ("a" * 64,)
    assert place_edges(lone) == []

    points = [("a" * 64, 1.0, 1.0), ("a" * 64, 1.0008, 1.0), ("b" * 64, 1.0004, 1.0)]
    (cluster,) = cluster_points(points)
    edges = place_edges([cluster])
    assert [split_key(e.a)[1] for e in edges] == ["a" * 64, "b" * 64]
    a_edge = edges[0]
    assert a_edge.evidence["distance_m"] == pytest.approx(
        min(haversine_m(*cluster.centroid, lat, lon) for _, lat, lon in points[:2]), abs=0.01
    )


def test_summary() -> None:
    (cluster,) = cluster_points([("x", 3.0, 4.0), ("y", 3.0001, 4.0)])
    summary = cluster.summary(cases=("K-2", "K-1", "K-2"), label="yard")
    assert summary.id == cluster.id
    assert (summary.lat, summary.lon) == cluster.centroid
    assert summary.media == 2
    assert summary.cases == ("K-1", "K-2")
