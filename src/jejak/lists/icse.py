"""INTERPOL ICSE hash exports (CSV).

The header, as ICSE writes it (one line)::

    MD5;SHA1;PhotoDNA;Image ID;Is distributed;Victim identified;Offender identified;Series name;
    Number of submissions;File Available;Media Type;Baseline

Read leniently: the delimiter is sniffed from the header (``;`` as exported, ``,`` or tab after a spreadsheet
round trip), header names compared without case or spacing, cells may be quoted, a UTF-8/UTF-16 BOM is
skipped, booleans are Yes/No, Y/N, true/false, True/False or 1/0. Columns map to MD5 -> md5, SHA1 -> sha1,
PhotoDNA -> photodna (kept as read, never matched), Image ID -> external_id, Is distributed -> distributed,
Victim identified / Offender identified -> the flags, Series name -> series, Media Type -> media_type,
Baseline -> baseline. Every other column (Number of submissions, File Available, anything an analyst added) is
kept by its header in ``extra``. ICSE has no category column; should a file have one (added by an analyst, or
by jejak through a header that asks for it), it is read in ``scheme``, else ``vic-us``. Rows repeating a hash
are yielded as they are (the store merges).

Writing emits the same header (or, for entries read from an ICSE file or given an ``icse`` header, that
header's ``columns`` and ``delimiter``: ``ListHeader("icse", extra={"columns": [*COLUMNS, "Category"]})``
writes the categories too) and the booleans in the spelling the file used (Yes/No by default). Extra keys that
are not columns, and categories without a Category column, are not written: ICSE is a fixed format.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from jejak.lists.common import ListReader, norm_key
from jejak.lists.csvlist import open_delimited, write_delimited
from jejak.model.lists import DEFAULT_SCHEME, ListEntry, ListHeader

HEADER = (
    "MD5;SHA1;PhotoDNA;Image ID;Is distributed;Victim identified;Offender identified;Series name;"
    "Number of submissions;File Available;Media Type;Baseline"
)
COLUMNS: tuple[str, ...] = tuple(HEADER.split(";"))
_FIELDS: dict[str, str] = {
    "md5": "md5",
    "sha1": "sha1",
    "photodna": "photodna",
    "imageid": "external_id",
    "isdistributed": "distributed",
    "victimidentified": "victim_identified",
    "offenderidentified": "offender_identified",
    "seriesname": "series",
    "mediatype": "media_type",
    "baseline": "baseline",
    "category": "category",
}
SYNONYMS: dict[str, tuple[str, ...]] = {}
for _col, _field in _FIELDS.items():
    SYNONYMS[_field] = (*SYNONYMS.get(_field, ()), _col)
DEFAULT_BOOLS = ("Yes", "No")


def is_icse_header(columns: list[str]) -> bool:
    """ICSE's header: MD5, SHA1, PhotoDNA and Image ID columns and two more of its own."""
    keys = {norm_key(c) for c in columns}
    own = {"isdistributed", "victimidentified", "offenderidentified", "seriesname", "numberofsubmissions"}
    return {"md5", "sha1", "photodna", "imageid"} <= keys and len(keys & own) >= 2


def _check(columns: list[str], fields: dict[int, str]) -> str | None:
    return None if is_icse_header(columns) else f"not an ICSE header: {columns!r}"


def open_icse(path: Path, scheme: str | None) -> ListReader:
    return open_delimited(path, "icse", scheme, DEFAULT_SCHEME, synonyms=SYNONYMS, check=_check)


def write_icse(entries: Iterable[ListEntry], out: BinaryIO, header: ListHeader | None) -> int:
    hx = header.extra if header is not None and header.format == "icse" else None
    if hx and hx.get("columns"):
        columns = list(hx["columns"])
        delimiter = str(hx.get("delimiter") or ";")
        header_line = None
    else:
        columns = list(COLUMNS)
        delimiter = ";"
        header_line = HEADER
    fields = {i: _FIELDS[norm_key(c)] for i, c in enumerate(columns) if norm_key(c) in _FIELDS}
    notes = header.extra if header is not None else {}
    return write_delimited(
        entries, out, columns, fields, delimiter, notes, DEFAULT_BOOLS, header_line, "\r\n"
    )
