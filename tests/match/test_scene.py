"""The same-scene matcher (jejak.match.scene) on procedural rooms: views of one room verify, other rooms
(same-style hard negatives included) do not, a re-saved copy verifies, degenerate inputs give None, and
SceneMatcher finds the right room among 30."""

from __future__ import annotations

import functools

import cv2
import numpy as np
import pytest

from jejak.hashing.robust import RobustDescriptor, describe, describe_query
from jejak.match.scene import SceneEvidence, SceneParams, score_of, verify_scene
from jejak.match.scene_search import SceneMatcher, SceneRanker
from jejak.testing import scenes

ROOMS = (0, 1, 2, 3, 4, 5)


_room = functools.cache(scenes.room)


@functools.cache
def _view(room: int, seed: int, strength: float) -> RobustDescriptor:
    return describe_query(scenes.view(_room(room), seed, strength))


@functools.cache
def _twin_view(room: int) -> RobustDescriptor:
    """A view of a room with the same style and palette as ``room`` (a hard negative)."""
    return describe_query(scenes.view(scenes.room(1000 + room, like=_room(room)), 7, 0.3))


def _accepted(ev: SceneEvidence | None) -> bool:
    return ev is not None and ev.score >= SceneParams().min_score


@pytest.mark.parametrize("strength", [0.3, 0.6])
def test_views_of_one_room_verify(strength: float) -> None:
    found = 0
    for r in ROOMS:
        ev = verify_scene(_view(r, 1, 0.0), _view(r, 2, strength))
        if _accepted(ev):
            assert ev is not None
            found += 1
            assert 0 < ev.score < 1 and ev.inliers >= SceneParams().min_inliers and ev.planes
            assert ev.spread >= SceneParams().min_hull and ev.cells >= SceneParams().min_cells
            pl = ev.planes[0]
            assert len(pl.homography) == 9 and pl.scale > 0 and pl.anisotropy >= 1
    assert found >= (5 if strength < 0.5 else 4), f"{found} of {len(ROOMS)} rooms verified"


def test_other_rooms_and_hard_negatives_do_not_verify() -> None:
    for r in ROOMS:
        q = _view(r, 1, 0.0)
        for other in ROOMS:
            if other != r:
                assert verify_scene(q, _view(other, 2, 0.3)) is None, (r, other)
        assert verify_scene(q, _twin_view(r)) is None, r


def test_jpeg_resave_verifies() -> None:
    img = scenes.view(scenes.room(2), 3, 0.5)
    ok, data = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 50])
    assert ok
    again = np.ascontiguousarray(np.asarray(cv2.imdecode(data, cv2.IMREAD_COLOR), np.uint8)[..., ::-1])
    ev = verify_scene(describe_query(again), describe(img))
    assert ev is not None and ev.score > 0.9 and not ev.mirrored
    h = np.array(ev.planes[0].homography).reshape(3, 3)
    corner = h @ np.array([320.0, 240.0, 1.0])
    assert np.allclose(corner[:2] / corner[2], [320, 240], atol=6)  # the identity, in original pixels


def test_mirrored_copy_verifies_as_mirrored() -> None:
    img = scenes.view(scenes.room(4), 3, 0.4)
    ev = verify_scene(describe_query(np.ascontiguousarray(img[:, ::-1])), describe(img))
    assert ev is not None and ev.mirrored
    # a mirror-symmetric wallpaper may still match in the plain orientation, but not as well
    plain = verify_scene(describe_query(np.ascontiguousarray(img[:, ::-1])), describe(img), mirrored=False)
    assert plain is None or plain.score < ev.score


def test_degenerate_inputs_return_none() -> None:
    blank = describe_query(np.full((480, 640, 3), 128, np.uint8))
    some = _view(0, 1, 0.0)
    assert len(blank) == 0
    assert verify_scene(blank, some) is None and verify_scene(some, blank) is None
    dot = np.full((480, 640, 3), 200, np.uint8)
    cv2.circle(dot, (320, 240), 30, (20, 20, 20), -1)
    few = describe_query(dot)
    assert verify_scene(few, some) is None
    five = RobustDescriptor(
        some.width,
        some.height,
        some.box,
        some.work_size,
        some.xy[:5],
        some.angle[:5],
        some.octave[:5],
        some.desc[:5],
        None,
        0,
    )
    assert verify_scene(five, some) is None and verify_scene(some, five) is None
    tiny = describe_query(np.random.default_rng(0).integers(0, 255, (20, 20, 3), dtype=np.uint8))
    assert verify_scene(tiny, some) is None


def test_score_mapping() -> None:
    p = SceneParams()
    assert score_of(0) == 0 and score_of(p.min_inliers) == pytest.approx(p.min_score)
    assert 0 < score_of(12) < score_of(30) < score_of(200) < 1


def test_matcher_finds_the_room_among_thirty() -> None:
    refs = [(r, describe(scenes.view(_room(r), 50, 0.2))) for r in range(30)]
    matcher = SceneMatcher.build(refs, shortlist=8)
    assert len(matcher) == 30
    found = 0
    for r in ROOMS:
        hits = matcher.search(_view(r, 2, 0.3), k=3)
        assert all(hits[i][1].score >= hits[i + 1][1].score for i in range(len(hits) - 1))
        assert all(ref == r for ref, _ in hits), (r, [ref for ref, _ in hits])
        found += bool(hits)
    assert found >= 4, f"{found} of {len(ROOMS)} rooms found"
    extra = SceneMatcher.build(refs[:10])
    extra.add(refs[10:])
    assert len(extra) == 30 and extra.search(_view(0, 2, 0.3), k=1, exclude=0) == []


def test_ranker_puts_a_view_of_the_room_first_and_links_only_it() -> None:
    refs = [(r, describe(scenes.view(_room(r), 50, 0.2))) for r in range(20)]
    ranker = SceneRanker.build(refs, rerank=6)
    assert len(ranker) == 20
    first = 0
    for r in ROOMS:
        hits = ranker.rank(_view(r, 2, 0.3), k=5)
        assert len(hits) == 5 and len({h.ref_id for h in hits}) == 5
        accepted = [h for h in hits if h.accepted]
        assert hits[: len(accepted)] == accepted  # accepted scenes come first
        assert all(h.ref_id == r for h in accepted), (r, [h.ref_id for h in accepted])
        assert all(h.evidence is None or h.evidence.score > 0 for h in hits)
        rest = [h.similarity for h in hits[len(accepted) :]]
        assert rest == sorted(rest, reverse=True)
        first += hits[0].ref_id == r
        found = ranker.search(_view(r, 2, 0.3), k=3)
        assert [ref for ref, _ in found] == [h.ref_id for h in accepted][:3]
    assert first >= 5, f"{first} of {len(ROOMS)} rooms ranked first"
    assert all(h.ref_id != 0 for h in ranker.rank(_view(0, 2, 0.3), k=19, exclude=0))
    more = SceneRanker.build(refs[:10])
    more.add(refs[10:])
    assert len(more) == 20


def test_ranker_does_not_link_a_chain_room_seen_from_afar() -> None:
    # two rooms of one chain share wallpaper and cover; a modest viewpoint change of one of them
    a, b = scenes.room(300, chain=30), scenes.room(301, chain=30)
    refs = [(1, describe(scenes.view(a, 1, 0.2))), (2, describe(scenes.view(b, 1, 0.2)))]
    ranker = SceneRanker.build(refs, rerank=2)
    hits = ranker.rank(describe_query(scenes.view(a, 2, 0.4)), k=2)
    assert hits[0].ref_id == 1
