"""The scene stage's global index (jejak.index.scene): the shipped vocabulary, unit vectors, views of one
room closer than other rooms, search equal to its brute-force twin, exclusion, append, and a pickle-free
.npz round trip that refuses foreign or corrupt files."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from jejak.errors import StoreError
from jejak.hashing.robust import RobustDescriptor, describe_query
from jejak.index.scene import DIM, VOCAB_PATH, SceneIndex, SceneVocabulary, default_vocabulary, scene_vector
from jejak.testing import scenes


@functools.cache
def _desc(room: int, view: int) -> RobustDescriptor:
    return describe_query(scenes.view(scenes.room(room), view, 0.5, size=(480, 360)))


def _items() -> list[tuple[int, RobustDescriptor]]:
    return [(10 * r + v, _desc(r, v)) for r in range(8) for v in range(2)]


def test_vocabulary_is_shipped_small_and_vectors_are_unit() -> None:
    assert VOCAB_PATH.stat().st_size < 2_000_000
    v = scene_vector(_desc(0, 0))
    assert v.shape == (DIM,) and v.dtype == np.float32
    assert np.linalg.norm(v) == pytest.approx(1.0, abs=1e-5)
    empty = describe_query(np.full((240, 320, 3), 90, np.uint8))
    assert not np.any(scene_vector(empty))
    with pytest.raises(ValueError):
        SceneVocabulary(np.zeros((3, 3), np.float32))


def test_views_of_one_room_are_closest_and_search_equals_brute() -> None:
    idx = SceneIndex.build(_items())
    assert len(idx) == 16 and idx.nbytes >= 16 * DIM * 2
    right = 0
    for r in range(8):
        q = _desc(r, 0)
        fast = idx.search(q, k=16, exclude=10 * r)
        assert fast == idx.search_brute(q, k=16, exclude=10 * r)
        assert [s for _, s in fast] == sorted((s for _, s in fast), reverse=True)
        assert all(ref != 10 * r for ref, _ in fast) and len(fast) == 15
        right += fast[0][0] == 10 * r + 1
    assert right >= 6, f"{right} of 8 rooms ranked first"
    vec = scene_vector(_desc(3, 1))
    best, sim = idx.search(vec, k=1)[0]
    assert best == 31 and sim == pytest.approx(1.0, abs=2e-3)


def test_append_and_vectors() -> None:
    items = _items()
    a = SceneIndex.build(items)
    b = SceneIndex.build(items[:5])
    b.add(items[5:10])
    b.add_vectors([i for i, _ in items[10:]], np.stack([scene_vector(d) for _, d in items[10:]]))
    q = _desc(2, 1)
    assert a.search(q, k=16) == b.search(q, k=16)
    assert b.vector_of(999) is None and b.vector_of(31) is not None
    with pytest.raises(ValueError):
        b.add_vectors([1], np.zeros((1, 5), np.float32))
    with pytest.raises(ValueError):
        b.search(np.zeros(7, np.float32))


def test_save_load_round_trip_and_refusals(tmp_path: Path) -> None:
    idx = SceneIndex.build(_items())
    idx.meta = {"case": "demo"}
    path = tmp_path / "scene.npz"
    idx.save(path)
    back = SceneIndex.load(path)
    assert back.meta == {"case": "demo"} and len(back) == len(idx)
    q = _desc(5, 0)
    assert back.search(q, k=16) == idx.search(q, k=16)
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    other = tmp_path / "other.npz"
    np.savez(other, **{**arrays, "vectors": arrays["vectors"][:3]})
    with pytest.raises(StoreError):
        SceneIndex.load(other)
    table = np.load(VOCAB_PATH, allow_pickle=False).astype(np.float32)
    table[0, 0, 0] += 0.5
    with pytest.raises(StoreError, match="another scene vocabulary"):
        SceneIndex.load(path, vocabulary=SceneVocabulary(table))
    with pytest.raises(StoreError):
        SceneIndex.load(tmp_path / "missing.npz")
    assert default_vocabulary() is default_vocabulary()
