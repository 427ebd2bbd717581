"""The platform matcher: hash lookups against the active entries of the known-hash lists.

PDQ lookups search the persisted list index (``services.match.ensure_index``), held in memory and loaded
off the request path; exact lookups (MD5, SHA-1, SHA-256) are one indexed SQL query. Every hit is resolved
against the store before it is returned, so removed entries, deleted lists and known-good lists never
answer. Only list data is returned: the list's name, the entry's id and external id, the distance, the
category. Nothing of any case is read.

A PDQ lookup compares the plain hash only (no rotated or mirrored variants): a platform hashes what it
received, and eight searches per lookup would make the perceptual oracle eight times as cheap to probe.

The index only grows: ``refresh`` (a background thread, every ``api_index_refresh`` seconds) brings it up
to the store when entries past its checkpoint exist, building the new index beside the one that serves
and swapping it in one assignment.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select, true

from jejak.config import Settings
from jejak.errors import ConfigError, EvidenceError
from jejak.lists.vpdq import parse_vpdq
from jejak.match.pdq import ListIndex
from jejak.model.lists import Category
from jejak.model.video import FrameHash
from jejak.services import audit
from jejak.services.accounts import Principal
from jejak.services.ingest import hash_files
from jejak.services.match import ensure_index, index_folder
from jejak.store import schema as t
from jejak.store.sql import Store

log = logging.getLogger(__name__)

# Signal types a lookup takes -> the list entry column they are compared with. "video_md5" is HMA's name
# for the MD5 of a video file: the same column as any file's MD5.
SIGNAL_TYPES: dict[str, str] = {
    "pdq": "pdq",
    "md5": "md5",
    "video_md5": "md5",
    "sha1": "sha1",
    "sha256": "sha256",
}
HEX_LENGTH = {"pdq": 64, "md5": 32, "sha1": 40, "sha256": 64}
_HEX = re.compile(r"^[0-9a-f]+$")
_CHUNK = 500  # values per IN (...) query


def parse_signal(signal_type: str, signal: str) -> tuple[str, str]:
    """(entry column, canonical lowercase hex) of a signal, or ConfigError (HTTP 400)."""
    column = SIGNAL_TYPES.get(signal_type)
    if column is None:
        raise ConfigError(f"unknown signal_type {signal_type!r}: one of {', '.join(SIGNAL_TYPES)}")
    value = signal.strip().lower()
    want = HEX_LENGTH[column]
    if len(value) != want or not _HEX.match(value):
        raise ConfigError(f"a {signal_type} signal is {want} hexadecimal characters, not {signal[:80]!r}")
    return column, value


@dataclass(frozen=True)
class LookupHit:
    """One active list entry that a signal matched."""

    list_name: str
    entry_id: int
    external_id: str | None
    distance: int
    category: Category | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "bank_content_id": self.entry_id,
            "distance": str(self.distance),
            "external_id": self.external_id,
            "category": self.category.as_dict() if self.category else None,
        }


def _entries_query(column: str | None) -> Any:
    """Active entries of lists that are not known-good, by id (``column`` None) or by a hash column."""
    e, lst = t.list_entry.c, t.hash_list.c
    key = e.id if column is None else e[column]
    return (
        select(key, e.id, e.external_id, e.category_scheme, e.category_code, lst.name, lst.pdq_threshold)
        .join(t.hash_list, lst.id == e.list_id)
        .where(
            key.in_(bindparam("keys", expanding=True)), e.removed_in.is_(None), lst.known_good.is_not(true())
        )
        .order_by(lst.name, e.id)
    )


def _category(scheme: str | None, code: str | None) -> Category | None:
    if scheme is None or code is None:
        return None
    try:
        return Category(scheme, code)
    except ValueError:  # a scheme this version does not know: say nothing rather than fail
        return None


class NotReady(Exception):
    """A PDQ lookup before the index is loaded (the API answers 503)."""


class Matcher:
    """The PDQ list index of one store, kept current off the request path, and the lookups over it."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.interval = settings.api_index_refresh
        self._index: ListIndex | None = None
        self._radius = settings.match_pdq_threshold  # largest threshold of any list: the search radius
        self._refresh_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: str | None = None
        self.refreshed_at: float | None = None
        self._by_id = _entries_query(None)
        self._by_hash = {c: _entries_query(c) for c in set(SIGNAL_TYPES.values()) - {"pdq"}}

    # -- life cycle ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Load the index, then refresh it every ``interval`` seconds, in a daemon thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="jejak-matcher", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                action = self.refresh()
                if action != "current":
                    log.info("matcher: PDQ index %s (%d entries)", action, len(self._index or ()))
            except Exception as exc:  # keep serving the index we have; readiness says what went wrong
                self.error = f"{type(exc).__name__}: {exc}"[:300]
                log.exception("matcher: refreshing the PDQ index failed")
            if self._stop.wait(self.interval if self._index is not None else min(self.interval, 1.0)):
                break

    def refresh(self) -> str:
        """Bring the index up to the store's entries; returns what was done: current, loaded, extended,
        built. The index is replaced, never changed in place, so lookups need no lock."""
        with self._refresh_lock:
            self._radius = self._max_threshold()
            top = self.store_top()
            current = self._index
            if current is not None and current.checkpoint == top:
                self.refreshed_at = time.time()
                return "current"
            try:
                index, action = ensure_index(self.store, self.settings)
            except OSError as exc:  # the index folder cannot be written: serve an index built in memory
                log.warning("matcher: cannot save the PDQ index (%s); building it in memory", exc)
                index, action = ListIndex.build(*self.store.lists.pdq_entries()), "built in memory"
            self._index = index
            self.error = None
            self.refreshed_at = time.time()
            return action

    def store_top(self) -> int:
        """The highest id of an entry with a PDQ, removed or not: what the index must reach (the second
        value of ``store.lists.active_pdq_count()``, read backwards along the primary key instead of
        counting every entry, which takes 0.4 s at a million)."""
        e = t.list_entry.c
        query = select(e.id).where(e.pdq.is_not(None)).order_by(e.id.desc()).limit(1)
        with self.store.engine.connect() as conn:
            top = conn.execute(query).scalar_one_or_none()
        return int(top or 0)

    def _max_threshold(self) -> int:
        with self.store.engine.connect() as conn:
            top = conn.execute(select(func.max(t.hash_list.c.pdq_threshold))).scalar_one_or_none()
        return max(self.settings.match_pdq_threshold, int(top or 0))

    @property
    def loaded(self) -> bool:
        return self._index is not None

    def ready(self) -> tuple[bool, dict[str, Any]]:
        """Ready when the index is loaded and holds every PDQ entry the store has (its checkpoint is not
        below the store's highest PDQ entry id)."""
        index = self._index
        if index is None:
            detail = {"detail": "loading the PDQ index"}
            if self.error:
                detail["error"] = self.error
            return False, detail
        top = self.store_top()
        info: dict[str, Any] = {"entries": len(index), "checkpoint": index.checkpoint, "store_top": top}
        if self.error:
            info["error"] = self.error
        if index.checkpoint < top:
            info["detail"] = "the PDQ index is behind the store's list entries (refreshing)"
        return index.checkpoint >= top, info

    def status(self) -> dict[str, Any]:
        """HMA's index status shape: per signal type, present, built_to (here the checkpoint), size."""
        index = self._index
        if index is None:
            return {"pdq": {"present": False, "built_to": -1, "size": 0}}
        return {"pdq": {"present": True, "built_to": index.checkpoint, "size": len(index)}}

    # -- lookups -------------------------------------------------------------------------------------
    def lookup_pdq(self, pdq: str, max_distance: int | None = None) -> list[LookupHit]:
        return self.lookup_pdq_many([pdq], max_distance)[0]

    def lookup_pdq_many(self, pdqs: Sequence[str], max_distance: int | None = None) -> list[list[LookupHit]]:
        """Per PDQ (64 lowercase hex): the active entries within each list's threshold (the list's own
        or ``match_pdq_threshold``), narrowed further by ``max_distance`` when given."""
        index = self._index
        if index is None:
            raise NotReady("the PDQ index is still loading")
        radius = self._radius if max_distance is None else min(self._radius, max_distance)
        found = index.search(list(pdqs), radius)
        wanted: set[int] = set()
        for ids, _dist in found:
            wanted.update(ids.tolist())
        if not wanted:
            return [[] for _ in pdqs]
        rows = {int(r[0]): r for r in self._rows(self._by_id, sorted(wanted))}
        default = self.settings.match_pdq_threshold
        out: list[list[LookupHit]] = []
        for ids, dist in found:
            hits: list[LookupHit] = []
            for entry, d in zip(ids.tolist(), dist.tolist(), strict=True):
                r = rows.get(entry)
                if r is None:
                    continue
                limit = r[6] if r[6] is not None else default
                if max_distance is not None:
                    limit = min(limit, max_distance)
                if d <= limit:
                    hits.append(LookupHit(r[5], entry, r[2], int(d), _category(r[3], r[4])))
            hits.sort(key=lambda h: (h.distance, h.list_name, h.entry_id))
            out.append(hits)
        return out

    def lookup_md5(self, md5: str) -> list[LookupHit]:
        return self.lookup_exact("md5", [md5])[0]

    def lookup_exact(self, column: str, values: Sequence[str]) -> list[list[LookupHit]]:
        """Per value of ``column`` (md5, sha1, sha256; canonical hex): the active entries holding it."""
        query = self._by_hash.get(column)
        if query is None:
            raise ConfigError(f"no exact lookup by {column!r}")
        by_value: dict[str, list[LookupHit]] = {}
        for r in self._rows(query, sorted(set(values))):
            hit = LookupHit(r[5], int(r[1]), r[2], 0, _category(r[3], r[4]))
            by_value.setdefault(r[0], []).append(hit)
        return [by_value.get(v, []) for v in values]

    def _rows(self, query: Any, keys: Sequence[Any]) -> list[Any]:
        rows: list[Any] = []
        with self.store.engine.connect() as conn:
            for i in range(0, len(keys), _CHUNK):
                rows += conn.execute(query, {"keys": list(keys[i : i + _CHUNK])}).all()
        return rows


