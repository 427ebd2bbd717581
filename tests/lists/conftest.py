"""Fixtures of the list tests: the hand-written files under data/ and a helper to read a list whole."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from jejak.lists import ListReader, read_list, write_list
from jejak.model.lists import ListEntry, ListHeader

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data() -> Path:
    return DATA


def read_all(path: Path, **kw: Any) -> tuple[ListHeader, list[ListEntry], ListReader]:
    header, reader = read_list(path, **kw)
    entries = list(reader)
    return header, entries, reader


def write_bytes(entries: Iterable[ListEntry], fmt: str, header: ListHeader | None = None, **kw: Any) -> bytes:
    buf = io.BytesIO()
    write_list(entries, buf, fmt, header=header, **kw)
    return buf.getvalue()


def round_trip(
    tmp_path: Path, entries: list[ListEntry], fmt: str, header: ListHeader | None = None, **kw: Any
) -> tuple[ListHeader, list[ListEntry], ListReader]:
    """Write entries, read the file back (format given explicitly, so detection is tested elsewhere)."""
    out = tmp_path / f"round-trip.{fmt}"
    out.write_bytes(write_bytes(entries, fmt, header, **kw))
    read_fmt = "md5sum" if fmt in ("sha1sum", "sha256sum") else fmt
    return read_all(out, format=read_fmt)


def assert_same(a: list[ListEntry], b: list[ListEntry]) -> None:
    """Equal entries, extra (which ListEntry equality ignores) included."""
    assert a == b
    assert [e.extra for e in a] == [e.extra for e in b]
