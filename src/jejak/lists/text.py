"""Checksum text lists: md5sum / sha1sum / sha256sum output, BSD ``tag`` style, bare hash lists, and hashdeep.

``md5sum`` (one reader for all three GNU tools and plain hash lists), line by line:

- GNU: ``<hex>  <name>`` (text mode) or ``<hex> *<name>`` (binary mode); a line starting with ``\\`` has its
  name escaped (``\\n`` for a newline, ``\\\\`` for a backslash), as coreutils writes names with newlines;
- BSD / ``--tag``: ``MD5 (name) = <hex>``, ``SHA1 (...)``, ``SHA256 (...)``, ``SHA2-256 (...)``;
- bare: ``<hex>`` alone, or followed by one space or a tab and a name (Windows tools).

The algorithm comes from the BSD tag or else from the length: 32 hex md5, 40 sha1, 64 sha256. A bare list of
64-hex values is read as SHA-256: PDQ hashes are 64 hex too, so read those with ``format="pdq"`` (detection
only chooses pdq when the file says so; see docs/formats.md). Blank lines and lines starting with ``#`` or
``;`` are skipped; a line that is none of the above, or a hash of another length, is a problem.

``hashdeep``: ``%%%% HASHDEEP-1.0``, then ``%%%% size,md5,sha256,filename`` naming the columns (any subset and
order of md5, sha1, sha256 and others such as tiger or whirlpool, which are kept in ``extra``), ``##`` comment
lines, then rows. The file name is the last column and may contain commas. A second header block (concatenated
outputs) resets the columns.

Writing: ``md5sum`` writes one GNU line per entry with its best digest (md5, else sha1, else sha256),
``sha1sum`` and ``sha256sum`` exactly that digest (entries without it are skipped and not counted); a line
without a name is the bare hash. ``hashdeep`` writes the columns of the hashdeep file the entries came from,
else ``size,md5,sha1,sha256,filename``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import jejak
from jejak.lists.common import (
    ALG_BY_LENGTH,
    ListReader,
    finish_text,
    open_text,
    parse_hash,
    parse_int,
    text_writer,
)
from jejak.model.lists import ListEntry, ListHeader
from jejak.model.records import HashValue

_HEX_START = re.compile(r"^([0-9A-Fa-f]+)(?=[\s*]|$)")
_BSD = re.compile(
    r"^(MD5|SHA1|SHA-1|SHA256|SHA-256|SHA2-256)\s?\((.*)\)\s?=\s?([0-9A-Fa-f]+)\s*$", re.IGNORECASE
)
_BSD_ALG = {
    "md5": "md5",
    "sha1": "sha1",
    "sha-1": "sha1",
    "sha256": "sha256",
    "sha-256": "sha256",
    "sha2-256": "sha256",
}
SUM_ALGORITHMS = {"md5sum": None, "sha1sum": "sha1", "sha256sum": "sha256"}
HASHDEEP_MAGIC = "%%%% HASHDEEP"
DEFAULT_HASHDEEP_COLUMNS = ("size", "md5", "sha1", "sha256", "filename")


def _unescape(name: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(name):
        ch = name[i]
        if ch == "\\" and i + 1 < len(name):
            nxt = name[i + 1]
            out.append({"n": "\n", "r": "\r", "\\": "\\"}.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def parse_sum_line(line: str) -> tuple[str | None, str, str | None, str] | None:
    """(algorithm from a BSD tag or None, hex, name or None, style) of one checksum line, or None."""
    body = line.rstrip("\r\n")
    escaped = body.startswith("\\")
    if escaped:
        body = body[1:]
    m = _BSD.match(body)
    if m:
        name = _unescape(m.group(2)) if escaped else m.group(2)
        return _BSD_ALG[m.group(1).lower()], m.group(3), name, "bsd"
    m = _HEX_START.match(body)
    if not m:
        return None
    rest = body[m.end() :]
    if not rest.strip():
        return None, m.group(1), None, "bare"
    if rest.startswith(("  ", " *")):
        name, style = rest[2:], "gnu"
    else:
        name, style = rest.lstrip(" \t"), "loose"
        if name.startswith("*"):
            name = name[1:]
    return None, m.group(1), _unescape(name) if escaped else name, style


def open_sums(path: Path) -> ListReader:
    extra: dict[str, Any] = {}
    header = ListHeader(format="md5sum", extra=extra)

    def rows(reader: ListReader) -> Iterator[ListEntry]:
        seen: set[str] = set()
        with open_text(path) as f:
            for n, line in enumerate(f, 1):
                text = line.strip()
                if not text or text.startswith(("#", ";")):
                    continue
                parsed = parse_sum_line(line)
                if parsed is None:
                    reader.problem(f"line {n}", "not a checksum line; skipped", skipped=True)
                    continue
                tag_alg, hexv, name, style = parsed
                extra.setdefault("style", style)
                alg = tag_alg or ALG_BY_LENGTH.get(len(hexv))
                if alg is None:
                    reader.problem(
                        f"line {n}",
                        f"a {len(hexv)}-character hash is not md5, sha1 or sha256; skipped",
                        skipped=True,
                    )
                    continue
                try:
                    h = parse_hash(alg, hexv)
                except ValueError as exc:
                    reader.problem(f"line {n}", f"{exc}; skipped", skipped=True)
                    continue
                if h is None:
                    continue
                if alg not in seen:
                    seen.add(alg)
                    extra["algorithms"] = sorted(seen)
                yield ListEntry(hashes=(h,), name=name)

    return ListReader(header, rows)


def _escape(name: str) -> tuple[str, str]:
    if "\\" in name or "\n" in name or "\r" in name:
        return "\\", name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return "", name


def write_sums(entries: Iterable[ListEntry], out: BinaryIO, fmt: str) -> int:
    want = SUM_ALGORITHMS[fmt]
    w = text_writer(out)
    n = 0
    try:
        for e in entries:
            best = e.hash("md5") or e.hash("sha1") or e.hash("sha256")
            value = best if want is None else e.hash(want)
            if value is None:
                continue
            if e.name is None:
                w.write(value + "\n")
            else:
                prefix, name = _escape(e.name)
                w.write(f"{prefix}{value}  {name}\n")
            n += 1
        return n
    finally:
        finish_text(w)


# --- hashdeep ---------------------------------------------------------------------------------------------


def open_hashdeep(path: Path) -> ListReader:
    extra: dict[str, Any] = {"columns": [], "comments": []}
    header = ListHeader(format="hashdeep", version="1.0", extra=extra)
    _prefill(path, extra)

    def rows(reader: ListReader) -> Iterator[ListEntry]:
        columns: list[str] = []
        saw_magic = False
        with open_text(path) as f:
            for n, line in enumerate(f, 1):
                text = line.rstrip("\r\n")
                if not text.strip():
                    continue
                if text.startswith("%%%%"):
                    body = text[4:].strip()
                    if body.upper().startswith("HASHDEEP"):
                        saw_magic = True
                    elif body:
                        columns = [c.strip().lower() for c in body.split(",")]
                    continue
                if text.startswith("#"):
                    continue
                if not columns:
                    reader.problem(f"line {n}", "a row before any %%%% column line; skipped", skipped=True)
                    continue
                cells = text.split(",", len(columns) - 1)
                if len(cells) != len(columns):
                    reader.problem(
                        f"line {n}", f"{len(cells)} fields for {len(columns)} columns; skipped", skipped=True
                    )
                    continue
                entry = _hashdeep_entry(reader, columns, cells, f"line {n}")
                if entry is not None:
                    yield entry
        if not saw_magic:
            reader.problem("", "no %%%% HASHDEEP header line")

    return ListReader(header, rows)


def _prefill(path: Path, extra: dict[str, Any]) -> None:
    """The first column line and the comments before the first row, for the header."""
    with open_text(path) as f:
        for line in f:
            text = line.rstrip("\r\n")
            if text.startswith("%%%%"):
                body = text[4:].strip()
                if body and not body.upper().startswith("HASHDEEP") and not extra["columns"]:
                    extra["columns"] = [c.strip().lower() for c in body.split(",")]
            elif text.startswith("##"):
                extra["comments"].append(text)
            elif text.strip():
                break


def _hashdeep_entry(reader: ListReader, columns: list[str], cells: list[str], where: str) -> ListEntry | None:
    hashes: list[HashValue] = []
    extra: dict[str, Any] = {}
    name: str | None = None
    size: int | None = None
    for col, cell in zip(columns, cells, strict=True):
        if col in ("md5", "sha1", "sha256"):
            try:
                h = parse_hash(col, cell)
            except ValueError as exc:
                reader.problem(where, str(exc))
                extra[col] = cell
                continue
            if h is not None:
                hashes.append(h)
        elif col == "filename":
            name = cell
        elif col == "size":
            try:
                size = parse_int(cell)
            except ValueError as exc:
                reader.problem(where, f"size: {exc}")
                extra[col] = cell
        else:
            extra[col] = cell
    if not hashes:
        reader.problem(where, "no md5, sha1 or sha256 value; skipped", skipped=True)
        return None
    order = {"md5": 0, "sha1": 1, "sha256": 2}
    return ListEntry(
        hashes=tuple(sorted(hashes, key=lambda h: order[h.algorithm])), name=name, size=size, extra=extra
    )


def write_hashdeep(entries: Iterable[ListEntry], out: BinaryIO, header: ListHeader | None) -> int:
    hx = header.extra if header is not None and header.format == "hashdeep" else {}
    columns = list(hx.get("columns") or DEFAULT_HASHDEEP_COLUMNS)
    if "filename" in columns:
        columns.remove("filename")
    columns.append("filename")
    comments = list(hx.get("comments") or [f"## Written by jejak {jejak.__version__}", "## "])
    w = text_writer(out)
    n = 0
    try:
        w.write("%%%% HASHDEEP-1.0\n")
        w.write("%%%% " + ",".join(columns) + "\n")
        for c in comments:
            w.write(c + "\n")
        for e in entries:
            cells: list[str] = []
            for col in columns:
                if col in ("md5", "sha1", "sha256"):
                    cells.append(e.hash(col) or str(e.extra.get(col, "")))
                elif col == "size":
                    cells.append(str(e.extra.get("size", "")) if e.size is None else str(e.size))
                elif col == "filename":
                    cells.append((e.name or "").replace("\n", "?"))
                else:
                    value = e.extra.get(col)
                    cells.append("" if value is None else str(value))
            w.write(",".join(cells) + "\n")
            n += 1
        return n
    finally:
        finish_text(w)
