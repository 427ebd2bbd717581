"""``jejak``: every command is a thin wrapper over a service; errors become exit codes here only."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from jejak.cli.admin import admin_app, case_share_cmd, case_unshare_cmd
from jejak.cli.audit import audit_app
from jejak.cli.common import check_format, open_store, settings, state
from jejak.cli.graph import alerts_cmd, assert_app, graph_cmd, links_cmd, person_app, workboard_cmd
from jejak.cli.lists import lists_app
from jejak.cli.match import export_cmd, hit_counts, link_lines, match_cmd, triage_cmd
from jejak.cli.media import preview_cmd, segment_app
from jejak.cli.output import emit, err, ingest_progress, write_table
from jejak.cli.review import categorise_cmd
from jejak.cli.server import serve_cmd
from jejak.config import Settings
from jejak.errors import JejakError
from jejak.services import records
from jejak.services.accounts import Principal
from jejak.services.audit import record
from jejak.services.ingest import hash_files, ingest_case

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="jejak: ingest, hash, match and link evidence."
)
case_app = typer.Typer(no_args_is_help=True, help="Create and list cases.")
db_app = typer.Typer(no_args_is_help=True, help="Database maintenance.")
demo_app = typer.Typer(no_args_is_help=True, help="The benign synthetic seizure used by 'make demo'.")
app.add_typer(case_app, name="case")
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(lists_app, name="lists")
app.command("match")(match_cmd)
app.command("triage")(triage_cmd)
app.command("categorise")(categorise_cmd)
app.command("export")(export_cmd)
app.command("links")(links_cmd)
app.add_typer(assert_app, name="assert")
app.add_typer(person_app, name="person")
app.command("alerts")(alerts_cmd)
app.command("graph")(graph_cmd)
app.command("workboard")(workboard_cmd)
app.command("preview")(preview_cmd)
app.add_typer(segment_app, name="segment")
app.command("serve")(serve_cmd)
app.add_typer(admin_app, name="admin")
app.add_typer(audit_app, name="audit")


@app.callback()
def main_options(
    db: Annotated[
        str | None, typer.Option("--db", help="SQLAlchemy URL (default: JEJAK_DB or sqlite:///jejak.db)")
    ] = None,
) -> None:
    state.db = db


@case_app.command("create")
def case_create(
    name: str,
    agency: Annotated[str, typer.Option("--agency", help="the agency that owns the case")],
    description: Annotated[str | None, typer.Option("--description")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the case as JSON")] = False,
) -> None:
    """Create a case owned by an agency (the agency is created on first use)."""
    store = open_store()
    row = store.create_case(name, agency, description)
    record(store, Principal.local(), "case_create", case=row.name, detail={"agency": row.agency})
    if as_json:
        print(json.dumps({"case": row.name, "agency": row.agency, "created_at": row.created_at.isoformat()}))
    else:
        err.print(f"case [bold]{row.name}[/] created for {row.agency}")


@case_app.command("ls")
def case_ls(fmt: Annotated[str, typer.Option("--format")] = "table") -> None:
    """List cases."""
    check_format(fmt)
    rows = [
        {
            "case": c.name,
            "agency": c.agency,
            "description": c.description,
            "created_at": c.created_at.isoformat(),
        }
        for c in open_store().list_cases()
    ]
    emit(rows, fmt, ["case", "agency", "description", "created_at"])


case_app.command("share")(case_share_cmd)
case_app.command("unshare")(case_unshare_cmd)


@app.command()
def ingest(
    sources: Annotated[list[Path], typer.Argument(help="folders, files, archives, raw/E01 disk images")],
    case: Annotated[str, typer.Option("--case", help="the case to ingest into")],
    exhibit: Annotated[
        str | None, typer.Option("--exhibit", help="exhibit name (default: one per source, named after it)")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="worker processes (0: in this process)")
    ] = None,
    cluster: Annotated[
        str | None, typer.Option("--cluster", help="Dask scheduler address, or 'local'")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a machine-readable summary")] = False,
    progress_jsonl: Annotated[
        bool,
        typer.Option("--progress-jsonl", hidden=True, help="server jobs: progress lines on stderr"),
    ] = False,
) -> None:
    """Ingest evidence: walk, hash (MD5, SHA-1, SHA-256, PDQ), read metadata, store. Re-run to resume."""
    s = settings(workers=workers)
    store = open_store(s)
    if progress_jsonl:
        from jejak.services.jobs import child_progress

        summary = ingest_case(
            store,
            s,
            case,
            [str(p) for p in sources],
            exhibit=exhibit,
            cluster=cluster,
            on_progress=child_progress(),
        )
        print(json.dumps(summary, default=records.json_default))
        return
    with ingest_progress(not as_json) as update:
        summary = ingest_case(
            store, s, case, [str(p) for p in sources], exhibit=exhibit, cluster=cluster, on_progress=update
        )
    if as_json:
        print(json.dumps(summary, default=records.json_default))
        return
    kinds = ", ".join(f"{n} {k}" for k, n in summary["by_kind"].items())
    err.print(
        f"ingested {summary['files']} files ({summary['bytes'] / 1e6:.1f} MB read) into case "
        f"[bold]{case}[/] in {summary['seconds']:.1f}s: {kinds or 'nothing new'}; "
        f"{summary['warnings']} warnings"
    )
    m = summary.get("match")
    if m:
        err.print(f"matched against {m['lists']} lists: {hit_counts(m)}; see 'jejak triage --case {case}'")
    links = (m or {}).get("links") or summary.get("links") or {}
    for line in link_lines(links, (m or {}).get("graph") or summary.get("graph") or {}, case):
        err.print(line)
    for r in summary["runs"]:
        if r["leaves_skipped_as_already_done"]:
            err.print(
                f"  {r['exhibit']}: {r['leaves_skipped_as_already_done']} files already ingested, skipped"
            )


@app.command()
def files(
    case: Annotated[str, typer.Option("--case")],
    exhibit: Annotated[str | None, typer.Option("--exhibit")] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl | csv | table")] = "jsonl",
) -> None:
    """Every file instance of a case with digests, PDQ, EXIF and warnings (docs/output.md)."""
    check_format(fmt)
    store = open_store()
    row = store.get_case(case)
    rows = (records.from_row(case, r) for r in store.iter_files(row.id, exhibit))
    table = ["exhibit", "path", "kind", "size", "sha256", "pdq", "deleted"]
    emit(rows, fmt, table, records.CSV_FIELDS, records.csv_row)


@app.command()
def warnings(
    case: Annotated[str, typer.Option("--case")],
    exhibit: Annotated[str | None, typer.Option("--exhibit")] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl | csv | table")] = "table",
) -> None:
    """Warnings recorded while ingesting a case: what could not be read, and why."""
    check_format(fmt)
    store = open_store()
    row = store.get_case(case)
    rows = list(store.iter_warnings(row.id, exhibit))
    emit(
        rows,
        fmt,
        ["exhibit", "stage", "path", "message"],
        ["exhibit", "stage", "message", "path", "created_at"],
        title=f"{len(rows)} warnings in {case}",
    )


@app.command()
def summary(
    case: Annotated[str, typer.Option("--case")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Counts for a case: files, kinds, unique contents, deleted, PDQ-hashed, warnings."""
    store = open_store()
    row = store.get_case(case)
    data = {"case": row.name, "agency": row.agency, **store.case_summary(row.id)}
    if as_json:
        print(json.dumps(data, default=records.json_default))
        return
    write_table(
        [{"what": k, "count": v} for k, v in data.items() if k != "by_kind"]
        + [{"what": f"kind: {k}", "count": v} for k, v in sorted(data["by_kind"].items())],
        ["what", "count"],
        title=f"case {row.name}",
    )


