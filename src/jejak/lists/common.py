"""What every list reader shares: the streaming ``ListReader`` with its problem log, and lenient value
parsing.

A reader never aborts a file for one bad record. It yields nothing for a record it cannot use (no valid
hash), keeps an entry whose side value is bad (an unknown category, a malformed flag: losing a hash is worse
than losing a label), and logs every such case in ``ListReader.problems`` as ``"<where>: <reason>"``. The log
keeps the first ``MAX_PROBLEMS`` messages; ``count_bad`` counts all of them. A file that cannot be read to
its end (a JSON syntax error, a truncated SQLite file) stops the iteration with a last problem and ``complete
= False``.

Text lists are decoded by their byte-order mark (UTF-8 by default, UTF-16 with a BOM) with
``surrogateescape``, so that a name in a legacy code page survives a read and a write byte for byte.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, BinaryIO

from jejak.errors import ConfigError, NotFound
from jejak.model.lists import SCHEMES, ListEntry, ListHeader
from jejak.model.records import HEX_LENGTHS, HashValue

MAX_PROBLEMS = 1000

ALG_BY_LENGTH: dict[int, str] = {32: "md5", 40: "sha1", 64: "sha256"}

_HEX = re.compile(r"^[0-9a-fA-F]+$")
_TRUE = frozenset({"true", "t", "yes", "y", "1", "-1", "on", "x"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off"})
_NULL = frozenset({"", "null", "none", "nil", "n/a", "na"})


class ListReader(Iterator[ListEntry]):
    """The entries of one list, read as they are iterated (memory does not grow with the file).

    ``problems`` holds the first ``MAX_PROBLEMS`` messages (record number and reason) and fills while
    iterating; ``count_bad`` counts every problem, ``count_skipped`` the records that yielded nothing,
    ``count_read`` the entries yielded. ``complete`` turns False when the file could not be read to its end.
    ``header.extra`` may gain keys while iterating (a VICS file's top-level keys written after its media): it
    is complete once the iterator is exhausted.
    """

    def __init__(self, header: ListHeader, rows: Callable[[ListReader], Iterator[ListEntry]]) -> None:
        self.header = header
        self.problems: list[str] = []
        self.count_bad = 0
        self.count_skipped = 0
        self.count_read = 0
        self.complete = True
        self._rows = rows(self)

    def problem(self, where: str, reason: str, *, skipped: bool = False) -> None:
        self.count_bad += 1
        if skipped:
            self.count_skipped += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"{where}: {reason}" if where else reason)

    def stop(self, where: str, reason: str) -> None:
        """Record that the rest of the file cannot be read."""
        self.complete = False
        self.problem(where, f"{reason}; the rest of the file was not read")

    def __iter__(self) -> ListReader:
        return self

    def __next__(self) -> ListEntry:
        entry = next(self._rows)
        self.count_read += 1
        return entry

    def close(self) -> None:
        close = getattr(self._rows, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> ListReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


# --- files ------------------------------------------------------------------------------------------------


def check_file(path: Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise NotFound(f"no such list file: {path}")
    if not path.is_file():
        raise NotFound(f"not a file: {path}")
    return path


def text_encoding(head: bytes) -> str:
    """The encoding a text list is in, from its byte-order mark (UTF-8 when there is none)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8"


def open_text(path: Path) -> IO[str]:
    """Open a text list for reading: BOM-aware, newline-preserving (for csv), surrogateescape."""
    with open(path, "rb") as f:
        head = f.read(4)
    return open(path, encoding=text_encoding(head), errors="surrogateescape", newline="")


def text_writer(out: BinaryIO) -> io.TextIOWrapper:
    """A text layer over a binary output that the caller keeps open (detach, never close, when done)."""
    return io.TextIOWrapper(out, encoding="utf-8", errors="surrogateescape", newline="", write_through=False)


def finish_text(w: io.TextIOWrapper) -> None:
    w.flush()
    w.detach()


# --- values -----------------------------------------------------------------------------------------------


def parse_bool(value: object) -> bool | None:
    """JSON booleans, 1/0, and the strings real exports use (true/false, True, yes/no, y/n, 1/0, -1).
    None and empty mean "not said". Anything else raises ValueError."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if value in (0, 1, -1):
            return value != 0
        raise ValueError(f"not a boolean: {value!r}")
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        if text in _NULL:
            return None
    raise ValueError(f"not a boolean: {value!r}")


def parse_int(value: object) -> int | None:
    """An integer from a number or a string ("1234", " 1234 ", "1234.0"); None and empty mean unknown."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise ValueError(f"not an integer: {value!r}")
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError(f"not an integer: {value!r}")
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in _NULL:
            return None
        if text.endswith(".0"):
            text = text[:-2]
        if text.lstrip("-").isdigit():
            return int(text)
    raise ValueError(f"not an integer: {value!r}")


def parse_text(value: object) -> str | None:
    """A string field: None and whitespace-only mean absent; numbers are kept as their text."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None


def parse_hash(algorithm: str, value: object, quality: int | None = None) -> HashValue | None:
    """A validated hash from a raw cell: None/empty -> None; wrong length or not hex -> ValueError."""
    if type(value) is str and len(value) == HEX_LENGTHS[algorithm]:  # the common case: HashValue validates
        try:
            return HashValue(algorithm, value.lower(), quality)
        except ValueError:
            pass
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{algorithm} is not text: {value!r}")
    text = value.strip()
    if not text or text.lower() in _NULL:
        return None
    if text[:2] in ("0x", "0X"):
        text = text[2:]
    want = HEX_LENGTHS[algorithm]
    if len(text) != want or not _HEX.match(text):
        shown = text if len(text) <= 80 else text[:77] + "..."
        if len(text) == want:
            raise ValueError(f"{algorithm} is not hexadecimal: {shown!r}")
        raise ValueError(f"{algorithm} must be {want} hex characters, got {len(text)}: {shown!r}")
    return HashValue(algorithm, text.lower(), quality)


def photodna_problem(value: str) -> str | None:
    """Why a PhotoDNA value does not look like one (144 bytes: 192 base64 or 288 hex characters), or None.
    It is kept as read either way: we store and re-export PhotoDNA, we never match it."""
    text = value.strip()
    if len(text) == 288 and _HEX.match(text):
        return None
    if len(text) == 192:
        try:
            if len(base64.b64decode(text, validate=True)) == 144:
                return None
        except (binascii.Error, ValueError):
            pass
    return f"PhotoDNA value has {len(text)} characters, expected 192 base64 or 288 hex; kept as read"


def check_scheme(scheme: str | None) -> str | None:
    if scheme is not None and scheme not in SCHEMES:
        raise ConfigError(f"unknown category scheme {scheme!r}; known: {', '.join(SCHEMES)}")
    return scheme


def norm_key(name: str) -> str:
    """A column or key name compared loosely: lower case, letters and digits only ("Is distributed" ->
    "isdistributed", "SHA-1" -> "sha1")."""
    return "".join(ch for ch in name.lower() if ch.isalnum())
