"""The review UI on a large case: what a page of the triage grid costs once the case's triage is known.

Every page of the UI reads the case's triage (grid pages, dashboard, item, report). A case of 100,000
contents takes seconds to triage; the server keeps the records while the case's data stays the same
(``services.triage.TriageCache``, checked by a fingerprint of a few aggregates). Measured here, in one
process, side by side: (baseline) ``triage_case`` as every page called it before, (jejak) the cache's answer
when nothing changed (the fingerprint query), and the grid page itself over HTTP (TestClient, a signed-in
session): its first load (triage computed) and the next pages (triage kept).

The case is written straight into SQLite by benchmarks/links.py's builder (random PDQs, cameras, GPS; no
pictures: triage reads hashes and hits).

    .venv/bin/python benchmarks/ui.py [--case-size 100000] [--quick] [--write-docs]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import benchkit
import links
import numpy as np
from fastapi.testclient import TestClient

from jejak.api.app import create_app
from jejak.config import Settings
from jejak.services import accounts
from jejak.services.lists import import_list
from jejak.services.match import match_case
from jejak.services.triage import TriageCache, triage_case
from jejak.store.sql import Store

SECTION = "## Review UI on a large case (benchmarks/ui.py)"
ROUNDS = 3


def median_seconds(run: Callable[[], object], rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case-size", type=int, default=None)
    ap.add_argument("--quick", action="store_true", help="a case of 20,000")
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args(argv)
    size = args.case_size or (20_000 if args.quick else 100_000)
    watch = benchkit.Stopwatch()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ui.db"
        db = f"sqlite:///{path}"
        store = Store.open(db)
        built = links.parse(["--store", "10000", "--case-size", str(size), "--gps", str(size // 10)])
        links.build(store, built, np.random.default_rng(0))
        settings = Settings(db=db, index_dir=str(Path(tmp) / "index"), workers=0)
        case = links.CASE
        # a list knowing every fifth content of the case by PDQ, matched as jejak does: real hits
        row = store.get_case(case)
        pdqs = [str(c["pdq"]) for c in store.matches.case_contents(row.id) if c["pdq"]][::5]
        listed = Path(tmp) / "known.pdq"
        listed.write_text("\n".join(pdqs) + "\n", encoding="utf-8")
        import_list(store, listed, "known", fmt="pdq", by="bench")
        t0 = time.perf_counter()
        match_case(store, settings, case)
        matched = time.perf_counter() - t0
        records = triage_case(store, settings, case)
        n, hits = len(records), sum(len(r["hits"]) for r in records)
        fresh = median_seconds(lambda: triage_case(store, settings, case))
        cache = TriageCache()
        cache.records(store, settings, case)
        kept = median_seconds(lambda: cache.records(store, settings, case), 10)

        accounts.create_user(store, "bench-reviewer", "Bench Unit", "reviewer", None)
        token, _ = accounts.create_token(store, "bench-reviewer", None)
        with TestClient(create_app(settings, store, roles=["ui"])) as client:
            client.cookies.set("jejak_session", token)
            t0 = time.perf_counter()
            first = client.get(f"/ui/cases/{case}/triage")
            cold = time.perf_counter() - t0
            assert first.status_code == 200, first.text[:300]
            pages = [client.get(f"/ui/cases/{case}/triage?page={p}") for p in range(2, 2 + ROUNDS)]
            assert all(p.status_code == 200 for p in pages)
            warm = median_seconds(lambda: client.get(f"/ui/cases/{case}/triage?page=5"))
        store.close()
    lines = [
        f"A case of {n:,} distinct contents, {hits:,} list hits (a PDQ list of every fifth content, matched "
        f"in {matched:.0f} s); one process, SQLite; median of {ROUNDS} rounds, 10 for the cache.",
        "",
        "| step | seconds |",
        "|---|---:|",
        f"| (baseline) `triage_case`, as each page computed it before | {fresh:.2f} |",
        f"| (jejak) `TriageCache.records`, nothing changed: the fingerprint query | {kept:.3f} |",
        f"| ratio baseline / jejak | {fresh / max(kept, 1e-9):.0f}x |",
        f"| grid page over HTTP, first load (triage computed) | {cold:.2f} |",
        f"| grid page over HTTP, another page (triage kept) | {warm:.2f} |",
    ]
    text = "\n".join(lines)
    print(text)
    print(f"total {watch.text()}")
    if args.write_docs:
        command = "python benchmarks/ui.py" + (" --quick" if args.quick else "")
        benchkit.publish(SECTION, command, watch, text, "SQLite " + sqlite3.sqlite_version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
