"""``jejak audit``: verify the audit trail's hash chain, and read its entries (docs/audit.md)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from jejak.cli.common import check_format, open_store
from jejak.cli.output import emit
from jejak.errors import AuditBroken, ConfigError
from jejak.services.accounts import Principal
from jejak.services.audit import ACTIONS, show, verify_trail

audit_app = typer.Typer(no_args_is_help=True, help="The audit trail: verify its hash chain, show entries.")


@audit_app.command("verify")
def verify_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Walk the whole hash chain. Exit 0 and one line (entries, head) when it verifies; exit 10 listing
    every problem (seq and kind: edited, missing, reordered, head) when it does not."""
    report = verify_trail(open_store())
    head = report["head"]
    if as_json:
        print(json.dumps(report))
    elif report["ok"]:
        print(f"OK: {report['entries']} entries, head seq {head['seq']} hash {head['hash']}")
    else:
        for p in report["problems"]:
            print(f"seq {p['seq']}: {p['kind']}: {p['message']}")
    if not report["ok"]:
        n = len(report["problems"])
        first = report["problems"][0]
        raise AuditBroken(
            f"the audit trail does not verify: {n} problem{'s' if n != 1 else ''}, the first at seq "
            f"{first['seq']} ({first['kind']}); {report['entries']} entries read"
        )


TABLE_DETAIL = 60  # characters of an entry's detail in a table (csv and jsonl keep it whole)


def _row(e: dict[str, Any], cut: bool) -> dict[str, Any]:
    detail = json.dumps(e["detail"], ensure_ascii=False, sort_keys=True) if e["detail"] else None
    if cut and detail and len(detail) > TABLE_DETAIL:
        detail = detail[: TABLE_DETAIL - 1] + "…"
    return {**e, "detail": detail}


@audit_app.command("show")
def show_cmd(
    case: Annotated[str | None, typer.Option("--case", help="only entries about this case")] = None,
    action: Annotated[str | None, typer.Option("--action", help="only this action, e.g. match")] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl | csv | table")] = "table",
    limit: Annotated[int | None, typer.Option("--limit", help="at most this many entries", min=1)] = None,
    after: Annotated[int, typer.Option("--after", help="only entries after this seq", min=0)] = 0,
) -> None:
    """Entries of the audit trail in order: who did what, when, to which case (all of them: the local
    operator reads the whole trail)."""
    check_format(fmt)
    if action is not None and action not in ACTIONS:
        raise ConfigError(f"--action must be one of {', '.join(ACTIONS)}, not {action!r}")
    entries = show(open_store(), Principal.local(), case=case, action=action, after=after, limit=limit)
    rows = [e.as_dict() for e in entries]
    cols = ["seq", "at", "actor", "agency", "action", "case", "target", "detail"]
    if fmt == "jsonl":
        emit(rows, fmt, cols)
    else:
        emit((_row(r, fmt == "table") for r in rows), fmt, cols, [*cols, "prev", "hash"])