@app.command("hash")
def hash_cmd(
    paths: Annotated[list[Path], typer.Argument(help="files or folders (archives are expanded)")],
    fmt: Annotated[str, typer.Option("--format", help="jsonl | csv | table")] = "table",
) -> None:
    """Digests, PDQ and metadata of loose files. No database is used or created."""
    check_format(fmt)
    recs: list[dict[str, Any]] = []
    for rec, warning in hash_files(settings(), [str(p) for p in paths]):
        if rec is not None:
            recs.append(records.from_record(rec))
        elif warning is not None:
            where = warning.pathspec.readable() if warning.pathspec else ""
            err.print(f"[yellow]warning[/] {warning.stage}: {where}: {warning.message}")
    table = ["path", "kind", "size", "md5", "sha256", "pdq", "pdq_quality"]
    emit(recs, fmt, table, records.CSV_FIELDS, records.csv_row)


@app.command("settings")
def settings_cmd(fmt: Annotated[str, typer.Option("--format", help="jsonl | csv | table")] = "table") -> None:
    """The settings in effect (defaults, JEJAK_* environment, --db), with what each one does."""
    check_format(fmt)
    s = settings()
    shown = s.model_dump(mode="json")  # a secret shows as '**********', never its value
    rows = [
        {
            "setting": name,
            "environment": f"JEJAK_{name.upper()}",
            "value": shown[name],
            "meaning": field.description,
        }
        for name, field in Settings.model_fields.items()
    ]
    emit(rows, fmt, ["setting", "environment", "value", "meaning"])


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the current schema."""
    open_store()
    err.print("database is at the current schema")


@demo_app.command("build")
def demo_build(folder: Path, seed: Annotated[int, typer.Option("--seed")] = 2026) -> None:
    """Write the benign synthetic seizure (procedural images only) under FOLDER/seizure, and known-hash
    lists describing some of its pictures under FOLDER/lists."""
    from jejak.testing.agencies import build_agencies
    from jejak.testing.known import build_known_material
    from jejak.testing.known_media import build_known_media
    from jejak.testing.seizure import build_seizure

    manifest = build_seizure(folder, seed=seed)
    known = build_known_material(folder, seed=seed)
    build_known_media(folder, seed=seed)
    build_agencies(folder / "agencies")
    err.print(
        f"synthetic seizure written to {folder / 'seizure'} ({len(manifest['files'])} files in the manifest; "
        f"laptop: {len(known['copies'])} copies of listed pictures, {len(known['distractors'])} new ones; "
        f"messenger: generated videos and sound); lists in {folder / 'lists'}, known media in "
        f"{folder / 'reference-media'}; three seizures of two agencies in {folder / 'agencies'}"
    )


def main() -> None:
    try:
        app(standalone_mode=False)
    except JejakError as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("interrupted: committed work is kept; run the same command again to resume")
        sys.exit(130)
    except Exception as exc:  # click usage errors (typer >= 0.20 raises those of its own vendored click)
        import click

        if isinstance(exc, click.ClickException | typer.TyperException) and hasattr(exc, "show"):
            exc.show()
            sys.exit(int(getattr(exc, "exit_code", 2)))
        raise
