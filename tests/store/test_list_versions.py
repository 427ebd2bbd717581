"""List releases in the store, on SQLite and PostgreSQL: added, updated, removed, re-added, who and when."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest

from jejak.errors import AlreadyExists, NotFound
from jejak.model import HashValue
from jejak.model.lists import Category, ListEntry
from jejak.store.lists import rows_of
from jejak.store.sql import Store

NOW = datetime(2026, 11, 1, 9, 0, 0)


def entry(n: int, category: str | None = "1", series: str | None = None, pdq: bool = False) -> ListEntry:
    d = hashlib.sha256(f"entry {n}".encode()).hexdigest()
    hashes = [HashValue("md5", d[:32]), HashValue("sha1", d[:40])]
    if pdq:
        hashes.append(HashValue("pdq", hashlib.sha256(f"pdq {n}".encode()).hexdigest()))
    return ListEntry(
        hashes=tuple(hashes),
        category=Category.parse("vic-us", category),
        series=series,
        external_id=str(n),
        extra={"Tags": [f"t{n}"]},
    )


def test_releases_are_diffed_by_key(backend_url: str) -> None:
    store = Store.open(backend_url)
    row = store.lists.create("VIC", False, "vic-us", None, None, "alice", NOW)
    with pytest.raises(AlreadyExists):
        store.lists.create("VIC", False, "vic-us", None, None, "alice", NOW)

    v1 = store.lists.import_version(
        row.id,
        rows_of([entry(n, pdq=n % 2 == 0) for n in range(10)] + [entry(3)]),
        source="vic-1.json",
        source_sha256="0" * 64,
        fmt="vics",
        header={"format": "vics"},
        by="alice",
        now=NOW,
    )
    assert v1.number == 1 and v1.imported_by == "alice"
    assert v1.counts == {
        "read": 11,
        "added": 10,
        "updated": 0,
        "unchanged": 0,
        "removed": 0,
        "duplicates": 1,
        "problems": 0,
    }

    # release 2: entry 0 gone, 1 re-categorised, 2 gets a series, 10 new; the rest unchanged
    release2 = [
        entry(1, "2"),
        entry(2, series="S", pdq=True),
        *(entry(n, pdq=n % 2 == 0) for n in range(3, 11)),
    ]
    v2 = store.lists.import_version(
        row.id,
        rows_of(release2),
        source="vic-2.json",
        source_sha256=None,
        fmt="vics",
        header=None,
        by="bob",
        now=NOW,
    )
    assert (v2.number, v2.imported_by) == (2, "bob")
    c = v2.counts
    assert (c["added"], c["updated"], c["removed"], c["unchanged"]) == (1, 2, 1, 7)

    active = {e.external_id: e for e in store.lists.entries(row.id)}
    assert sorted(active, key=lambda k: int(k or 0)) == [str(n) for n in range(1, 11)]
    assert active["1"].category == Category("vic-us", "2")
    assert active["2"].series == "S"
    assert active["5"].extra == {"Tags": ["t5"]}
    everything = {e.external_id for e in store.lists.entries(row.id, active=False)}
    assert "0" in everything  # kept, marked removed

    # release 3 lists entry 0 again: it comes back as an update, not a second row
    v3 = store.lists.import_version(
        row.id,
        rows_of([entry(0, pdq=True)]),
        source=None,
        source_sha256=None,
        fmt="vics",
        header=None,
        by="c",
        now=NOW,
    )
    assert v3.counts["updated"] == 1 and v3.counts["added"] == 0 and v3.counts["removed"] == 10
    assert [e.external_id for e in store.lists.entries(row.id)] == ["0"]

    stats = store.lists.stats(row.id)
    assert stats["entries"] == 1 and stats["removed"] == 10 and stats["pdq"] == 1
    assert [v.number for v in store.lists.versions(row.id)] == [1, 2, 3]


def test_partial_release_only_adds(backend_url: str) -> None:
    store = Store.open(backend_url)
    row = store.lists.create("unit", False, "vic-us", None, None, None, NOW)
    kw = {"source": None, "source_sha256": None, "fmt": "build", "header": None, "by": None, "now": NOW}
    store.lists.import_version(row.id, rows_of([entry(1), entry(2)]), full=False, **kw)  # type: ignore[arg-type]
    v = store.lists.import_version(row.id, rows_of([entry(3)]), full=False, **kw)  # type: ignore[arg-type]
    assert v.counts["added"] == 1 and v.counts["removed"] == 0
    assert len(list(store.lists.entries(row.id))) == 3


def test_entry_ids_are_never_reused(backend_url: str) -> None:
    """The PDQ index refers to entries by id: after a list is deleted, new entries get new ids."""
    store = Store.open(backend_url)
    kw = {"source": None, "source_sha256": None, "fmt": "pdq", "header": None, "by": None, "now": NOW}
    a = store.lists.create("a", False, None, None, None, None, NOW)
    store.lists.import_version(a.id, rows_of([entry(n, pdq=True) for n in range(5)]), **kw)  # type: ignore[arg-type]
    ids_a, _ = store.lists.pdq_entries()
    store.lists.delete(a.id)
    with pytest.raises(NotFound):
        store.lists.get("a")
    b = store.lists.create("b", False, None, None, None, None, NOW)
    store.lists.import_version(b.id, rows_of([entry(n, pdq=True) for n in range(5, 10)]), **kw)  # type: ignore[arg-type]
    ids_b, _ = store.lists.pdq_entries()
    assert ids_b.min() > ids_a.max()
