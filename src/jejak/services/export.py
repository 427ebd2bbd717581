"""Export a case as a Project VIC VICS 2.0 ``#Cases`` document: every distinct content with its digests,
PDQ, the category and flags triage gave it (the effective category: a reviewer's when one was given in the
case, else the one the lists agree on), every place it was found, and its EXIF."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from jejak.config import Settings
from jejak.errors import ConfigError
from jejak.lists import VicsCase, VicsCaseMedia, VicsMediaFile, write_vics_case
from jejak.model import ExifInfo, GpsPoint, HashValue
from jejak.model.lists import Category, ListEntry
from jejak.services.triage import triage_case
from jejak.store.sql import Store

PROFILES = {"US": "vic-us", "DEFAULT": "vic-us", "UK": "uk"}


def _exif(row: dict[str, Any]) -> ExifInfo | None:
    gps = GpsPoint(row["gps_lat"], row["gps_lon"], row["gps_alt"]) if row["gps_lat"] is not None else None
    exif = ExifInfo(
        make=row["make"],
        model=row["model"],
        serial=row["serial"],
        image_unique_id=row["image_unique_id"],
        software=row["software"],
        datetime_original=row["datetime_original"],
        orientation=row["orientation"],
        gps=gps,
    )
    return None if exif.is_empty() else exif


def export_case_vics(
    store: Store,
    settings: Settings,
    case: str,
    out: BinaryIO,
    profile: str = "US",
    examiner: str | None = None,
) -> dict[str, Any]:
    """Write the case; returns counts (media written, categories the profile cannot express)."""
    scheme = PROFILES.get(profile.upper())
    if scheme is None:
        raise ConfigError(f"--profile must be one of US, UK, Default, not {profile!r}")
    row = store.get_case(case)
    triage = {r["sha256"]: r for r in triage_case(store, settings, case)}
    files: dict[str, list[dict[str, Any]]] = {}
    for f in store.iter_files(row.id):
        if f["sha256"] is not None:
            files.setdefault(f["sha256"], []).append(f)
    counts = {"media": 0, "files": 0, "category_not_in_profile": 0, "reviewer_categories": 0, "segments": 0}
    segments = store.media.case_segments(row.id)

    def segment_json(seg: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"StartTime": seg["start"], "EndTime": seg["end"]}
        if seg["category"] is not None:
            code = seg["category"]
            out["Category"] = int(code) if code.isdigit() else code
            out["CategoryScheme"] = seg["category_scheme"]
        if seg["note"]:
            out["Comments"] = seg["note"]
        if seg["by"]:
            out["Examiner"] = seg["by"]
        return out

    def media() -> Iterator[VicsCaseMedia]:
        for sha256, rec in triage.items():
            instances = files.get(sha256, [])
            cat = rec["category"]
            category = None
            if cat is not None:
                if cat["scheme"] == scheme:
                    category = Category(cat["scheme"], cat["code"])
                    counts["reviewer_categories"] += rec["category_source"] == "reviewer"
                else:
                    counts["category_not_in_profile"] += 1
            hashes = [HashValue(a, rec[a]) for a in ("md5", "sha1", "sha256") if rec[a]]
            if rec["pdq"] and (rec["pdq_quality"] or 0) >= settings.match_pdq_quality:
                hashes.append(HashValue("pdq", rec["pdq"]))
            flags = rec["flags"]
            entry = ListEntry(
                hashes=tuple(hashes),
                category=category,
                series=rec["series"],
                victim_identified=flags.get("victim_identified"),
                offender_identified=flags.get("offender_identified"),
                distributed=flags.get("distributed"),
                baseline=flags.get("baseline"),
                media_type=rec["kind"],
                size=rec["size"],
                extra=(
                    {"Segments": [segment_json(x) for x in segments[sha256]]} if sha256 in segments else {}
                ),
            )
            counts["segments"] += len(segments.get(sha256, ()))
            counts["media"] += 1
            counts["files"] += len(instances)
            yield VicsCaseMedia(
                entry=entry,
                files=tuple(
                    VicsMediaFile(
                        file_name=f["name"],
                        file_path=f["path"],
                        size=f["size"],
                        written=f["mtime"],
                        deleted=bool(f["deleted"]),
                        unallocated=bool(f["deleted"]),
                        exhibit=f["exhibit"],
                    )
                    for f in instances
                ),
                exif=_exif(instances[0]) if instances else None,
            )

    write_vics_case(
        VicsCase(
            case_number=row.name,
            case_name=row.description or row.name,
            agency=row.agency,
            examiner=examiner,
            media=media(),
        ),
        out,
        profile=profile,
    )
    return {"case": case, "profile": profile, **counts}
