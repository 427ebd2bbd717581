"""Video and audio commands: the case's media links, video segments, and the gentle contact sheet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from jejak.cli.common import check_format, open_store, settings
from jejak.cli.output import emit, err
from jejak.errors import ConfigError
from jejak.model.lists import SCHEMES, Category
from jejak.services.lists import whoami
from jejak.services.media import add_segment, case_links, preview_image

segment_app = typer.Typer(
    help="categorised time ranges of videos (exported as VICS Segments)", no_args_is_help=True
)


def _link_row(x: dict[str, Any]) -> dict[str, Any]:
    ev = x["evidence"]
    if x["rule"] == "vpdq":
        where = "; ".join(
            f"{a[0]:.0f}-{a[1]:.0f}s ~ {b[0]:.0f}-{b[1]:.0f}s"
            for a, b in zip(ev.get("query_ranges", []), ev.get("reference_ranges", []), strict=False)
        )
        detail = f"shares {ev.get('query_share', 0):.0%} / {ev.get('reference_share', 0):.0%}"
    else:
        where = "; ".join(
            f"{s['query_start']:.0f}-{s['query_end']:.0f}s ~ "
            f"{s['reference_start']:.0f}-{s['reference_end']:.0f}s"
            for s in ev.get("segments", [])
        )
        detail = f"{ev.get('seconds', 0):.0f} s shared"
    return {
        "rule": x["rule"],
        "score": x["score"],
        "a": x["a"]["sha256"],
        "b": x["b"]["sha256"],
        "detail": detail,
        "time ranges (a ~ b)": where,
    }


def links_cmd(
    case: Annotated[str, typer.Option("--case", help="the case whose links to list")],
    rules: Annotated[
        str | None,
        typer.Option("--rules", help="comma-separated rules: vpdq (video clip), chromaprint (audio)"),
    ] = None,
    min_score: Annotated[
        float, typer.Option("--min-score", help="only links at least this strong (0-1)")
    ] = 0.0,
    fmt: Annotated[str, typer.Option("--format", help="jsonl | csv | table")] = "table",
) -> None:
    """Contents of the case that share media: videos holding the same clip (vPDQ) and recordings that share
    an audio segment (Chromaprint), with the time ranges on both sides. jsonl keeps the whole evidence."""
    check_format(fmt)
    wanted = [r.strip() for r in rules.split(",") if r.strip()] if rules else None
    rows = case_links(open_store(settings()), case, wanted, min_score)
    if fmt == "jsonl":
        emit(rows, "jsonl", [])
        return
    table = [_link_row(x) for x in rows]
    if fmt == "table":  # for people: cut the digests (csv keeps them whole)
        table = [{**r, "a": r["a"][:12] + "…", "b": r["b"][:12] + "…"} for r in table]
    emit(
        table,
        fmt,
        ["rule", "score", "a", "b", "detail", "time ranges (a ~ b)"],
        title=f"media links of {case}",
    )


@segment_app.command("add")
def segment_add(
    sha256: Annotated[str, typer.Argument(help="the video's SHA-256, or its file name in the case")],
    case: Annotated[str, typer.Option("--case", help="the case holding the video")],
    start: Annotated[float, typer.Option("--start", help="seconds from the start of the video")],
    end: Annotated[float, typer.Option("--end", help="seconds from the start of the video")],
    category: Annotated[str | None, typer.Option("--category", help="category code in --scheme")] = None,
    scheme: Annotated[
        str, typer.Option("--scheme", help=f"category scheme: {', '.join(SCHEMES)}")
    ] = "vic-us",
    note: Annotated[str | None, typer.Option("--note", help="free text")] = None,
    by: Annotated[str | None, typer.Option("--by", help="who asserts it (default: the OS user)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the segment as JSON")] = False,
) -> None:
    """Categorise a time range of a video; VICS exports carry it as a Segment of the media."""
    if scheme not in SCHEMES:
        raise ConfigError(f"--scheme must be one of {', '.join(SCHEMES)}, not {scheme!r}")
    cat = Category.parse(scheme, category) if category is not None else None
    out = add_segment(open_store(settings()), case, sha256, start, end, cat, note, by or whoami())
    if as_json:
        print(json.dumps({**out, "category": str(cat) if cat else None}))
    else:
        err.print(
            f"segment {out['id']}: {start:g}-{end:g} s of {out['sha256'][:12]}… categorised "
            + (f"{cat.scheme} {cat.code}" if cat else "none")
        )


def preview_cmd(
    sha256: Annotated[str, typer.Argument(help="the video's SHA-256, or its file name with --case")],
    output: Annotated[Path, typer.Option("--output", "-o", help="PNG or JPEG file to write")],
    case: Annotated[str | None, typer.Option("--case", help="find the video by name in this case")] = None,
    reveal: Annotated[
        bool,
        typer.Option("--reveal", help="write the frames sharp and in colour (default: grey and blurred)"),
    ] = False,
) -> None:
    """Write a video's contact sheet (its sampled frames in a grid), greyscale and blurred unless --reveal."""
    img = preview_image(open_store(settings()), sha256, case, reveal)
    img.save(output)
    err.print(f"wrote {output} ({'revealed' if reveal else 'greyscale, blurred'})")
