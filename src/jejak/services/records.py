"""The stable output contract of ``jejak files`` and ``jejak hash`` (docs/output.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jejak.model import FileRecord

FIELDS = (
    "case",
    "exhibit",
    "path",
    "pathspec",
    "name",
    "size",
    "md5",
    "sha1",
    "sha256",
    "mime",
    "kind",
    "deleted",
    "width",
    "height",
    "pdq",
    "pdq_quality",
    "exif",
    "warnings",
)
CSV_FIELDS = (
    *(f for f in FIELDS if f not in ("pathspec", "exif", "warnings")),
    "exif_make",
    "exif_model",
    "exif_serial",
    "exif_datetime_original",
    "gps_lat",
    "gps_lon",
    "warnings",
)


def _exif(
    make: Any,
    model: Any,
    serial: Any,
    uid: Any,
    software: Any,
    dt: Any,
    orientation: Any,
    lat: Any,
    lon: Any,
    alt: Any,
) -> dict[str, Any] | None:
    gps = {"lat": lat, "lon": lon, "alt": alt} if lat is not None and lon is not None else None
    out = {
        "make": make,
        "model": model,
        "serial": serial,
        "image_unique_id": uid,
        "software": software,
        "datetime_original": dt,
        "orientation": orientation,
        "gps": gps,
    }
    return None if all(v is None for v in out.values()) else out


def from_row(case: str, row: dict[str, Any]) -> dict[str, Any]:
    """A store row (Store.iter_files) as the public record."""
    return {
        "case": case,
        "exhibit": row["exhibit"],
        "path": row["path"],
        "pathspec": row["pathspec"],
        "name": row["name"],
        "size": row["size"],
        "md5": row["md5"],
        "sha1": row["sha1"],
        "sha256": row["sha256"],
        "mime": row["mime"],
        "kind": row["kind"],
        "deleted": bool(row["deleted"]),
        "width": row["width"],
        "height": row["height"],
        "pdq": row["pdq"],
        "pdq_quality": row["pdq_quality"],
        "exif": _exif(
            row["make"],
            row["model"],
            row["serial"],
            row["image_unique_id"],
            row["software"],
            row["datetime_original"],
            row["orientation"],
            row["gps_lat"],
            row["gps_lon"],
            row["gps_alt"],
        ),
        "warnings": row["warnings"],
    }


def from_record(rec: FileRecord, case: str | None = None, exhibit: str | None = None) -> dict[str, Any]:
    """A freshly hashed FileRecord (``jejak hash``) as the same public record."""
    pdq = next((h for h in rec.hashes if h.algorithm == "pdq"), None)
    e = rec.exif
    exif = None
    if e is not None:
        exif = _exif(
            e.make,
            e.model,
            e.serial,
            e.image_unique_id,
            e.software,
            e.datetime_original,
            e.orientation,
            e.gps.lat if e.gps else None,
            e.gps.lon if e.gps else None,
            e.gps.alt if e.gps else None,
        )
    return {
        "case": case,
        "exhibit": exhibit,
        "path": rec.pathspec.readable(),
        "pathspec": rec.pathspec.to_json(),
        "name": rec.name,
        "size": rec.size,
        "md5": rec.md5,
        "sha1": rec.sha1,
        "sha256": rec.sha256,
        "mime": rec.mime,
        "kind": str(rec.kind),
        "deleted": rec.deleted,
        "width": rec.width,
        "height": rec.height,
        "pdq": pdq.value if pdq else None,
        "pdq_quality": pdq.quality if pdq else None,
        "exif": exif,
        "warnings": [{"stage": w.stage, "message": w.message} for w in rec.warnings],
    }


def csv_row(rec: dict[str, Any]) -> dict[str, Any]:
    exif = rec.get("exif") or {}
    gps = exif.get("gps") or {}
    out = {k: rec.get(k) for k in CSV_FIELDS if k in rec}
    out.update(
        {
            "exif_make": exif.get("make"),
            "exif_model": exif.get("model"),
            "exif_serial": exif.get("serial"),
            "exif_datetime_original": exif.get("datetime_original"),
            "gps_lat": gps.get("lat"),
            "gps_lon": gps.get("lon"),
            "warnings": "; ".join(f"{w['stage']}: {w['message']}" for w in rec.get("warnings") or []),
        }
    )
    return out


def json_default(o: object) -> str:
    if isinstance(o, datetime):
        return o.isoformat()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
