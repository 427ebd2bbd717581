"""The Store: every read and write of jejak's tables, on SQLite (WAL) or PostgreSQL, same code."""

from __future__ import annotations

import functools
import hashlib
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Insert, create_engine, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.sql.schema import Table

from jejak.errors import AlreadyExists, ConfigError, NotFound, StoreError
from jejak.model import FileRecord, WarningRecord
from jejak.model.work import TaskResult
from jejak.store import schema as t
from jejak.store.accounts import AccountStore
from jejak.store.audit import AuditStore
from jejak.store.graph import GraphStore
from jejak.store.jobs import JobStore
from jejak.store.lists import ListStore
from jejak.store.matches import MatchStore
from jejak.store.media import MediaStore

CHUNK = 500


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _utc(d: datetime | None) -> datetime | None:
    """Stored times are UTC without tzinfo (portable across SQLite and PostgreSQL); naive times are
    kept as the evidence gave them (ZIP times are local and zone-less)."""
    if d is None or d.tzinfo is None:
        return d
    return d.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class CaseRow:
    id: int
    name: str
    agency: str
    description: str | None
    created_at: datetime


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-131072")  # 128 MiB of pages: bulk index inserts stay in memory
    cur.close()


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    # -- opening --------------------------------------------------------------------------------
    @staticmethod
    def open(url: str, migrate: bool = True) -> Store:
        if "://" not in url:
            raise ConfigError(
                f"--db / JEJAK_DB must be a SQLAlchemy URL such as sqlite:///jejak.db, not {url!r}"
            )
        try:
            engine = create_engine(url, future=True)
        except Exception as exc:
            raise ConfigError(f"cannot use database URL {url!r}: {exc}") from exc
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
            path = engine.url.database
            if path and path != ":memory:":
                parent = os.path.dirname(os.path.abspath(path))
                if not os.path.isdir(parent):
                    raise ConfigError(f"the folder of the database {path!r} does not exist")
        store = Store(engine)
        if migrate:
            store.upgrade()
        return store

    def upgrade(self) -> None:
        here = os.path.join(os.path.dirname(__file__), "migrations")
        cfg = Config(os.path.join(here, "alembic.ini"))
        cfg.set_main_option("script_location", here)
        try:
            with self.engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                # pysqlite commits before each CREATE or ALTER by itself: a migration killed half way would
                # leave tables without their version row, and the next open would fail on them. One
                # explicit transaction makes the whole upgrade all or nothing.
                legacy = raw.isolation_level if isinstance(raw, sqlite3.Connection) else None
                if isinstance(raw, sqlite3.Connection):
                    raw.isolation_level = None
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                try:
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
                    conn.commit()
                except BaseException:
                    conn.rollback()
                    raise
                finally:
                    if isinstance(raw, sqlite3.Connection):
                        raw.isolation_level = legacy
        except (OperationalError, ProgrammingError) as exc:
            raise StoreError(f"cannot open or migrate the database: {exc.orig}") from exc

    def close(self) -> None:
        self.engine.dispose()

    @functools.cached_property
    def lists(self) -> ListStore:
        return ListStore(self)

    @functools.cached_property
    def matches(self) -> MatchStore:
        return MatchStore(self)

    @functools.cached_property
    def media(self) -> MediaStore:
        return MediaStore(self)

    @functools.cached_property
    def graph(self) -> GraphStore:
        return GraphStore(self)

    @functools.cached_property
    def accounts(self) -> AccountStore:
        return AccountStore(self)

    @functools.cached_property
    def audit(self) -> AuditStore:
        return AuditStore(self)

    @functools.cached_property
    def jobs(self) -> JobStore:
        return JobStore(self)

    def _insert(self, table: Table) -> Insert:
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def _insert_ignore(self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        """Insert rows, skipping any that exist (the unique keys make every write idempotent)."""
        stmt = self._insert(table).on_conflict_do_nothing()  # type: ignore[attr-defined]
        for i in range(0, len(rows), CHUNK):
            conn.execute(stmt, list(rows[i : i + CHUNK]))

    # -- agencies, cases, exhibits --------------------------------------------------------------
    def agency_id(self, conn: Connection, name: str) -> int:
        self._insert_ignore(conn, t.agency, [{"name": name, "created_at": _now()}])
        return int(conn.execute(select(t.agency.c.id).where(t.agency.c.name == name)).scalar_one())

    def create_case(self, name: str, agency: str, description: str | None = None) -> CaseRow:
        try:
            with self.engine.begin() as conn:
                aid = self.agency_id(conn, agency)
                conn.execute(
                    t.case.insert().values(
                        name=name, agency_id=aid, description=description, created_at=_now()
                    )
                )
        except IntegrityError as exc:
            raise AlreadyExists(f"case {name!r} exists already") from exc
        return self.get_case(name)

    def get_case(self, name: str) -> CaseRow:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.case.c.id, t.case.c.name, t.agency.c.name, t.case.c.description, t.case.c.created_at)
                .join(t.agency, t.agency.c.id == t.case.c.agency_id)
                .where(t.case.c.name == name)
            ).first()
        if row is None:
            raise NotFound(f"no case {name!r}: create it with 'jejak case create {name} --agency NAME'")
        return CaseRow(*row)

    def list_cases(self) -> list[CaseRow]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.case.c.id, t.case.c.name, t.agency.c.name, t.case.c.description, t.case.c.created_at)
                .join(t.agency, t.agency.c.id == t.case.c.agency_id)
                .order_by(t.case.c.name)
            ).all()
        return [CaseRow(*r) for r in rows]

    def exhibit_id(self, case_id: int, name: str) -> int:
        with self.engine.begin() as conn:
            self._insert_ignore(conn, t.exhibit, [{"case_id": case_id, "name": name, "created_at": _now()}])
            return int(
                conn.execute(
                    select(t.exhibit.c.id).where(t.exhibit.c.case_id == case_id, t.exhibit.c.name == name)
                ).scalar_one()
            )

    # -- ingest runs ----------------------------------------------------------------------------
    def start_run(self, case_id: int, exhibit_id: int, sources: list[str], settings: dict[str, Any]) -> int:
        with self.engine.begin() as conn:
            # A run still "running" for this exhibit was killed (one writer per exhibit at a time).
            conn.execute(
                t.ingest_run.update()
                .where(t.ingest_run.c.exhibit_id == exhibit_id, t.ingest_run.c.status == "running")
                .values(status="interrupted")
            )
            res = conn.execute(
                t.ingest_run.insert().values(
                    case_id=case_id,
                    exhibit_id=exhibit_id,
                    sources=sources,
                    status="running",
                    started_at=_now(),
                    settings=settings,
                )
            )
            return int(res.inserted_primary_key[0])  # type: ignore[index]

    def finish_run(self, run_id: int, status: str, counts: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                t.ingest_run.update()
                .where(t.ingest_run.c.id == run_id)
                .values(status=status, finished_at=_now(), counts=counts)
            )

    def done_leaves(self, exhibit_id: int) -> dict[str, str | None]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.leaf_done.c.key, t.leaf_done.c.kind).where(t.leaf_done.c.exhibit_id == exhibit_id)
            ).all()
        return {k: v for k, v in rows}

    def record_warnings(self, exhibit_id: int, run_id: int, warnings: Iterable[WarningRecord]) -> None:
        with self.engine.begin() as conn:
            self._insert_ignore(
                conn, t.warning, [self._warning_row(exhibit_id, run_id, w, None) for w in warnings]
            )

    @staticmethod
    def _warning_row(exhibit_id: int, run_id: int, w: WarningRecord, fid: int | None) -> dict[str, Any]:
        ps_key = w.pathspec.key() if w.pathspec else ""
        key = hashlib.sha256(f"{w.stage}\0{w.message}\0{ps_key}".encode()).hexdigest()
        return {
            "exhibit_id": exhibit_id,
            "run_id": run_id,
            "file_instance_id": fid,
            "key": key,
            "stage": w.stage,
            "message": w.message,
            "path": w.pathspec.readable() if w.pathspec else None,
            "pathspec": w.pathspec.to_json() if w.pathspec else None,
            "created_at": _now(),
        }

    def write_results(self, exhibit_id: int, run_id: int, results: Sequence[TaskResult]) -> None:
        """Commit the records of whole leaves, and mark those leaves done, in one transaction."""
        records = [r for res in results for r in res.records]
        with self.engine.begin() as conn:
            content_ids = self._write_content(conn, records)
            rows = []
            for r in records:
                rows.append(
                    {
                        "exhibit_id": exhibit_id,
                        "run_id": run_id,
                        "content_id": content_ids.get(r.sha256) if r.sha256 else None,
                        "pathspec": r.pathspec.to_json(),
                        "pathspec_key": r.pathspec.key(),
                        "path": r.pathspec.readable(),
                        "name": r.name,
                        "size": r.size,
                        "deleted": r.deleted,
                        "mime": r.mime,
                        "kind": str(r.kind),
                        "mtime": _utc(r.mtime),
                        "atime": _utc(r.atime),
                        "ctime": _utc(r.ctime),
                        "crtime": _utc(r.crtime),
                    }
                )
            self._insert_ignore(conn, t.file_instance, rows)
            fids = self._instance_ids(conn, exhibit_id, [r.pathspec.key() for r in records])
            warnings = [
                self._warning_row(exhibit_id, run_id, w, fids.get(r.pathspec.key()))
                for r in records
                for w in r.warnings
            ]
            warnings += [
                self._warning_row(exhibit_id, run_id, w, None) for res in results for w in res.warnings
            ]
            self._insert_ignore(conn, t.warning, warnings)
            done = [
                {
                    "exhibit_id": exhibit_id,
                    "key": res.key,
                    "run_id": run_id,
                    "kind": str(res.records[0].kind) if res.records else None,
                }
                for res in results
            ]
            self._insert_ignore(conn, t.leaf_done, done)

    def _write_content(self, conn: Connection, records: list[FileRecord]) -> dict[str, int]:
        by_sha: dict[str, FileRecord] = {}
        for r in records:
            if r.sha256 and r.md5 and r.sha1 and r.sha256 not in by_sha:
                by_sha[r.sha256] = r
        if not by_sha:
            return {}
        rows = [
            {
                "sha256": s,
                "md5": r.md5,
                "sha1": r.sha1,
                "size": r.size or 0,
                "mime": r.mime,
                "kind": str(r.kind),
                "width": r.width,
                "height": r.height,
            }
            for s, r in by_sha.items()
        ]
        ids: dict[str, int] = {}
        shas = list(by_sha)
        for i in range(0, len(rows), CHUNK):
            self._insert_ignore(conn, t.content, rows[i : i + CHUNK])
            part = shas[i : i + CHUNK]
            ids.update(
                conn.execute(
                    select(t.content.c.sha256, t.content.c.id).where(t.content.c.sha256.in_(part))
                ).all()
            )
        hashes, metas, descriptors, previews, idents = [], [], [], [], []
        for sha, r in by_sha.items():
            cid = ids[sha]
            idents += [
                {
                    "content_id": cid,
                    "kind": f.kind,
                    "value": f.value[:500],
                    "source": f.source,
                    "count": f.count,
                    "first_offset": f.first_offset,
                    "raw": f.raw,
                }
                for f in r.identifiers
            ]
            hashes += [
                {"content_id": cid, "algorithm": h.algorithm, "value": h.value, "quality": h.quality}
                for h in r.hashes
            ]
            descriptors += [
                {"content_id": cid, "algorithm": alg, "data": data} for alg, data in r.descriptors.items()
            ]
            previews += [
                {"content_id": cid, "kind": kind, "mime": "image/jpeg", "data": data}
                for kind, data in r.previews.items()
            ]
            if r.exif is not None:
                e = r.exif
                metas.append(
                    {
                        "content_id": cid,
                        "make": e.make,
                        "model": e.model,
                        "serial": e.serial,
                        "image_unique_id": e.image_unique_id,
                        "software": e.software,
                        "datetime_original": e.datetime_original,
                        "orientation": e.orientation,
                        "gps_lat": e.gps.lat if e.gps else None,
                        "gps_lon": e.gps.lon if e.gps else None,
                        "gps_alt": e.gps.alt if e.gps else None,
                        "extra": e.extra or None,
                    }
                )
        self._insert_ignore(conn, t.hash_value, hashes)
        self._insert_ignore(conn, t.media_metadata, metas)
        self._insert_ignore(conn, t.content_descriptor, descriptors)
        self._insert_ignore(conn, t.content_preview, previews)
        self._insert_ignore(conn, t.content_identifier, idents)
        return ids

    def _instance_ids(self, conn: Connection, exhibit_id: int, keys: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for i in range(0, len(keys), CHUNK):
            out.update(
                conn.execute(
                    select(t.file_instance.c.pathspec_key, t.file_instance.c.id).where(
                        t.file_instance.c.exhibit_id == exhibit_id,
                        t.file_instance.c.pathspec_key.in_(keys[i : i + CHUNK]),
                    )
                ).all()
            )
        return out

    # -- reading --------------------------------------------------------------------------------
    def iter_files(self, case_id: int, exhibit: str | None = None) -> Iterator[dict[str, Any]]:
        """File instances of a case with content, PDQ, metadata and warnings (the jsonl contract)."""
        fi, c, m, ex = t.file_instance, t.content, t.media_metadata, t.exhibit
        pdq = (
            select(t.hash_value.c.content_id, t.hash_value.c.value, t.hash_value.c.quality)
            .where(t.hash_value.c.algorithm == "pdq")
            .subquery()
        )
        q = (
            select(
                ex.c.name.label("exhibit"),
                fi.c.id,
                fi.c.path,
                fi.c.pathspec,
                fi.c.name,
                fi.c.size,
                fi.c.deleted,
                fi.c.mime,
                fi.c.kind,
                fi.c.mtime,
                c.c.md5,
                c.c.sha1,
                c.c.sha256,
                c.c.width,
                c.c.height,
                pdq.c.value.label("pdq"),
                pdq.c.quality.label("pdq_quality"),
                m.c.make,
                m.c.model,
                m.c.serial,
                m.c.image_unique_id,
                m.c.software,
                m.c.datetime_original,
                m.c.orientation,
                m.c.gps_lat,
                m.c.gps_lon,
                m.c.gps_alt,
            )
            .select_from(fi)
            .join(ex, ex.c.id == fi.c.exhibit_id)
            .outerjoin(c, c.c.id == fi.c.content_id)
            .outerjoin(pdq, pdq.c.content_id == fi.c.content_id)
            .outerjoin(m, m.c.content_id == fi.c.content_id)
            .where(ex.c.case_id == case_id)
            .order_by(ex.c.name, fi.c.path, fi.c.id)
        )
        if exhibit is not None:
            q = q.where(ex.c.name == exhibit)
        with self.engine.connect() as conn:
            warns: dict[int, list[dict[str, str]]] = {}
            wq = (
                select(t.warning.c.file_instance_id, t.warning.c.stage, t.warning.c.message)
                .join(ex, ex.c.id == t.warning.c.exhibit_id)
                .where(ex.c.case_id == case_id, t.warning.c.file_instance_id.is_not(None))
                .order_by(t.warning.c.id)
            )
            for fid, stage, message in conn.execute(wq):
                warns.setdefault(int(fid), []).append({"stage": stage, "message": message})
            for row in conn.execute(q).mappings():
                yield {**row, "warnings": warns.get(int(row["id"]), [])}

    def iter_warnings(self, case_id: int, exhibit: str | None = None) -> Iterator[dict[str, Any]]:
        w, ex = t.warning, t.exhibit
        q = (
            select(ex.c.name.label("exhibit"), w.c.stage, w.c.message, w.c.path, w.c.pathspec, w.c.created_at)
            .join(ex, ex.c.id == w.c.exhibit_id)
            .where(ex.c.case_id == case_id)
            .order_by(ex.c.name, w.c.path, w.c.id)
        )
        if exhibit is not None:
            q = q.where(ex.c.name == exhibit)
        with self.engine.connect() as conn:
            yield from (dict(r) for r in conn.execute(q).mappings())

    def case_summary(self, case_id: int) -> dict[str, Any]:
        fi, ex, c = t.file_instance, t.exhibit, t.content
        with self.engine.connect() as conn:
            by_kind: dict[str, int] = dict(
                conn.execute(
                    select(fi.c.kind, func.count())
                    .join(ex, ex.c.id == fi.c.exhibit_id)
                    .where(ex.c.case_id == case_id)
                    .group_by(fi.c.kind)
                ).all()
            )
            files = sum(by_kind.values())
            deleted = conn.execute(
                select(func.count())
                .select_from(fi)
                .join(ex, ex.c.id == fi.c.exhibit_id)
                .where(ex.c.case_id == case_id, fi.c.deleted.is_(True))
            ).scalar_one()
            unique = conn.execute(
                select(func.count(func.distinct(fi.c.content_id)))
                .join(ex, ex.c.id == fi.c.exhibit_id)
                .where(ex.c.case_id == case_id)
            ).scalar_one()
            size = conn.execute(
                select(func.coalesce(func.sum(c.c.size), 0)).where(
                    c.c.id.in_(
                        select(fi.c.content_id)
                        .join(ex, ex.c.id == fi.c.exhibit_id)
                        .where(ex.c.case_id == case_id)
                    )
                )
            ).scalar_one()
            pdq = conn.execute(
                select(func.count(func.distinct(t.hash_value.c.content_id))).where(
                    t.hash_value.c.algorithm == "pdq",
                    t.hash_value.c.content_id.in_(
                        select(fi.c.content_id)
                        .join(ex, ex.c.id == fi.c.exhibit_id)
                        .where(ex.c.case_id == case_id)
                    ),
                )
            ).scalar_one()
            warnings = conn.execute(
                select(func.count())
                .select_from(t.warning)
                .join(ex, ex.c.id == t.warning.c.exhibit_id)
                .where(ex.c.case_id == case_id)
            ).scalar_one()
            exhibits = (
                conn.execute(select(ex.c.name).where(ex.c.case_id == case_id).order_by(ex.c.name))
                .scalars()
                .all()
            )
        return {
            "files": files,
            "unique_contents": unique,
            "bytes_unique": int(size),
            "deleted": deleted,
            "with_pdq": pdq,
            "warnings": warnings,
            "by_kind": by_kind,
            "exhibits": list(exhibits),
        }
