"""``jejak match`` and ``jejak triage``: what of a case is known, known-good, or new."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from jejak.cli.common import check_format, open_store, settings
from jejak.cli.lists import binary_output
from jejak.cli.output import emit, err, write_table
from jejak.errors import ConfigError
from jejak.services.accounts import Principal
from jejak.services.audit import record
from jejak.services.export import export_case_vics
from jejak.services.match import match_case
from jejak.services.records import json_default
from jejak.services.triage import triage_case, triage_summary

TRIAGE_CSV = (
    "sha256",
    "md5",
    "sha1",
    "status",
    "category_scheme",
    "category_code",
    "category_label",
    "conflict",
    "series",
    "victim_identified",
    "offender_identified",
    "distributed",
    "baseline",
    "hits",
    "best_list",
    "best_algorithm",
    "best_distance",
    "best_variant",
    "best_stage",
    "stack",
    "stack_size",
    "representative",
    "instances",
    "exhibits",
    "kind",
    "size",
    "pdq",
    "pdq_quality",
)


def triage_csv_row(r: dict[str, Any]) -> dict[str, Any]:
    cat = r["category"] or {}
    best = r["hits"][0] if r["hits"] else {}
    conflict = r["conflict"]
    return {
        **{k: r[k] for k in ("sha256", "md5", "sha1", "status", "kind", "size", "pdq", "pdq_quality")},
        "category_scheme": cat.get("scheme"),
        "category_code": cat.get("code"),
        "category_label": cat.get("label"),
        "conflict": (
            " / ".join(f"{c['scheme']}:{c['code']}" for c in conflict["categories"]) if conflict else None
        ),
        "series": " / ".join(r["series_all"]) or None,
        **{
            f: r["flags"].get(f)
            for f in ("victim_identified", "offender_identified", "distributed", "baseline")
        },
        "hits": len(r["hits"]),
        "best_list": best.get("list"),
        "best_algorithm": best.get("algorithm"),
        "best_distance": best.get("distance"),
        "best_variant": best.get("variant"),
        "best_stage": best.get("stage"),
        "stack": r["stack"]["id"],
        "stack_size": r["stack"]["size"],
        "representative": r["stack"]["representative"],
        "instances": r["instances"]["count"],
        "exhibits": " ".join(sorted(r["instances"]["exhibits"])),
    }


def _hit_text(hit: dict[str, Any]) -> str:
    ev = hit["evidence"] or {}
    if hit["algorithm"] == "vpdq":
        ranges = ", ".join(f"{a:.0f}-{b:.0f}s" for a, b in ev.get("query_ranges", [])[:3])
        return f"{hit['list']} vpdq {ev.get('reference_share', 0):.0%} of the known video at {ranges}"
    if hit["algorithm"] == "vpdq.frame":
        return f"{hit['list']} frame at {ev.get('seconds', 0):.1f}s of a known video d={hit['distance']}"
    if hit["stage"] == "audio":
        segs = ", ".join(f"{s['query_start']:.0f}-{s['query_end']:.0f}s" for s in ev.get("segments", [])[:3])
        return f"{hit['list']} chromaprint {ev.get('seconds', 0):.0f}s shared at {segs}"
    if hit["stage"] == "robust":
        return (
            f"{hit['list']} {hit['algorithm']} score={ev.get('score')} rot={ev.get('rotation_deg', 0):.0f}° "
            f"scale={ev.get('scale', 1):.2f}"
            + (" mirrored" if ev.get("mirrored") else "")
            + (" enlarged" if ev.get("enlarged") else "")
            + (f" pdq={ev['pdq_distance']}" if ev.get("pdq_distance") is not None else "")
        )
    return f"{hit['list']} {hit['algorithm']} d={hit['distance']}" + (
        f" {hit['variant']}" if hit["variant"] else ""
    )


def _table_row(r: dict[str, Any]) -> dict[str, Any]:
    cat = r["category"]
    best = r["hits"][0] if r["hits"] else None
    return {
        "status": r["status"],
        "category": (f"{cat['code']} {cat['label']}" if cat else ("CONFLICT" if r["conflict"] else "")),
        "series": r["series"] or "",
        "hit": _hit_text(best) if best else "",
        "stack": f"{r['stack']['id'][:8]}×{r['stack']['size']}"
        + ("" if r["stack"]["representative"] else " ·"),
        "files": r["instances"]["count"],
        "sha256": r["sha256"],
        "path": r["instances"]["paths"][0] if r["instances"]["paths"] else "",
    }


MATCH_AUDIT = ("lists", "contents_hit", "exact_hits", "pdq_hits", "robust_hits", "video_hits", "audio_hits")


def match_cmd(
    case: Annotated[str, typer.Option("--case", help="the case to match")],
    as_json: Annotated[bool, typer.Option("--json", help="print a machine-readable report")] = False,
) -> None:
    """Match a case against every imported list: MD5, SHA-1, SHA-256, and PDQ by Hamming distance with
    rotated and mirrored variants. Replaces the case's earlier hits."""
    s = settings()
    store = open_store(s)
    report = match_case(store, s, case)
    record(store, Principal.local(), "match", case=case, detail={k: report.get(k) for k in MATCH_AUDIT})
    if as_json:
        print(json.dumps(report, default=json_default))
        return
    if not report["lists"]:
        err.print("no lists imported: every content is new (import one with 'jejak lists import')")
        return
    err.print(
        f"matched case [bold]{case}[/] against {report['lists']} lists: {hit_counts(report)}; "
        f"{report['below_quality']} images below the PDQ quality gate"
    )
    for line in link_lines(report.get("links") or {}, report.get("graph") or {}, case):
        err.print(line)
    robust = report.get("robust") or {}
    if robust.get("stale"):
        err.print(
            f"[yellow]warning:[/] {robust['stale']} images were described by an older jejak and skipped by "
            "the robust stage: ingest the evidence again to search them"
        )
    if robust.get("stale_entries"):
        err.print(
            f"[yellow]warning:[/] {robust['stale_entries']} list entries were described by an older jejak "
            "and skipped by the robust stage: build those lists again to use them"
        )


