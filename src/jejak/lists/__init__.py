"""Known-hash lists: one streaming reader (and a writer where it makes sense) per format, and detection.

    header, reader = read_list(path)                # format sniffed from the content
    for entry in reader:                            # ListEntry, one at a time; memory does not grow
        ...
    reader.problems, reader.count_bad               # bad records: logged, never fatal (see ListReader)
    write_list(entries, out, "vics", header=header) # the same format back: unknown keys survive

Formats (``FORMATS``; docs/formats.md has the details): ``vics`` (Project VIC VICS JSON 1.x/2.0, hash sets and
case exports), ``icse`` (INTERPOL ICSE CSV), ``nsrl`` (NIST RDS v3 SQLite and v2 NSRLFile.txt; read only),
``md5sum`` (md5sum/sha1sum/sha256sum, BSD tags, bare hash lists; ``sha1sum`` and ``sha256sum`` are accepted
names too), ``hashdeep``, ``csv`` (generic, header-mapped) and ``pdq`` (PDQ lines or a CSV with a pdq column).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from jejak.errors import ConfigError, UnsupportedFormat
from jejak.lists.common import MAX_PROBLEMS, ListReader, check_file, check_scheme
from jejak.lists.csvlist import open_csv, write_csv
from jejak.lists.detect import FORMATS, detect_format
from jejak.lists.icse import open_icse, write_icse
from jejak.lists.nsrl import open_nsrl
from jejak.lists.pdqlist import open_pdq, write_pdq
from jejak.lists.text import SUM_ALGORITHMS, open_hashdeep, open_sums, write_hashdeep, write_sums
from jejak.lists.vics import (
    VicsCase,
    VicsCaseMedia,
    VicsMediaFile,
    format_vics_datetime,
    open_vics,
    parse_vics_datetime,
    write_vics,
    write_vics_case,
)
from jejak.model.lists import ListEntry, ListHeader

__all__ = [
    "FORMATS",
    "MAX_PROBLEMS",
    "WRITABLE",
    "ListReader",
    "VicsCase",
    "VicsCaseMedia",
    "VicsMediaFile",
    "detect_format",
    "format_vics_datetime",
    "parse_vics_datetime",
    "read_list",
    "write_list",
    "write_vics_case",
]

# Formats write_list accepts (nsrl is read-only); md5sum also as sha1sum / sha256sum.
WRITABLE: tuple[str, ...] = ("vics", "icse", "md5sum", "sha1sum", "sha256sum", "hashdeep", "csv", "pdq")
_ALIASES = {"sha1sum": "md5sum", "sha256sum": "md5sum"}


def _format_name(fmt: str) -> str:
    name = fmt.strip().lower()
    return _ALIASES.get(name, name)


def read_list(
    path: Path, format: str = "auto", scheme: str | None = None, mapping: dict[str, str] | None = None
) -> tuple[ListHeader, ListReader]:
    """Open a list for streaming: ``(header, reader)``; ``reader`` is an Iterator[ListEntry] (the same header
    is ``reader.header``) with ``problems``, ``count_bad``, ``count_skipped``, ``count_read`` and
    ``complete``.

    ``format`` "auto" sniffs the content (``detect_format``); with a ``mapping`` (our field name -> column
    header, e.g. ``{"md5": "Hash", "category": "Cat"}``) "auto" means ``csv``. ``scheme`` reads categories in
    that scheme (``vic-us``, ``vic-legacy``, ``uk``, ``industry``) instead of the format's default: VICS by
    profile (``uk`` for 2.0 UK, else ``vic-us``), csv/pdq/icse ``vic-us`` when a category column exists,
    NSRL, md5sum and hashdeep none. Raises NotFound, UnsupportedFormat, ConfigError (bad scheme or
    mapping)."""
    path = check_file(Path(path))
    check_scheme(scheme)
    fmt = _format_name(format)
    if fmt == "auto":
        fmt = "csv" if mapping is not None else detect_format(path)
    if fmt not in FORMATS:
        raise UnsupportedFormat(f"unknown list format {format!r}; known: {', '.join(FORMATS)}")
    if mapping is not None and fmt != "csv":
        raise ConfigError(f"a column mapping applies to the csv format, not {fmt}")
    reader: ListReader
    if fmt == "vics":
        reader = open_vics(path, scheme)
    elif fmt == "icse":
        reader = open_icse(path, scheme)
    elif fmt == "nsrl":
        reader = open_nsrl(path)
    elif fmt == "md5sum":
        reader = open_sums(path)
    elif fmt == "hashdeep":
        reader = open_hashdeep(path)
    elif fmt == "csv":
        reader = open_csv(path, scheme, mapping)
    else:
        reader = open_pdq(path, scheme)
    return reader.header, reader


def write_list(
    entries: Iterable[ListEntry],
    out: BinaryIO,
    format: str,
    header: ListHeader | None = None,
    profile: str = "US",
) -> int:
    """Write entries in a format (``WRITABLE``) to a binary stream the caller opened (and closes); returns
    the number of entries written (formats that need a value an entry lacks skip it: md5sum's digest, pdq's
    PDQ). ``header``, when it was read from the same format, makes the output follow the input (VICS version,
    profile, shape and top-level keys; CSV/ICSE columns and delimiter; hashdeep columns). ``profile`` is the
    VICS profile (US, UK, Default, CUSTOM): a VICS header's own profile wins unless another than the default
    "US" is given. Raises UnsupportedFormat for an unknown or read-only format, ConfigError for a category
    that the chosen VICS profile cannot express."""
    name = format.strip().lower()
    if name in SUM_ALGORITHMS:
        return write_sums(entries, out, name)
    fmt = _format_name(name)
    if fmt == "vics":
        return write_vics(entries, out, header, profile)
    if fmt == "icse":
        return write_icse(entries, out, header)
    if fmt == "hashdeep":
        return write_hashdeep(entries, out, header)
    if fmt == "csv":
        return write_csv(entries, out, header)
    if fmt == "pdq":
        return write_pdq(entries, out, header)
    if fmt == "nsrl":
        raise UnsupportedFormat("NSRL reference data sets are read-only: jejak does not write them")
    raise UnsupportedFormat(f"unknown list format {format!r}; writable: {', '.join(WRITABLE)}")
