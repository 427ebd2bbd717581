"""The pre-scan of a VICS file (top-level keys up to the media array, its shape) and the keys after it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import ijson

from jejak.lists.vics.common import BUF_SIZE, CONTEXT_KEYS, MEDIA_HINT_KEYS, TAIL_WINDOW_CAP, parse_context

# --- the pre-scan -----------------------------------------------------------------------------------------


@dataclass
class _Layout:
    context_key: str | None = None
    context: str | None = None
    top: dict[str, Any] = field(default_factory=dict)
    array_path: tuple[str, ...] = ()
    shape: str | None = None
    media_key: str | None = None
    case: dict[str, Any] = field(default_factory=dict)
    found: bool = False
    bom: int = 0
    error: str | None = None

    @property
    def items_prefix(self) -> str:
        base = ".".join(self.array_path) + ".item"
        if self.shape == "Cases":
            return f"{base}.{self.media_key or 'Media'}.item"
        return base


def _skip_bom(f: IO[bytes]) -> int:
    head = f.read(3)
    if head == b"\xef\xbb\xbf":
        return 3
    f.seek(0)
    return 0


_SCALAR_EVENTS = frozenset({"string", "number", "boolean", "null", "integer", "double"})


def _build(event: str, value: Any, events: Iterator[tuple[str, str, Any]]) -> Any:
    """The value whose first event is (event, value), reading its remaining events."""
    if event in _SCALAR_EVENTS:
        return value
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1
    for _prefix, ev, val in events:
        builder.event(ev, val)
        if ev in ("start_map", "start_array"):
            depth += 1
        elif ev in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                break
    return builder.value


class _NotVics(Exception):
    pass


def prescan(path: Path) -> _Layout:
    lay = _Layout()
    with open(path, "rb") as f:
        lay.bom = _skip_bom(f)
        events: Iterator[tuple[str, str, Any]] = iter(ijson.parse(f, use_float=True, buf_size=BUF_SIZE))
        try:
            _walk_head(events, lay)
        except _NotVics as exc:
            lay.error = str(exc)
        except (ijson.JSONError, ValueError) as exc:
            lay.error = f"not valid JSON: {exc}"
    return lay


def _walk_head(events: Iterator[tuple[str, str, Any]], lay: _Layout) -> None:
    first = next(events, None)
    if first is None:
        raise _NotVics("the file is empty")
    if first[1] != "start_map":
        raise _NotVics("the JSON document is not an object")
    key = ""
    for prefix, event, value in events:
        if prefix == "":
            if event == "map_key":
                key = value
                continue
            if event == "end_map":
                return
        lower = key.lower()
        if lower in ("value", "d") and event == "start_array":
            lay.array_path = (key,)
            _enter_array(events, lay, key)
            return
        if lower == "d" and event == "start_map":
            inner = ""
            for p, ev, val in events:  # verbose OData: {"d": {"results": [...]}}
                if p == key and ev == "map_key":
                    inner = val
                    continue
                if p == key and ev == "end_map":
                    break
                if inner.lower() == "results" and ev == "start_array":
                    lay.array_path = (key, inner)
                    _enter_array(events, lay, f"{key}.{inner}")
                    return
                _build(ev, val, events)
            continue
        built = _build(event, value, events)
        lay.top[key] = built
        if lower in CONTEXT_KEYS and isinstance(built, str) and lay.context is None:
            lay.context_key, lay.context = key, built


def _enter_array(events: Iterator[tuple[str, str, Any]], lay: _Layout, array_prefix: str) -> None:
    lay.found = True
    hint = parse_context(lay.context)[2]
    if hint == "Media":
        lay.shape = "Media"
        return
    item_prefix = array_prefix + ".item"
    first = next(events, None)
    if first is None or first[1] == "end_array":
        lay.shape = hint or "Media"
        return
    if first[1] != "start_map":
        lay.shape = hint or "Media"
        return
    key = ""
    case: dict[str, Any] = {}
    for prefix, event, value in events:
        if prefix == item_prefix and event == "map_key":
            key = value
            continue
        if prefix == item_prefix and event == "end_map":
            lay.shape = hint or "Media"  # no Media list in the first item: media themselves
            lay.case = case if lay.shape == "Cases" else {}
            return
        lower = key.lower()
        if lower == "media" and event == "start_array":
            lay.shape, lay.media_key, lay.case = "Cases", key, case
            return
        if hint is None and lower in MEDIA_HINT_KEYS:
            lay.shape = "Media"
            return
        case[key] = _build(event, value, events)


# --- the tail: keys written after the media array ---------------------------------------------------------


class Counting:
    """A binary reader that counts the bytes handed to ijson (to locate the last media afterwards)."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f = f
        self.pos = 0

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.pos += len(data)
        return data


