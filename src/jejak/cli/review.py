"""``jejak categorise``: a reviewer's category for a content of a case (or its near-duplicate stack), and
the history of the categories given to it."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from jejak.cli.common import check_format, open_store, settings
from jejak.cli.output import emit, err
from jejak.errors import ConfigError
from jejak.model.lists import SCHEMES
from jejak.services.accounts import Principal
from jejak.services.lists import whoami
from jejak.services.review import categorise, category_history

HISTORY_COLUMNS = ["at", "category", "by", "note", "id"]


def _history_row(h: dict[str, Any]) -> dict[str, Any]:
    cat = h["category"]
    text = f"{cat['scheme']}:{cat['code']} {cat['label']}".strip()
    return {**h, "category": f"withdrawn ({text})" if h["withdrawn"] else text}


def categorise_cmd(
    ref: Annotated[str, typer.Argument(help="the content: a SHA-256, or a file name of the case")],
    case: Annotated[str, typer.Option("--case", help="the case holding it (categories are per case)")],
    category: Annotated[
        str | None, typer.Option("--category", help="the category code in --scheme (e.g. 2, or A)")
    ] = None,
    scheme: Annotated[
        str | None,
        typer.Option(
            "--scheme",
            help=f"category scheme: {', '.join(SCHEMES)} (default: the one the case's categories use, "
            "else vic-us)",
        ),
    ] = None,
    stack: Annotated[
        bool, typer.Option("--stack", help="categorise every content of its near-duplicate stack")
    ] = False,
    note: Annotated[str | None, typer.Option("--note", help="free text")] = None,
    by: Annotated[str | None, typer.Option("--by", help="who decides (default: the OS user)")] = None,
    history: Annotated[
        bool, typer.Option("--history", help="show the categories given to it in the case instead")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="with --history: jsonl | csv | table")] = "table",
    as_json: Annotated[bool, typer.Option("--json", help="print what changed as JSON")] = False,
) -> None:
    """Set a content's category in a case, as a reviewer decides it: triage then shows it (source
    "reviewer"), beside the lists' category, a disagreement with a list flagged as a conflict; VICS
    exports carry it. Append-only: the latest holds, --history shows them all."""
    store = open_store(settings())
    who = Principal.local()
    if history:
        if category is not None or stack:
            raise ConfigError("--history shows the categories given; it takes no --category or --stack")
        check_format(fmt)
        rows = category_history(store, who, case, ref)
        if fmt == "table":
            rows = [_history_row(h) for h in rows]
        elif fmt == "csv":
            rows = [
                {**_history_row(h), "scheme": h["category"]["scheme"], "code": h["category"]["code"]}
                for h in rows
            ]
        emit(
            rows,
            fmt,
            HISTORY_COLUMNS,
            csv_fields=["id", "sha256", "scheme", "code", "category", "withdrawn", "by", "at", "note"],
            title=f"categories of {ref} in {case}",
        )
        return
    if category is None:
        raise ConfigError("give --category CODE (or --history to see the categories given)")
    out = categorise(
        store, settings(), who, case, ref, category, scheme, stack=stack, note=note, by=by or whoami()
    )
    if as_json:
        print(json.dumps(out))
        return
    cat = out["category"]
    n = len(out["contents"]) - 1
    others = f" and {n} near-duplicate{'s' if n > 1 else ''}" if n else ""
    err.print(
        f"{out['sha256'][:12]}…{others} categorised "
        f"{cat['scheme']} {cat['code']} ({cat['label']}) by {out['by']}"
    )
    for c in out["contents"]:
        if c["conflict"]:
            err.print(f"  {c['sha256'][:12]}…: a list gives another category (conflict shown in triage)")
