"""Delimited lists: the generic CSV reader and writer, and the row machinery ICSE, NSRL v2 and PDQ CSV share.

Generic CSV: the first line (after ``#`` comment lines) is a header; the delimiter is sniffed from it (``,``,
``;``, tab or ``|``, whichever occurs most outside quotes). Columns are recognised case- and
punctuation-insensitively (``MD5``, ``md5_hash``, ``SHA-1``, ``SHA256``, ``PDQ``, ``Category``, ``Series
name``, ``Is distributed``, ``Media ID``, ``File name``, ``Size``...; the table is ``SYNONYMS``), or through
an explicit ``mapping`` of our field name to the column header (``{"md5": "Hash", "category": "Cat"}``),
which wins. Every other column is kept by its header in ``ListEntry.extra``; a column named ``extra`` holds a
JSON object of further keys (what our writer puts there). Categories are read in ``scheme``, else in the
scheme a ``category_scheme`` column names for the row, else in ``vic-us``.

A row with no valid hash yields nothing and logs a problem; a bad hash among good ones, a bad flag or an
unknown category is logged and the row kept without that value. Ragged rows are tolerated: missing cells are
empty, surplus cells go to ``extra["_surplus"]`` with a problem.

Writing: with a header read from the same format, the same columns in the same order and the same delimiter
(a faithful round trip; extra keys that have no column are not written); otherwise our standard columns
(``COLUMNS``) and an ``extra`` JSON column, so nothing is lost.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

from jejak.errors import ConfigError
from jejak.lists.categories import CategoryReader
from jejak.lists.common import (
    ListReader,
    finish_text,
    norm_key,
    open_text,
    parse_bool,
    parse_hash,
    parse_int,
    photodna_problem,
    text_writer,
)
from jejak.model.lists import DEFAULT_SCHEME, SCHEMES, Category, ListEntry, ListHeader
from jejak.model.records import HashValue

csv.field_size_limit(16 * 1024 * 1024)

# Our field names (what ``mapping`` keys are) -> recognised header spellings, normalised, best first.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "md5": ("md5", "md5hash", "hashmd5", "md5sum", "md5checksum", "md5hex"),
    "sha1": ("sha1", "sha1hash", "hashsha1", "sha1sum", "sha1hex"),
    "sha256": ("sha256", "sha256hash", "hashsha256", "sha2256", "sha256sum", "sha256hex"),
    "pdq": ("pdq", "pdqhash", "pdqhex", "hashpdq", "pdqvalue"),
    "pdq_quality": ("pdqquality", "quality", "pdqq"),
    "photodna": ("photodna", "photodnahash", "pdna"),
    "category": ("category", "cat", "vicscategory", "categorycode", "categoryid", "grade"),
    "category_scheme": ("categoryscheme", "scheme"),
    "series": ("series", "seriesname", "seriesid"),
    "victim_identified": ("victimidentified", "isvictimidentified"),
    "offender_identified": ("offenderidentified", "isoffenderidentified"),
    "distributed": ("distributed", "isdistributed"),
    "baseline": ("baseline", "isbaseline"),
    "external_id": ("externalid", "id", "mediaid", "imageid", "itemid"),
    "media_type": ("mediatype", "mimetype", "contenttype"),
    "name": ("name", "filename", "file", "path", "filepath"),
    "size": ("size", "filesize", "mediasize", "bytes"),
    "extra": ("extra",),
}
FIELDS: tuple[str, ...] = tuple(SYNONYMS)
HASH_COLUMNS = ("md5", "sha1", "sha256", "pdq")
COLUMNS: tuple[str, ...] = (
    "md5",
    "sha1",
    "sha256",
    "pdq",
    "pdq_quality",
    "photodna",
    "category_scheme",
    "category",
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
_LOOKUP: dict[str, tuple[str, int]] = {
    syn: (fname, rank) for fname, syns in SYNONYMS.items() for rank, syn in enumerate(syns)
}
_BOOL_FIELDS = ("victim_identified", "offender_identified", "distributed", "baseline")


def sniff_delimiter(line: str) -> str:
    """The delimiter of a header line: the commonest of , ; tab | outside double quotes (``,`` on ties)."""
    counts = dict.fromkeys(",;\t|", 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda c: (counts[c], c == ","))
    return best if counts[best] else ","


def split_header(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def map_columns(
    columns: list[str],
    mapping: dict[str, str] | None = None,
    synonyms: dict[str, tuple[str, ...]] | None = None,
) -> dict[int, str]:
    """Column index -> our field. ``mapping`` (field -> header, compared loosely) wins; otherwise the synonyms
    table; two columns for one field: the better-ranked synonym wins, the other stays an extra column."""
    out: dict[int, str] = {}
    if mapping:
        unknown = sorted(set(mapping) - set(FIELDS))
        if unknown:
            raise ConfigError(
                f"unknown field(s) in the column mapping: {', '.join(unknown)}; known: {', '.join(FIELDS)}"
            )
        wanted = {norm_key(col): fname for fname, col in mapping.items()}
        for i, col in enumerate(columns):
            fname = wanted.get(norm_key(col))
            if fname is not None and fname not in out.values():
                out[i] = fname
        missing = [f"{fname}={col!r}" for fname, col in mapping.items() if fname not in out.values()]
        if missing:
            raise ConfigError(f"mapped column(s) not in the header {columns!r}: {', '.join(missing)}")
    lookup = (
        _LOOKUP
        if synonyms is None
        else {syn: (fname, rank) for fname, syns in synonyms.items() for rank, syn in enumerate(syns)}
    )
    best: dict[str, tuple[int, int]] = {}
    for i, col in enumerate(columns):
        if i in out:
            continue
        hit = lookup.get(norm_key(col))
        if hit is None or hit[0] in out.values():
            continue
        fname, rank = hit
        if fname not in best or rank < best[fname][1]:
            best[fname] = (i, rank)
    for fname, (i, _rank) in best.items():
        out[i] = fname
    return out


def bool_style(raw: str, value: bool) -> tuple[str, str] | None:
    """The (true, false) spelling a list uses, learnt from one cell (kept to write the list back alike)."""
    pairs = {"true": "false", "yes": "no", "y": "n", "t": "f", "1": "0", "on": "off"}
    text = raw.strip()
    low = text.lower()
    t: str | None = low if value else next((k for k, v in pairs.items() if v == low), None)
    f: str | None = pairs.get(low) if value else low
    if t is None or f is None:
        return None
    if text.isupper():
        return t.upper(), f.upper()
    if text[:1].isupper():
        return t.capitalize(), f.capitalize()
    return t, f


class RowConverter:
    """Cells of one delimited row -> ListEntry (or None), logging problems on the reader."""

    def __init__(
        self,
        reader: ListReader,
        columns: list[str],
        fields: dict[int, str],
        scheme: str | None,
        default_scheme: str | None,
        header_extra: dict[str, Any],
    ) -> None:
        self.reader = reader
        self.columns = columns
        self.fields = fields
        self.scheme = scheme
        self.default_scheme = default_scheme
        self.header_extra = header_extra
        self._cats: dict[str | None, CategoryReader] = {}
        self._extra_cols = [(i, c) for i, c in enumerate(columns) if i not in fields]
        self._field_cols = sorted(fields.items())

    def category_reader(self, scheme: str | None) -> CategoryReader:
        cr = self._cats.get(scheme)
        if cr is None:
            cr = self._cats[scheme] = CategoryReader(scheme)
        return cr

    def __call__(self, cells: list[str], where: str) -> ListEntry | None:
        reader = self.reader
        ncols = len(self.columns)
        extra: dict[str, Any] = {}
        if len(cells) > ncols:
            surplus = cells[ncols:]
            if any(c.strip() for c in surplus):
                extra["_surplus"] = surplus
                reader.problem(where, f"{len(cells)} cells for {ncols} columns; the surplus is kept in extra")
            cells = cells[:ncols]
        for i, col in self._extra_cols:
            if i < len(cells) and cells[i] != "":
                extra[col] = cells[i]
        v: dict[str, str] = {}
        for i, fname in self._field_cols:
            if i < len(cells):
                cell = cells[i].strip()
                if cell:
                    v[fname] = cell
        return self.build(v, extra, where)

    def build(self, v: dict[str, str], extra: dict[str, Any], where: str) -> ListEntry | None:
        reader = self.reader
        if "extra" in v:
            try:
                more = json.loads(v["extra"])
                if not isinstance(more, dict):
                    raise ValueError("not a JSON object")
                for k, val in more.items():
                    extra.setdefault(k, val)
            except ValueError as exc:
                reader.problem(where, f"extra column is not a JSON object ({exc}); kept as text")
                extra.setdefault("extra", v["extra"])
        quality: int | None = None
        if "pdq_quality" in v:
            try:
                quality = parse_int(v["pdq_quality"])
                if quality is not None and not 0 <= quality <= 100:
                    raise ValueError(f"quality {quality} is not 0-100")
            except ValueError as exc:
                reader.problem(where, f"PDQ quality: {exc}")
                extra.setdefault("pdq_quality", v["pdq_quality"])
                quality = None
        hashes: list[HashValue] = []
        bad_hashes = 0
        for alg in HASH_COLUMNS:
            raw = v.get(alg)
            if raw is None:
                continue
            try:
                h = parse_hash(alg, raw, quality if alg == "pdq" else None)
            except ValueError as exc:
                bad_hashes += 1
                reader.problem(where, str(exc))
                extra.setdefault(alg, raw)
                continue
            if h is not None:
                hashes.append(h)
        photodna = v.get("photodna")
        if photodna is not None:
            why = photodna_problem(photodna)
            if why:
                reader.problem(where, why)
        if not hashes and photodna is None:
            reason = "no valid hash" if bad_hashes else "no hash value"
            reader.problem(where, f"{reason}; row skipped", skipped=True)
            return None
        category: Category | None = None
        if "category" in v:
            scheme = self.scheme or v.get("category_scheme") or self.default_scheme
            if scheme is not None and scheme not in SCHEMES:
                reader.problem(where, f"unknown category scheme {scheme!r}; kept without a category")
                extra.setdefault("category", v["category"])
            elif scheme is not None:
                try:
                    category = self.category_reader(scheme)(v["category"])
                except ValueError as exc:
                    reader.problem(where, f"{exc}; kept without a category")
                    extra.setdefault("category", v["category"])
            else:
                extra.setdefault("category", v["category"])
        flags: dict[str, bool | None] = {}
        for fname in _BOOL_FIELDS:
            raw = v.get(fname)
            if raw is None:
                continue
            try:
                flags[fname] = parse_bool(raw)
            except ValueError as exc:
                reader.problem(where, f"{fname}: {exc}")
                extra.setdefault(fname, raw)
                continue
            if "bool_style" not in self.header_extra and flags[fname] is not None:
                style = bool_style(raw, bool(flags[fname]))
                if style is not None:
                    self.header_extra["bool_style"] = list(style)
        size: int | None = None
        if "size" in v:
            try:
                size = parse_int(v["size"])
            except ValueError as exc:
                reader.problem(where, f"size: {exc}")
                extra.setdefault("size", v["size"])
        return ListEntry(
            hashes=tuple(hashes),
            category=category,
            photodna=photodna,
            series=v.get("series"),
            victim_identified=flags.get("victim_identified"),
            offender_identified=flags.get("offender_identified"),
            distributed=flags.get("distributed"),
            baseline=flags.get("baseline"),
            external_id=v.get("external_id"),
            media_type=v.get("media_type"),
            name=v.get("name"),
            size=size,
            extra=extra,
        )


def read_header_line(f: IO[str]) -> tuple[str | None, int]:
    """The first line that is not blank and not a ``#`` comment, and its 1-based line number."""
    n = 0
    for line in f:
        n += 1
        text = line.strip("\r\n")
        if text.strip() and not text.lstrip().startswith("#"):
            return text, n
    return None, n


