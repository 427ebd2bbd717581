"""Link analysis at scale: one case of 100,000 media linked against a store of 1,000,000 (issue 6).

A synthetic store is written straight into SQLite (``--db``, default a temporary file): ``--store`` media in
cases of 10,000 over ten agencies, each with a random PDQ, one in ten with a camera body serial (from
20,000 cameras) and one in twenty with a GPS position; then the case under test, ``--case-size`` media with
``--cameras`` cameras (a tenth of them also in the store), ``--gps`` positions (a tenth within 50 m of a
stored one), ``--near`` near-duplicates of stored media (PDQ within 8 bits) and a few shared identifiers.
No pictures are drawn: link analysis reads hashes and metadata, which is what is measured.

Then, in this process: (baseline) reading every stored row the rules read (PDQs, metadata, identifiers)
once, and (jejak) ``services.graph.link_case`` on the case: every rule, places store-wide, and the alerts.
Prints wall and CPU time, the ratio to the baseline, peak memory (RSS high-water mark of this process), the
links and alerts found, and PASS/FAIL against the floors: <= 600 s and <= 4 GB at 100,000 against
1,000,000 on 2 cores.

    .venv/bin/python benchmarks/links.py [--store 1000000] [--case-size 100000] [--cameras 1000]
        [--gps 10000] [--near 1000] [--db PATH] [--quick] [--write-docs]

--quick: 20,000 against 100,000.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import benchkit
import numpy as np
from sqlalchemy import func, select

from jejak.config import Settings
from jejak.services.graph import link_case
from jejak.store import schema as t
from jejak.store.sql import Store

SECTION = "## Link analysis at scale (benchmarks/links.py)"
FLOOR_SECONDS = 600.0
FLOOR_GB = 4.0
CASE = "BENCH-LINKS"
CHUNK = 20_000


def _hex(rng: np.random.Generator, n: int, nbytes: int) -> list[str]:
    return [b.tobytes().hex() for b in rng.integers(0, 256, (n, nbytes), dtype=np.uint8)]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Writer:
    """Bulk rows straight into the tables (the store's own ingest is measured by benchmarks/ingest.py)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.next_content = 1
        self.next_file = 1

    def case(self, name: str, agency: str) -> tuple[int, int, int]:
        row = self.store.create_case(name, agency)
        now = _now()
        with self.store.engine.begin() as conn:
            ex = conn.execute(t.exhibit.insert().values(case_id=row.id, name="bench", created_at=now))
            ex_id = int(ex.inserted_primary_key[0])  # type: ignore[index]
            run = conn.execute(
                t.ingest_run.insert().values(
                    case_id=row.id, exhibit_id=ex_id, sources=[], status="finished", started_at=now
                )
            )
            return row.id, ex_id, int(run.inserted_primary_key[0])  # type: ignore[index]

    def media(
        self,
        exhibit: int,
        run: int,
        pdqs: Sequence[str],
        meta: dict[int, dict[str, Any]],
        idents: dict[int, list[tuple[str, str]]],
    ) -> None:
        """One content, one file and one PDQ per item; metadata and identifiers for some (by index)."""
        with self.store.engine.begin() as conn:
            for start in range(0, len(pdqs), CHUNK):
                part = range(start, min(len(pdqs), start + CHUNK))
                ids = [self.next_content + i for i in part]
                shas = [hashlib.sha256(i.to_bytes(8, "little")).hexdigest() for i in ids]
                conn.execute(
                    t.content.insert(),
                    [
                        {"id": c, "sha256": s, "md5": s[:32], "sha1": s[:40], "size": 1000, "kind": "image"}
                        for c, s in zip(ids, shas, strict=True)
                    ],
                )
                conn.execute(
                    t.file_instance.insert(),
                    [
                        {
                            "exhibit_id": exhibit,
                            "run_id": run,
                            "content_id": c,
                            "pathspec": [],
                            "pathspec_key": s,
                            "path": f"/bench/{c}.jpg",
                            "name": f"{c}.jpg",
                            "size": 1000,
                            "deleted": False,
                            "kind": "image",
                        }
                        for c, s in zip(ids, shas, strict=True)
                    ],
                )
                conn.execute(
                    t.hash_value.insert(),
                    [
                        {"content_id": c, "algorithm": "pdq", "value": pdqs[i], "quality": 100}
                        for c, i in zip(ids, part, strict=True)
                    ],
                )
                blank = dict.fromkeys(("make", "model", "serial", "gps_lat", "gps_lon"))
                metas = [{"content_id": self.next_content + i, **blank, **meta[i]} for i in part if i in meta]
                if metas:
                    conn.execute(t.media_metadata.insert(), metas)
                found = [
                    {"content_id": self.next_content + i, "kind": k, "value": v, "source": "text", "count": 1}
                    for i in part
                    for k, v in idents.get(i, [])
                ]
                if found:
                    conn.execute(t.content_identifier.insert(), found)
        self.next_content += len(pdqs)


def _camera(k: int) -> dict[str, Any]:
    return {"make": "Benchcam", "model": f"BC-{k % 50}", "serial": f"SN{k:08d}"}


def build(store: Store, args: argparse.Namespace, rng: np.random.Generator) -> dict[str, int]:
    w = Writer(store)
    stored = _hex(rng, args.store, 32)
    per_case = 10_000
    lat0, lon0 = 52.0, 5.0
    points = rng.uniform(0, 1, (args.store, 2)) * np.array([2.0, 3.0]) + np.array([lat0, lon0])
    for c in range(0, args.store, per_case):
        n = min(per_case, args.store - c)
        meta: dict[int, dict[str, Any]] = {}
        for i in range(n):
            j = c + i
            m: dict[str, Any] = {}
            if j % 10 == 0:
                m.update(_camera(int(rng.integers(0, 20_000))))
            if j % 20 == 0:
                m.update(gps_lat=float(points[j, 0]), gps_lon=float(points[j, 1]))
            if m:
                meta[i] = m
        idents = {i: [("phone", f"+3161{(c + i) % 100_000:07d}")] for i in range(0, n, 500)}
        _cid, ex, run = w.case(f"STORE-{c // per_case:04d}", f"Agency {c // per_case % 10}")
        w.media(ex, run, stored[c : c + n], meta, idents)
    # the case under test
    pdqs = _hex(rng, args.case_size, 32)
    near = rng.choice(args.store, size=min(args.near, args.store), replace=False)
    for k, j in enumerate(near):
        code = bytearray(bytes.fromhex(stored[int(j)]))
        for bit in rng.choice(256, size=8, replace=False):
            code[int(bit) // 8] ^= 1 << (int(bit) % 8)
        pdqs[k] = bytes(code).hex()
    meta = {}
    cams = [int(x) for x in rng.integers(0, 20_000, args.cameras // 10)] + list(
        range(100_000, 100_000 + args.cameras - args.cameras // 10)
    )
    for i in range(args.case_size):
        m = _camera(cams[i % len(cams)]) if i % max(1, args.case_size // (10 * args.cameras)) == 0 else {}
        if i < args.gps:
            if i % 10 == 0:
                j = int(rng.integers(0, args.store // 20)) * 20
                m.update(gps_lat=float(points[j, 0]) + 0.0003, gps_lon=float(points[j, 1]))
            else:
                p = rng.uniform(0, 1, 2) * np.array([2.0, 3.0]) + np.array([lat0, lon0])
                m.update(gps_lat=float(p[0]), gps_lon=float(p[1]))
        if m:
            meta[i] = m
    idents = {i: [("phone", f"+3161{i * 97 % 100_000:07d}")] for i in range(0, args.case_size, 1000)}
    _cid, ex, run = w.case(CASE, "Bench Unit")
    w.media(ex, run, pdqs, meta, idents)
    return {"stored": args.store, "case": args.case_size}


def read_everything(store: Store) -> int:
    """The baseline: every row the rules read, read once."""
    n = 0
    with store.engine.connect() as conn:
        for table, cols in (
            (t.hash_value, ("content_id", "value", "quality")),
            (t.media_metadata, ("content_id", "make", "model", "serial", "gps_lat", "gps_lon")),
            (t.content_identifier, ("content_id", "kind", "value")),
            (t.content, ("id", "sha256")),
        ):
            for _row in conn.execution_options(yield_per=10_000).execute(select(*(table.c[c] for c in cols))):
                n += 1
    return n


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024  # ru_maxrss is in KiB


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=int, default=None)
    ap.add_argument("--case-size", type=int, default=None)
    ap.add_argument("--cameras", type=int, default=1000)
    ap.add_argument("--gps", type=int, default=None)
    ap.add_argument("--near", type=int, default=1000)
    ap.add_argument("--db", type=Path, default=None, help="SQLite file to build (kept); default: temporary")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args(argv)
    args.store = args.store or (100_000 if args.quick else 1_000_000)
    args.case_size = args.case_size or (20_000 if args.quick else 100_000)
    args.gps = args.gps or args.case_size // 10
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    watch = benchkit.Stopwatch()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "links.db"
        if path.exists():
            path.unlink()
        store = Store.open(f"sqlite:///{path}")
        rng = np.random.default_rng(args.seed)
        t0 = time.perf_counter()
        build(store, args, rng)
        built = time.perf_counter() - t0
        print(f"built: {args.store:,} stored media and a case of {args.case_size:,} in {built:.0f} s")
        settings = Settings(db=f"sqlite:///{path}", index_dir=str(Path(tmp) / "index"))
        c0, t0 = time.process_time(), time.perf_counter()
        rows = read_everything(store)
        base_cpu, base_wall = time.process_time() - c0, time.perf_counter() - t0
        c0, t0 = time.process_time(), time.perf_counter()
        report = link_case(store, settings, CASE)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        gb = peak_gb()
        with store.engine.connect() as conn:
            edges = int(conn.execute(select(func.count()).select_from(t.graph_edge)).scalar_one())
            alerts = int(conn.execute(select(func.count()).select_from(t.alert)).scalar_one())
        store.close()
    lines = [
        f"Store: {args.store:,} media in {args.store // 10_000 or 1} cases of 10 agencies; "
        f"case: {args.case_size:,} media, {args.cameras:,} cameras, {args.gps:,} GPS positions, "
        f"{args.near:,} near-duplicates.",
        "",
        "| step | wall s | CPU s |",
        "|---|---:|---:|",
        f"| baseline: read every row the rules read, once ({rows:,}) | {base_wall:.1f} | {base_cpu:.1f} |",
        f"| jejak `link_case` (rules, places store-wide, alerts) | {wall:.1f} | {cpu:.1f} |",
        f"| ratio jejak / baseline | {wall / max(base_wall, 1e-9):.1f}x | {cpu / max(base_cpu, 1e-9):.1f}x |",
        "",
        f"Found: {report}; graph edges stored {edges:,}, alerts {alerts:,}. Peak memory {gb:.2f} GB.",
        "",
        f"- {'PASS' if wall <= FLOOR_SECONDS else 'FAIL'}: link_case {wall:.0f} s "
        f"(floor {FLOOR_SECONDS:.0f} s, at {args.case_size:,} against {args.store:,})",
        f"- {'PASS' if gb <= FLOOR_GB else 'FAIL'}: peak memory {gb:.2f} GB (floor {FLOOR_GB:g} GB)",
    ]
    text = "\n".join(lines)
    print(text)
    print(f"total {watch.text()}")
    if args.write_docs:
        command = "python benchmarks/links.py" + (" --quick" if args.quick else "")
        benchkit.publish(SECTION, command, watch, text, "SQLite " + sqlite3.sqlite_version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