class _Chain:
    """A synthetic JSON opening followed by the rest of a file from an offset."""

    def __init__(self, head: bytes, f: IO[bytes]) -> None:
        self.head = head
        self.f = f

    def read(self, n: int = -1) -> bytes:
        if self.head:
            if n < 0 or n >= len(self.head):
                out, self.head = self.head, b""
                return out + (self.f.read(n - len(out)) if n > 0 else b"")
            out, self.head = self.head[:n], self.head[n:]
            return out
        return self.f.read(n)


def _locate_array_end(path: Path, start: int, last: Any) -> int | None:
    """The byte offset of the ``]`` that closes the media array: the last media (``last``, as ijson built it)
    is found at or after ``start`` by decoding candidate objects and comparing."""
    with open(path, "rb") as f:
        f.seek(start)
        chunks: list[bytes] = []
        size = 0
        while size < TAIL_WINDOW_CAP:  # in pieces: read(n) would reserve all n bytes at once
            chunk = f.read(min(BUF_SIZE, TAIL_WINDOW_CAP - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    text = data.decode("utf-8", "surrogateescape")
    decoder = json.JSONDecoder()
    idx = text.find("{")
    while idx != -1:
        try:
            obj, end = decoder.raw_decode(text, idx)
        except ValueError:
            obj, end = None, idx
        if obj is not None and obj == last:
            j = end
            while j < len(text) and text[j] in " \t\r\n":
                j += 1
            if j < len(text) and text[j] == "]":
                return start + len(text[:j].encode("utf-8", "surrogateescape"))
        idx = text.find("{", idx + 1)
    return None


def _collect_events(
    events: Iterable[tuple[str, str, Any]], lay: _Layout, top: dict[str, Any], case: dict[str, Any]
) -> None:
    """Top-level keys (except the media array) and the first case's keys (except Media) from an event stream
    that starts at the document start; media are skipped without being built."""
    arr = lay.array_path[0] if lay.array_path else None
    case_prefix = f"{arr}.item"
    it = iter(events)
    key = ""
    ckey = ""
    cases_seen = 0
    for prefix, event, value in it:
        if prefix == "":
            if event == "map_key":
                key = value
            continue
        if key != arr:
            top[key] = _build(event, value, it)
            continue
        if lay.shape != "Cases":
            continue
        if prefix == case_prefix:
            if event == "start_map":
                cases_seen += 1
            elif event == "map_key":
                ckey = value
            continue
        if prefix == f"{case_prefix}.{ckey}" and cases_seen == 1 and ckey.lower() != "media":
            case[ckey] = _build(event, value, it)


def read_tail(
    path: Path, lay: _Layout, count: int, last: Any, window_start: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(top-level keys, case keys) written after the media array."""
    top: dict[str, Any] = {}
    case: dict[str, Any] = {}
    if len(lay.array_path) != 1:
        return top, case
    end = _locate_array_end(path, window_start, last) if count else None
    if end is None:  # no media, or the last one could not be located: one full event pass
        with open(path, "rb") as f:
            _skip_bom(f)
            _collect_events(ijson.parse(f, use_float=True, buf_size=BUF_SIZE), lay, top, case)
        return top, case
    arr = json.dumps(lay.array_path[0]).encode()
    if lay.shape == "Cases":
        head = b"{" + arr + b":[{" + json.dumps(lay.media_key or "Media").encode() + b":["
    else:
        head = b"{" + arr + b":["
    with open(path, "rb") as f:
        f.seek(end)
        _collect_events(ijson.parse(_Chain(head, f), use_float=True, buf_size=BUF_SIZE), lay, top, case)
    return top, case
