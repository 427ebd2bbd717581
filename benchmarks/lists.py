"""List parsing throughput: read a generated 1,000,000-entry VICS 2.0 hash set with ``jejak.lists.read_list``.

One run, offline, in a temporary folder that is deleted afterwards:

1. generate the hash set (``jejak.testing.write_vics_hashset``: MD5, SHA-1, SHA-256 for all, PDQ for half,
   category for most, series for some; about 0.5 GB for a million entries);
2. in a fresh child process (so that its peak RSS is the parse's own), iterate ``read_list`` over every entry;
3. in another child, only ``ijson.items`` over the same file (the C parser's floor, for comparison);
4. print the numbers and PASS/FAIL against the floors: parse of 1M entries <= 30 s (half of the 60 s import
   floor; the store write is measured elsewhere) and peak memory < 1 GB. For another ``--n`` the time floor
   scales linearly. The exit status is 0 unless --strict.

    .venv/bin/python benchmarks/lists.py [--n N] [--quick] [--seed S] [--strict]

--quick reads 100,000 entries (about 5 s here); the default million takes about a minute in all.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import benchkit

FLOOR_SECONDS_PER_MILLION = 30.0
FLOOR_RSS_BYTES = 1 << 30


def _child_parse(path: str) -> dict[str, Any]:
    from jejak.lists import read_list

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    header, reader = read_list(Path(path))
    n = with_pdq = categorised = 0
    for entry in reader:
        n += 1
        if entry.category is not None:
            categorised += 1
        if entry.hashes[-1].algorithm == "pdq":
            with_pdq += 1
    seconds = time.perf_counter() - t0
    return {
        "entries": n,
        "seconds": seconds,
        "with_pdq": with_pdq,
        "categorised": categorised,
        "problems": reader.count_bad,
        "complete": reader.complete,
        "format": header.format,
        "rss_start_kib": rss0,
        "rss_peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def _child_import(path: str) -> dict[str, Any]:
    """``jejak lists import`` as a user runs it (services.lists.import_list) into a fresh SQLite store, then
    the same file again (a re-release: every entry compared, none written)."""
    from jejak.services.lists import import_list
    from jejak.store.sql import Store

    db = Path(path).with_suffix(".db")
    store = Store.open(f"sqlite:///{db}")
    t0 = time.perf_counter()
    first = import_list(store, Path(path), "bench")
    seconds = time.perf_counter() - t0
    rss_first = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    again = import_list(store, Path(path), "bench")
    return {
        "seconds": seconds,
        "added": first["counts"]["added"],
        "rss_peak_kib": rss_first,
        "reimport_seconds": time.perf_counter() - t0,
        "reimport_unchanged": again["counts"]["unchanged"],
        "reimport_rss_peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "db_bytes": db.stat().st_size,
    }


def _child_ijson(path: str) -> dict[str, Any]:
    import ijson

    t0 = time.perf_counter()
    n = 0
    with open(path, "rb") as f:
        for _ in ijson.items(f, "value.item", use_float=True):
            n += 1
    return {"entries": n, "seconds": time.perf_counter() - t0}


def _run_child(mode: str, path: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument(
        "--n", type=int, default=1_000_000, help="entries to generate and read (default 1,000,000)"
    )
    ap.add_argument("--quick", action="store_true", help="100,000 entries")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--strict", action="store_true", help="exit 1 when a floor is missed")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        mode, path = args.child
        child = {"parse": _child_parse, "ijson": _child_ijson, "import": _child_import}[mode]
        print(json.dumps(child(path)))
        return 0

    from jejak.testing.lists import write_vics_hashset

    n = 100_000 if args.quick else args.n
    with tempfile.TemporaryDirectory(prefix="jejak-bench-lists-") as tmp:
        path = Path(tmp) / "vics-hashset.json"
        t0 = time.perf_counter()
        info = write_vics_hashset(path, n, seed=args.seed)
        gen_seconds = time.perf_counter() - t0
        watch = benchkit.Stopwatch()
        parse = _run_child("parse", path)
        floor = _run_child("ijson", path)
        imported = _run_child("import", path)
        others = watch.other_cpu()

    assert parse["entries"] == info.entries, (parse["entries"], info.entries)
    assert parse["with_pdq"] == info.with_pdq and parse["categorised"] == info.categorised
    rate = parse["entries"] / parse["seconds"]
    floor_seconds = FLOOR_SECONDS_PER_MILLION * n / 1_000_000
    peak = parse["rss_peak_kib"] * 1024
    print(f"# jejak list parse benchmark ({platform.python_version()}, {os.cpu_count()} cores)")
    print(f"generated: {info.entries:,} entries, {info.size_bytes / 1e6:.0f} MB in {gen_seconds:.1f} s")
    print(f"| {'measure':<44} | {'value':>14} |")
    print(f"|{'-' * 46}|{'-' * 16}:|")
    rows = [
        ("read_list: entries", f"{parse['entries']:,}"),
        ("read_list: seconds", f"{parse['seconds']:.2f}"),
        ("read_list: entries/s", f"{rate:,.0f}"),
        ("read_list: MB/s", f"{info.size_bytes / 1e6 / parse['seconds']:.1f}"),
        ("read_list: peak RSS of the child (MiB)", f"{peak / 2**20:.0f}"),
        (
            "read_list: RSS growth while reading (MiB)",
            f"{(parse['rss_peak_kib'] - parse['rss_start_kib']) / 1024:.1f}",
        ),
        ("problems", f"{parse['problems']}"),
        ("ijson.items alone: seconds (C parser floor)", f"{floor['seconds']:.2f}"),
        ("read_list / ijson.items", f"{parse['seconds'] / floor['seconds']:.2f}x"),
        ("CPU-s used by other processes meanwhile", f"{others:.0f}"),
        ("lists import into SQLite: seconds", f"{imported['seconds']:.2f}"),
        ("lists import: entries/s", f"{imported['added'] / imported['seconds']:,.0f}"),
        ("lists import: peak RSS (MiB)", f"{imported['rss_peak_kib'] / 1024:.0f}"),
        ("re-import of the same release: seconds", f"{imported['reimport_seconds']:.2f}"),
        ("re-import: peak RSS (MiB)", f"{imported['reimport_rss_peak_kib'] / 1024:.0f}"),
        ("database size (MB)", f"{imported['db_bytes'] / 1e6:.0f}"),
    ]
    for label, value in rows:
        print(f"| {label:<44} | {value:>14} |")
    ok_time = parse["seconds"] <= floor_seconds
    ok_mem = peak < FLOOR_RSS_BYTES
    print(
        f"- {'PASS' if ok_time else 'FAIL'}: parse {n:,} entries in {parse['seconds']:.1f} s "
        f"(floor {floor_seconds:.0f} s: 30 s per million, half of the 60 s import floor)"
    )
    print(f"- {'PASS' if ok_mem else 'FAIL'}: peak memory {peak / 2**20:.0f} MiB (floor < 1 GB)")
    import_floor = 2 * floor_seconds
    import_peak = max(imported["rss_peak_kib"], imported["reimport_rss_peak_kib"]) * 1024
    ok_import = imported["added"] == n and imported["seconds"] <= import_floor
    ok_import_mem = import_peak < FLOOR_RSS_BYTES
    ok_reimport = imported["reimport_unchanged"] == n and imported["reimport_seconds"] <= import_floor
    print(
        f"- {'PASS' if ok_import else 'FAIL'}: import {n:,} entries into the store in "
        f"{imported['seconds']:.1f} s (floor {import_floor:.0f} s: 60 s per million)"
    )
    print(
        f"- {'PASS' if ok_import_mem else 'FAIL'}: import peak memory {import_peak / 2**20:.0f} MiB "
        "(floor < 1 GB)"
    )
    print(
        f"- {'PASS' if ok_reimport else 'FAIL'}: re-import (diff of {n:,} entries) in "
        f"{imported['reimport_seconds']:.1f} s (floor {import_floor:.0f} s)"
    )
    ok = ok_time and ok_mem and ok_import and ok_import_mem and ok_reimport
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    raise SystemExit(main())
