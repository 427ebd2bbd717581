"""The procedural rooms of jejak.testing.scenes: deterministic per seed, distinct rooms, hard negatives of
the same style, views of the requested size with occluders covering part of the frame, and fast."""

from __future__ import annotations

import time

import numpy as np
import pytest

from jejak.testing import scenes


def test_rooms_and_views_are_deterministic() -> None:
    a, b = scenes.room(3), scenes.room(3)
    assert a.styles == b.styles and a.palette == b.palette
    assert all(np.array_equal(p.texture, q.texture) for p, q in zip(a.planes, b.planes, strict=True))
    assert np.array_equal(scenes.view(a, 11, 0.5), scenes.view(b, 11, 0.5))
    assert not np.array_equal(scenes.view(a, 11, 0.5), scenes.view(a, 12, 0.5))


def test_rooms_are_distinct_and_like_keeps_the_style() -> None:
    rooms = [scenes.room(i) for i in range(8)]
    walls = [r.planes[1].texture for r in rooms]  # the back wall
    for i in range(len(walls)):
        for j in range(i + 1, len(walls)):
            assert walls[i].shape != walls[j].shape or not np.array_equal(walls[i], walls[j])
    twin = scenes.room(100, like=rooms[0])
    assert twin.styles == rooms[0].styles and twin.palette == rooms[0].palette
    assert not np.array_equal(twin.planes[1].texture[:50, :50], rooms[0].planes[1].texture[:50, :50])
    assert len({r.styles["wall"] for r in [scenes.room(i) for i in range(24)]}) >= 3


def test_view_shape_occlusion_and_strength() -> None:
    rm = scenes.room(5)
    img = scenes.view(rm, 1, 0.7)
    assert img.shape == (480, 640, 3) and img.dtype == np.uint8
    assert img.std() > 20  # a textured picture, not a blank one
    spec = scenes.view_spec(1, 0.7)
    assert 0.10 <= spec.occlusion <= 0.35 and abs(spec.yaw) <= 25 * 0.7 and abs(spec.pitch - 8) <= 10 * 0.7
    still = scenes.view_spec(2, 0.0)
    assert still.yaw == 0 and still.position[0] == 0
    assert scenes.view(rm, 1, 0.7, size=(320, 240)).shape == (240, 320, 3)
    near = scenes.view_spec(1, 0.1)
    far = scenes.view_spec(3, 1.0)
    assert scenes.viewpoint_change(near, near, rm) < 1e-6 < scenes.viewpoint_change(near, far, rm)


def test_dataset_and_speed() -> None:
    got = list(scenes.scene_dataset(2, 3, seed=4))
    assert [(r, v) for r, v, _ in got] == [
        (4_000_000, 0),
        (4_000_000, 1),
        (4_000_000, 2),
        (4_000_001, 0),
        (4_000_001, 1),
        (4_000_001, 2),
    ]
    rm = scenes.room(9)
    scenes.view(rm, 0, 0.5)  # warm the caches
    t = time.perf_counter()
    for k in range(10):
        scenes.view(rm, k, 0.8)
    assert (time.perf_counter() - t) / 10 < 0.1  # ~20 ms on the reference machine; slack for a busy one


def test_chain_rooms_share_wallpaper_and_cover_but_not_layout() -> None:
    a, b = scenes.room(40, chain=7), scenes.room(41, chain=7)
    other = scenes.room(42, chain=8)
    assert a.styles["chain"] == "7" and a.palette == b.palette
    assert {k: a.styles[k] for k in ("wall", "cover", "furniture")} == {
        k: b.styles[k] for k in ("wall", "cover", "furniture")
    }
    planes_a = {p.name: p for p in a.planes}
    planes_b = {p.name: p for p in b.planes}
    # the cover: same size and pattern (creases aside); the wallpaper: cut from one roll
    ca, cb = planes_a["cover top"].texture, planes_b["cover top"].texture
    assert ca.shape == cb.shape
    assert np.corrcoef(ca.ravel().astype(float), cb.ravel().astype(float))[0, 1] > 0.8
    assert not np.array_equal(planes_a["picture"].texture, planes_b["picture"].texture) or (
        planes_a["picture"].texture.shape != planes_b["picture"].texture.shape
    )
    cols_a = {
        planes_a["back wall"].texture[:, x].tobytes() for x in range(planes_a["back wall"].texture.shape[1])
    }
    left_b = planes_b["left wall"].texture
    assert any(left_b[:, x].tobytes() in cols_a for x in range(left_b.shape[1]))  # one roll of wallpaper
    assert other.palette != a.palette or other.styles != a.styles
    with pytest.raises(ValueError):
        scenes.room(1, like=a, chain=3)


def test_silhouette_and_moved_things() -> None:
    rm = scenes.room(6)
    spec = scenes.view_spec(3, 0.4)
    person = scenes.view_spec(3, 0.4, silhouette=True)
    assert not spec.silhouette and person.silhouette
    plain, with_person = scenes.render(rm, spec), scenes.render(rm, person)
    assert not np.array_equal(plain, with_person)
    moved = scenes.view_spec(3, 0.4, moves=0.4)
    planes = scenes.moved_planes(rm, moved)
    assert scenes.moved_planes(rm, spec) is rm.planes
    shifted = {p.name for p, q in zip(planes, rm.planes, strict=True) if not np.allclose(p.origin, q.origin)}
    assert "rug" in shifted and "lamp" in shifted and "back wall" not in shifted and "picture" not in shifted
    delta = {p.name: p.origin - q.origin for p, q in zip(planes, rm.planes, strict=True)}
    assert np.allclose(delta["lamp"], delta["nightstand"]) and np.abs(delta["rug"]).max() <= 0.4
    assert not np.array_equal(scenes.render(rm, moved), plain)
