"""Known-hash lists: import a release, build one from files, show, export, remove."""

from __future__ import annotations

import getpass
import hashlib
import multiprocessing
import os
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, BinaryIO

from jejak.config import Settings
from jejak.errors import ConfigError, NotFound, StoreError
from jejak.hashing.keyframes import NAME as KEYFRAMES_NAME
from jejak.hashing.keyframes import KeyframeSet
from jejak.hashing.robust import NAME as ROBUST_NAME
from jejak.hashing.robust import REF_FEATURES, RobustDescriptor
from jejak.hashing.video import NAME as VPDQ_NAME
from jejak.lists import read_list, write_list
from jejak.lists.vpdq import format_vpdq, read_vpdq
from jejak.match.keyframes import SLOTS
from jejak.model import HashValue
from jejak.model.lists import SCHEMES, Category, ListEntry, ListHeader
from jejak.services.ingest import hash_files
from jejak.store.lists import ListRow, VersionRow, entry_row
from jejak.store.sql import Store

EXPORT_FORMATS = ("vics", "csv", "pdq", "icse", "md5sum", "hashdeep")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def whoami() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (containers)
        return f"uid {os.getuid()}"


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_scheme(scheme: str | None) -> None:
    if scheme is not None and scheme not in SCHEMES:
        raise ConfigError(f"--scheme must be one of {', '.join(SCHEMES)}, not {scheme!r}")


def _list_for(
    store: Store,
    name: str,
    known_good: bool,
    scheme: str | None,
    pdq_threshold: int | None,
    description: str | None,
    by: str,
) -> ListRow:
    """The list to add a release to: created on first import; later imports must agree on known-good."""
    row = store.lists.find(name)
    if row is None:
        return store.lists.create(name, known_good, scheme, pdq_threshold, description, by, _now())
    if known_good and not row.known_good:
        raise ConfigError(f"list {name!r} holds known material, not known-good files: drop --known-good")
    changes: dict[str, Any] = {}
    if pdq_threshold is not None and pdq_threshold != row.pdq_threshold:
        changes["pdq_threshold"] = pdq_threshold
    if description is not None and description != row.description:
        changes["description"] = description
    if scheme is not None and scheme != row.scheme:
        changes["scheme"] = scheme
    if changes:
        store.lists.set_options(row.id, **changes)
        row = store.lists.get(name)
    return row


