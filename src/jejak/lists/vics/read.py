"""VICS media -> ListEntry, and open_vics: the streaming reader."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson

from jejak.lists.categories import CategoryReader
from jejak.lists.common import (
    ListReader,
    norm_key,
    parse_bool,
    parse_hash,
    parse_int,
    parse_text,
    photodna_problem,
)
from jejak.lists.vics.common import (
    ALT_NAMES,
    BUF_SIZE,
    F_MD5,
    F_PDNA,
    F_PDQ,
    F_SHA1,
    F_SHA256,
    MEDIA_FIELDS,
    default_scheme,
    parse_context,
)
from jejak.lists.vics.scan import Counting, prescan, read_tail
from jejak.model.lists import Category, ListEntry, ListHeader
from jejak.model.records import HashValue

# --- media -> ListEntry -----------------------------------------------------------------------------------


class _MediaReader:
    """One VICS media object -> ListEntry (or None with a problem), per the rules in the module docstring.
    The hot path of a million-entry import: keys are resolved once per spelling, hashes on a fast path."""

    def __init__(self, reader: ListReader, cats: CategoryReader) -> None:
        self.reader = reader
        self.cats = cats
        self.hex_case: bool | None = None  # True: the file writes hex upper-case
        self._keys: dict[str, str] = {}  # key as spelt in the file -> field ("" for an unmapped key)
        self._alt_names: dict[str, str | None] = {}

    def _field(self, key: str) -> str:
        fname = self._keys.get(key)
        if fname is None:
            fname = self._keys[key] = MEDIA_FIELDS.get(key.lower(), "")
        return fname

    def __call__(self, m: Any, n: int) -> ListEntry | None:
        if not isinstance(m, dict):
            self.reader.problem(f"media #{n}", f"not a JSON object: {type(m).__name__}", skipped=True)
            return None
        hashes: dict[str, HashValue] = {}
        extra: dict[str, Any] = {}
        photodna: str | None = None
        category: Category | None = None
        series = media_type = external_id = name = None
        size: int | None = None
        victim = offender = distributed = baseline = None
        alt: Any = None
        keys = self._keys
        for key, value in m.items():
            fname = keys.get(key)
            if fname is None:
                fname = self._field(key)
            if not fname:
                extra[key] = value
            elif fname in (F_MD5, F_SHA1):
                self._hash(fname, key, value, hashes, extra, m, n)
                if self.hex_case is None and fname in hashes and isinstance(value, str):
                    self.hex_case = any(c in "ABCDEF" for c in value)
            elif fname == "category":
                if value is not None:
                    try:
                        category = self.cats(value)
                    except ValueError as exc:
                        self._bad(m, n, f"{exc}; kept without a category")
                if category is None:
                    extra[key] = value
            elif fname == "alt":
                extra[key] = alt = value
            elif fname == "mediaid":
                extra[key] = value
                if value is not None:
                    external_id = str(value)
            elif fname in _FLAG_FIELDS:
                if type(value) is bool:
                    b: bool | None = value
                else:
                    try:
                        b = parse_bool(value)
                    except ValueError as exc:
                        self._bad(m, n, f"{key}: {exc}")
                        b = None
                if b is None:
                    extra[key] = value
                elif fname == "victim_identified":
                    victim = b
                elif fname == "offender_identified":
                    offender = b
                elif fname == "distributed":
                    distributed = b
                else:
                    baseline = b
            elif fname == "size":
                if type(value) is int:
                    size = value
                else:
                    try:
                        size = parse_int(value)
                    except ValueError as exc:
                        self._bad(m, n, f"{key}: {exc}")
                    if size is None:
                        extra[key] = value
            elif fname in (F_SHA256, F_PDQ):
                extra[key] = value  # its place (an own field, not AlternativeHashes) is kept for export
                self._hash(fname, key, value, hashes, extra, m, n)
            elif fname == F_PDNA:
                extra[key] = value
                if isinstance(value, str) and value.strip():
                    photodna = value
                    why = photodna_problem(value)
                    if why:
                        self._bad(m, n, why)
            else:  # series, media_type, name
                text = parse_text(value) if isinstance(value, str | int) else None
                if text is None:
                    extra[key] = value
                elif fname == "series":
                    series = text
                elif fname == "media_type":
                    media_type = text
                else:
                    name = text
        if alt is not None:
            photodna = self._alternative(alt, hashes, photodna, m, n)
        if not hashes and photodna is None:
            self.reader.problem(
                self._where(m, n), "no MD5, SHA-1, SHA-256, PDQ or PhotoDNA value", skipped=True
            )
            return None
        found = tuple(hashes)
        order = _ORDERS.get(found)
        if order is None:
            order = _ORDERS[found] = tuple(a for a in _ORDER if a in hashes)
        ordered = tuple(map(hashes.__getitem__, order))
        return ListEntry(
            hashes=ordered,
            category=category,
            photodna=photodna,
            series=series,
            victim_identified=victim,
            offender_identified=offender,
            distributed=distributed,
            baseline=baseline,
            external_id=external_id,
            media_type=media_type,
            name=name,
            size=size,
            extra=extra,
        )

    def _hash(
        self,
        alg: str,
        key: str,
        value: Any,
        hashes: dict[str, HashValue],
        extra: dict[str, Any],
        m: dict[str, Any],
        n: int,
    ) -> None:
        try:
            h = parse_hash(alg, value)
        except ValueError as exc:
            self._bad(m, n, str(exc))
            extra[key] = value
            return
        if h is None:
            extra[key] = value
        elif alg in hashes and hashes[alg] != h:
            self._bad(m, n, f"two different {alg} values; kept the first")
        else:
            hashes[alg] = h

    def _alg_of(self, hname: Any) -> str | None:
        if not isinstance(hname, str):
            return None
        alg = self._alt_names.get(hname, _MISSING)
        if alg is _MISSING:
            alg = self._alt_names[hname] = ALT_NAMES.get(norm_key(hname))
        return alg  # type: ignore[return-value]

    def _alternative(
        self, alt: Any, hashes: dict[str, HashValue], photodna: str | None, m: dict[str, Any], n: int
    ) -> str | None:
        items = alt.get("results") if isinstance(alt, dict) else alt
        if not isinstance(items, list):
            return photodna  # a __deferred link or similar: nothing to read
        for item in items:
            if not isinstance(item, dict):
                continue
            if "HashName" in item:
                hname, hvalue = item["HashName"], item.get("HashValue")
            else:
                hname = hvalue = None
                for k, v in item.items():
                    lk = k.lower()
                    if lk == "hashname":
                        hname = v
                    elif lk == "hashvalue":
                        hvalue = v
            alg = self._alg_of(hname)
            if alg is None or hvalue is None:
                continue
            if alg == "photodna":
                if photodna is None and isinstance(hvalue, str) and hvalue.strip():
                    photodna = hvalue
                    why = photodna_problem(hvalue)
                    if why:
                        self._bad(m, n, why)
                continue
            try:
                h = parse_hash(alg, hvalue)
            except ValueError as exc:
                self._bad(m, n, f"AlternativeHashes {hname}: {exc}")
                continue
            if h is None:
                continue
            if alg not in hashes:
                hashes[alg] = h
            elif hashes[alg] != h:
                self._bad(m, n, f"AlternativeHashes {hname} differs from the media's {alg}; kept the media's")
        return photodna

    def _where(self, m: dict[str, Any], n: int) -> str:
        for k, v in m.items():
            if k.lower() == "mediaid" and v is not None:
                return f"media #{n} (MediaID {v})"
        return f"media #{n}"

    def _bad(self, m: dict[str, Any], n: int, reason: str) -> None:
        self.reader.problem(self._where(m, n), reason)


_FLAG_FIELDS = frozenset({"victim_identified", "offender_identified", "distributed", "baseline"})
_ORDER = ("md5", "sha1", "sha256", "pdq")
_ORDERS: dict[tuple[str, ...], tuple[str, ...]] = {}  # algorithms as found -> in ListEntry order
_MISSING = object()


# --- the reader -------------------------------------------------------------------------------------------


def open_vics(path: Path, scheme: str | None) -> ListReader:
    """A streaming reader of a VICS JSON file (see the module docstring)."""
    lay = prescan(path)
    version, profile, shape = parse_context(lay.context)
    used_scheme = scheme or default_scheme(version, profile)
    extra: dict[str, Any] = {
        "shape": lay.shape or shape or "Media",
        "context_key": lay.context_key,
        "context": lay.context,
        "scheme": used_scheme,
        "top": {k: v for k, v in lay.top.items() if k != lay.context_key},
    }
    if lay.shape == "Cases":
        extra["case"] = dict(lay.case)
    if len(lay.array_path) > 1 or (lay.array_path and lay.array_path[0].lower() == "d"):
        extra["odata_verbose"] = True
    header = ListHeader(format="vics", version=version, profile=profile, extra=extra)
    cats = CategoryReader(used_scheme, extra)

    def rows(reader: ListReader) -> Iterator[ListEntry]:
        if lay.error is not None:
            reader.stop("", lay.error)
            return
        if not lay.found:
            reader.problem("", "no media array (a top-level 'value' list) in the file")
            return
        convert = _MediaReader(reader, cats)
        count = 0
        pos_prev = pos_last = 0
        last: Any = None
        with open(path, "rb") as raw:
            raw.seek(lay.bom)
            counting = Counting(raw)
            try:
                for obj in ijson.items(counting, lay.items_prefix, use_float=True, buf_size=BUF_SIZE):
                    count += 1
                    pos_prev, pos_last = pos_last, counting.pos
                    last = obj
                    entry = convert(obj, count)
                    if convert.hex_case is not None and "hex_upper" not in extra:
                        extra["hex_upper"] = convert.hex_case
                    if entry is not None:
                        yield entry
            except (ijson.JSONError, ValueError) as exc:
                reader.stop(f"after media #{count}", f"JSON error: {exc}")
                return
        start = lay.bom + max(0, pos_prev - 2 * BUF_SIZE) if count > 1 else lay.bom
        try:
            top, case = read_tail(path, lay, count, last, start)
        except (ijson.JSONError, ValueError) as exc:
            reader.problem("after the media", f"keys after the media array could not be read: {exc}")
            return
        extra["top"].update({k: v for k, v in top.items() if k != lay.context_key})
        if lay.shape == "Cases":
            extra["case"].update(case)

    return ListReader(header, rows)
