"""Hamming index: jejak's PdqIndex against FAISS ``IndexBinaryFlat`` range search and brute force.

One process, one core (the thread variables below are set before numpy is imported, and FAISS gets
``omp_set_num_threads(1)``), nothing written but the optional docs section:

1. N uniformly random 256-bit references; Q queries, half a random reference with 0-31 random bits flipped
   (so each has a neighbour within 31 bits), half uniformly random;
2. time ``PdqIndex.build`` and count the bytes of its arrays (codes + tables) per reference;
3. time ``search(queries, 31)`` (best of --rounds), and a few other radii for information;
4. time FAISS flat ``range_search`` (radius 32: FAISS keeps distances strictly below it) on the same queries
   and compare every query's (id, distance) set with ours; compare ``BruteForceIndex`` on a subset;
5. time ``add`` of 100k more references, then check the results again (old results plus a brute-force scan
   of the added part) and time the search once more;
6. print a markdown table and PASS/FAIL per floor (exit status 0 unless --strict); --write-docs puts it in
   the "## Hamming index (issue 3)" section of docs/benchmarks.md.

    .venv/bin/python benchmarks/index.py [--n 10000000] [--queries 1000] [--quick] [--write-docs]

Default (N = 10M) takes about a minute and 3 GB of RAM (FAISS holds its own copy of the codes);
--quick (N = 200k) a few seconds.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy (and FAISS) load: every number here is one core

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import functools  # noqa: E402
import gc  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

import benchkit  # noqa: E402
import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

from jejak.index import BruteForceIndex, PdqIndex, SearchResult  # noqa: E402
from jejak.testing.indexkit import flip_bits, random_codes  # noqa: E402

SECTION = "## Hamming index (issue 3)"

RADIUS = 31
ADD = 100_000
EXTRA_RADII = (0, 8, 16, 24, 40, 48)

# Floors stated by the issue (measured at N = 10M; informational unless --strict).
FLOOR_QPS = 1000.0
FLOOR_VS_FAISS = 20.0
FLOOR_BYTES = 128.0
FLOOR_BUILD_S = 60.0
FLOOR_ADD_S = 5.0


def timed(run: Callable[[], Any], rounds: int = 1) -> tuple[float, Any]:
    """(fastest seconds over ``rounds``, the last result)."""
    best, result = float("inf"), None
    for _ in range(rounds):
        gc.collect()
        t0 = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - t0)
    return best, result


def make_queries(refs: NDArray[np.uint8], count: int, rng: np.random.Generator) -> NDArray[np.uint8]:
    near = count // 2
    picked = refs[rng.integers(0, len(refs), size=near)]
    flipped = flip_bits(picked, rng.integers(0, RADIUS + 1, size=near), rng)
    return np.concatenate([flipped, random_codes(count - near, rng)])


def faiss_search(
    refs: NDArray[np.uint8], queries: NDArray[np.uint8]
) -> tuple[float, list[SearchResult], float]:
    """(seconds of range_search at radius 31, results sorted like ours, add seconds for ``refs``)."""
    try:
        import faiss
    except ImportError:
        sys.exit("benchmarks/index.py needs FAISS as its baseline: pip install 'jejak[faiss]'")
    faiss.omp_set_num_threads(1)
    flat = faiss.IndexBinaryFlat(256)
    add_s, _ = timed(lambda: flat.add(refs))
    seconds, (lims, dist, ids) = timed(lambda: flat.range_search(queries, RADIUS + 1))
    results: list[SearchResult] = []
    for i in range(len(queries)):
        d = dist[lims[i] : lims[i + 1]].astype(np.int32)
        j = ids[lims[i] : lims[i + 1]].astype(np.int64)
        order = np.lexsort((j, d))
        results.append((j[order], d[order]))
    return seconds, results, add_s


def differences(got: Sequence[SearchResult], want: Sequence[SearchResult]) -> int:
    """Number of queries whose (ids, distances) differ."""
    return sum(
        not (np.array_equal(g[0], w[0]) and np.array_equal(g[1], w[1]))
        for g, w in zip(got, want, strict=True)
    )


def merge(a: Sequence[SearchResult], b: Sequence[SearchResult], shift: int) -> list[SearchResult]:
    """Per query, the union of ``a`` and ``b`` (ids of ``b`` shifted), sorted by (distance, id)."""
    out: list[SearchResult] = []
    for (ai, ad), (bi, bd) in zip(a, b, strict=True):
        ids, dist = np.concatenate([ai, bi + shift]), np.concatenate([ad, bd])
        order = np.lexsort((ids, dist))
        out.append((ids[order], dist[order]))
    return out


@dataclass
class Result:
    n: int
    queries: int
    layout: tuple[int, ...]
    build_s: float
    bytes_per_ref: float
    ours_s: float
    faiss_s: float
    faiss_add_s: float
    faiss_diff: int
    hits: int
    near_found: int
    brute_queries: int
    brute_s: float
    brute_diff: int
    add_s: float
    after_add_diff: int
    after_add_s: float
    peak_rss_gb: float
    radii: dict[int, tuple[float, float]] = field(default_factory=dict)  # radius -> (q/s, mean hits)

    @property
    def ours_qps(self) -> float:
        return self.queries / self.ours_s

    @property
    def faiss_qps(self) -> float:
        return self.queries / self.faiss_s

    @property
    def ratio(self) -> float:
        return self.faiss_s / self.ours_s


@dataclass
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'PASS' if self.ok else 'FAIL'}: {self.name}: {self.detail}"


def checks(res: Result) -> list[Check]:
    return [
        Check(
            "identical to FAISS flat",
            res.faiss_diff == 0,
            f"{res.faiss_diff} of {res.queries} queries differ",
        ),
        Check(
            "identical to BruteForceIndex",
            res.brute_diff == 0,
            f"{res.brute_diff} of {res.brute_queries} queries differ",
        ),
        Check(
            "identical after add",
            res.after_add_diff == 0,
            f"{res.after_add_diff} of {res.queries} queries differ",
        ),
        Check(
            "queries/s, one core", res.ours_qps >= FLOOR_QPS, f"{res.ours_qps:,.0f} (floor {FLOOR_QPS:,.0f})"
        ),
        Check("vs FAISS flat", res.ratio >= FLOOR_VS_FAISS, f"{res.ratio:.1f}x (floor {FLOOR_VS_FAISS:g}x)"),
        Check(
            "bytes per reference",
            res.bytes_per_ref <= FLOOR_BYTES,
            f"{res.bytes_per_ref:.1f} (ceiling {FLOOR_BYTES:g})",
        ),
        Check("build", res.build_s <= FLOOR_BUILD_S, f"{res.build_s:.1f} s (ceiling {FLOOR_BUILD_S:g} s)"),
        Check(
            f"add {ADD:,} references",
            res.add_s <= FLOOR_ADD_S,
            f"{res.add_s:.2f} s (ceiling {FLOOR_ADD_S:g} s)",
        ),
    ]


def run(args: argparse.Namespace) -> Result:
    rng = np.random.default_rng(args.seed)
    watch = benchkit.Stopwatch()
    refs = random_codes(args.n, rng)
    queries = make_queries(refs, args.queries, rng)
    extra = random_codes(ADD, rng)
    print(f"generated {args.n:,} references, {len(queries):,} queries [{watch.elapsed():.1f} s]")

    build_s, index = timed(lambda: PdqIndex.build(refs))
    bytes_per_ref = index.nbytes() / args.n
    print(f"PdqIndex.build: {build_s:.1f} s, layout {index.layout}, {bytes_per_ref:.1f} bytes/reference")
    ours_s, ours = timed(lambda: index.search(queries, RADIUS), args.rounds)
    hits = sum(len(ids) for ids, _ in ours)
    half = len(queries) // 2
    near_found = sum(len(ids) > 0 for ids, _ in ours[:half])
    print(f"PdqIndex.search r={RADIUS}: {len(queries) / ours_s:,.0f} queries/s, {hits} hits")
    radii: dict[int, tuple[float, float]] = {}
    for r in EXTRA_RADII:
        s, found = timed(functools.partial(index.search, queries, r), args.rounds)
        radii[r] = (len(queries) / s, sum(len(ids) for ids, _ in found) / len(queries))
    radii[RADIUS] = (len(queries) / ours_s, hits / len(queries))

    faiss_s, faiss_res, faiss_add_s = faiss_search(refs, queries)
    faiss_diff = differences(ours, faiss_res)
    print(
        f"FAISS IndexBinaryFlat range_search: {len(queries) / faiss_s:,.1f} queries/s; differ: {faiss_diff}"
    )
    del faiss_res

    sub = np.r_[0 : min(half, args.brute_queries // 2), half : half + args.brute_queries // 2]
    brute_s, brute_res = timed(lambda: BruteForceIndex.build(refs).search(queries[sub], RADIUS))
    brute_diff = differences([ours[i] for i in sub], brute_res)
    print(f"BruteForceIndex on {len(sub)} queries: {len(sub) / brute_s:,.1f} queries/s; differ: {brute_diff}")
    del brute_res

    extra_hits = BruteForceIndex.build(extra).search(queries, RADIUS)
    add_s, _ = timed(lambda: index.add(extra))
    after_add_s, after = timed(lambda: index.search(queries, RADIUS), args.rounds)
    after_add_diff = differences(after, merge(ours, extra_hits, args.n))
    after_qps = len(queries) / after_add_s
    print(f"add {ADD:,}: {add_s:.2f} s; then {after_qps:,.0f} queries/s; differ: {after_add_diff}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # KiB on Linux -> GB (approx.)
    return Result(
        n=args.n,
        queries=len(queries),
        layout=index.layout,
        build_s=build_s,
        bytes_per_ref=bytes_per_ref,
        ours_s=ours_s,
        faiss_s=faiss_s,
        faiss_add_s=faiss_add_s,
        faiss_diff=faiss_diff,
        hits=hits,
        near_found=near_found,
        brute_queries=len(sub),
        brute_s=brute_s,
        brute_diff=brute_diff,
        add_s=add_s,
        after_add_diff=after_add_diff,
        after_add_s=after_add_s,
        peak_rss_gb=peak,
        radii=radii,
    )


def machine() -> str:
    return benchkit.machine(f"numpy {np.__version__}, faiss {faiss_version()}; measured on one core")


def faiss_version() -> str:
    try:
        import faiss

        return str(faiss.__version__)
    except ImportError:
        return "missing"


def report(res: Result, found: list[Check]) -> str:
    half = res.queries // 2
    lines = [
        f"| {res.n:,} references, {res.queries:,} queries, radius {RADIUS} | value |",
        "|---|---:|",
        f"| layout (substring widths) | {len(res.layout)} x {min(res.layout)}-{max(res.layout)} bits |",
        f"| build | {res.build_s:.1f} s |",
        f"| bytes per reference (codes + tables) | {res.bytes_per_ref:.1f} |",
        f"| PdqIndex queries/s | {res.ours_qps:,.0f} |",
        f"| FAISS IndexBinaryFlat range_search queries/s | {res.faiss_qps:,.1f} |",
        f"| PdqIndex / FAISS flat | {res.ratio:.1f}x |",
        f"| hits (near queries with a hit) | {res.hits:,} ({res.near_found}/{half}) |",
        f"| identical to FAISS flat (all queries) | {'yes' if res.faiss_diff == 0 else 'no'} |",
        f"| identical to BruteForceIndex ({res.brute_queries} queries, "
        f"{res.brute_queries / res.brute_s:,.1f} q/s) | {'yes' if res.brute_diff == 0 else 'no'} |",
        f"| add {ADD:,} references | {res.add_s:.2f} s |",
        f"| queries/s after the add (identical: {'yes' if res.after_add_diff == 0 else 'no'}) "
        f"| {res.queries / res.after_add_s:,.0f} |",
        f"| peak RSS of the run (FAISS's copy included) | {res.peak_rss_gb:.1f} GB |",
        "",
        "| radius | PdqIndex queries/s | mean hits per query |",
        "|---:|---:|---:|",
    ]
    for r in sorted(res.radii):
        qps, mean = res.radii[r]
        lines.append(f"| {r} | {qps:,.0f} | {mean:.2f} |")
    lines += ["", *(f"- {c.line()}" for c in found)]
    return "\n".join(lines)


def write_docs(table: str, command: str, seconds: float, other_cpu: float) -> None:
    body = (
        f"{SECTION}\n\n"
        f"Written by `benchmarks/index.py`. Command: `{command}` (took {seconds:.0f} s; other processes used "
        f"{other_cpu:.0f} CPU-s meanwhile)  \n"
        f"Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}  \n"
        f"Machine: {machine()}\n\n"
        "References are uniformly random 256-bit codes; half the queries are a reference with 0-31 random "
        "bits flipped, half are random. `PdqIndex` is multi-index hashing in numpy (src/jejak/index/pdq.py); "
        f"FAISS is `IndexBinaryFlat(256).range_search` with radius {RADIUS + 1} (strictly below), one OpenMP "
        "thread. Search times are the best of the rounds; 'identical' compares every query's ids and "
        "distances. The add is checked against the earlier results plus a brute-force scan of the added "
        "codes. Bytes per reference count the index's own arrays (codes, offsets, ids). Floors: "
        f">= {FLOOR_QPS:,.0f} queries/s, >= {FLOOR_VS_FAISS:g}x FAISS flat, <= {FLOOR_BYTES:g} bytes per "
        f"reference, build <= {FLOOR_BUILD_S:g} s, add {ADD:,} <= {FLOOR_ADD_S:g} s (at 10M references).\n\n"
        f"{table}\n"
    )
    benchkit.write_section(SECTION, body)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=None, help="references (default 10,000,000; --quick 200,000)")
    ap.add_argument("--queries", type=int, default=1000, help="queries (default 1000)")
    ap.add_argument("--quick", action="store_true", help="fast check: 200k references")
    ap.add_argument("--rounds", type=int, default=3, help="search rounds, best kept (default 3)")
    ap.add_argument("--brute-queries", type=int, default=100, help="queries checked by brute force (100)")
    ap.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    ap.add_argument("--write-docs", action="store_true", help=f"replace '{SECTION}' in docs/benchmarks.md")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a floor is not met")
    args = ap.parse_args(argv)
    if args.n is None:
        args.n = 200_000 if args.quick else 10_000_000
    if args.n < 1 or args.queries < 2 or args.rounds < 1 or args.brute_queries < 2:
        ap.error("--n >= 1, --queries >= 2, --rounds >= 1 and --brute-queries >= 2 are required")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    watch = benchkit.Stopwatch()
    print(f"machine: {machine()}")
    res = run(args)
    found = checks(res)
    table = report(res, found)
    print()
    print(table)
    print()
    for c in found:
        print(c.line())
    elapsed, other = watch.elapsed(), watch.other_cpu()
    print(f"\ntotal {elapsed:.1f} s; other processes used {other:.1f} CPU-s meanwhile")
    if args.write_docs:
        flags = argv if argv is not None else sys.argv[1:]
        command = " ".join(["python benchmarks/index.py", *(a for a in flags if a != "--write-docs")])
        write_docs(table, command, elapsed, other)
        print(f"wrote {benchkit.DOCS.relative_to(benchkit.REPO)}")
    return 1 if args.strict and not all(c.ok for c in found) else 0


if __name__ == "__main__":
    sys.exit(main())