def import_list(
    store: Store,
    path: Path,
    name: str,
    fmt: str = "auto",
    scheme: str | None = None,
    known_good: bool = False,
    pdq_threshold: int | None = None,
    description: str | None = None,
    mapping: dict[str, str] | None = None,
    by: str | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Import a release of list ``name`` from ``path``: a new version that adds, updates and removes
    entries relative to the previous one. ``source`` names where the file came from (default: its
    absolute path; an upload gives the uploaded file's name)."""
    _check_scheme(scheme)
    if not path.is_file():
        raise NotFound(f"no list file {str(path)!r}")
    by = by or whoami()
    with ChildReader(path, fmt, scheme, mapping) as reader:
        row = _list_for(
            store, name, known_good, scheme or _scheme_of(reader.header), pdq_threshold, description, by
        )
        version = store.lists.import_version(
            row.id,
            reader.rows(),
            source=source or os.path.abspath(path),
            source_sha256=_file_sha256(path),
            fmt=reader.header.format,
            header=None,
            by=by,
            now=_now(),
            problems=lambda: reader.problems,
            header_after=lambda: _header_json(reader.header),
        )
    return _version_report(row, version)


class ChildReader:
    """Reads a list in a forked child process and hands over ``entry_row`` tuples in batches, so that
    parsing (Python, one core) overlaps the diff and the database writes (the other core): a national
    list imports in about half the time. The header comes first; the reader's problems and its final
    header (VICS keys after the media) come last. An error in the child is raised here."""

    BATCH = 5000

    def __init__(self, path: Path, fmt: str, scheme: str | None, mapping: dict[str, str] | None) -> None:
        # fork is fastest, but forking a process with threads (the server) can deadlock the child
        ctx: Any = multiprocessing.get_context("fork" if threading.active_count() == 1 else "forkserver")
        self._conn, child = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_read_in_child, args=(child, path, fmt, scheme, mapping), daemon=True)
        self._proc.start()
        child.close()
        self.problems: list[str] = []
        self.header: ListHeader = self._expect("header")

    def _recv(self) -> tuple[str, Any]:
        try:
            kind, payload = self._conn.recv()
        except EOFError:
            raise StoreError("the list reader stopped unexpectedly (killed, or out of memory)") from None
        if kind == "error":
            raise payload
        return str(kind), payload

    def _expect(self, want: str) -> Any:
        kind, payload = self._recv()
        if kind != want:
            raise StoreError(f"list reader: expected {want}, got {kind}")
        return payload

    def rows(self) -> Iterator[tuple[Any, ...] | None]:
        while True:
            kind, payload = self._recv()
            if kind == "rows":
                yield from payload
            elif kind == "end":
                self.problems, self.header = payload
                return

    def __enter__(self) -> ChildReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.close()
        self._proc.join(timeout=5)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join()


def _read_in_child(
    conn: Connection, path: Path, fmt: str, scheme: str | None, mapping: dict[str, str] | None
) -> None:
    try:
        header, reader = read_list(path, fmt, scheme=scheme, mapping=mapping)
        conn.send(("header", header))
        batch: list[tuple[Any, ...] | None] = []
        for entry in reader:
            batch.append(entry_row(entry))
            if len(batch) >= ChildReader.BATCH:
                conn.send(("rows", batch))
                batch = []
        conn.send(("rows", batch))
        conn.send(("end", (list(reader.problems), reader.header)))
    except BaseException as exc:  # handed to the parent, which raises it
        try:
            conn.send(("error", exc))
        except Exception:  # an exception that cannot be pickled
            conn.send(("error", StoreError(f"list reader failed: {exc}")))
    finally:
        conn.close()


def _scheme_of(header: ListHeader) -> str | None:
    """The scheme the reader read categories in (VICS: by profile), if the format has categories."""
    scheme = header.extra.get("scheme")
    return scheme if isinstance(scheme, str) else None


def _header_json(header: ListHeader) -> dict[str, Any]:
    return {
        "format": header.format,
        "version": header.version,
        "profile": header.profile,
        "extra": header.extra,
    }


def _version_report(row: ListRow, v: VersionRow) -> dict[str, Any]:
    return {
        "list": row.name,
        "known_good": row.known_good,
        "version": v.number,
        "format": v.format,
        "source": v.source,
        "source_sha256": v.source_sha256,
        "imported_by": v.imported_by,
        "imported_at": v.imported_at,
        "counts": v.counts,
        "problems": v.problems,
    }


def build_list(
    store: Store,
    settings: Settings,
    paths: list[str],
    name: str,
    category: str | None = None,
    scheme: str | None = None,
    series: str | None = None,
    known_good: bool = False,
    by: str | None = None,
    on_warning: Any = None,
) -> dict[str, Any]:
    """Hash media files (archives expanded, disk images walked) and add them to list ``name``."""
    _check_scheme(scheme)
    if category is not None and scheme is None:
        scheme = "vic-us"
    cat = Category.parse(scheme, category) if scheme and category is not None else None
    by = by or whoami()
    row = _list_for(store, name, known_good, scheme, None, None, by)
    # known videos are hashed densely (see services.media._compare); pictures and keyframes described as
    # references (REF_FEATURES: ORB asked for a reference's count, not a seized picture's cut down, keeps
    # the corners the robustness benchmark measured), without the enlarged descriptor of a small picture
    # (a query's: the matchers never read it from an entry); the rest as at ingest
    dense = settings.model_copy(
        update={
            "robust_features": min(settings.robust_features, REF_FEATURES),
            "robust_enlarge_below": 0,
            "video_fps": settings.video_reference_fps,
            "video_keyframes": SLOTS,
            "video_keyframe_seconds": settings.video_reference_keyframe_seconds,
            "thumbnail_size": 0,  # list entries keep no previews
            "contact_sheet_frames": 0,
        }
    )

    def entries() -> Iterator[ListEntry]:
        for rec, warning in hash_files(dense, paths):
            if rec is None:
                if on_warning is not None and warning is not None:
                    on_warning(warning)
                continue
            keep = [
                HashValue(alg, value)
                for alg, value in (("md5", rec.md5), ("sha1", rec.sha1), ("sha256", rec.sha256))
                if value is not None
            ]
            pdq = next((h for h in rec.hashes if h.algorithm == "pdq"), None)
            if pdq is not None and (pdq.quality or 0) >= settings.match_pdq_quality:
                keep.append(HashValue("pdq", pdq.value))
            if not keep:
                continue
            yield ListEntry(
                hashes=tuple(keep),
                category=cat,
                series=series,
                media_type=rec.kind.value if rec.kind else None,
                name=rec.pathspec.readable(),
                size=rec.size,
                descriptors={
                    alg: _REFERENCE_FORMS.get(alg, bytes)(blob) for alg, blob in rec.descriptors.items()
                },
            )

    return _add_entries(store, row, entries(), " ".join(os.path.abspath(p) for p in paths), "build", by)


def _add_entries(
    store: Store, row: ListRow, entries: Iterator[ListEntry], source: str, fmt: str, by: str
) -> dict[str, Any]:
    """A partial release of list ``row`` (entries added, none removed) with the entries' descriptors."""
    descriptors: dict[str, dict[str, bytes]] = {}  # entry key digest -> descriptors by algorithm

    def rows() -> Iterator[tuple[Any, ...] | None]:
        for entry in entries:
            out = entry_row(entry)
            if out is not None and entry.descriptors:
                descriptors[out[0]] = entry.descriptors
            yield out

    version = store.lists.import_version(
        row.id, rows(), source=source, source_sha256=None, fmt=fmt, header=None, by=by, now=_now(), full=False
    )
    store.lists.set_entry_descriptors(row.id, descriptors)
    return _version_report(row, version)


def import_vpdq(
    store: Store,
    paths: list[Path],
    name: str,
    category: str | None = None,
    scheme: str | None = None,
    series: str | None = None,
    by: str | None = None,
) -> dict[str, Any]:
    """Add known videos to list ``name`` from vPDQ hash files (Meta's ``frame,quality,pdq_hex,seconds``
    lines; a folder means every ``*.txt`` in it): one entry per file, named after it, matched by the
    video stage. An entry is identified by its frame hashes, so importing the same file twice adds
    nothing."""
    _check_scheme(scheme)
    if category is not None and scheme is None:
        scheme = "vic-us"
    cat = Category.parse(scheme, category) if scheme and category is not None else None
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(p.glob("*.txt"))
        elif p.is_file():
            files.append(p)
        else:
            raise NotFound(f"no vPDQ file or folder {str(p)!r}")
    if not files:
        raise NotFound(f"no vPDQ files (*.txt) in {', '.join(map(str, paths))}")
    by = by or whoami()
    row = _list_for(store, name, False, scheme, None, None, by)

    def entries() -> Iterator[ListEntry]:
        for f in files:
            text = format_vpdq(read_vpdq(f))  # validated, canonical
            yield ListEntry(
                hashes=(),
                category=cat,
                series=series,
                external_id=f"vpdq:{hashlib.sha256(text.encode()).hexdigest()}",
                media_type="video",
                name=f.stem,
                descriptors={VPDQ_NAME: text.encode()},
            )

    return _add_entries(store, row, entries(), " ".join(os.path.abspath(f) for f in files), "vpdq", by)


def export_vpdq(store: Store, name: str, folder: Path) -> int:
    """Write one vPDQ hash file per active entry of list ``name`` that has video frame hashes (built from a
    video or imported from vPDQ), named after the entry; returns the number written."""
    row = store.lists.get(name)
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    used: set[str] = set()
    for entry_id, entry_name, blob in store.lists.list_descriptors(row.id, VPDQ_NAME):
        stem = (
            re.sub(r"[^A-Za-z0-9._-]+", "_", Path(entry_name or "").stem).strip("._") or f"entry-{entry_id}"
        )
        if stem in used:
            stem = f"{stem}-{entry_id}"
        used.add(stem)
        (folder / f"{stem}.txt").write_bytes(blob)
        n += 1
    return n


def reference_form(blob: bytes) -> bytes:
    """A seized image's robust descriptor as a list entry keeps it (``RobustDescriptor.reference``)."""
    return RobustDescriptor.from_bytes(blob).reference().to_bytes()


def keyframes_reference_form(blob: bytes) -> bytes:
    """A seized video's keyframes as a list entry keeps them: each in ``reference_form``."""
    return KeyframeSet.from_bytes(blob).map(RobustDescriptor.reference).to_bytes()


_REFERENCE_FORMS: dict[str, Callable[[bytes], bytes]] = {
    ROBUST_NAME: reference_form,
    KEYFRAMES_NAME: keyframes_reference_form,
}


def list_rows(store: Store) -> list[dict[str, Any]]:
    out = []
    for row in store.lists.all():
        versions = store.lists.versions(row.id)
        stats = store.lists.stats(row.id)
        last = versions[-1] if versions else None
        out.append(
            {
                "list": row.name,
                "known_good": row.known_good,
                "scheme": row.scheme,
                "pdq_threshold": row.pdq_threshold,
                "entries": stats["entries"],
                "pdq": stats["pdq"],
                "removed": stats["removed"],
                "versions": len(versions),
                "last_import": last.imported_at if last else None,
                "last_by": last.imported_by if last else None,
            }
        )
    return out


def show_list(store: Store, name: str) -> dict[str, Any]:
    row = store.lists.get(name)
    return {
        "list": row.name,
        "known_good": row.known_good,
        "scheme": row.scheme,
        "pdq_threshold": row.pdq_threshold,
        "description": row.description,
        "created_at": row.created_at,
        "created_by": row.created_by,
        **store.lists.stats(row.id),
        "versions": [_version_report(row, v) for v in store.lists.versions(row.id)],
    }


def remove_list(store: Store, name: str) -> dict[str, Any]:
    row = store.lists.get(name)
    stats = store.lists.stats(row.id)
    store.lists.delete(row.id)
    return {"list": name, "removed_entries": stats["entries"] + stats["removed"]}


def export_list(store: Store, name: str, fmt: str, out: BinaryIO, profile: str = "US") -> int:
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(EXPORT_FORMATS)}, not {fmt!r}")
    row = store.lists.get(name)
    versions = store.lists.versions(row.id)
    header = None
    if versions:
        last = store.lists.version_header(versions[-1].id)
        if last and last.get("format") == fmt:
            header = ListHeader(
                format=fmt,
                version=last.get("version"),
                profile=last.get("profile"),
                extra=last.get("extra") or {},
            )
    return write_list(store.lists.entries(row.id), out, fmt, header=header, profile=profile)
