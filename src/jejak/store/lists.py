"""Known-hash lists in the store: lists, their versions, entries, and the hits of matching.

Importing a release is one transaction: the entries it lists are compared by key (all their hashes) with
the list's entries, so the version records what was added, updated (category, flags, series... changed),
removed (no longer listed) and unchanged. Removed entries stay, marked ``removed_in``, so that an old hit
can still be explained; matching only uses entries that are not removed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Connection, and_, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from jejak.errors import AlreadyExists, NotFound
from jejak.model import HashValue
from jejak.model.lists import KEY_ORDER, Category, ListEntry, entry_key
from jejak.store import schema as t
from jejak.store.bulk import BulkWriter

if TYPE_CHECKING:
    from jejak.store.sql import Store

CHUNK = 5000
_MUTABLE = (
    "photodna",
    "category_scheme",
    "category_code",
    "series",
    "victim_identified",
    "offender_identified",
    "distributed",
    "baseline",
    "external_id",
    "media_type",
    "name",
    "size",
    "extra",
)


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class ListRow:
    id: int
    name: str
    known_good: bool
    scheme: str | None
    pdq_threshold: int | None
    description: str | None
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True)
class VersionRow:
    id: int
    list_id: int
    number: int
    source: str | None
    source_sha256: str | None
    format: str
    imported_by: str | None
    imported_at: datetime
    counts: dict[str, int]
    problems: list[str]


# Column order of a new entry row as import_version writes it (bulk insert with positional parameters).
INSERT_COLUMNS = ("key", "fingerprint", *KEY_ORDER, *_MUTABLE, "list_id", "added_in", "updated_in")


def entry_row(e: ListEntry) -> tuple[Any, ...] | None:
    """(key, fingerprint, md5, sha1, sha256, pdq, *mutable columns) of an entry, or None when it has no
    key (the same identity as ``ListEntry.key``, computed in one pass: this runs a million times per
    national list). The fingerprint covers every column but the hashes, so a changed one tells an update;
    ``extra`` is its JSON text (stored as such)."""
    values = {h.algorithm: h.value for h in e.hashes}
    key = entry_key(values, e.photodna, e.external_id)
    if key is None:
        return None
    cat = e.category
    extra = json.dumps(e.extra, sort_keys=True, separators=(",", ":"), default=str) if e.extra else None
    mutable = (
        e.photodna,
        cat.scheme if cat else None,
        cat.code if cat else None,
        e.series,
        e.victim_identified,
        e.offender_identified,
        e.distributed,
        e.baseline,
        e.external_id,
        e.media_type,
        e.name,
        e.size,
        extra,
    )
    return (
        _digest(key),
        _digest(repr(mutable)),
        values.get("md5"),
        values.get("sha1"),
        values.get("sha256"),
        values.get("pdq"),
        *mutable,
    )


def rows_of(entries: Iterable[ListEntry]) -> Iterator[tuple[Any, ...] | None]:
    return (entry_row(e) for e in entries)


def entry_of(row: Any) -> ListEntry:
    """A stored entry row back as a ListEntry."""
    m = row._mapping
    hashes = tuple(HashValue(alg, m[alg]) for alg in KEY_ORDER if m[alg] is not None)
    category = Category(m["category_scheme"], m["category_code"]) if m["category_code"] is not None else None
    return ListEntry(
        hashes=hashes,
        category=category,
        photodna=m["photodna"],
        series=m["series"],
        victim_identified=m["victim_identified"],
        offender_identified=m["offender_identified"],
        distributed=m["distributed"],
        baseline=m["baseline"],
        external_id=m["external_id"],
        media_type=m["media_type"],
        name=m["name"],
        size=m["size"],
        extra=dict(m["extra"] or {}),
    )


class ListStore:
    """The list tables of one Store (``store.lists``)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # -- lists ----------------------------------------------------------------------------------
    def create(
        self,
        name: str,
        known_good: bool,
        scheme: str | None,
        pdq_threshold: int | None,
        description: str | None,
        by: str | None,
        now: datetime,
    ) -> ListRow:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    t.hash_list.insert().values(
                        name=name,
                        known_good=known_good,
                        scheme=scheme,
                        pdq_threshold=pdq_threshold,
                        description=description,
                        created_at=now,
                        created_by=by,
                    )
                )
        except IntegrityError as exc:
            raise AlreadyExists(f"list {name!r} exists already") from exc
        return self.get(name)

    def find(self, name: str) -> ListRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(*t.hash_list.c).where(t.hash_list.c.name == name)).first()
        return ListRow(*row) if row else None

    def get(self, name: str) -> ListRow:
        row = self.find(name)
        if row is None:
            raise NotFound(f"no list {name!r}: see 'jejak lists ls', or import one with 'jejak lists import'")
        return row

    def all(self) -> list[ListRow]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(*t.hash_list.c).order_by(t.hash_list.c.name)).all()
        return [ListRow(*r) for r in rows]

    def any(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(t.hash_list.c.id).limit(1)).first() is not None

    def set_options(self, list_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(t.hash_list.update().where(t.hash_list.c.id == list_id).values(**values))

    def delete(self, list_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(t.entry_descriptor).where(
                    t.entry_descriptor.c.entry_id.in_(
                        select(t.list_entry.c.id).where(t.list_entry.c.list_id == list_id)
                    )
                )
            )
            for table in (t.match_hit, t.list_entry, t.list_version):
                conn.execute(delete(table).where(table.c.list_id == list_id))
            conn.execute(delete(t.hash_list).where(t.hash_list.c.id == list_id))

    # -- versions -------------------------------------------------------------------------------
    def versions(self, list_id: int) -> list[VersionRow]:
        v = t.list_version.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    v.id,
                    v.list_id,
                    v.number,
                    v.source,
                    v.source_sha256,
                    v.format,
                    v.imported_by,
                    v.imported_at,
                    v.counts,
                    v.problems,
                )
                .where(v.list_id == list_id)
                .order_by(v.number)
            ).all()
        return [VersionRow(*r[:8], dict(r[8] or {}), list(r[9] or [])) for r in rows]

    def import_version(
        self,
        list_id: int,
        rows: Iterable[tuple[Any, ...] | None],
        *,
        source: str | None,
        source_sha256: str | None,
        fmt: str,
        header: dict[str, Any] | None,
        by: str | None,
        now: datetime,
        problems: Callable[[], Sequence[str]] | None = None,
        header_after: Callable[[], dict[str, Any]] | None = None,
        full: bool = True,
    ) -> VersionRow:
        """Record a release of the list in one transaction. ``rows`` are ``entry_row`` tuples (None for an
        entry without a key). ``full``: the release lists everything, so active entries it does not list
        are marked removed; otherwise (``lists build`` adding files) entries are only added or updated.
        ``problems`` and ``header_after`` are asked after ``rows`` is exhausted: what the reader could not
        use, and the file's header as complete (keys after the entries)."""
        e = t.list_entry.c
        counts = {"read": 0, "added": 0, "updated": 0, "unchanged": 0, "removed": 0, "duplicates": 0}
        skipped = 0
        with self.engine.begin() as conn:
            number = 1 + int(
                conn.execute(
                    select(func.coalesce(func.max(t.list_version.c.number), 0)).where(
                        t.list_version.c.list_id == list_id
                    )
                ).scalar_one()
            )
            # key -> (id, fingerprint, removed_in): what the list holds before this release.
            known: dict[str, tuple[int, str, int | None]] = {
                k: (i, f, r)
                for i, k, f, r in conn.execute(
                    select(e.id, e.key, e.fingerprint, e.removed_in).where(e.list_id == list_id)
                )
            }
            seen: set[str] = set()
            changed: list[dict[str, Any]] = []
            n_hash = 2 + len(KEY_ORDER)
            with BulkWriter(self.store, conn, t.list_entry, INSERT_COLUMNS) as out:
                tail = (list_id, number, number)
                for row in rows:
                    counts["read"] += 1
                    if row is None:
                        skipped += 1
                        continue
                    key = row[0]
                    if key in seen:
                        counts["duplicates"] += 1
                        continue
                    seen.add(key)
                    old = known.get(key)
                    if old is None:
                        out.add(row + tail)
                        counts["added"] += 1
                    elif old[1] != row[1] or old[2] is not None:
                        changed.append(
                            {
                                "_id": old[0],
                                "fingerprint": row[1],
                                **dict(zip(_MUTABLE, row[n_hash:], strict=True)),
                            }
                        )
                        counts["updated"] += 1
                    else:
                        counts["unchanged"] += 1
            for i in range(0, len(changed), CHUNK):
                self._update(conn, changed[i : i + CHUNK], number)
            if full:
                gone = [i for k, (i, _f, r) in known.items() if r is None and k not in seen]
                counts["removed"] = len(gone)
                for i in range(0, len(gone), CHUNK):
                    conn.execute(
                        update(t.list_entry)
                        .where(e.id.in_(gone[i : i + CHUNK]))
                        .values(removed_in=number, updated_in=number)
                    )
            all_problems = list(problems()) if problems else []
            if skipped:
                all_problems.append(f"{skipped} entries without any hash, PhotoDNA or id were skipped")
            counts["problems"] = len(all_problems)
            res = conn.execute(
                t.list_version.insert().values(
                    list_id=list_id,
                    number=number,
                    source=source,
                    source_sha256=source_sha256,
                    format=fmt,
                    header=header_after() if header_after else header,
                    imported_by=by,
                    imported_at=now,
                    counts=counts,
                    problems=all_problems[:1000],
                )
            )
            vid = int(res.inserted_primary_key[0])  # type: ignore[index]
        return next(v for v in self.versions(list_id) if v.id == vid)

    @staticmethod
    def _update(conn: Connection, changed: list[dict[str, Any]], number: int) -> None:
        columns = (*_MUTABLE, "fingerprint")
        values: dict[str, Any] = {c: bindparam(f"b_{c}") for c in columns}
        values.update(updated_in=number, removed_in=None)
        stmt = update(t.list_entry).where(t.list_entry.c.id == bindparam("b_id")).values(values)
        params = []
        for row in changed:
            p = {f"b_{k.lstrip('_')}": v for k, v in row.items()}
            p["b_extra"] = json.loads(p["b_extra"]) if p["b_extra"] else None  # the column encodes it
            params.append(p)
        conn.execute(stmt, params)

    def version_header(self, version_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            header = conn.execute(
                select(t.list_version.c.header).where(t.list_version.c.id == version_id)
            ).scalar_one_or_none()
        return dict(header) if header else None

    # -- entries --------------------------------------------------------------------------------
    def entries(self, list_id: int, active: bool = True) -> Iterator[ListEntry]:
        """The list's entries (in the order they were added), streamed."""
        e = t.list_entry.c
        query = select(*t.list_entry.c).where(e.list_id == list_id).order_by(e.id)
        if active:
            query = query.where(e.removed_in.is_(None))
        with self.engine.connect() as conn:
            for row in conn.execution_options(yield_per=CHUNK).execute(query):
                yield entry_of(row)

    def stats(self, list_id: int) -> dict[str, Any]:
        e = t.list_entry.c
        active = and_(e.list_id == list_id, e.removed_in.is_(None))
        with self.engine.connect() as conn:
            total = conn.execute(
                select(
                    func.count(),
                    func.count(e.md5),
                    func.count(e.sha1),
                    func.count(e.sha256),
                    func.count(e.pdq),
                    func.count(e.photodna),
                ).where(active)
            ).one()
            removed = conn.execute(
                select(func.count()).where(e.list_id == list_id, e.removed_in.is_not(None))
            ).scalar_one()
            cats = conn.execute(
                select(e.category_scheme, e.category_code, func.count())
                .where(active)
                .group_by(e.category_scheme, e.category_code)
                .order_by(e.category_scheme, e.category_code)
            ).all()
        by_category = []
        for scheme, code, n in cats:
            cat = Category(scheme, code).as_dict() if code is not None else None
            by_category.append({"category": cat, "entries": n})
        names = ("entries", "md5", "sha1", "sha256", "pdq", "photodna")
        return {**dict(zip(names, total, strict=True)), "removed": removed, "by_category": by_category}

    def pdq_entries(self, after_id: int = 0) -> tuple[NDArray[np.int64], NDArray[np.uint8]]:
        """(entry ids, PDQ codes n x 32) of every entry with a PDQ whose id is above ``after_id``, removed
        or not (the index only grows; removed and deleted entries are dropped when a hit is resolved).
        Converted chunk by chunk: ten million hex strings never sit in memory at once."""
        e = t.list_entry.c
        ids: list[NDArray[np.int64]] = []
        codes: list[NDArray[np.uint8]] = []
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=100_000).execute(
                select(e.id, e.pdq).where(e.pdq.is_not(None), e.id > after_id).order_by(e.id)
            )
            for chunk in result.partitions():
                ids.append(np.fromiter((r[0] for r in chunk), dtype=np.int64, count=len(chunk)))
                raw = bytes.fromhex("".join(r[1] for r in chunk))
                codes.append(np.frombuffer(raw, dtype=np.uint8).reshape(-1, 32))
        if not ids:
            return np.empty(0, np.int64), np.empty((0, 32), np.uint8)
        return np.concatenate(ids), np.concatenate(codes)

    def set_entry_descriptors(self, list_id: int, items: dict[str, dict[str, bytes]]) -> int:
        """Store robust descriptors for the list's entries, by entry key digest (``entry_row(e)[0]``)."""
        e = t.list_entry.c
        keys = sorted(items)
        rows: list[dict[str, Any]] = []
        with self.engine.begin() as conn:
            for i in range(0, len(keys), CHUNK):
                part = keys[i : i + CHUNK]
                found = conn.execute(select(e.key, e.id).where(e.list_id == list_id, e.key.in_(part))).all()
                for key, entry_id in found:
                    rows += [
                        {"entry_id": entry_id, "algorithm": alg, "data": data}
                        for alg, data in items[key].items()
                    ]
            self.store._insert_ignore(conn, t.entry_descriptor, rows)
        return len(rows)

    def entry_descriptors(self, algorithm: str, after_id: int = 0) -> Iterator[tuple[int, bytes]]:
        """(entry id, blob) of every entry descriptor of ``algorithm`` above ``after_id``, removed or not
        (like the PDQ index, the robust index only grows)."""
        d = t.entry_descriptor.c
        with self.engine.connect() as conn:
            rows = conn.execution_options(yield_per=1000).execute(
                select(d.entry_id, d.data)
                .where(d.algorithm == algorithm, d.entry_id > after_id)
                .order_by(d.entry_id)
            )
            for entry_id, data in rows:
                yield int(entry_id), bytes(data)

    def list_descriptors(self, list_id: int, algorithm: str) -> Iterator[tuple[int, str | None, bytes]]:
        """(entry id, entry name, blob) of the list's active entries that have an ``algorithm`` descriptor."""
        d, e = t.entry_descriptor.c, t.list_entry.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(e.id, e.name, d.data)
                .join(t.entry_descriptor, d.entry_id == e.id)
                .where(e.list_id == list_id, e.removed_in.is_(None), d.algorithm == algorithm)
                .order_by(e.id)
            )
            for entry_id, name, data in rows:
                yield int(entry_id), name, bytes(data)

    def descriptor_count(self, algorithm: str) -> tuple[int, int]:
        """(entry descriptors of ``algorithm``, highest entry id among them)."""
        d = t.entry_descriptor.c
        with self.engine.connect() as conn:
            n, top = conn.execute(
                select(func.count(), func.coalesce(func.max(d.entry_id), 0)).where(d.algorithm == algorithm)
            ).one()
        return int(n), int(top)

    def active_pdq_count(self) -> tuple[int, int]:
        """(active entries with a PDQ, highest entry id with a PDQ): the index's freshness check."""
        e = t.list_entry.c
        with self.engine.connect() as conn:
            n, top = conn.execute(
                select(func.count(), func.coalesce(func.max(e.id), 0)).where(
                    e.pdq.is_not(None), e.removed_in.is_(None)
                )
            ).one()
            top_any = conn.execute(
                select(func.coalesce(func.max(e.id), 0)).where(e.pdq.is_not(None))
            ).scalar_one()
        return int(n), max(int(top), int(top_any))

    def entry_pdqs(self, entry_ids: Sequence[int]) -> dict[int, str]:
        """entry id -> PDQ (hex), for the given ids that have one."""
        e = t.list_entry.c
        return {int(a): str(b) for a, b in self._entry_pairs(entry_ids, e.pdq, e.pdq.is_not(None))}

    def active_entry_lists(self, entry_ids: Sequence[int]) -> dict[int, int]:
        """entry id -> list id, for the given ids that still exist and are not removed."""
        e = t.list_entry.c
        return {int(a): int(b) for a, b in self._entry_pairs(entry_ids, e.list_id, e.removed_in.is_(None))}

    def _entry_pairs(
        self, entry_ids: Sequence[int], column: ColumnElement[Any], where: ColumnElement[bool]
    ) -> Iterator[tuple[Any, Any]]:
        """(entry id, ``column``) of the given entries that satisfy ``where``, CHUNK ids per query."""
        e = t.list_entry.c
        ids = sorted(set(entry_ids))
        with self.engine.connect() as conn:
            for i in range(0, len(ids), CHUNK):
                rows = conn.execute(select(e.id, column).where(e.id.in_(ids[i : i + CHUNK]), where))
                yield from ((a, b) for a, b in rows)