def hit_counts(report: dict[str, Any]) -> str:
    """'N contents hit (exact, PDQ, robust, video, audio counts)' from a match report."""
    parts = [
        f"{report['exact_hits']} exact",
        f"{report['pdq_hits']} PDQ of which {report['dihedral_hits']} rotated/mirrored",
        f"{report['robust_hits']} robust"
        + (
            f" of which {report['corroborated_hits']} corroborated by PDQ"
            if report.get("corroborated_hits")
            else ""
        )
        + (
            f" and {report['aligned_hits']} near PDQ with the corners in place"
            if report.get("aligned_hits")
            else ""
        ),
    ]
    for key, what in (
        ("video_hits", "video"),
        ("frame_hits", "still of a known video"),
        ("keyframe_hits", "by video keyframes"),
        ("audio_hits", "audio"),
    ):
        if report.get(key):
            parts.append(f"{report[key]} {what}")
    return f"{report['contents_hit']} contents hit ({', '.join(parts)})"


def link_lines(links: dict[str, int], graph: dict[str, Any], case: str) -> list[str]:
    """What the media links and the link rules found, for people."""
    out = []
    if any(links.values()):
        out.append(
            f"linked: {links.get('vpdq', 0)} pairs of videos sharing a clip, {links.get('chromaprint', 0)} "
            f"pairs of recordings sharing audio, {links.get('orb.frame', 0) + links.get('orb.frames', 0)} "
            f"stills or videos sharing keyframes; see 'jejak links --case {case}'"
        )
    if graph:
        found = [
            f"{graph[k]} {k}" for k in ("camera", "place", "identifier", "series", "pdq") if graph.get(k)
        ]
        scene = graph.get("scene")
        if isinstance(scene, dict) and scene.get("links"):
            found.append(f"{scene['links']} scene")
        kinds = ", ".join(found)
        out.append(
            f"link rules: {kinds or 'nothing'}; {graph.get('alerts', 0)} new alerts "
            f"(see 'jejak alerts --case {case}')"
        )
    return out


