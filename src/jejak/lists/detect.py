"""Which list format a file is in, from its content (never its name).

In order: the SQLite magic -> ``nsrl`` (RDS v3); a JSON object (after a BOM and blanks) -> ``vics``; a ``%%%%
HASHDEEP`` line -> ``hashdeep``; an ICSE header (MD5, SHA1, PhotoDNA and ICSE's own columns) -> ``icse``;
``"SHA-1","MD5","CRC32",...`` -> ``nsrl`` (RDS v2); checksum lines (GNU, BSD or bare hashes) -> ``md5sum``;
``<64 hex>,<quality>`` lines, or 64-hex lines under a comment that mentions PDQ, or a CSV header whose only
hash column is PDQ -> ``pdq``; a CSV header with any recognised hash column -> ``csv``. Anything else raises
UnsupportedFormat; ``read_list(..., format=...)`` (the CLI's ``--format``) is the escape hatch.

A bare list of 64-hex values is read as SHA-256, not PDQ: both are 64 hex characters and nothing in such a
file says which. Reading PDQ as SHA-256 only loses near-duplicate matching of that list; reading SHA-256 as
PDQ would compare cryptographic digests by Hamming distance. Say ``--format pdq`` for a bare PDQ list.
"""

from __future__ import annotations

import re
from pathlib import Path

from jejak.errors import UnsupportedFormat
from jejak.lists.common import ALG_BY_LENGTH, check_file, text_encoding
from jejak.lists.csvlist import HASH_COLUMNS, map_columns, sniff_delimiter, split_header
from jejak.lists.icse import is_icse_header
from jejak.lists.nsrl import SQLITE_MAGIC, is_v2_header
from jejak.lists.pdqlist import split_line
from jejak.lists.text import HASHDEEP_MAGIC, parse_sum_line

FORMATS: tuple[str, ...] = ("vics", "icse", "nsrl", "md5sum", "hashdeep", "csv", "pdq")
SNIFF_BYTES = 256 * 1024
SAMPLE_LINES = 50
_PDQ_LINE = re.compile(r"^[0-9A-Fa-f]{64}\s*[,\t;]\s*(\d{1,3})?\s*([,\t;].*)?$")
_HEX64 = re.compile(r"^[0-9A-Fa-f]{64}$")


def detect_format(path: Path) -> str:
    """The format name (one of FORMATS) of a list file, sniffed from its first bytes."""
    path = check_file(Path(path))
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    if head.startswith(SQLITE_MAGIC):
        return "nsrl"
    text = head.decode(text_encoding(head), "replace")
    body = text.lstrip("\ufeff \t\r\n")
    if not body:
        raise UnsupportedFormat(f"{path}: the file is empty")
    if body[0] == "{":
        return "vics"
    if body[0] == "[":
        raise UnsupportedFormat(
            f"{path}: a JSON array; a VICS file is a JSON object with a 'value' list (give --format if it is "
            f"another list format)"
        )
    lines = text.splitlines()
    if len(head) == SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    comments: list[str] = []
    data: list[str] = []
    for line in lines:
        s = line.strip().lstrip("\ufeff")
        if not s:
            continue
        if s.upper().startswith(HASHDEEP_MAGIC) and not data:
            return "hashdeep"
        if s.startswith(("#", ";")) and not data:
            comments.append(s)
            continue
        data.append(s)
        if len(data) >= SAMPLE_LINES:
            break
    if not data:
        raise UnsupportedFormat(f"{path}: no data lines (only blanks or comments)")
    first = data[0]
    columns = [c.strip() for c in split_header(first, sniff_delimiter(first))]
    if is_icse_header(columns):
        return "icse"
    if is_v2_header(columns):
        return "nsrl"
    pdq_hint = any("pdq" in c.lower() for c in comments)
    pdqish = [d for d in data if _HEX64.match(split_line(d)[0])]
    with_quality = [d for d in data if _PDQ_LINE.match(d)]
    if len(pdqish) > len(data) / 2 and (with_quality or pdq_hint):
        return "pdq"
    sums = [parse_sum_line(d) for d in data]
    good = [p for p in sums if p is not None and (p[0] is not None or len(p[1]) in ALG_BY_LENGTH)]
    if sums[0] is not None and len(good) > len(sums) / 2:
        return "md5sum"
    fields = set(map_columns(columns).values())
    hash_fields = fields & {*HASH_COLUMNS, "photodna"}
    if hash_fields == {"pdq"}:
        return "pdq"
    if hash_fields:
        return "csv"
    shown = first if len(first) <= 100 else first[:97] + "..."
    raise UnsupportedFormat(
        f"{path}: cannot tell the list format from its content (first line: {shown!r}); "
        f"give the format ({', '.join(FORMATS)}), or a column mapping for a CSV"
    )
