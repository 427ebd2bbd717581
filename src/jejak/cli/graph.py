"""Link-analysis commands: links, assert, alerts, graph (exports, components, paths), workboard, person."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from jejak.cli.common import check_format, open_store, settings
from jejak.cli.output import emit, err
from jejak.errors import ConfigError
from jejak.graph.export import places_geojson, places_kml, to_cytoscape, to_graphml
from jejak.services.accounts import Principal
from jejak.services.audit import record
from jejak.services.graph import (
    alerts,
    assert_media,
    case_graph,
    explain,
    graph_components,
    person_info,
    place_summaries,
    query_links,
    workboard,
)
from jejak.services.lists import whoami

assert_app = typer.Typer(help="assert facts about media: victim, offender, series, same / not the same")
person_app = typer.Typer(help="people asserted by investigators", no_args_is_help=True)

GRAPH_FORMATS = ("graphml", "cytoscape", "geojson", "kml")


def _short(node: dict[str, Any]) -> str:
    if node["kind"] == "content":
        name = node.get("name") or node["sha256"][:12] + "…"
        cases = ",".join(c["case"] for c in node.get("cases", []))
        return f"{name} [{cases}]" if cases else name
    return f"{node['kind']}:{node['id']}"


def _detail(x: dict[str, Any]) -> str:
    ev, rule = x["evidence"], x["rule"]
    if rule == "vpdq":
        return f"shares {ev.get('query_share', 0):.0%} / {ev.get('reference_share', 0):.0%}"
    if rule == "chromaprint":
        return f"{ev.get('seconds', 0):.0f} s of audio shared"
    if rule in ("orb.frame", "orb.frames"):
        return f"{ev.get('score', 0)} inliers, keyframe {ev.get('reference_seconds', ev.get('seconds', ''))}"
    if rule == "pdq":
        return f"PDQ distance {ev.get('distance')}"
    if rule == "scene":
        return f"same room: {ev.get('inliers')} inliers on {ev.get('planes')} surfaces"
    if rule == "place":
        return f"{ev.get('distance_m', 0):.0f} m from the centre"
    if rule == "camera":
        return str(ev.get("strength", ""))
    if rule == "identifier":
        return f"{ev.get('kind')} in {ev.get('source')} x{ev.get('count')}"
    if rule in ("victim", "offender", "series", "same"):
        return (
            f"asserted by {ev.get('by')} {ev.get('at', '')[:10]}"
            if "by" in ev
            else ", ".join(ev.get("lists", []))
        )
    return ""


def links_cmd(
    case: Annotated[str | None, typer.Option("--case", help="links of the case's media")] = None,
    content: Annotated[str | None, typer.Option("--content", help="links of one content (SHA-256)")] = None,
    person: Annotated[str | None, typer.Option("--person", help="links of an asserted person (V-12)")] = None,
    rules: Annotated[
        str | None,
        typer.Option(
            "--rules",
            help="comma-separated rules: pdq, vpdq, chromaprint, orb.frame, orb.frames, camera, place, "
            "identifier, series, victim, offender, same",
        ),
    ] = None,
    min_score: Annotated[
        float, typer.Option("--min-score", help="only links at least this strong (0-1)")
    ] = 0.0,
    fmt: Annotated[str, typer.Option("--format", help="jsonl | csv | table")] = "table",
) -> None:
    """Links around a case's media, one content or one person: same or near-duplicate content (PDQ, vPDQ,
    keyframes), shared audio, the same camera, place, identifier or series, and investigators' assertions;
    each with its rule, score and evidence (jsonl keeps the whole evidence)."""
    check_format(fmt)
    wanted = [r.strip() for r in rules.split(",") if r.strip()] if rules else None
    rows = query_links(open_store(settings()), case, content, person, wanted, min_score)
    if fmt == "jsonl":
        emit(rows, "jsonl", [])
        return
    table = [
        {
            "rule": x["rule"],
            "score": x["score"],
            "a": _short(x["a"]),
            "b": _short(x["b"]),
            "detail": _detail(x),
        }
        for x in rows
    ]
    if fmt == "csv":
        table = [{**r, "a": x["a"]["key"], "b": x["b"]["key"]} for r, x in zip(table, rows, strict=True)]
    emit(table, fmt, ["rule", "score", "a", "b", "detail"], title=f"links of {case or content or person}")


@assert_app.command("media")
def assert_media_cmd(
    ref: Annotated[str, typer.Argument(help="the content: a SHA-256, or a file name with --case")],
    case: Annotated[
        str | None, typer.Option("--case", help="the case holding it (context of the assertion)")
    ] = None,
    victim: Annotated[str | None, typer.Option("--victim", help="it shows this victim (e.g. V-12)")] = None,
    offender: Annotated[
        str | None, typer.Option("--offender", help="it shows this offender (e.g. O-3)")
    ] = None,
    series: Annotated[str | None, typer.Option("--series", help="it belongs to this series")] = None,
    same: Annotated[str | None, typer.Option("--same", help="it is the same as this content")] = None,
    not_same: Annotated[
        str | None, typer.Option("--not-same", help="reject a suggested link to this content")
    ] = None,
    reject: Annotated[
        bool, typer.Option("--reject", help="reject the --victim/--offender/--series suggestion instead")
    ] = False,
    identified: Annotated[
        bool | None, typer.Option("--identified/--unidentified", help="whether the person is identified")
    ] = None,
    alias: Annotated[list[str] | None, typer.Option("--alias", help="another name of the person")] = None,
    external_id: Annotated[
        list[str] | None, typer.Option("--external-id", help="an external id (ICSE series or image id...)")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="free text")] = None,
    by: Annotated[str | None, typer.Option("--by", help="who asserts it (default: the OS user)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print what was recorded as JSON")] = False,
) -> None:
    """Assert what a medium shows; every assertion is attributed and dated, never edited (a later one
    overrides it). Links into other cases raise alerts at once."""
    store = open_store(settings())
    out = assert_media(
        store,
        settings(),
        case,
        ref,
        victim=victim,
        offender=offender,
        series=series,
        same=same,
        not_same=not_same,
        reject=reject,
        identified=identified,
        aliases=alias or [],
        external_ids=external_id or [],
        note=note,
        by=by or whoami(),
    )
    record(store, Principal.local(), "assertion", case=case, target=out["sha256"], detail=out)
    if as_json:
        print(json.dumps(out))
        return
    for a in out["assertions"]:
        verb = "is not" if a["negated"] else "is"
        err.print(f"asserted: {out['sha256'][:12]}… {verb} {a['predicate']} {a['object']} (#{a['id']})")


def alerts_cmd(
    case: Annotated[str | None, typer.Option("--case", help="alerts of this case (default: all)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl | csv | table")] = "table",
) -> None:
    """Links from a case into other cases and agencies: what links, how strongly, who holds the other side
    (the case and agency to contact), and whether the victim there is already identified."""
    check_format(fmt)
    rows = alerts(open_store(settings()), case)
    if fmt == "jsonl":
        emit(rows, "jsonl", [])
        return
    table = [
        {
            "case": r["case"],
            "other case": f"{r['other_case']} ({r['other_agency']})",
            "rule": r["rule"],
            "score": r["score"],
            "subject": r["subject"] if fmt == "csv" else r["subject"][:20] + "…",
            "via": r["via"] if fmt == "csv" else r["via"][:40],
            "victim identified": "yes" if r["victim_identified"] else "no",
        }
        for r in rows
    ]
    cols = ["case", "other case", "rule", "score", "subject", "via", "victim identified"]
    emit(table, fmt, cols, title="alerts")


def graph_cmd(
    case: Annotated[str, typer.Option("--case", help="the case whose graph to export")],
    fmt: Annotated[str, typer.Option("--format", help=" | ".join(GRAPH_FORMATS))] = "graphml",
    rules: Annotated[str | None, typer.Option("--rules", help="comma-separated rules to keep")] = None,
    min_score: Annotated[float, typer.Option("--min-score", help="only links at least this strong")] = 0.0,
    components: Annotated[
        bool, typer.Option("--components", help="print connected components (JSON lines) instead")
    ] = False,
    path: Annotated[
        tuple[str, str] | None,
        typer.Option("--path", help="explain how two node keys connect (e.g. case:A content:SHA)"),
    ] = None,
) -> None:
    """The case's link graph on stdout: GraphML or Cytoscape.js JSON (media, cameras, places, identifiers,
    series, people, other cases), or its places as GeoJSON or KML with media counts."""
    store = open_store(settings())
    wanted = [r.strip() for r in rules.split(",") if r.strip()] if rules else None
    if components:
        for group in graph_components(store, case, min_score=max(min_score, 0.5)):
            print(json.dumps(group))
        return
    if path is not None:
        for step in explain(store, case, path[0], path[1]):
            print(json.dumps(step))
        return
    if fmt not in GRAPH_FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(GRAPH_FORMATS)}, not {fmt!r}")
    if fmt in ("geojson", "kml"):
        places = place_summaries(store, case)
        text = json.dumps(places_geojson(places), indent=1) if fmt == "geojson" else places_kml(places)
        sys.stdout.write(text + "\n")
        return
    g = case_graph(store, case, wanted, min_score)
    if fmt == "graphml":
        to_graphml(g, sys.stdout.buffer)
        sys.stdout.flush()
    else:
        print(json.dumps(to_cytoscape(g)))


def workboard_cmd(
    case: Annotated[str, typer.Option("--case", help="the case to work on")],
    fmt: Annotated[str, typer.Option("--format", help="jsonl | csv | table")] = "table",
) -> None:
    """Victim-identification worklist: the case's new media ranked by how strongly they link to an
    unidentified victim (suggestions from strong links), then by links into other cases."""
    check_format(fmt)
    rows = workboard(open_store(settings()), settings(), case)
    if fmt == "jsonl":
        emit(rows, "jsonl", [])
        return
    table = [
        {
            "name": r["name"],
            "score": r["score"],
            "suggested": ", ".join(
                f"{s['predicate']} {s['object']} ({s['rule']})" for s in r["suggestions"][:3]
            ),
            "linked elsewhere": r["linked_elsewhere"],
            "sha256": r["sha256"] if fmt == "csv" else r["sha256"][:12] + "…",
        }
        for r in rows
    ]
    emit(
        table, fmt, ["name", "score", "suggested", "linked elsewhere", "sha256"], title=f"workboard of {case}"
    )


@person_app.command("show")
def person_show(key: Annotated[str, typer.Argument(help="the person's key, e.g. V-12")]) -> None:
    """A person with every assertion about them (JSON)."""
    print(json.dumps(person_info(open_store(settings()), key), indent=1))
