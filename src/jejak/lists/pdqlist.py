"""PDQ hash lists: one hash per line, or a CSV with a ``pdq`` column.

Line form (ThreatExchange ``hash_value`` dumps, hand-made lists): a 64-hex PDQ per line, optionally followed
by its quality (0-100) and further fields, separated by a comma, tab, semicolon or spaces
(``<hex>,<quality>``). Further fields are kept in ``extra["fields"]``. Blank lines and ``#`` comments are
skipped.

CSV form (Hasher-Matcher-Actioner / StopNCII style exports): a header naming a ``pdq`` column (``pdq``,
``pdq_hash``, ``pdq_hex``...), optionally ``quality``, and any others; read with the generic CSV machinery
(docs/formats.md, "Generic CSV"), so category, series and the like are understood and the rest kept in
``extra``. Only the PDQ (and any md5/sha1/sha256 columns) become hashes.

PDQ values are 64 hex like SHA-256: a bare list of 64-hex lines is detected as SHA-256 (``md5sum``) unless a
comment mentions PDQ or the lines carry a quality; ``format="pdq"`` reads any such list as PDQ.

Writing: for entries read from a PDQ CSV, that CSV's columns; otherwise the line form, ``<hex>[,<quality>]``
(and the kept fields), under a ``#`` comment naming the columns. Entries without a PDQ are skipped and not
counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import jejak
from jejak.lists.common import ListReader, finish_text, open_text, parse_hash, parse_int, text_writer
from jejak.lists.csvlist import (
    map_columns,
    open_delimited,
    read_header_line,
    sniff_delimiter,
    split_header,
    write_delimited,
)
from jejak.model.lists import DEFAULT_SCHEME, ListEntry, ListHeader

_HEX64 = re.compile(r"^[0-9A-Fa-f]{64}$")


def split_line(text: str) -> list[str]:
    """Fields of a line-form PDQ row: split on its first kind of separator among comma, tab, semicolon,
    else on runs of spaces (so an empty quality between two commas stays an empty field)."""
    for sep in (",", "\t", ";"):
        if sep in text:
            return [t.strip() for t in text.split(sep)]
    return text.split()


def looks_like_pdq_header(line: str) -> bool:
    """A header line (not a data line) that names a PDQ column."""
    first = split_line(line.strip())[0]
    if _HEX64.match(first):
        return False
    columns = [c.strip() for c in split_header(line, sniff_delimiter(line))]
    return "pdq" in map_columns(columns).values()


def open_pdq(path: Path, scheme: str | None) -> ListReader:
    with open_text(path) as f:
        first, _n = read_header_line(f)
    if first is not None and looks_like_pdq_header(first):
        reader = open_delimited(path, "pdq", scheme, DEFAULT_SCHEME, skip_comments=True, check=_check_csv)
        reader.header.extra["layout"] = "csv"
        return reader
    extra: dict[str, Any] = {"layout": "lines"}
    header = ListHeader(format="pdq", extra=extra)

    def rows(reader: ListReader) -> Iterator[ListEntry]:
        with open_text(path) as f:
            for n, line in enumerate(f, 1):
                text = line.strip()
                if not text or text.startswith("#"):
                    continue
                tokens = split_line(text)
                quality: int | None = None
                if len(tokens) > 1 and tokens[1] != "":
                    try:
                        quality = parse_int(tokens[1])
                        if quality is not None and not 0 <= quality <= 100:
                            raise ValueError(f"quality {quality} is not 0-100")
                    except ValueError as exc:
                        reader.problem(f"line {n}", f"PDQ quality: {exc}; kept without it")
                        quality = None
                try:
                    h = parse_hash("pdq", tokens[0], quality)
                except ValueError as exc:
                    reader.problem(f"line {n}", f"{exc}; skipped", skipped=True)
                    continue
                if h is None:
                    continue
                more = {"fields": tokens[2:]} if len(tokens) > 2 else {}
                yield ListEntry(hashes=(h,), extra=more)

    return ListReader(header, rows)


def _check_csv(columns: list[str], fields: dict[int, str]) -> str | None:
    return None if "pdq" in fields.values() else f"no PDQ column in the header {columns!r}"


def write_pdq(entries: Iterable[ListEntry], out: BinaryIO, header: ListHeader | None) -> int:
    hx = header.extra if header is not None and header.format == "pdq" else {}
    pdq_only = (e for e in entries if e.hash("pdq") is not None)
    if hx.get("layout") == "csv" and hx.get("columns"):
        columns = list(hx["columns"])
        by_name = hx.get("fields") or {}
        fields = {i: by_name[c] for i, c in enumerate(columns) if c in by_name}
        return write_delimited(
            pdq_only, out, columns, fields, str(hx.get("delimiter") or ","), hx, ("true", "false")
        )
    w = text_writer(out)
    n = 0
    try:
        w.write(f"# PDQ hashes: pdq_hex[,quality], written by jejak {jejak.__version__}\n")
        for e in pdq_only:
            h = next(h for h in e.hashes if h.algorithm == "pdq")
            cells = [h.value]
            fields_kept = e.extra.get("fields")
            if h.quality is not None or fields_kept:
                cells.append("" if h.quality is None else str(h.quality))
            if isinstance(fields_kept, list):
                cells += [str(x) for x in fields_kept]
            w.write(",".join(cells) + "\n")
            n += 1
        return n
    finally:
        finish_text(w)