# -- uploads (POST /h/hash) ---------------------------------------------------------------------------
@dataclass(frozen=True)
class UploadHashes:
    """What hashing an uploaded file gives: digests, and PDQ (images) or vPDQ frames (videos)."""

    size: int
    mime: str | None
    kind: str
    md5: str | None
    sha1: str | None
    sha256: str | None
    pdq: str | None = None
    pdq_quality: int | None = None
    width: int | None = None
    height: int | None = None
    frames: tuple[FrameHash, ...] = ()
    warnings: tuple[str, ...] = ()


def upload_settings(settings: Settings) -> Settings:
    """Ingest settings cut down to what an upload needs: digests, PDQ, vPDQ of at most
    ``api_video_seconds`` of video; no features, identifiers, audio fingerprints or contact sheets."""
    video = settings.api_video_seconds > 0
    return settings.model_copy(
        update={
            "robust_enabled": False,
            "identifiers_enabled": False,
            "audio_enabled": False,
            "contact_sheet_frames": 0,
            "thumbnail_size": 0,
            "video_keyframes": 0,
            "video_enabled": video,
            "max_media_duration": min(settings.max_media_duration, settings.api_video_seconds or 1.0),
        }
    )


def hash_upload(settings: Settings, path: Path) -> UploadHashes:
    """Hash one uploaded file (in this process, no store)."""
    records = [rec for rec, _w in hash_files(upload_settings(settings), [str(path)]) if rec is not None]
    if not records:
        raise EvidenceError("the upload could not be read")
    rec = records[0]
    pdq = next((h for h in rec.hashes if h.algorithm == "pdq"), None)
    frames: tuple[FrameHash, ...] = ()
    if "vpdq" in rec.descriptors:
        frames = tuple(parse_vpdq(rec.descriptors["vpdq"].decode("utf-8"), "upload"))
    return UploadHashes(
        size=int(rec.size or 0),
        mime=rec.mime,
        kind=rec.kind.value,
        md5=rec.md5,
        sha1=rec.sha1,
        sha256=rec.sha256,
        pdq=pdq.value if pdq else None,
        pdq_quality=pdq.quality if pdq else None,
        width=rec.width,
        height=rec.height,
        frames=frames,
        warnings=tuple(w.message for w in rec.warnings),
    )