def triage_cmd(
    case: Annotated[str, typer.Option("--case", help="the case to triage")],
    fmt: Annotated[str, typer.Option("--format", help="jsonl | csv | table")] = "table",
    summary: Annotated[
        bool, typer.Option("--summary", help="counts per status and category instead of records")
    ] = False,
    status: Annotated[
        str | None, typer.Option("--status", help="only this status: new, known, known_good")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="at most this many records")] = None,
    exhibit: Annotated[
        str | None, typer.Option("--exhibit", help="only contents with a file on this exhibit")
    ] = None,
) -> None:
    """One record per distinct content: known, known-good or new, with category, hits, near-duplicate
    stack and instances; new material first, then by stack size."""
    check_format(fmt)
    s = settings()
    recs = triage_case(open_store(s), s, case)
    if summary:
        data = {"case": case, **triage_summary(recs)}
        if fmt == "jsonl":
            print(json.dumps(data, default=json_default))
            return
        rows: list[dict[str, Any]] = [
            {"what": f"status: {k}", "contents": v} for k, v in data["by_status"].items()
        ]
        for c in data["known_by_category"]:
            cat = c["category"]
            label = f"{cat['scheme']} {cat['code']} {cat['label']}" if cat else "uncategorised"
            rows.append({"what": f"known, {label}", "contents": c["contents"]})
        rows += [
            {"what": k, "contents": data[k]}
            for k in ("contents", "files", "conflicts", "stacks", "new_stacks")
        ]
        if fmt == "csv":
            emit(rows, "csv", ["what", "contents"])
        else:
            write_table(rows, ["what", "contents"], title=f"triage of {case}")
        return
    if status is not None:
        if status not in ("new", "known", "known_good"):
            raise ConfigError(f"--status must be new, known or known_good, not {status!r}")
        recs = [r for r in recs if r["status"] == status]
    if exhibit is not None:
        recs = [r for r in recs if exhibit in r["instances"]["exhibits"]]
    total = len(recs)
    if limit is not None:
        recs = recs[: max(0, limit)]
    if fmt == "table":
        columns = ["status", "category", "series", "hit", "stack", "files", "sha256", "path"]
        shown = f", the first {len(recs)}" if len(recs) < total else ""
        write_table(
            (_table_row(r) for r in recs), columns, title=f"triage of {case}: {total} contents{shown}"
        )
        return
    emit(recs, fmt, [], TRIAGE_CSV, triage_csv_row)


def export_cmd(
    case: Annotated[str, typer.Option("--case", help="the case to export")],
    fmt: Annotated[str, typer.Option("--format", help="vics (Project VIC VICS 2.0 #Cases)")] = "vics",
    profile: Annotated[str, typer.Option("--profile", help="US | UK | Default")] = "US",
    examiner: Annotated[str | None, typer.Option("--examiner", help="contact name in the export")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file (default: stdout)")] = None,
) -> None:
    """Export a case for exchange: every distinct content with digests, PDQ, the category and flags
    triage gave it, every place it was found, and its EXIF. Hashes only, never the media."""
    if fmt != "vics":
        raise ConfigError(f"--format must be vics, not {fmt!r}")
    s = settings()
    store = open_store(s)
    with binary_output(output) as out:
        report = export_case_vics(store, s, case, out, profile=profile, examiner=examiner)
    record(
        store, Principal.local(), "export", case=case, detail={"format": fmt, "profile": profile, **report}
    )
    err.print(
        f"exported {report['media']} media ({report['files']} files) of {case} as VICS 2.0 {profile}"
        + (
            f"; {report['category_not_in_profile']} categories are not in the {profile} profile's scheme "
            "and were left out"
            if report["category_not_in_profile"]
            else ""
        )
    )
