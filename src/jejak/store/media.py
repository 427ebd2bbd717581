"""Video and audio in the store: links between contents that share media, video segments, contact sheets."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, or_, select

from jejak.errors import NotFound
from jejak.store import schema as t
from jejak.store.matches import case_content_ids

if TYPE_CHECKING:
    from jejak.store.sql import Store

CHUNK = 500


@dataclass(frozen=True)
class MediaLink:
    """Two contents found to share media (``content_a`` < ``content_b``), by ``algorithm`` ("vpdq": a video
    clip; "chromaprint": an audio segment), with a score in [0, 1] and the evidence (shares, time ranges)."""

    content_a: int
    content_b: int
    algorithm: str
    score: float
    evidence: dict[str, Any]

    def __post_init__(self) -> None:
        if self.content_a >= self.content_b:
            raise ValueError(f"a media link needs content_a < content_b: {self.content_a}, {self.content_b}")


class MediaStore:
    """The video/audio tables of one Store (``store.media``)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # -- links ----------------------------------------------------------------------------------
    def replace_links(
        self,
        case_id: int,
        algorithms: Sequence[str],
        links: Iterable[MediaLink],
        now: datetime,
        outside: Sequence[str] = (),
    ) -> int:
        """The links of ``algorithms`` between two contents of the case become exactly ``links``
        (one transaction); links to contents outside the case are kept, but for the ``outside``
        algorithms (recomputed against the whole store). Returns the number written."""
        rows = [
            {
                "content_a": x.content_a,
                "content_b": x.content_b,
                "algorithm": x.algorithm,
                "score": x.score,
                "evidence": x.evidence,
                "found_at": now,
            }
            for x in links
        ]
        m = t.media_link.c
        with self.engine.begin() as conn:
            ids = [int(i) for i in conn.execute(case_content_ids(case_id)).scalars()]
            inside = set(ids)
            for i in range(0, len(ids), CHUNK):
                part = ids[i : i + CHUNK]
                stale = conn.execute(
                    select(m.id, m.content_a, m.content_b, m.algorithm).where(
                        m.algorithm.in_(list(algorithms)), or_(m.content_a.in_(part), m.content_b.in_(part))
                    )
                ).all()
                drop = [
                    int(r[0])
                    for r in stale
                    if (int(r[1]) in inside and int(r[2]) in inside) or r[3] in outside
                ]
                for j in range(0, len(drop), CHUNK):
                    conn.execute(delete(t.media_link).where(m.id.in_(drop[j : j + CHUNK])))
            self.store._insert_ignore(conn, t.media_link, rows)
        return len(rows)

    def content_id(self, sha256: str, case_id: int | None = None) -> int:
        """The id of the content with this SHA-256 (held by the case, when given); NotFound otherwise."""
        c = t.content.c
        q = select(c.id).where(c.sha256 == sha256.strip().lower())
        if case_id is not None:
            q = q.where(c.id.in_(case_content_ids(case_id)))
        with self.engine.connect() as conn:
            cid = conn.execute(q).scalar()
        if cid is None:
            where = " in this case" if case_id is not None else ""
            raise NotFound(f"no content with SHA-256 {sha256}{where}")
        return int(cid)

    # -- segments -------------------------------------------------------------------------------
    def add_segment(
        self,
        content_id: int,
        start_s: float,
        end_s: float,
        category: tuple[str, str] | None,
        note: str | None,
        by: str | None,
        now: datetime,
    ) -> int:
        """Record a categorised time range of a video; returns its id."""
        if not 0 <= start_s < end_s:
            raise ValueError(f"a segment needs 0 <= start < end: {start_s}..{end_s}")
        with self.engine.begin() as conn:
            res = conn.execute(
                t.media_segment.insert().values(
                    content_id=content_id,
                    start_s=start_s,
                    end_s=end_s,
                    category_scheme=category[0] if category else None,
                    category_code=category[1] if category else None,
                    note=note,
                    by=by,
                    created_at=now,
                )
            )
            key = res.inserted_primary_key
            return int(key[0]) if key else 0

    def case_segments(self, case_id: int) -> dict[str, list[dict[str, Any]]]:
        """Segments of the case's videos by SHA-256, in time order."""
        s, c = t.media_segment.c, t.content.c
        out: dict[str, list[dict[str, Any]]] = {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(c.sha256, s.start_s, s.end_s, s.category_scheme, s.category_code, s.note, s.by)
                .join(t.content, c.id == s.content_id)
                .where(s.content_id.in_(case_content_ids(case_id)))
                .order_by(c.sha256, s.start_s, s.id)
            )
            for sha, start, end, scheme, code, note, by in rows:
                out.setdefault(str(sha), []).append(
                    {
                        "start": float(start),
                        "end": float(end),
                        "category_scheme": scheme,
                        "category": code,
                        "note": note,
                        "by": by,
                    }
                )
        return out

    # -- previews -------------------------------------------------------------------------------
    def preview(self, sha256: str, kind: str = "contact_sheet") -> bytes:
        """The stored preview of a content (JPEG bytes); NotFound when there is none."""
        p, c = t.content_preview.c, t.content.c
        with self.engine.connect() as conn:
            data = conn.execute(
                select(p.data)
                .join(t.content, c.id == p.content_id)
                .where(and_(c.sha256 == sha256.lower(), p.kind == kind))
            ).scalar()
        if data is None:
            raise NotFound(f"no {kind} stored for content {sha256}")
        return bytes(data)

    def preview_kinds(self, shas: Sequence[str]) -> dict[str, str]:
        """SHA-256 -> the kind of preview stored for it (``thumbnail``, ``contact_sheet``), for those of
        ``shas`` that have one (a text or an undecodable picture has none)."""
        p, c = t.content_preview.c, t.content.c
        out: dict[str, str] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(shas), 500):
                q = (
                    select(c.sha256, p.kind)
                    .join(t.content_preview, p.content_id == c.id)
                    .where(c.sha256.in_(list(shas[i : i + 500])))
                )
                for sha, kind in conn.execute(q):
                    out.setdefault(str(sha), str(kind))
        return out