def preserve_folder(settings: Settings) -> Path:
    """Where preserved uploads are kept: ``api_preserve_dir``, else beside the PDQ index folder."""
    if settings.api_preserve_dir:
        return Path(settings.api_preserve_dir)
    index = index_folder(settings)
    return index.with_name(index.name.removesuffix(".index") + ".preserved")


_SIDECAR_LOCK = threading.Lock()


def preserve_upload(
    store: Store, settings: Settings, path: Path, hashes: UploadHashes, who: Principal
) -> Path:
    """Keep an uploaded file (moved from ``path``) as ``<folder>/<sha256[:2]>/<sha256>``, with a JSON
    sidecar listing who asked and when, and an audit entry "preserve". The same bytes are kept once."""
    if hashes.sha256 is None:
        raise EvidenceError("the upload has no SHA-256: not preserved")
    folder = preserve_folder(settings) / hashes.sha256[:2]
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    dest = folder / hashes.sha256
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with _SIDECAR_LOCK:
        if dest.exists():
            path.unlink(missing_ok=True)
        else:
            shutil.move(str(path), dest)
            dest.chmod(0o600)
        sidecar = folder / f"{hashes.sha256}.json"
        info: dict[str, Any] = (
            json.loads(sidecar.read_text())
            if sidecar.is_file()
            else {"sha256": hashes.sha256, "size": hashes.size, "mime": hashes.mime, "requests": []}
        )
        info["requests"].append({"by": who.name, "agency": who.agency, "token_id": who.token_id, "at": now})
        tmp = sidecar.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(info, indent=1) + "\n")
        tmp.chmod(0o600)
        os.replace(tmp, sidecar)
    detail = {"sha256": hashes.sha256, "size": hashes.size, "mime": hashes.mime}
    audit.record(store, who, "preserve", target=hashes.sha256, detail=detail)
    return dest
