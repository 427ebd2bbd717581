"""Matching in the store: exact hits by SQL join, the PDQ hashes of a case, hits, and the triage rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, delete, func, select

from jejak.model.lists import Hit
from jejak.store import schema as t

if TYPE_CHECKING:
    from jejak.store.sql import Store

CHUNK = 500
EXACT = ("md5", "sha1", "sha256")


def case_content_ids(case_id: int) -> Select[Any]:
    fi, ex = t.file_instance, t.exhibit
    return (
        select(fi.c.content_id)
        .join(ex, ex.c.id == fi.c.exhibit_id)
        .where(ex.c.case_id == case_id, fi.c.content_id.is_not(None))
        .distinct()
    )


class MatchStore:
    """The match tables of one Store (``store.matches``)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def exact_hits(self, case_id: int) -> list[Hit]:
        """Contents of the case whose MD5, SHA-1 or SHA-256 is an active entry of any list."""
        c, e = t.content.c, t.list_entry.c
        ids = case_content_ids(case_id)
        hits: list[Hit] = []
        with self.engine.connect() as conn:
            for alg in EXACT:
                rows = conn.execute(
                    select(c.id, e.id, e.list_id)
                    .join(t.list_entry, e[alg] == c[alg])
                    .where(c.id.in_(ids), e.removed_in.is_(None))
                )
                hits.extend(Hit(a, b, lid, alg, 0) for a, b, lid in rows)
        return hits

    def case_pdqs(self, case_id: int) -> list[tuple[int, str, str, int | None]]:
        """(content id, algorithm, hex, quality) of every PDQ of the case's contents: the plain hash
        ("pdq") and its dihedral variants ("pdq.rot90", ...)."""
        h = t.hash_value.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(h.content_id, h.algorithm, h.value, h.quality)
                .where(
                    h.content_id.in_(case_content_ids(case_id)),
                    (h.algorithm == "pdq") | h.algorithm.like("pdq.%"),
                )
                .order_by(h.content_id, h.algorithm)
            ).all()
        return [(int(a), str(b), str(v), q) for a, b, v, q in rows]

    def replace_hits(self, case_id: int, hits: Sequence[Hit], now: datetime) -> None:
        """The hits of the case's contents become exactly ``hits`` (one transaction)."""
        with self.engine.begin() as conn:
            ids = [int(i) for i in conn.execute(case_content_ids(case_id)).scalars()]
            for i in range(0, len(ids), CHUNK):
                conn.execute(delete(t.match_hit).where(t.match_hit.c.content_id.in_(ids[i : i + CHUNK])))
            rows = [
                {
                    "content_id": h.content_id,
                    "entry_id": h.entry_id,
                    "list_id": h.list_id,
                    "algorithm": h.algorithm,
                    "distance": h.distance,
                    "variant": h.variant,
                    "evidence": h.evidence,
                    "matched_at": now,
                }
                for h in hits
            ]
            self.store._insert_ignore(conn, t.match_hit, rows)

    def case_descriptors(
        self, case_id: int, algorithm: str, others: bool = False
    ) -> Iterator[tuple[int, bytes]]:
        """(content id, descriptor blob) of the case's contents that have one (``others``: of every content
        of the store the case does not hold)."""
        d = t.content_descriptor.c
        ids = case_content_ids(case_id)
        where = d.content_id.not_in(ids) if others else d.content_id.in_(ids)
        with self.engine.connect() as conn:
            rows = conn.execution_options(yield_per=1000).execute(
                select(d.content_id, d.data).where(where, d.algorithm == algorithm)
            )
            for cid, data in rows:
                yield int(cid), bytes(data)

    def case_descriptor_pairs(
        self, case_id: int, algorithm: str, beside: str
    ) -> Iterator[tuple[int, bytes, bytes | None]]:
        """(content id, ``algorithm`` blob, ``beside`` blob or None) of the case's contents that have an
        ``algorithm`` descriptor: one query, so a second descriptor of few contents costs no lookup each."""
        d = t.content_descriptor.alias("d")
        e = t.content_descriptor.alias("e")
        on = (e.c.content_id == d.c.content_id) & (e.c.algorithm == beside)
        query = (
            select(d.c.content_id, d.c.data, e.c.data)
            .select_from(d.outerjoin(e, on))
            .where(d.c.content_id.in_(case_content_ids(case_id)), d.c.algorithm == algorithm)
        )
        with self.engine.connect() as conn:
            for cid, data, extra in conn.execution_options(yield_per=1000).execute(query):
                yield int(cid), bytes(data), None if extra is None else bytes(extra)

    def case_contents(self, case_id: int) -> list[dict[str, Any]]:
        """One row per distinct content of the case: digests, kind, size, dimensions, PDQ and quality,
        and its instances as (exhibit, path, deleted)."""
        fi, ex, c, h = t.file_instance, t.exhibit, t.content, t.hash_value
        pdq = select(h.c.content_id, h.c.value, h.c.quality).where(h.c.algorithm == "pdq").subquery()
        out: dict[int, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    c.c.id,
                    c.c.sha256,
                    c.c.md5,
                    c.c.sha1,
                    c.c.size,
                    c.c.kind,
                    c.c.mime,
                    c.c.width,
                    c.c.height,
                    pdq.c.value,
                    pdq.c.quality,
                    ex.c.name,
                    fi.c.path,
                    fi.c.deleted,
                )
                .select_from(fi)
                .join(ex, ex.c.id == fi.c.exhibit_id)
                .join(c, c.c.id == fi.c.content_id)
                .outerjoin(pdq, pdq.c.content_id == c.c.id)
                .where(ex.c.case_id == case_id)
                .order_by(c.c.id, ex.c.name, fi.c.path)
            )
            for r in rows:
                item = out.get(r[0])
                if item is None:
                    item = out[r[0]] = {
                        "content_id": r[0],
                        "sha256": r[1],
                        "md5": r[2],
                        "sha1": r[3],
                        "size": r[4],
                        "kind": r[5],
                        "mime": r[6],
                        "width": r[7],
                        "height": r[8],
                        "pdq": r[9],
                        "pdq_quality": r[10],
                        "instances": [],
                    }
                item["instances"].append({"exhibit": r[11], "path": r[12], "deleted": bool(r[13])})
        return list(out.values())

    def triage_fingerprint(self, case_id: int) -> tuple[Any, ...]:
        """What a case's triage depends on, in a few cheap aggregates: its files (ingest only adds them),
        every hit (a match replaces a case's hits, with a new ``matched_at``), list versions and lists (an
        import removes or re-categorises entries, ``lists rm`` drops a list), and assertions (categories are
        appended). Two equal fingerprints mean the triage records are the same; any write anywhere may
        change it (conservative), and it costs a scan of the hit table, not a triage."""
        fi, ex, m, lv = t.file_instance, t.exhibit, t.match_hit, t.list_version
        hl, a = t.hash_list, t.assertion
        with self.engine.connect() as conn:
            files = conn.execute(
                select(func.count(), func.max(fi.c.id))
                .select_from(fi)
                .join(ex, ex.c.id == fi.c.exhibit_id)
                .where(ex.c.case_id == case_id)
            ).one()
            hits = conn.execute(select(func.count(), func.max(m.c.id), func.max(m.c.matched_at))).one()
            lists = conn.execute(select(func.count(), func.max(lv.c.id))).one()
            n_lists = conn.execute(select(func.count()).select_from(hl)).scalar_one()
            said = conn.execute(select(func.max(a.c.id))).scalar_one()
        return (*files, *hits, *lists, n_lists, said)

    def case_hits(self, case_id: int) -> list[dict[str, Any]]:
        """Hits of the case's contents on active entries, with the entry and the list."""
        m, e, hl = t.match_hit, t.list_entry, t.hash_list
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    m.c.content_id,
                    m.c.algorithm,
                    m.c.distance,
                    m.c.variant,
                    m.c.evidence,
                    hl.c.name.label("list"),
                    hl.c.known_good,
                    e.c.id.label("entry_id"),
                    e.c.category_scheme,
                    e.c.category_code,
                    e.c.series,
                    e.c.victim_identified,
                    e.c.offender_identified,
                    e.c.distributed,
                    e.c.baseline,
                    e.c.external_id,
                )
                .join(e, e.c.id == m.c.entry_id)
                .join(hl, hl.c.id == m.c.list_id)
                .where(m.c.content_id.in_(case_content_ids(case_id)), e.c.removed_in.is_(None))
                .order_by(m.c.content_id, m.c.distance, hl.c.name, e.c.id)
            ).mappings()
            return [dict(r) for r in rows]
