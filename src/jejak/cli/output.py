"""Writing records as jsonl, csv or a Rich table, and the ingest progress bar."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import Progress as RichProgress
from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from jejak.ingest.job import Progress
from jejak.services.records import json_default

err = Console(stderr=True, soft_wrap=True)  # messages are lines: never folded at 80 columns


def write_jsonl(rows: Iterable[dict[str, Any]]) -> int:
    n = 0
    out = sys.stdout
    for r in rows:
        out.write(json.dumps(r, default=json_default, ensure_ascii=False, sort_keys=False) + "\n")
        n += 1
    out.flush()
    return n


def write_csv(rows: Iterable[dict[str, Any]], fields: Iterable[str]) -> int:
    w = csv.DictWriter(sys.stdout, fieldnames=list(fields), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    n = 0
    for r in rows:
        w.writerow({k: ("" if v is None else v) for k, v in r.items()})
        n += 1
    return n


def write_table(rows: Iterable[dict[str, Any]], columns: list[str], title: str | None = None) -> int:
    table = Table(title=title, show_lines=False)
    for c in columns:
        wide = c in ("path", "message", "meaning")
        table.add_column(c, overflow="fold", no_wrap=not wide, ratio=3 if wide else None)
    n = 0
    for r in rows:
        table.add_row(*(Text(_cell(c, r.get(c))) for c in columns))  # data: no markup, no emoji codes
        n += 1
    # Piped or captured output has no terminal width: use a wide page rather than Rich's 80 columns.
    Console(width=None if sys.stdout.isatty() else 160).print(table)
    return n


def emit(
    rows: Iterable[dict[str, Any]],
    fmt: str,
    table: list[str],
    csv_fields: Iterable[str] | None = None,
    csv_row: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    title: str | None = None,
) -> int:
    """Rows in the chosen format: every key as jsonl; ``csv_fields`` (default: the table's columns) as CSV,
    each row passed through ``csv_row`` first; the ``table`` columns for people."""
    if fmt == "jsonl":
        return write_jsonl(rows)
    if fmt == "csv":
        return write_csv((csv_row(r) for r in rows) if csv_row else rows, csv_fields or table)
    return write_table(rows, table, title=title)


_DIGESTS = ("md5", "sha1", "sha256", "pdq")


def _cell(column: str, value: Any) -> str:
    """Tables are for people: long digests are cut (jsonl and csv keep them whole)."""
    if value is None:
        return ""
    text = str(value)
    return text[:12] + "…" if column in _DIGESTS and len(text) > 13 else text


@contextmanager
def ingest_progress(enabled: bool) -> Iterator[Any]:
    """A live line with files, files/s and MB/s when stderr is a terminal; a no-op otherwise."""
    if not enabled or not err.is_terminal:
        yield None
        return
    bar = RichProgress(
        SpinnerColumn(),
        TextColumn("[bold]ingest[/]"),
        TextColumn("{task.fields[files]} files"),
        TextColumn("{task.fields[fps]:.0f} files/s"),
        TextColumn("{task.fields[mbps]:.1f} MB/s"),
        TextColumn("{task.fields[warnings]} warnings"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = bar.add_task("ingest", total=None, files=0, fps=0.0, mbps=0.0, warnings=0)

    def update(p: Progress) -> None:
        import time

        secs = max(time.monotonic() - p.started, 1e-6)
        bar.update(task, files=p.files, fps=p.files / secs, mbps=p.bytes / secs / 1e6, warnings=p.warnings)

    with bar:
        yield update
