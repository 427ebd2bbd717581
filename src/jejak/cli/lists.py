"""``jejak lists``: import, build, show, export and remove known-hash lists."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import typer

from jejak.cli.common import check_format, open_store, settings
from jejak.cli.output import emit, err, write_table
from jejak.errors import ConfigError
from jejak.model import WarningRecord
from jejak.services import lists as svc
from jejak.services.accounts import Principal
from jejak.services.audit import record
from jejak.services.records import json_default

lists_app = typer.Typer(no_args_is_help=True, help="Known-hash lists: import, build, show, export, remove.")


def _mapping(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    out = {}
    for p in pairs:
        field, sep, column = p.partition("=")
        if not sep or not field or not column:
            raise ConfigError(f"--map takes FIELD=COLUMN (e.g. md5=Hash), not {p!r}")
        out[field.strip()] = column.strip()
    return out


def _print_version(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, default=json_default))
        return
    c = report["counts"]
    err.print(
        f"list [bold]{report['list']}[/] version {report['version']} ({report['format']}"
        f"{', known-good' if report['known_good'] else ''}): read {c['read']}, added {c['added']}, "
        f"updated {c['updated']}, unchanged {c['unchanged']}, removed {c['removed']}, "
        f"duplicates {c['duplicates']}, problems {c['problems']}"
    )
    for p in report["problems"][:20]:
        err.print(f"  [yellow]problem[/] {p}")
    if len(report["problems"]) > 20:
        err.print(f"  ... and {len(report['problems']) - 20} more ('jejak lists show {report['list']}')")


def _audit_detail(report: dict[str, Any]) -> dict[str, Any]:
    """What the audit trail keeps of an import: the version, its source and counts (not its problems)."""
    return {
        k: report.get(k) for k in ("version", "format", "known_good", "source", "source_sha256", "counts")
    }


@lists_app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="the list file (VICS JSON, ICSE CSV, NSRL, md5sum, ...)")],
    name: Annotated[str, typer.Option("--name", help="the list's name; a re-import adds a version")],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="auto | vics | icse | csv | md5sum | hashdeep | nsrl | pdq | vpdq (a file "
            "or folder of Meta vPDQ video hashes)",
        ),
    ] = "auto",
    scheme: Annotated[
        str | None, typer.Option("--scheme", help="category scheme: vic-us | vic-legacy | uk | industry")
    ] = None,
    known_good: Annotated[
        bool, typer.Option("--known-good", help="files to set aside (NSRL, operating systems), not material")
    ] = False,
    pdq_threshold: Annotated[
        int | None, typer.Option("--pdq-threshold", help="this list's PDQ distance (default: the setting)")
    ] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    mapping: Annotated[
        list[str] | None, typer.Option("--map", help="generic CSV: FIELD=COLUMN, e.g. --map md5=Hash")
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="who imports (default: the OS user)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import a release of a list. Entries are compared with the previous release: added, updated,
    removed and unchanged are counted, and who imported what when is kept."""
    if pdq_threshold is not None and not 0 <= pdq_threshold <= 256:
        raise ConfigError("--pdq-threshold must be between 0 and 256")
    store = open_store()
    if fmt == "vpdq":  # one known video per file (or per *.txt of a folder), matched by the video stage
        report = svc.import_vpdq(store, [file], name, scheme=scheme, by=by)
        record(store, Principal.local(), "list_import", target=name, detail=_audit_detail(report))
        _print_version(report, as_json)
        return
    report = svc.import_list(
        store,
        file,
        name,
        fmt=fmt,
        scheme=scheme,
        known_good=known_good,
        pdq_threshold=pdq_threshold,
        description=description,
        mapping=_mapping(mapping),
        by=by,
    )
    record(store, Principal.local(), "list_import", target=name, detail=_audit_detail(report))
    _print_version(report, as_json)


