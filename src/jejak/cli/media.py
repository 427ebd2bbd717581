"""Video and audio commands: video segments, and the gentle preview (a still's thumbnail or a video's
contact sheet)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from jejak.cli.common import open_store, settings
from jejak.cli.output import err
from jejak.errors import ConfigError
from jejak.model.lists import SCHEMES, Category
from jejak.services.accounts import Principal
from jejak.services.audit import record
from jejak.services.lists import whoami
from jejak.services.media import add_segment, preview_image, resolve_content

segment_app = typer.Typer(
    help="categorised time ranges of videos (exported as VICS Segments)", no_args_is_help=True
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
    sha256: Annotated[
        str, typer.Argument(help="the image's or video's SHA-256, or its file name with --case")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="PNG or JPEG file to write")],
    case: Annotated[str | None, typer.Option("--case", help="find the file by name in this case")] = None,
    reveal: Annotated[
        bool,
        typer.Option("--reveal", help="write the preview sharp and in colour (default: grey and blurred)"),
    ] = False,
) -> None:
    """Write the preview stored at ingest, greyscale and blurred unless --reveal: an image's thumbnail or a
    video's contact sheet (its sampled frames in a grid). A reveal is written to the audit trail."""
    store = open_store(settings())
    sha = resolve_content(store, case, sha256)
    img = preview_image(store, sha, case, reveal)
    if reveal:
        record(store, Principal.local(), "media_reveal", case=case, target=sha)
    img.save(output)
    err.print(f"wrote {output} ({'revealed' if reveal else 'greyscale, blurred'})")