def open_delimited(
    path: Path,
    fmt: str,
    scheme: str | None,
    default_scheme: str | None,
    mapping: dict[str, str] | None = None,
    synonyms: dict[str, tuple[str, ...]] | None = None,
    delimiter: str | None = None,
    skip_comments: bool = False,
    version: str | None = None,
    check: Callable[[list[str], dict[int, str]], str | None] | None = None,
) -> ListReader:
    """A streaming reader of a delimited list with a header line (the shared core of csv, icse, nsrl v2 and
    pdq CSV). ``check`` may return a reason why the header is unusable (the reader then stops at once)."""
    with open_text(path) as f:
        header_line, header_lineno = read_header_line(f)
    delim = delimiter or (sniff_delimiter(header_line) if header_line else ",")
    columns = [c.strip() for c in split_header(header_line, delim)] if header_line else []
    fields = map_columns(columns, mapping, synonyms)
    extra: dict[str, Any] = {
        "delimiter": delim,
        "columns": columns,
        "fields": {columns[i]: fname for i, fname in sorted(fields.items())},
    }
    header = ListHeader(format=fmt, version=version, extra=extra)
    why = (
        "the file has no header line" if header_line is None else (check(columns, fields) if check else None)
    )
    if why is None and not any(f in HASH_COLUMNS or f == "photodna" for f in fields.values()):
        why = f"no hash column recognised in the header {columns!r} (give a column mapping)"

    def rows(reader: ListReader) -> Iterator[ListEntry]:
        if why is not None:
            reader.stop("line 1" if header_line is not None else "", why)
            return
        convert = RowConverter(reader, columns, fields, scheme, default_scheme, extra)
        with open_text(path) as f:
            for _ in range(header_lineno):
                f.readline()
            lines = _numbered(f, header_lineno, skip_comments)
            rdr = csv.reader(lines, delimiter=delim)
            while True:
                try:
                    cells = next(rdr)
                except StopIteration:
                    return
                except csv.Error as exc:
                    reader.problem(f"line {lines.lineno}", f"CSV error: {exc}; row skipped", skipped=True)
                    continue
                if not cells or all(not c.strip() for c in cells):
                    continue
                entry = convert(cells, f"line {lines.lineno}")
                if entry is not None:
                    yield entry

    return ListReader(header, rows)


