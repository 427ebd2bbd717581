"""vPDQ hash files: one video's frame hashes, one ``frame,quality,pdq_hex,seconds`` line per frame.

The format of Meta's vpdq tools and of the ThreatExchange ``vpdq/sample-hashes`` files:

    0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.000
    1,100,c0f11178372c6aaccddea259648fbfd62f434c89c9e99b249772be216c8d055c,0.033

frame number (decimal, >= 0), PDQ quality (0-100), the PDQ as 64 hex digits, the frame's time in seconds
with three decimals; no header, ``\\n`` line ends. Reading is strict, as a video hash with a damaged line is
a damaged hash: the first bad line raises ``VpdqFormatError`` (a ConfigError and a ValueError) naming the
source and the line number, like the list readers' ``"line N: reason"`` problems. Blank lines, ``\\r\\n``
line ends, spaces around fields and upper-case hex are accepted; hex is stored lower-case. Writing
reproduces Meta's files byte for byte (tests/lists/test_vpdq.py round-trips every sample-hashes file).
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from jejak.errors import ConfigError, NotFound
from jejak.model.video import FrameHash

SECONDS_DECIMALS = 3  # as Meta writes them


class VpdqFormatError(ConfigError, ValueError):
    """A line of a vPDQ file that is not ``frame,quality,pdq_hex,seconds``."""


def parse_line(text: str) -> FrameHash:
    """One ``frame,quality,pdq_hex,seconds`` line (without its line end) as a FrameHash; ValueError
    with the reason when it is not one."""
    fields = [f.strip() for f in text.split(",")]
    if len(fields) != 4:
        raise ValueError(f"expected 4 fields (frame,quality,pdq_hex,seconds), got {len(fields)}")
    frame_text, quality_text, pdq, seconds_text = fields
    if not frame_text.isdigit():
        raise ValueError(f"frame number is not a non-negative integer: {frame_text!r}")
    if not quality_text.isdigit() or int(quality_text) > 100:
        raise ValueError(f"quality is not an integer 0-100: {quality_text!r}")
    if len(pdq) != 64 or not all(c in "0123456789abcdefABCDEF" for c in pdq):
        raise ValueError(f"PDQ is not 64 hex digits: {pdq!r}")
    try:
        seconds = float(seconds_text)
    except ValueError:
        raise ValueError(f"seconds is not a number: {seconds_text!r}") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"seconds is not a finite number >= 0: {seconds_text!r}")
    return FrameHash(int(frame_text), int(quality_text), pdq.lower(), seconds)


def parse_vpdq(text: str, source: str = "<vpdq>") -> list[FrameHash]:
    """The frame hashes of a vPDQ file's text; VpdqFormatError at the first bad line."""
    out: list[FrameHash] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(parse_line(line))
        except ValueError as exc:
            raise VpdqFormatError(f"{source}: line {n}: {exc}") from None
    return out


def read_vpdq(source: str | os.PathLike[str] | BinaryIO) -> list[FrameHash]:
    """Read a vPDQ file from a path or a binary stream. NotFound for a missing path; VpdqFormatError
    (naming the line) for a malformed line or a file that is not ASCII text."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise NotFound(f"no such vPDQ file: {path}")
        data, name = path.read_bytes(), str(path)
    else:
        data, name = source.read(), str(getattr(source, "name", "<stream>"))
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise VpdqFormatError(f"{name}: line {line}: not ASCII text") from None
    return parse_vpdq(text, name)


def format_line(frame: FrameHash) -> str:
    return f"{frame.frame},{frame.quality},{frame.pdq},{frame.seconds:.{SECONDS_DECIMALS}f}"


def format_vpdq(frames: Iterable[FrameHash]) -> str:
    return "".join(format_line(f) + "\n" for f in frames)


def write_vpdq(frames: Iterable[FrameHash], out: str | os.PathLike[str] | BinaryIO) -> int:
    """Write frames as Meta writes them to a path or a binary stream (which the caller closes); returns
    the number of lines."""
    buf = io.StringIO()
    n = 0
    for f in frames:
        buf.write(format_line(f) + "\n")
        n += 1
    data = buf.getvalue().encode("ascii")
    if isinstance(out, (str, os.PathLike)):
        Path(out).write_bytes(data)
    else:
        out.write(data)
    return n
