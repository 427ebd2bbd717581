"""One conformance suite for the Store on SQLite and on PostgreSQL: the same ingest gives the same rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from jejak.config import Settings
from jejak.errors import AlreadyExists, NotFound
from jejak.services import records
from jejak.services.ingest import ingest_case
from jejak.store.sql import Store


def test_cases_and_errors(backend_url: str) -> None:
    store = Store.open(backend_url)
    store.create_case("ES-1", "Policia Nacional", "first")
    with pytest.raises(AlreadyExists):
        store.create_case("ES-1", "Policia Nacional")
    with pytest.raises(NotFound):
        store.get_case("ES-2")
    store.create_case("FR-1", "Police nationale")
    assert [(c.name, c.agency) for c in store.list_cases()] == [
        ("ES-1", "Policia Nacional"),
        ("FR-1", "Police nationale"),
    ]
    store.upgrade()  # idempotent
    store.close()


def snapshot(store: Store, case: str) -> list[dict[str, object]]:
    row = store.get_case(case)
    out = []
    for r in store.iter_files(row.id):
        rec = records.from_row(case, r)
        out.append(rec)
    return out


def test_same_ingest_same_rows_on_every_backend(backend_url: str, testdata: Path, tmp_path: Path) -> None:
    sources = [str(testdata / "dfvfs"), str(testdata / "exif-samples" / "jpg" / "gps")]
    reference = Store.open(f"sqlite:///{tmp_path / 'reference.db'}")
    store = Store.open(backend_url)
    for s in (reference, store):
        s.create_case("C", "A")
        ingest_case(s, Settings(workers=0), "C", sources)
    again = ingest_case(store, Settings(workers=0), "C", sources)
    assert again["files"] == 0
    got, want = snapshot(store, "C"), snapshot(reference, "C")
    assert len(got) == len(want) > 40
    assert got == want
    summary = store.case_summary(store.get_case("C").id)
    assert summary["files"] == len(got) and summary["with_pdq"] == 9
    assert list(store.iter_warnings(store.get_case("C").id))
    store.close()
    reference.close()
