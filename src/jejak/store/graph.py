"""Link analysis in the store (``store.graph``): the facts link rules read (which cases hold a content,
camera and GPS metadata, identifiers, PDQs), the edges they write, people, assertions and alerts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, or_, select

from jejak.errors import NotFound
from jejak.model.graph import Edge
from jejak.store import schema as t
from jejak.store.matches import case_content_ids

if TYPE_CHECKING:
    from jejak.store.sql import Store

CHUNK = 500

CATEGORY = "category"
"""The predicate of a reviewer's category for a content in a case (object ``<scheme>:<code>``): not a link,
so ``assertions`` leaves these out and ``category_assertions`` reads them."""


@dataclass(frozen=True)
class Holder:
    """A case that holds a content: the case and its agency."""

    case_id: int
    case: str
    agency: str


@dataclass(frozen=True)
class PersonRow:
    id: int
    key: str
    role: str
    identified: bool
    aliases: list[str]
    external_ids: list[str]
    agency: str | None
    created_by: str | None
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "role": self.role,
            "identified": self.identified,
            "aliases": self.aliases,
            "external_ids": self.external_ids,
            "agency": self.agency,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class AssertionRow:
    id: int
    case: str | None
    subject: str
    predicate: str
    object: str
    negated: bool
    note: str | None
    by: str
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case": self.case,
            "subject": self.subject,
            "predicate": self.predicate,
            "object": self.object,
            "negated": self.negated,
            "note": self.note,
            "by": self.by,
            "at": self.at.isoformat(),
        }


class GraphStore:
    """The link-analysis tables of one Store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # -- facts the rules read -------------------------------------------------------------------------
    def case_contents(self, case_id: int) -> dict[int, str]:
        """content id -> SHA-256 of every content the case holds."""
        c = t.content.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(c.id, c.sha256).where(c.id.in_(case_content_ids(case_id))))
            return {int(i): str(s) for i, s in rows}

    def holders(self, shas: Iterable[str]) -> dict[str, list[Holder]]:
        """SHA-256 -> the cases holding it (with their agency), for the given contents."""
        c, fi, ex, ca, ag = t.content.c, t.file_instance.c, t.exhibit.c, t.case.c, t.agency.c
        out: dict[str, list[Holder]] = {}
        keys = sorted(set(shas))
        with self.engine.connect() as conn:
            for i in range(0, len(keys), CHUNK):
                rows = conn.execute(
                    select(c.sha256, ca.id, ca.name, ag.name)
                    .distinct()
                    .join(t.file_instance, fi.content_id == c.id)
                    .join(t.exhibit, ex.id == fi.exhibit_id)
                    .join(t.case, ca.id == ex.case_id)
                    .join(t.agency, ag.id == ca.agency_id)
                    .where(c.sha256.in_(keys[i : i + CHUNK]))
                    .order_by(c.sha256, ca.name)
                )
                for sha, cid, case, agency in rows:
                    out.setdefault(str(sha), []).append(Holder(int(cid), str(case), str(agency)))
        return out

    def names(self, shas: Iterable[str]) -> dict[str, str]:
        """SHA-256 -> a file name it was found under (the first, by path), for labels."""
        c, fi = t.content.c, t.file_instance.c
        out: dict[str, str] = {}
        keys = sorted(set(shas))
        with self.engine.connect() as conn:
            for i in range(0, len(keys), CHUNK):
                rows = conn.execute(
                    select(c.sha256, func.min(fi.name))
                    .join(t.file_instance, fi.content_id == c.id)
                    .where(c.sha256.in_(keys[i : i + CHUNK]))
                    .group_by(c.sha256)
                )
                out.update({str(a): str(b) for a, b in rows})
        return out

    def descriptors(self, shas: Iterable[str], algorithm: str) -> dict[str, bytes]:
        """SHA-256 -> the content's descriptor of ``algorithm``, for those that have one."""
        c, d = t.content.c, t.content_descriptor.c
        out: dict[str, bytes] = {}
        keys = sorted(set(shas))
        with self.engine.connect() as conn:
            for i in range(0, len(keys), CHUNK):
                rows = conn.execute(
                    select(c.sha256, d.data)
                    .join(t.content, c.id == d.content_id)
                    .where(c.sha256.in_(keys[i : i + CHUNK]), d.algorithm == algorithm)
                )
                out.update({str(a): bytes(b) for a, b in rows})
        return out

    def case_file_names(self, case_id: int) -> list[tuple[str, str]]:
        """(SHA-256, file name) of every file instance of the case, names as found."""
        c, fi, ex = t.content.c, t.file_instance.c, t.exhibit.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(c.sha256, fi.name)
                .distinct()
                .join(t.file_instance, fi.content_id == c.id)
                .join(t.exhibit, ex.id == fi.exhibit_id)
                .where(ex.case_id == case_id)
                .order_by(c.sha256, fi.name)
            )
            return [(str(a), str(b)) for a, b in rows]

    def listed_victim_identified(self, shas: Iterable[str]) -> set[str]:
        """Contents hit by a list entry that says its victim is identified."""
        c, mh, e = t.content.c, t.match_hit.c, t.list_entry.c
        out: set[str] = set()
        keys = sorted(set(shas))
        with self.engine.connect() as conn:
            for i in range(0, len(keys), CHUNK):
                rows = conn.execute(
                    select(c.sha256)
                    .distinct()
                    .join(t.match_hit, mh.content_id == c.id)
                    .join(t.list_entry, e.id == mh.entry_id)
                    .where(c.sha256.in_(keys[i : i + CHUNK]), e.victim_identified.is_(True))
                )
                out.update(str(r[0]) for r in rows)
        return out

    def metadata(self, content_ids: Sequence[int]) -> list[dict[str, Any]]:
        """Camera and place metadata rows (with the SHA-256) of the given contents."""
        m, c = t.media_metadata.c, t.content.c
        out: list[dict[str, Any]] = []
        ids = sorted(set(content_ids))
        with self.engine.connect() as conn:
            for i in range(0, len(ids), CHUNK):
                rows = conn.execute(
                    select(
                        c.sha256, m.make, m.model, m.serial, m.image_unique_id, m.gps_lat, m.gps_lon, m.extra
                    )
                    .join(t.content, c.id == m.content_id)
                    .where(m.content_id.in_(ids[i : i + CHUNK]))
                )
                out += [dict(r._mapping) for r in rows]
        return out

    def gps_points(self) -> list[tuple[str, float, float]]:
        """(SHA-256, lat, lon) of every content of the store with a position."""
        m, c = t.media_metadata.c, t.content.c
        with self.engine.connect() as conn:
            rows = conn.execution_options(yield_per=10_000).execute(
                select(c.sha256, m.gps_lat, m.gps_lon)
                .join(t.content, c.id == m.content_id)
                .where(m.gps_lat.is_not(None), m.gps_lon.is_not(None))
                .order_by(c.sha256)
            )
            return [(str(s), float(a), float(b)) for s, a, b in rows]

    def identifiers(self, content_ids: Sequence[int]) -> list[dict[str, Any]]:
        """Identifier rows (with the SHA-256) found in the given contents."""
        i_, c = t.content_identifier.c, t.content.c
        out: list[dict[str, Any]] = []
        ids = sorted(set(content_ids))
        with self.engine.connect() as conn:
            for k in range(0, len(ids), CHUNK):
                rows = conn.execute(
                    select(c.sha256, i_.kind, i_.value, i_.source, i_.count, i_.first_offset, i_.raw)
                    .join(t.content, c.id == i_.content_id)
                    .where(i_.content_id.in_(ids[k : k + CHUNK]))
                    .order_by(c.sha256, i_.kind, i_.value)
                )
                out += [dict(r._mapping) for r in rows]
        return out

    def pdqs(self, quality: int, exclude_case: int | None = None) -> list[tuple[str, str]]:
        """(SHA-256, plain PDQ) of every content at or above ``quality``, but the case's own."""
        h, c = t.hash_value.c, t.content.c
        q = (
            select(c.sha256, h.value)
            .join(t.content, c.id == h.content_id)
            .where(h.algorithm == "pdq", func.coalesce(h.quality, 0) >= quality)
        )
        if exclude_case is not None:
            q = q.where(h.content_id.not_in(case_content_ids(exclude_case)))
        with self.engine.connect() as conn:
            rows = conn.execution_options(yield_per=10_000).execute(q.order_by(c.sha256))
            return [(str(s), str(v)) for s, v in rows]

    def case_series(self, case_id: int) -> list[tuple[str, str, str]]:
        """(SHA-256, series, list name) of the case's contents hit by a list entry that names a series."""
        mh, e, c, hl = t.match_hit.c, t.list_entry.c, t.content.c, t.hash_list.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(c.sha256, e.series, hl.name)
                .distinct()
                .join(t.content, c.id == mh.content_id)
                .join(t.list_entry, e.id == mh.entry_id)
                .join(t.hash_list, hl.id == mh.list_id)
                .where(mh.content_id.in_(case_content_ids(case_id)), e.series.is_not(None))
                .order_by(c.sha256, e.series)
            )
            return [(str(a), str(b), str(n)) for a, b, n in rows]

    def media_links(self, shas: Iterable[str]) -> list[tuple[str, str, str, float, dict[str, Any]]]:
        """(SHA-256 a, SHA-256 b, algorithm, score, evidence) of the media links touching the contents."""
        m, c = t.media_link.c, t.content.c
        ca, cb = t.content.alias("ca"), t.content.alias("cb")
        with self.engine.connect() as conn:
            keys = sorted(set(shas))
            ids = [
                int(i)
                for k in range(0, len(keys), CHUNK)
                for i in conn.execute(select(c.id).where(c.sha256.in_(keys[k : k + CHUNK]))).scalars()
            ]
        out: dict[tuple[str, str, str], tuple[str, str, str, float, dict[str, Any]]] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(ids), CHUNK):
                part = ids[i : i + CHUNK]
                rows = conn.execute(
                    select(ca.c.sha256, cb.c.sha256, m.algorithm, m.score, m.evidence)
                    .join(ca, ca.c.id == m.content_a)
                    .join(cb, cb.c.id == m.content_b)
                    .where(or_(m.content_a.in_(part), m.content_b.in_(part)))
                )
                for a, b, alg, score, ev in rows:
                    out[(str(a), str(b), str(alg))] = (str(a), str(b), str(alg), float(score), ev or {})
        return sorted(out.values())

    # -- edges ----------------------------------------------------------------------------------------
    def replace_edges(
        self,
        rules: Sequence[str],
        edges: Iterable[Edge],
        now: datetime,
        touching: Iterable[str] | None = None,
    ) -> int:
        """Edges of ``rules`` become ``edges``: those with an end in ``touching`` (node keys) are deleted
        first, or every edge of the rules when it is None (a rule recomputed over the whole store)."""
        g = t.graph_edge.c
        rows = {
            e.identity: {
                "a": e.a,
                "b": e.b,
                "rule": e.rule,
                "score": float(e.score),
                "evidence": e.evidence or None,
                "found_at": now,
            }
            for e in edges
        }
        with self.engine.begin() as conn:
            if touching is None:
                conn.execute(delete(t.graph_edge).where(g.rule.in_(list(rules))))
            else:
                keys = sorted(set(touching))
                for i in range(0, len(keys), CHUNK):
                    part = keys[i : i + CHUNK]
                    conn.execute(
                        delete(t.graph_edge).where(g.rule.in_(list(rules)), or_(g.a.in_(part), g.b.in_(part)))
                    )
            self.store._insert_ignore(conn, t.graph_edge, list(rows.values()))
        return len(rows)

    def edges(self, touching: Iterable[str], rules: Sequence[str] | None = None) -> list[Edge]:
        """Stored edges with an end in ``touching``."""
        g = t.graph_edge.c
        keys = sorted(set(touching))
        found: dict[tuple[str, str, str], Edge] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(keys), CHUNK):
                part = keys[i : i + CHUNK]
                q = select(g.a, g.b, g.rule, g.score, g.evidence).where(or_(g.a.in_(part), g.b.in_(part)))
                if rules:
                    q = q.where(g.rule.in_(list(rules)))
                for a, b, rule, score, ev in conn.execute(q):
                    e = Edge(str(a), str(b), str(rule), float(score), ev or {})
                    found[e.identity] = e
        return sorted(found.values(), key=lambda e: e.identity)

    # -- people and assertions ----------------------------------------------------------------------
    def upsert_person(
        self,
        key: str,
        role: str,
        identified: bool | None,
        aliases: Sequence[str],
        external_ids: Sequence[str],
        agency: str | None,
        by: str,
        now: datetime,
    ) -> PersonRow:
        """Create the person ``key`` or update it: ``identified`` when given, aliases and external ids
        added to those known."""
        p = t.person.c
        with self.engine.begin() as conn:
            row = conn.execute(select(p.id, p.aliases, p.external_ids).where(p.key == key)).first()
            if row is None:
                aid = self.store.agency_id(conn, agency) if agency else None
                conn.execute(
                    t.person.insert().values(
                        key=key,
                        role=role,
                        identified=bool(identified),
                        aliases=sorted(set(aliases)),
                        external_ids=sorted(set(external_ids)),
                        agency_id=aid,
                        created_by=by,
                        created_at=now,
                    )
                )
            else:
                values: dict[str, Any] = {
                    "aliases": sorted(set(row[1] or []) | set(aliases)),
                    "external_ids": sorted(set(row[2] or []) | set(external_ids)),
                }
                if identified is not None:
                    values["identified"] = identified
                conn.execute(t.person.update().where(p.id == row[0]).values(**values))
        return self.person(key)

    def person(self, key: str) -> PersonRow:
        rows = self.persons([key])
        if key not in rows:
            raise NotFound(f"no person {key!r}: assert one with 'jejak assert media SHA256 --victim {key}'")
        return rows[key]

    def persons(self, keys: Iterable[str] | None = None) -> dict[str, PersonRow]:
        p, ag = t.person.c, t.agency.c
        q = select(
            p.id, p.key, p.role, p.identified, p.aliases, p.external_ids, ag.name, p.created_by, p.created_at
        ).outerjoin(t.agency, ag.id == p.agency_id)
        if keys is not None:
            q = q.where(p.key.in_(sorted(set(keys))))
        with self.engine.connect() as conn:
            return {
                str(r[1]): PersonRow(
                    int(r[0]),
                    str(r[1]),
                    str(r[2]),
                    bool(r[3]),
                    list(r[4] or []),
                    list(r[5] or []),
                    r[6],
                    r[7],
                    r[8],
                )
                for r in conn.execute(q.order_by(p.key))
            }

    def add_assertion(
        self,
        case_id: int | None,
        subject: str,
        predicate: str,
        obj: str,
        negated: bool,
        note: str | None,
        by: str,
        now: datetime,
    ) -> int:
        with self.engine.begin() as conn:
            res = conn.execute(
                t.assertion.insert().values(
                    case_id=case_id,
                    subject=subject,
                    predicate=predicate,
                    object=obj,
                    negated=negated,
                    note=note,
                    by=by,
                    at=now,
                )
            )
            key = res.inserted_primary_key
            return int(key[0]) if key else 0

    def assertions(self, nodes: Iterable[str] | None = None) -> list[AssertionRow]:
        """Every link assertion (about ``nodes`` as subject or object, when given), oldest first; reviewers'
        categories (``CATEGORY``) are not links: ``category_assertions`` reads them."""
        a, ca = t.assertion.c, t.case.c
        q = (
            select(a.id, ca.name, a.subject, a.predicate, a.object, a.negated, a.note, a.by, a.at)
            .outerjoin(t.case, ca.id == a.case_id)
            .where(a.predicate != CATEGORY)
        )
        out: list[AssertionRow] = []
        with self.engine.connect() as conn:
            if nodes is None:
                out = [AssertionRow(*r) for r in conn.execute(q.order_by(a.id))]
            else:
                keys = sorted(set(nodes))
                seen: set[int] = set()
                for i in range(0, len(keys), CHUNK):
                    part = keys[i : i + CHUNK]
                    for r in conn.execute(q.where(or_(a.subject.in_(part), a.object.in_(part)))):
                        if r[0] not in seen:
                            seen.add(r[0])
                            out.append(AssertionRow(*r))
        return sorted(out, key=lambda r: r.id)

    def category_assertions(self, case_id: int, subjects: Iterable[str] | None = None) -> list[AssertionRow]:
        """The reviewers' category assertions of the case (of ``subjects``, node keys, when given), oldest
        first: a content's history, whose last one holds (``latest_categories``)."""
        a, ca = t.assertion.c, t.case.c
        q = (
            select(a.id, ca.name, a.subject, a.predicate, a.object, a.negated, a.note, a.by, a.at)
            .join(t.case, ca.id == a.case_id)
            .where(a.case_id == case_id, a.predicate == CATEGORY)
        )
        with self.engine.connect() as conn:
            if subjects is None:
                return [AssertionRow(*r) for r in conn.execute(q.order_by(a.id))]
            keys = sorted(set(subjects))
            out: list[AssertionRow] = []
            for i in range(0, len(keys), CHUNK):
                out += [AssertionRow(*r) for r in conn.execute(q.where(a.subject.in_(keys[i : i + CHUNK])))]
        return sorted(out, key=lambda r: r.id)

    def latest_categories(self, case_id: int) -> dict[str, AssertionRow]:
        """Subject (``content:<sha256>``) -> the latest category assertion about it in the case."""
        a, ca = t.assertion.c, t.case.c
        latest = (
            select(func.max(a.id)).where(a.case_id == case_id, a.predicate == CATEGORY).group_by(a.subject)
        )
        q = (
            select(a.id, ca.name, a.subject, a.predicate, a.object, a.negated, a.note, a.by, a.at)
            .join(t.case, ca.id == a.case_id)
            .where(a.id.in_(latest))
        )
        with self.engine.connect() as conn:
            return {str(r[2]): AssertionRow(*r) for r in conn.execute(q.order_by(a.id))}

    # -- alerts ---------------------------------------------------------------------------------------
    def add_alerts(self, rows: Sequence[dict[str, Any]], now: datetime) -> int:
        """Record alerts; a known one keeps its date and takes the new score, evidence and whether the
        victim is identified. Returns how many are new."""
        with self.engine.begin() as conn:
            before = int(conn.execute(select(func.count()).select_from(t.alert)).scalar_one())
            stmt = self.store._insert(t.alert)
            stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
                index_elements=["case_id", "other_case_id", "rule", "subject", "via"],
                set_={
                    "score": stmt.excluded.score,  # type: ignore[attr-defined]
                    "victim_identified": stmt.excluded.victim_identified,  # type: ignore[attr-defined]
                    "evidence": stmt.excluded.evidence,  # type: ignore[attr-defined]
                },
            )
            full = [{**r, "created_at": now} for r in rows]
            for i in range(0, len(full), CHUNK):
                conn.execute(stmt, full[i : i + CHUNK])
            after = int(conn.execute(select(func.count()).select_from(t.alert)).scalar_one())
        return after - before

    def alerts(self, case_id: int | None = None) -> list[dict[str, Any]]:
        al = t.alert.c
        mine, other = t.case.alias("mine"), t.case.alias("other")
        ma, oa = t.agency.alias("ma"), t.agency.alias("oa")
        q = (
            select(
                al.id,
                mine.c.name,
                ma.c.name,
                other.c.name,
                oa.c.name,
                al.rule,
                al.score,
                al.subject,
                al.via,
                al.victim_identified,
                al.evidence,
                al.created_at,
            )
            .join(mine, mine.c.id == al.case_id)
            .join(ma, ma.c.id == mine.c.agency_id)
            .join(other, other.c.id == al.other_case_id)
            .join(oa, oa.c.id == other.c.agency_id)
        )
        if case_id is not None:
            q = q.where(al.case_id == case_id)
        with self.engine.connect() as conn:
            return [
                {
                    "id": int(r[0]),
                    "case": r[1],
                    "agency": r[2],
                    "other_case": r[3],
                    "other_agency": r[4],
                    "rule": r[5],
                    "score": float(r[6]),
                    "subject": r[7],
                    "via": r[8],
                    "victim_identified": r[9],
                    "evidence": r[10] or {},
                    "created_at": r[11].isoformat(),
                }
                for r in conn.execute(q.order_by(al.score.desc(), al.id))
            ]
