"""PdqIndex against its brute-force twin: random and adversarial codes, every radius class, incremental
adds, persistence (and refusal of anything that is not an index of this version), real PDQ hashes."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from jejak.errors import StoreError
from jejak.index import BruteForceIndex, PdqIndex, codes_to_hex, pdq_hex_to_codes
from jejak.index.pdq import choose_layout
from jejak.index.storage import FORMAT, VERSION
from jejak.testing import indexkit as kit

PDQ_DIR = Path("threatexchange") / "pdq" / "data" / "reg-test-input"


@pytest.fixture(scope="module")
def rng() -> np.random.Generator:
    return np.random.default_rng(20_260_301)


@pytest.fixture(scope="module")
def random_set(rng: np.random.Generator) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    codes = kit.random_codes(20_000, 1)
    queries = np.concatenate([kit.near_queries(codes, 150, 40, rng), kit.random_codes(50, 2)])
    return codes, queries


def test_random_codes_match_brute_force(random_set: tuple[NDArray[np.uint8], NDArray[np.uint8]]) -> None:
    codes, queries = random_set
    index = kit.check_index(PdqIndex.build, codes, queries, kit.RADII)
    found = index.search(queries[:150], 40)
    assert all(len(ids) >= 1 for ids, _ in found)  # every near query finds at least its source


def test_adversarial_codes_match_brute_force(rng: np.random.Generator) -> None:
    sets = kit.adversarial_codes(7)
    haystack = np.concatenate([kit.random_codes(4000, 3), *sets.values()])
    haystack = haystack[rng.permutation(len(haystack))]
    queries = np.concatenate([kit.adversarial_queries(sets, rng), kit.near_queries(haystack, 30, 40, rng)])
    kit.check_index(PdqIndex.build, haystack, queries, kit.RADII)


def test_duplicates_all_returned_in_id_order() -> None:
    code = kit.random_codes(1, 4)
    codes = np.concatenate(
        [kit.random_codes(500, 5), np.repeat(code, 2500, axis=0), kit.random_codes(500, 6)]
    )
    [(ids, dist)] = PdqIndex.build(codes).search(code, max_distance=0)
    assert ids.tolist() == list(range(500, 3000))
    assert not dist.any()


def test_only_duplicates_and_extremes() -> None:
    codes = np.concatenate([np.zeros((1000, 32), np.uint8), np.full((1000, 32), 255, np.uint8)])
    queries = np.array([[0] * 32, [255] * 32, [1] + [0] * 31, [0x0F] * 32], np.uint8)
    kit.check_index(PdqIndex.build, codes, queries, (0, 1, 31, 127, 128, 129, 255, 256))


def test_every_radius_on_a_small_set(rng: np.random.Generator) -> None:
    codes = kit.random_codes(600, 8)
    queries = np.concatenate([kit.near_queries(codes, 12, 140, rng), kit.random_codes(4, 9)])
    kit.check_index(PdqIndex.build, codes, queries, range(0, 257, 3), oracle_distances=False)


def test_build_then_add_in_steps_equals_build_at_once(
    random_set: tuple[NDArray[np.uint8], NDArray[np.uint8]],
) -> None:
    codes, queries = random_set
    kit.check_incremental(PdqIndex.build, codes, queries, [0, 1, 3000, 3001, 12_000])


def test_adds_that_merge_the_tail(random_set: tuple[NDArray[np.uint8], NDArray[np.uint8]]) -> None:
    codes, queries = random_set

    def small_tail(part: NDArray[np.uint8]) -> PdqIndex:
        index = PdqIndex.build(part)
        index.tail_limit = 700  # merge into the tables every few adds
        return index

    index = kit.check_incremental(small_tail, codes, queries, [5000, 5400, 6000, 6001, 9000, 19_999])
    assert isinstance(index, PdqIndex)
    kit.check_contract(index.search(queries, 31), len(queries), 31, len(codes))


def test_growth_changes_the_layout_and_stays_exact(rng: np.random.Generator) -> None:
    codes = kit.random_codes(400_000, 10)
    grown = choose_layout(len(codes)).widths
    index = PdqIndex.build(codes[:0])
    assert index.layout == choose_layout(0).widths != grown
    index.add(codes[:100])
    index.add(codes[100:])
    assert index.layout == grown
    queries = np.concatenate([kit.near_queries(codes, 60, 36, rng), kit.random_codes(20, 11)])
    reference = BruteForceIndex.build(codes)
    for r in (0, 31, 40):
        kit.assert_same_results(index.search(queries, r), reference.search(queries, r), f"radius {r}")


def test_empty_index_and_empty_queries() -> None:
    empty = PdqIndex.build(np.empty((0, 32), np.uint8))
    assert len(empty) == 0
    queries = kit.random_codes(3, 12)
    for r in (0, 31, 256):
        assert [(ids.tolist(), d.tolist()) for ids, d in empty.search(queries, r)] == [([], [])] * 3
    assert empty.search(np.empty((0, 32), np.uint8)) == []
    full = PdqIndex.build(kit.random_codes(100, 13))
    assert full.search(np.empty((0, 32), np.uint8), 31) == []
    results = full.search(queries, 256)
    kit.check_contract(results, 3, 256, 100)
    assert all(len(ids) == 100 for ids, _ in results)
    empty.add(queries)
    assert len(empty) == 3
    [(ids, dist)] = empty.search(queries[1:2], 0)
    assert ids.tolist() == [1] and dist.tolist() == [0]


def test_rejects_bad_arguments() -> None:
    index = PdqIndex.build(kit.random_codes(10, 14))
    q = kit.random_codes(1, 15)
    for bad in (-1, 257, True, 3.0):
        with pytest.raises(ValueError, match="max_distance"):
            index.search(q, bad)  # type: ignore[arg-type]
    for codes in (np.zeros((2, 31), np.uint8), np.zeros((2, 32), np.int64), np.zeros(32, np.uint8)):
        with pytest.raises(ValueError, match=r"shape \(n, 32\)"):
            PdqIndex.build(codes)
        with pytest.raises(ValueError, match=r"shape \(n, 32\)"):
            index.search(codes)


def test_hex_round_trip_and_distances_agree_with_strings(rng: np.random.Generator) -> None:
    codes = kit.random_codes(50, 16)
    hexes = codes_to_hex(codes)
    assert all(len(h) == 64 and h == h.lower() for h in hexes)
    assert hexes[0] == bytes(codes[0]).hex()
    assert np.array_equal(pdq_hex_to_codes(hexes), codes)
    assert np.array_equal(pdq_hex_to_codes([h.upper() for h in hexes]), codes)
    assert pdq_hex_to_codes([]).shape == (0, 32)
    near = kit.flip_bits(codes, rng.integers(0, 60, size=50), rng)
    string_dist = [
        (int(a, 16) ^ int(b, 16)).bit_count() for a, b in zip(hexes, codes_to_hex(near), strict=True)
    ]
    index = PdqIndex.build(codes)
    for i, result in enumerate(index.search(near, 256)):
        ids, dist = result
        assert dist[ids.tolist().index(i)] == string_dist[i]
    for bad in ("0" * 63, "g" * 64, "0" * 62 + " 0", "0" * 66):
        with pytest.raises(ValueError, match="#1"):
            pdq_hex_to_codes([hexes[0], bad])


def test_save_load_round_trip(
    tmp_path: Path, random_set: tuple[NDArray[np.uint8], NDArray[np.uint8]]
) -> None:
    codes, queries = random_set
    index = PdqIndex.build(codes[:15_000])
    index.add(codes[15_000:15_100])  # stays in the tail: saved too
    index.meta = {"list": "benign-test", "version": 3, "sources": ["a", "b"]}
    path = tmp_path / "refs.pdqindex"  # the name is kept as given (no .npz appended)
    index.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["refs.pdqindex"]
    loaded = PdqIndex.load(str(path))
    assert len(loaded) == len(index) == 15_100
    assert loaded.meta == index.meta
    assert loaded.layout == index.layout
    for r in (0, 31, 64):
        kit.assert_same_results(loaded.search(queries, r), index.search(queries, r), f"loaded, radius {r}")
    loaded.add(codes[15_100:])
    kit.assert_same_results(
        loaded.search(queries, 31), PdqIndex.build(codes).search(queries, 31), "loaded+add"
    )
    with np.load(path, allow_pickle=False) as z:  # plain arrays and a JSON header, nothing else
        assert sorted(z.files) == ["codes", "header", "ids", "meta", "offsets"]
        assert json.loads(str(z["header"][()]))["format"] == FORMAT


def test_save_rejects_meta_that_is_not_json(tmp_path: Path) -> None:
    index = PdqIndex.build(kit.random_codes(5, 17))
    index.meta = {"when": object()}
    with pytest.raises(ValueError, match="JSON"):
        index.save(tmp_path / "x.npz")
    index.meta = ["not", "a", "dict"]  # type: ignore[assignment]
    with pytest.raises(ValueError, match="dict with str keys"):
        index.save(tmp_path / "x.npz")
    assert list(tmp_path.iterdir()) == []


def test_a_lone_query_without_candidates() -> None:
    index = PdqIndex.build(kit.random_codes(100, 20))
    for r in (0, 1, 31):
        [(ids, dist)] = index.search(kit.random_codes(1, 21), r)
        assert ids.dtype == np.int64 and dist.dtype == np.int32 and len(ids) == 0


def test_brute_force_index_round_trip(tmp_path: Path) -> None:
    codes = kit.random_codes(300, 18)
    brute = BruteForceIndex.build(codes[:200])
    brute.add(codes[200:])
    brute.meta = {"k": 1}
    brute.save(tmp_path / "b.npz")
    loaded = BruteForceIndex.load(tmp_path / "b.npz")
    assert loaded.meta == {"k": 1} and len(loaded) == 300
    kit.assert_same_results(loaded.search(codes[:20], 100), brute.search(codes[:20], 100))
    with pytest.raises(StoreError, match="'brute'"):
        PdqIndex.load(tmp_path / "b.npz")


def _header(version: int = VERSION, fmt: str = FORMAT) -> NDArray[np.str_]:
    return np.array(json.dumps({"format": fmt, "version": version, "kind": "mih"}))


def test_load_refuses_what_is_not_an_index(tmp_path: Path) -> None:
    good = tmp_path / "good.npz"
    PdqIndex.build(kit.random_codes(100, 19)).save(good)

    text = tmp_path / "notes.txt"
    text.write_text("not an index\n")
    npy = tmp_path / "array.npy"
    np.save(npy, np.zeros(3))
    other = tmp_path / "other.npz"
    np.savez(other, data=np.arange(4))
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, header=_header(fmt="someone-else"), meta=np.array("{}"))
    future = tmp_path / "future.npz"
    with np.load(good) as z:
        arrays = {k: z[k] for k in z.files}
    np.savez(future, **{**arrays, "header": _header(version=VERSION + 1)})
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, header=np.array([{"format": FORMAT}], dtype=object), meta=np.array("{}"))
    pickled_meta = tmp_path / "pickled-meta.npz"
    np.savez(pickled_meta, **{**arrays, "meta": np.array([{"x": 1}], dtype=object)})
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:-200])
    flipped = tmp_path / "flipped.npz"
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo("codes.npy")
    data[info.header_offset + 200] ^= 0xFF  # inside the codes member: the zip CRC no longer matches
    flipped.write_bytes(bytes(data))
    short = tmp_path / "short.npz"
    np.savez(short, **{**arrays, "ids": arrays["ids"][:-1]})

    cases = {
        text: "not a readable jejak PDQ index",
        npy: "single .npy array",
        other: "no 'header' member",
        foreign: "format 'someone-else'",
        future: f"format version {VERSION + 1}.*reads version {VERSION} only",
        pickled: "not a readable jejak PDQ index",
        pickled_meta: "not a readable jejak PDQ index",
        truncated: "not a readable jejak PDQ index",
        flipped: "not a readable jejak PDQ index",
        short: "corrupt index",
        tmp_path / "missing.npz": "no index file",
    }
    for path, message in cases.items():
        with pytest.raises(StoreError, match=message):
            PdqIndex.load(path)
    assert len(PdqIndex.load(good)) == 100


def _read_hashes(path: Path) -> list[str]:
    return [line.split()[0] for line in path.read_text().splitlines() if line.strip()]


def test_real_pdq_hashes_match_brute_force(testdata: Path) -> None:
    needles = _read_hashes(testdata / PDQ_DIR / "needles.txt")
    haystack = _read_hashes(testdata / PDQ_DIR / "haystack.txt")
    refs, queries = pdq_hex_to_codes(haystack), pdq_hex_to_codes(needles)
    index = kit.check_index(PdqIndex.build, refs, queries, (0, 31))
    results = index.search(queries, 31)
    assert sum(len(ids) for ids, _ in results) > 0
    for needle, (ids, dist) in zip(needles, results, strict=True):
        for i, d in zip(ids.tolist(), dist.tolist(), strict=True):
            assert (int(needle, 16) ^ int(haystack[i], 16)).bit_count() == d