class _numbered(Iterator[str]):  # noqa: N801 - a tiny iterator, named like a function
    """Lines of a text file, counting them (the csv module's line_num counts records, not lines)."""

    def __init__(self, f: IO[str], start: int, skip_comments: bool) -> None:
        self.f = f
        self.lineno = start
        self.skip_comments = skip_comments

    def __iter__(self) -> _numbered:
        return self

    def __next__(self) -> str:
        while True:
            line = self.f.readline()
            if not line:
                raise StopIteration
            self.lineno += 1
            if self.skip_comments and line.lstrip().startswith("#"):
                continue
            return line


def open_csv(path: Path, scheme: str | None, mapping: dict[str, str] | None) -> ListReader:
    return open_delimited(path, "csv", scheme, DEFAULT_SCHEME, mapping)


# --- writing ----------------------------------------------------------------------------------------------


def _bool_text(value: bool | None, style: tuple[str, str]) -> str:
    if value is None:
        return ""
    return style[0] if value else style[1]


def field_value(e: ListEntry, fname: str, style: tuple[str, str]) -> str:
    """The cell text of one of our fields for an entry ("" when it has none)."""
    if fname in HASH_COLUMNS:
        return e.hash(fname) or ""
    if fname == "pdq_quality":
        q = next((h.quality for h in e.hashes if h.algorithm == "pdq"), None)
        return "" if q is None else str(q)
    if fname == "category":
        return e.category.code if e.category is not None else ""
    if fname == "category_scheme":
        return e.category.scheme if e.category is not None else ""
    if fname in _BOOL_FIELDS:
        return _bool_text(getattr(e, fname), style)
    if fname == "size":
        return "" if e.size is None else str(e.size)
    if fname == "photodna":
        return e.photodna or ""
    if fname in ("series", "external_id", "media_type", "name"):
        value = getattr(e, fname)
        return "" if value is None else str(value)
    return ""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def write_delimited(
    entries: Iterable[ListEntry],
    out: BinaryIO,
    columns: list[str],
    fields: dict[int, str],
    delimiter: str,
    notes: dict[str, Any],
    default_bools: tuple[str, str],
    header_line: str | None = None,
    newline: str = "\n",
) -> int:
    """Rows for ``columns``: a column mapped to one of our fields gets the entry's value; ``extra`` gets the
    JSON of the extra keys that have no column; any other column gets ``extra[column]``. Booleans are spelt
    as ``notes["bool_style"]`` says when it does (looked up per row: a header being read learns it late),
    else ``default_bools``."""
    w = text_writer(out)
    try:
        cw = csv.writer(w, delimiter=delimiter, lineterminator=newline)
        if header_line is not None:
            w.write(header_line + newline)
        else:
            cw.writerow(columns)
        named = {c for i, c in enumerate(columns) if i not in fields}
        has_extra = "extra" in fields.values()
        n = 0
        for e in entries:
            raw_style = notes.get("bool_style")
            style = (str(raw_style[0]), str(raw_style[1])) if raw_style else default_bools
            row: list[str] = []
            for i, col in enumerate(columns):
                fname = fields.get(i)
                if fname == "extra":
                    rest = {k: v for k, v in e.extra.items() if k not in named and k not in ("_surplus",)}
                    row.append(json.dumps(rest, ensure_ascii=False, default=str) if rest else "")
                elif fname is not None:
                    text = field_value(e, fname, style)
                    if not text and fname in e.extra and not has_extra:
                        text = _cell(e.extra[fname])  # a value that could not be read, written back as it was
                    row.append(text)
                else:
                    row.append(_cell(e.extra.get(col)))
            surplus = e.extra.get("_surplus")
            if isinstance(surplus, list) and not has_extra:  # cells beyond the header, as they were read
                row += [_cell(c) for c in surplus]
            cw.writerow(row)
            n += 1
        return n
    finally:
        finish_text(w)


def write_csv(entries: Iterable[ListEntry], out: BinaryIO, header: ListHeader | None) -> int:
    hx = header.extra if header is not None and header.format == "csv" else None
    if hx and hx.get("columns"):
        columns = list(hx["columns"])
        by_name = hx.get("fields") or {}
        fields = {i: by_name[c] for i, c in enumerate(columns) if c in by_name}
        delimiter = str(hx.get("delimiter") or ",")
    else:
        columns = list(COLUMNS)
        fields = {i: c for i, c in enumerate(columns)}
        delimiter = ","
    notes = header.extra if header is not None else {}
    return write_delimited(entries, out, columns, fields, delimiter, notes, ("true", "false"))