@lists_app.command("build")
def build_cmd(
    paths: Annotated[list[Path], typer.Argument(help="media files or folders (archives are expanded)")],
    name: Annotated[str, typer.Option("--name", help="the list to create or add to")],
    category: Annotated[str | None, typer.Option("--category", help="category code for every entry")] = None,
    scheme: Annotated[str | None, typer.Option("--scheme", help="category scheme (default vic-us)")] = None,
    series: Annotated[str | None, typer.Option("--series", help="series name for every entry")] = None,
    known_good: Annotated[bool, typer.Option("--known-good")] = False,
    by: Annotated[str | None, typer.Option("--by")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Make or extend a list from media files: MD5, SHA-1, SHA-256 and PDQ of each."""

    def warn(w: WarningRecord) -> None:
        where = w.pathspec.readable() if w.pathspec else ""
        err.print(f"[yellow]warning[/] {w.stage}: {where}: {w.message}")

    s = settings()
    store = open_store(s)
    report = svc.build_list(
        store,
        s,
        [str(p) for p in paths],
        name,
        category=category,
        scheme=scheme,
        series=series,
        known_good=known_good,
        by=by,
        on_warning=warn,
    )
    record(store, Principal.local(), "list_import", target=name, detail=_audit_detail(report))
    _print_version(report, as_json)


@lists_app.command("ls")
def ls_cmd(fmt: Annotated[str, typer.Option("--format", help="jsonl | csv | table")] = "table") -> None:
    """Every list with its size, versions and last import."""
    check_format(fmt)
    rows = svc.list_rows(open_store())
    emit(
        rows,
        fmt,
        ["list", "known_good", "scheme", "entries", "pdq", "removed", "versions", "last_import", "last_by"],
        [
            "list",
            "known_good",
            "scheme",
            "pdq_threshold",
            "entries",
            "pdq",
            "removed",
            "versions",
            "last_import",
            "last_by",
        ],
    )


@lists_app.command("show")
def show_cmd(
    name: Annotated[str, typer.Argument()],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A list's entries by hash and category, and its versions (who imported what, when, what changed)."""
    data = svc.show_list(open_store(), name)
    if as_json:
        print(json.dumps(data, default=json_default))
        return
    facts = [
        {"what": k, "value": data[k]}
        for k in ("list", "known_good", "scheme", "pdq_threshold", "description", "created_at", "created_by")
    ]
    facts += [
        {"what": f"entries with {k}", "value": data[k]} for k in ("md5", "sha1", "sha256", "pdq", "photodna")
    ]
    facts += [
        {"what": "active entries", "value": data["entries"]},
        {"what": "removed", "value": data["removed"]},
    ]
    for c in data["by_category"]:
        cat = c["category"]
        label = f"{cat['scheme']} {cat['code']} {cat['label']}" if cat else "uncategorised"
        facts.append({"what": f"category {label}", "value": c["entries"]})
    write_table(facts, ["what", "value"], title=f"list {name}")
    rows = [
        {
            "version": v["version"],
            "format": v["format"],
            "imported_at": v["imported_at"],
            "imported_by": v["imported_by"],
            **{k: v["counts"].get(k) for k in ("added", "updated", "removed", "unchanged", "problems")},
            "source": v["source"],
        }
        for v in data["versions"]
    ]
    cols = ["version", "format", "imported_at", "imported_by", "added", "updated", "removed", "unchanged"]
    write_table(rows, [*cols, "problems", "source"], title="versions")


@lists_app.command("rm")
def rm_cmd(
    name: Annotated[str, typer.Argument()],
    yes: Annotated[bool, typer.Option("--yes", help="do not ask")] = False,
) -> None:
    """Remove a list, its versions, entries and hits."""
    store = open_store()
    store.lists.get(name)
    if not yes and not typer.confirm(f"remove list {name!r} and its hits?"):
        raise typer.Abort()
    report = svc.remove_list(store, name)
    record(store, Principal.local(), "list_remove", target=name, detail=report)
    err.print(f"removed list {name} ({report['removed_entries']} entries)")


@contextlib.contextmanager
def binary_output(output: Path | None) -> Iterator[BinaryIO]:
    if output is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with open(output, "wb") as f:
        yield f


@lists_app.command("export")
def export_cmd(
    name: Annotated[str, typer.Argument()],
    fmt: Annotated[
        str, typer.Option("--format", help="vics | csv | pdq | icse | md5sum | hashdeep | vpdq")
    ] = "vics",
    profile: Annotated[str, typer.Option("--profile", help="VICS profile: US | UK | Default")] = "US",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file (default: stdout)")] = None,
) -> None:
    """Write a list's active entries in a list format; vpdq writes one vPDQ file per known video into the
    --output folder."""
    store = open_store()
    if fmt == "vpdq":
        if output is None:
            raise ConfigError("--format vpdq writes one file per video: give a folder with --output")
        n = svc.export_vpdq(store, name, output)
        record(store, Principal.local(), "list_export", target=name, detail={"format": fmt, "entries": n})
        err.print(f"exported {n} videos of {name} as vPDQ files in {output}")
        return
    with binary_output(output) as out:
        n = svc.export_list(store, name, fmt, out, profile=profile)
    record(store, Principal.local(), "list_export", target=name, detail={"format": fmt, "entries": n})
    err.print(f"exported {n} entries of {name} as {fmt}")
