"""NIST NSRL Reference Data Sets: RDS v3 (SQLite) and RDS v2 (``NSRLFile.txt``). Known-good: no categories.

RDS v3 is an SQLite database. ``DISTINCT_HASH`` (sha256, sha1, md5; one row per distinct file content) is read
when present, being what a matcher needs and much smaller; otherwise ``FILE`` (sha256, sha1, md5, crc32,
file_name, file_size, package_id...; one row per file occurrence, so a hash repeats). Both are views in the
published "full" and "minimal" databases and tables in hand-made ones; either works. Columns are found by name
(case-insensitively), so extra or missing columns do not matter as long as one hash column exists. Hashes are
upper-case hex in the RDS and lower-cased here. The database is opened read-only (a ``file:...?mode=ro`` URI)
and streamed with a cursor.
FILE's file_name and file_size become name and size; crc32, package_id and any other column go to ``extra``.

RDS v2 ``NSRLFile.txt`` is CSV with the header
``"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"``: SHA-1 and MD5 (and
SHA-256 where a release has it) become hashes, FileName and FileSize name and size, the rest ``extra``.

There is no NSRL writer: jejak does not produce reference data sets.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jejak.errors import EvidenceError
from jejak.lists.common import ListReader, norm_key, parse_hash, parse_int
from jejak.lists.csvlist import open_delimited
from jejak.model.lists import ListEntry, ListHeader
from jejak.model.records import HashValue

SQLITE_MAGIC = b"SQLite format 3\x00"
V2_COLUMNS = ("sha1", "md5", "crc32")  # normalised first columns of NSRLFile.txt
_HASHES = ("sha256", "sha1", "md5")


def connect_readonly(path: Path) -> sqlite3.Connection:
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    return sqlite3.connect(uri, uri=True)


def _relations(con: sqlite3.Connection) -> dict[str, str]:
    rows = con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')").fetchall()
    return {str(r[0]).lower(): str(r[0]) for r in rows}


def _columns(con: sqlite3.Connection, relation: str) -> list[str]:
    return [str(r[1]) for r in con.execute(f'PRAGMA table_info("{relation}")').fetchall()]


def open_nsrl_sqlite(path: Path) -> ListReader:
    try:
        con = connect_readonly(path)
        relations = _relations(con)
    except sqlite3.Error as exc:
        raise EvidenceError(f"{path}: not a readable SQLite database: {exc}") from exc
    relation = relations.get("distinct_hash") or relations.get("file")
    columns = _columns(con, relation) if relation else []
    con.close()
    header = ListHeader(
        format="nsrl",
        version="3",
        extra={"table": relation, "columns": columns, "tables": sorted(relations.values())},
    )
    lowered = [c.lower() for c in columns]

    def rows(reader: ListReader) -> Iterator[ListEntry]:
        if relation is None:
            reader.stop("", "no DISTINCT_HASH or FILE table/view: not an NSRL RDS v3 database")
            return
        if not any(h in lowered for h in _HASHES):
            reader.stop("", f"{relation} has no sha256, sha1 or md5 column: {columns!r}")
            return
        con = connect_readonly(path)
        try:
            cols = ", ".join(f'"{c}"' for c in columns)
            cur = con.execute(f'SELECT {cols} FROM "{relation}"')
            n = 0
            while True:
                try:
                    batch = cur.fetchmany(4096)
                except sqlite3.Error as exc:
                    reader.stop(f"{relation} row {n + 1}", f"SQLite error: {exc}")
                    return
                if not batch:
                    return
                for row in batch:
                    n += 1
                    entry = _entry(reader, lowered, columns, row, f"{relation} row {n}")
                    if entry is not None:
                        yield entry
        finally:
            con.close()

    return ListReader(header, rows)


def _entry(
    reader: ListReader, lowered: list[str], columns: list[str], row: tuple[Any, ...], where: str
) -> ListEntry | None:
    hashes: dict[str, HashValue] = {}
    extra: dict[str, Any] = {}
    name: str | None = None
    size: int | None = None
    for i, col in enumerate(lowered):
        value = row[i]
        if col in _HASHES:
            try:
                h = parse_hash(col, value if value is None or isinstance(value, str) else str(value))
            except ValueError as exc:
                reader.problem(where, str(exc))
                extra[columns[i]] = value
                continue
            if h is not None:
                hashes[col] = h
        elif col == "file_name":
            name = None if value is None else str(value)
        elif col == "file_size":
            try:
                size = parse_int(value)
            except ValueError:
                extra[columns[i]] = value
        elif value is not None:
            extra[columns[i]] = value
    if not hashes:
        reader.problem(where, "no valid hash; row skipped", skipped=True)
        return None
    return ListEntry(
        hashes=tuple(hashes[a] for a in ("md5", "sha1", "sha256") if a in hashes),
        name=name,
        size=size,
        extra=extra,
    )


def is_v2_header(columns: list[str]) -> bool:
    keys = [norm_key(c) for c in columns]
    return tuple(keys[:3]) == V2_COLUMNS or ({"sha1", "md5", "crc32", "productcode"} <= set(keys))


def _check_v2(columns: list[str], fields: dict[int, str]) -> str | None:
    return None if is_v2_header(columns) else f"not an NSRL RDS v2 header: {columns!r}"


V2_SYNONYMS: dict[str, tuple[str, ...]] = {
    "sha1": ("sha1",),
    "md5": ("md5",),
    "sha256": ("sha256",),
    "name": ("filename",),
    "size": ("filesize",),
}


def open_nsrl(path: Path) -> ListReader:
    with open(path, "rb") as f:
        magic = f.read(len(SQLITE_MAGIC))
    if magic == SQLITE_MAGIC:
        return open_nsrl_sqlite(path)
    return open_delimited(
        path, "nsrl", None, None, synonyms=V2_SYNONYMS, delimiter=",", version="2", check=_check_v2
    )
