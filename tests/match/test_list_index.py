"""The persisted PDQ list index: built, loaded, extended with new entries, rebuilt when missing or damaged,
and always giving what a brute-force scan of the store's active entries gives."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import numpy as np

from jejak.config import Settings
from jejak.index import codes_to_hex, pdq_hex_to_codes
from jejak.match.pdq import ListIndex, PdqQuery, best_pdq_hits
from jejak.model import HashValue
from jejak.model.lists import ListEntry
from jejak.services.match import ensure_index, index_folder
from jejak.store.lists import rows_of
from jejak.store.sql import Store

NOW = datetime(2026, 11, 1)


def pdq_hex(n: int) -> str:
    return hashlib.sha256(f"pdq {n}".encode()).hexdigest()


def flip_bits(hex_value: str, bits: list[int]) -> str:
    v = int(hex_value, 16)
    for b in bits:
        v ^= 1 << b
    return f"{v:064x}"


def add_list(store: Store, name: str, numbers: range) -> None:
    row = store.lists.create(name, False, None, None, None, None, NOW)
    entries = [ListEntry(hashes=(HashValue("pdq", pdq_hex(n)),), external_id=str(n)) for n in numbers]
    store.lists.import_version(
        row.id, rows_of(entries), source=None, source_sha256=None, fmt="pdq", header=None, by=None, now=NOW
    )


def test_index_lives_beside_a_sqlite_database(tmp_path: Path) -> None:
    s = Settings(db=f"sqlite:///{tmp_path / 'x.db'}")
    assert index_folder(s) == Path(str(tmp_path / "x.db") + ".index")
    assert index_folder(Settings(db="sqlite:///x.db", index_dir=str(tmp_path / "i"))) == tmp_path / "i"


def test_built_loaded_extended_rebuilt(store: Store, settings: Settings) -> None:
    add_list(store, "a", range(0, 300))
    idx, action = ensure_index(store, settings)
    assert action == "built" and len(idx) == 300
    assert ensure_index(store, settings)[1] == "loaded"

    add_list(store, "b", range(300, 350))
    idx, action = ensure_index(store, settings)
    assert action == "extended" and len(idx) == 350

    folder = index_folder(settings)
    (folder / "entries.npy").write_bytes(b"not an array")
    idx, action = ensure_index(store, settings)
    assert action == "built" and len(idx) == 350
    (folder / "pdq.npz").unlink()
    assert ensure_index(store, settings)[1] == "built"

    # every answer is what brute force over the store gives, with entry ids
    ids, codes = store.lists.pdq_entries()
    hexes = codes_to_hex(codes)
    query = flip_bits(pdq_hex(7), [0, 9, 100, 200, 255])
    [(entry_ids, distances)] = idx.search([query], 31)
    brute = {
        i: (int(h, 16) ^ int(query, 16)).bit_count()
        for i, h in zip(ids.tolist(), hexes, strict=True)
        if (int(h, 16) ^ int(query, 16)).bit_count() <= 31
    }
    assert dict(zip(entry_ids.tolist(), distances.tolist(), strict=True)) == brute
    assert list(brute.values()) == [5]


def test_best_hit_prefers_the_plain_hash_at_equal_distance() -> None:
    idx = ListIndex.build(np.array([11, 12]), pdq_hex_to_codes([pdq_hex(1), pdq_hex(2)]))
    queries = [
        PdqQuery(5, "rot90", flip_bits(pdq_hex(1), [1, 2])),
        PdqQuery(5, None, flip_bits(pdq_hex(1), [3, 4])),
        PdqQuery(5, "flipx", flip_bits(pdq_hex(1), [5])),
    ]
    best = best_pdq_hits(queries, idx, 31)
    assert best == {(5, 11): (1, "flipx")}
    best = best_pdq_hits(queries[:2], idx, 31)
    assert best == {(5, 11): (2, None)}


def test_save_is_pickle_free(tmp_path: Path) -> None:
    idx = ListIndex.build(np.array([3, 4, 9]), pdq_hex_to_codes([pdq_hex(1), pdq_hex(2), pdq_hex(3)]))
    idx.save(tmp_path)
    ids = np.load(tmp_path / "entries.npy", allow_pickle=False)
    assert ids.tolist() == [3, 4, 9]
    loaded = ListIndex.load(tmp_path)
    assert loaded is not None and loaded.checkpoint == 9 and len(loaded) == 3


def test_quality_gate_keeps_flat_images_to_exact_matching(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    """A nearly flat picture has a PDQ of low quality: it must not PDQ-match another flat picture (that
    would flood reviewers), yet its exact copy still matches by digest."""
    from PIL import Image

    from jejak.services.ingest import ingest_case
    from jejak.services.lists import build_list
    from jejak.services.triage import triage_case
    from jejak.testing.images import jpeg_bytes

    known, seized = tmp_path / "known", tmp_path / "seized"
    known.mkdir()
    seized.mkdir()
    grey = jpeg_bytes(Image.new("RGB", (400, 300), (128, 128, 128)), 90)
    (known / "grey.jpg").write_bytes(grey)
    (seized / "grey-copy.jpg").write_bytes(grey)
    (seized / "grey-other.jpg").write_bytes(jpeg_bytes(Image.new("RGB", (400, 300), (120, 121, 119)), 90))
    build_list(store, settings, [str(known)], "flat", category="1")
    store.create_case("C", "A")
    ingest_case(store, settings, "C", [str(seized)])
    recs = {r["instances"]["paths"][0].rsplit("/", 1)[-1]: r for r in triage_case(store, settings, "C")}
    assert recs["grey-copy.jpg"]["status"] == "known"
    assert {h["algorithm"] for h in recs["grey-copy.jpg"]["hits"]} == {"md5", "sha1", "sha256"}
    assert recs["grey-other.jpg"]["status"] == "new"
    assert recs["grey-other.jpg"]["pdq_quality"] < settings.match_pdq_quality
