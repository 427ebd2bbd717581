"""Writing VICS: hash sets (write_vics) and case exports (write_vics_case)."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, BinaryIO

import jejak
from jejak.errors import ConfigError
from jejak.lists.categories import NUMBER_BY_UK
from jejak.lists.common import (
    norm_key,
)
from jejak.lists.vics.common import (
    ALT_NAMES,
    ALT_WRITE_NAME,
    CONTEXT_KEYS,
    PROFILES,
    context_url,
    default_scheme,
    format_vics_datetime,
    parse_context,
)
from jejak.model.lists import Category, ListEntry, ListHeader
from jejak.model.records import ExifInfo

# --- writing ----------------------------------------------------------------------------------------------


def _effective(header: ListHeader | None, profile: str) -> tuple[str, str, str, str, dict[str, Any]]:
    """(version, profile, shape, scheme, header extra) for writing: a VICS header's own version, profile and
    shape win unless ``profile`` was given as something other than the default "US"."""
    hx: dict[str, Any] = header.extra if header is not None and header.format == "vics" else {}
    version = header.version if header is not None and header.format == "vics" and header.version else "2.0"
    chosen = profile
    if profile.upper() == "US" and header is not None and header.format == "vics" and header.profile:
        chosen = header.profile
    chosen = next((p for p in PROFILES if p.lower() == chosen.lower()), chosen)
    shape = hx.get("shape", "Media")
    same_profile = header is not None and (header.profile or "").lower() == chosen.lower()
    if hx.get("scheme") and (version.startswith("1") or same_profile):
        scheme = hx["scheme"]  # the scheme the file was read in (e.g. vic-legacy given to read_list)
    else:
        scheme = default_scheme(version, chosen)
    return version, chosen, shape, scheme, hx


class _MediaWriter:
    """ListEntry -> VICS media dict (mapped fields in VICS spelling, then every extra key as read)."""

    def __init__(self, scheme: str, version: str, hx: dict[str, Any]) -> None:
        self.scheme = scheme
        self.version = version
        self.hx = hx  # read as each media is written: a header still being read learns its hex case late
        self.next_id = 0

    @property
    def upper(self) -> bool:
        return bool(self.hx.get("hex_upper", True))

    def hexval(self, value: str) -> str:
        return value.upper() if self.upper else value

    def category(self, cat: Category) -> Any:
        if cat.scheme == "uk" and self.scheme == "uk":
            return cat.code if self.hx.get("category_style") == "letter" else NUMBER_BY_UK[cat.code]
        if cat.scheme in ("vic-us", "vic-legacy") and cat.scheme == self.scheme:
            return int(cat.code)
        raise ConfigError(
            f"category {cat.scheme}:{cat.code} cannot be written to a VICS {self.version} file whose "
            f"categories are in scheme {self.scheme} (choose the matching profile: UK for uk, US for vic-us)"
        )

    def media(self, e: ListEntry) -> dict[str, Any]:
        self.next_id += 1
        out: dict[str, Any] = {}
        done: set[str] = set()
        x = e.extra
        xl = {k.lower(): k for k in x}

        def put(key: str, value: Any) -> None:
            out[key] = value
            done.add(key.lower())

        raw_id = x.get(xl["mediaid"]) if "mediaid" in xl else None
        if e.external_id is None:
            put(xl.get("mediaid", "MediaID"), raw_id if "mediaid" in xl else self.next_id)
        elif raw_id is not None and str(raw_id) == e.external_id:
            put(xl["mediaid"], raw_id)
        else:
            put(
                xl.get("mediaid", "MediaID"), int(e.external_id) if e.external_id.isdigit() else e.external_id
            )
        if e.category is not None:
            put("Category", self.category(e.category))
        for alg, key in (("md5", "MD5"), ("sha1", "SHA1")):
            v = e.hash(alg)
            if v is not None:
                put(xl.get(alg, key), self.hexval(v))
        placed: set[str] = set()
        for alg, keys in (("sha256", ("sha256", "sha-256")), ("pdq", ("pdq",)), ("photodna", ("photodna",))):
            own = next((xl[k] for k in keys if k in xl), None)
            v = e.photodna if alg == "photodna" else e.hash(alg)
            if own is not None and v is not None:
                put(own, v if alg in ("photodna", "pdq") else self.hexval(v))
                placed.add(alg)
        for name, value in (
            ("Series", e.series),
            ("VictimIdentified", e.victim_identified),
            ("OffenderIdentified", e.offender_identified),
            ("IsDistributed", e.distributed),
            ("Baseline", e.baseline),
            ("MediaSize", e.size),
            ("MimeType", e.media_type),
            ("FileName", e.name),
        ):
            if value is not None:
                put(xl.get(name.lower(), name), value)
        alt_key = xl.get("alternativehashes", "AlternativeHashes")
        alt = self.alternative(e, x.get(alt_key), placed)
        if alt is not None:
            put(alt_key, alt)
        for k, v in x.items():
            if k.lower() not in done:
                out[k] = v
        return out

    def alternative(self, e: ListEntry, raw: Any, placed: set[str]) -> Any:
        """AlternativeHashes: the list as read with its values brought up to date, plus the SHA-256, PDQ and
        PhotoDNA that have no place yet."""
        wrapper: dict[str, Any] | None = None
        items: list[Any]
        if isinstance(raw, list):
            items = raw
        elif isinstance(raw, dict) and isinstance(raw.get("results"), list):
            wrapper, items = raw, raw["results"]
        else:
            items = []
        out: list[Any] = []
        present: set[str] = set()
        for item in items:
            if not isinstance(item, dict):
                out.append(item)
                continue
            name_key = next((k for k in item if k.lower() == "hashname"), None)
            value_key = next((k for k in item if k.lower() == "hashvalue"), "HashValue")
            hname = item.get(name_key) if name_key else None
            alg = ALT_NAMES.get(norm_key(hname)) if isinstance(hname, str) else None
            if alg is None:
                out.append(item)
                continue
            current = e.photodna if alg == "photodna" else e.hash(alg)
            if current is None:
                continue
            old = item.get(value_key)
            if alg != "photodna":  # hex in the case the file wrote it
                upper = (
                    any(c in "ABCDEF" for c in old) if isinstance(old, str) else self.upper and alg != "pdq"
                )
                current = current.upper() if upper else current
            out.append({**item, value_key: current})
            present.add(alg)
        for alg in ("sha256", "pdq", "photodna"):
            if alg in present or alg in placed:
                continue
            v = e.photodna if alg == "photodna" else e.hash(alg)
            if v is not None:
                out.append(
                    {"HashName": ALT_WRITE_NAME[alg], "HashValue": self.hexval(v) if alg == "sha256" else v}
                )
        if not out and raw is None:
            return None
        if wrapper is not None:
            return {**wrapper, "results": out}
        return out


def _dump(obj: Any) -> str:
    try:
        return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))
    except (TypeError, ValueError):
        return json.dumps(obj, ensure_ascii=True, default=str, separators=(", ", ": "))


def _encode(w: IO[str], text: str) -> None:
    try:
        w.write(text)
    except UnicodeEncodeError:
        w.write(text.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))


def _open_document(w: IO[str], version: str, profile: str, shape: str, hx: dict[str, Any]) -> set[str]:
    """Write ``{"<context key>": "<url>"`` and the top-level keys known so far; returns those keys."""
    key, url = context_url(version, profile, shape)
    old_version, old_profile, old_shape = parse_context(hx.get("context"))
    if (
        hx.get("context")
        and (old_version, old_shape) == (version, shape)
        and (version.startswith("1") or (old_profile or "").lower() == profile.lower())
    ):
        key, url = hx.get("context_key") or key, hx["context"]
    w.write("{" + _dump(key) + ": " + _dump(url))
    return _write_keys(w, hx.get("top") or {}, set(), ",\n")


def _write_keys(w: IO[str], keys: dict[str, Any], done: set[str], sep: str, first: bool = False) -> set[str]:
    """Write the keys not yet written (not the context, the media array or Media), each after ``sep`` (but the
    very first of an object, when ``first``)."""
    for k, v in list(keys.items()):
        if k in done or k.lower() in CONTEXT_KEYS or k.lower() in ("value", "media"):
            continue
        w.write(("" if first else sep) + _dump(k) + ": " + _dump(v))
        first = False
        done.add(k)
    return done


def write_vics(entries: Iterable[ListEntry], out: BinaryIO, header: ListHeader | None, profile: str) -> int:
    """A VICS hash set (``#Media``; ``#Cases`` when the header was read from a case export), one media per
    line, streamed. Version and profile follow the header when it is a VICS one (1.x stays 1.x). Top-level
    and case keys that the header gains while its reader is being iterated (keys after the media array) are
    written after the media, so that ``write_list(reader, out, "vics", header=header)`` loses nothing."""
    version, prof, shape, scheme, hx = _effective(header, profile)
    writer = _MediaWriter(scheme, version, hx)
    w = io.TextIOWrapper(out, encoding="utf-8", errors="strict", newline="\n")
    try:
        top_done = _open_document(w, version, prof, shape, hx)
        case_done: set[str] = set()
        if shape == "Cases":
            case = hx.get("case") or {}
            media_key = next((k for k in case if k.lower() == "media"), "Media")
            w.write(',\n"value": [{')
            case_done = _write_keys(w, case, case_done, ", ", first=True)
            w.write(("" if not case_done else ", ") + _dump(media_key) + ": [")
        else:
            w.write(',\n"value": [')
        n = 0
        for e in entries:
            _encode(w, ("\n" if n == 0 else ",\n") + _dump(writer.media(e)))
            n += 1
        if shape == "Cases":
            w.write("\n]")
            _write_keys(w, hx.get("case") or {}, case_done, ", ")
            w.write("}]")
        else:
            w.write("\n]")
        _write_keys(w, hx.get("top") or {}, top_done, ",\n")
        w.write("}\n")
        return n
    finally:
        w.flush()
        w.detach()


# --- VICS case export -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VicsMediaFile:
    """One place a media was found: its name, readable provenance path and file-system facts."""

    file_name: str
    file_path: str
    size: int | None = None
    created: datetime | None = None
    written: datetime | None = None
    accessed: datetime | None = None
    unallocated: bool | None = None
    deleted: bool | None = None
    exhibit: str | None = None  # written as SourceID
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class VicsCaseMedia:
    """A media of a case: its hashes, category, flags, series, PhotoDNA, size and type (``entry``), where it
    was found (``files``) and its EXIF (``exif``)."""

    entry: ListEntry
    files: tuple[VicsMediaFile, ...] = ()
    exif: ExifInfo | None = None


@dataclass(frozen=True)
class VicsCase:
    """A VICS 2.0 case export. ``media`` may be any iterable (a generator): it is written one by one."""

    case_number: str
    media: Iterable[VicsCaseMedia] = field(default=(), compare=False, hash=False)
    case_name: str | None = None
    agency: str | None = None
    examiner: str | None = None
    examiner_email: str | None = None
    examiner_phone: str | None = None
    examiner_title: str | None = None
    case_id: str | None = None  # a GUID; a new one when None
    created: datetime | None = None  # now (UTC) when None
    source_application: str = "jejak"
    source_version: str = jejak.__version__
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def _file_json(f: VicsMediaFile, md5: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if md5 is not None:
        out["MD5"] = md5
    out["FileName"] = f.file_name
    out["FilePath"] = f.file_path
    if f.size is not None:
        out["FileSize"] = f.size
    for key, dt in (("Created", f.created), ("Written", f.written), ("Accessed", f.accessed)):
        if dt is not None:
            out[key] = format_vics_datetime(dt)
    if f.unallocated is not None:
        out["Unallocated"] = f.unallocated
    if f.deleted is not None:
        out["Deleted"] = f.deleted
    if f.exhibit is not None:
        out["SourceID"] = f.exhibit
    for k, v in f.extra.items():
        out.setdefault(k, v)
    return out


def _exif_json(exif: ExifInfo) -> list[dict[str, Any]]:
    props: list[tuple[str, Any]] = [
        ("Make", exif.make),
        ("Model", exif.model),
        ("SerialNumber", exif.serial),
        ("ImageUniqueID", exif.image_unique_id),
        ("Software", exif.software),
        ("DateTimeOriginal", exif.datetime_original),
        ("Orientation", exif.orientation),
    ]
    if exif.gps is not None:
        props += [("GPSLatitude", exif.gps.lat), ("GPSLongitude", exif.gps.lon)]
        if exif.gps.alt is not None:
            props.append(("GPSAltitude", exif.gps.alt))
    return [{"PropertyName": k, "PropertyValue": str(v)} for k, v in props if v is not None]


def write_vics_case(case: VicsCase, out: BinaryIO, profile: str = "US") -> int:
    """Write a VICS 2.0 ``#Cases`` export: case fields, then the media streamed one per line with their
    MediaFiles and Exifs, then TotalMediaFiles. Returns the number of media written."""
    prof = next((p for p in PROFILES if p.lower() == profile.lower()), profile)
    writer = _MediaWriter(default_scheme("2.0", prof), "2.0", {})
    created = case.created or datetime.now(UTC)
    fields: dict[str, Any] = {
        "CaseID": case.case_id or str(uuid.uuid4()),
        "CaseNumber": case.case_number,
        "CaseName": case.case_name,
        "ContactOrganization": case.agency,
        "ContactName": case.examiner,
        "ContactEmail": case.examiner_email,
        "ContactPhone": case.examiner_phone,
        "ContactTitle": case.examiner_title,
        "DateCreated": format_vics_datetime(created),
        "SourceApplicationName": case.source_application,
        "SourceApplicationVersion": case.source_version,
    }
    fields = {k: v for k, v in fields.items() if v is not None}
    for k, v in case.extra.items():
        fields.setdefault(k, v)
    w = io.TextIOWrapper(out, encoding="utf-8", errors="strict", newline="\n")
    n = 0
    try:
        key, url = context_url("2.0", prof, "Cases")
        w.write("{" + _dump(key) + ": " + _dump(url) + ',\n"value": [{')
        w.write(", ".join(_dump(k) + ": " + _dump(v) for k, v in fields.items()))
        w.write(', "Media": [')
        for media in case.media:
            obj = writer.media(media.entry)
            md5 = obj.get("MD5")
            if media.files:
                obj["MediaFiles"] = [
                    _file_json(f, md5 if isinstance(md5, str) else None) for f in media.files
                ]
            if media.exif is not None and not media.exif.is_empty():
                obj["Exifs"] = _exif_json(media.exif)
            _encode(w, ("\n" if n == 0 else ",\n") + _dump(obj))
            n += 1
        w.write(f'\n], "TotalMediaFiles": {n}}}]}}\n')
        return n
    finally:
        w.flush()
        w.detach()
