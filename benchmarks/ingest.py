"""Ingest throughput: jejak's full path against the naive PDQ pipeline and against the decode floor.

One process run, offline, in a temporary folder that is deleted afterwards:

1. generate camera-like 12 MP JPEGs (4000x3000, quality 90, EXIF make/model/serial/GPS) and
   0.8 MP JPEGs (1024x768), procedurally and deterministically;
2. time, on the same files and with them already in the page cache,
   (a) jejak's full ingest (IngestJob via ``ingest_case`` into a fresh SQLite store, workers=0),
   (b) the naive pipeline python-threatexchange runs (full decode, ``pdqhash.compute``, 3 digests),
   (c) the floor: read, 3 digests and the reduced JPEG decode jejak asks libjpeg for;
   (d) jejak with a process pool of 1 and of 2 workers on a 12 MP set twice as large;
   (e) the PDQ distance between jejak's reduced decode and a full decode, on the generated images
   and on the threatexchange PDQ test images (against their expected values too);
3. print a markdown table and PASS/FAIL lines against the issue's floors (informational: the exit
   status is 0 unless --strict); --write-docs puts the table into docs/benchmarks.md.

    .venv/bin/python benchmarks/ingest.py [--quick] [--n12 N] [--n08 M] [--rounds R]
                                          [--profile] [--write-docs] [--strict]

Default (N=24, M=150) takes about 2 minutes on 2 cores; --quick (N=4, M=20) about 20 s.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime as dt
import gc
import hashlib
import io
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import benchkit
import numpy as np
import numpy.typing as npt
import pdqhash  # the C++ reference PDQ (a dev dependency): baseline (b) and the full-decode side of (e)
import PIL
from PIL import Image, features

from jejak.config import load_settings
from jejak.hashing.image import reduce_for_hashing
from jejak.hashing.registry import HashOptions
from jejak.ingest.process import Processor
from jejak.ingest.walker import walk_source
from jejak.services.ingest import ingest_case
from jejak.store.sql import Store
from jejak.testing.images import camera_photo, exif_bytes, jpeg_bytes
from jejak.walk.limits import Limits

TE_ROOT = benchkit.REPO.parent / "shared" / "testdata" / "threatexchange"
TE_CSV = TE_ROOT / "pdq-expected.csv"
SECTION = "## Ingest throughput (benchmarks/ingest.py)"

# Floors stated by the issue (informational unless --strict).
FLOOR_VS_NAIVE = 15.0  # (a) >= 15x (b) on 12 MP
FLOOR_VS_DECODE = 0.7  # (a) >= 0.7x (c) on 12 MP
FLOOR_SCALING = 1.7  # 2 workers >= 1.7x one worker

SIZE_12 = (4000, 3000)
SIZE_08 = (1024, 768)
QUALITY = 90


# --- evidence ---------------------------------------------------------------------------------------------


def camera_exif(seed: int) -> bytes:
    rng = np.random.default_rng(20_000 + seed)
    lat, lon = float(rng.uniform(-60, 60)), float(rng.uniform(-179, 179))
    return exif_bytes(
        make="Benchcam",
        model=f"BC-{seed % 3 + 1}00",
        serial=f"BC{seed % 5:04d}7731",
        datetime_original=dt.datetime(2024, 5, 1, 8, 0, 0) + dt.timedelta(minutes=17 * seed),
        gps=(lat, lon, float(rng.uniform(0, 900))),
        software="benchmarks/ingest.py",
    )


def write_jpeg(job: tuple[str, int, int, int]) -> int:
    """Write one generated JPEG; returns its size in bytes (a top-level function: runs in a pool)."""
    path, seed, width, height = job
    data = jpeg_bytes(camera_photo(seed, width, height), QUALITY, camera_exif(seed))
    Path(path).write_bytes(data)
    return len(data)


@dataclass
class Corpus:
    dir12: Path  # N 12 MP images: measurements (a)-(c)
    dir12_extra: Path  # N more 12 MP images: with dir12, the scaling set (d)
    dir08: Path  # M 0.8 MP images
    sizes: dict[Path, int] = field(default_factory=dict)

    def files(self, folder: Path) -> list[Path]:
        return sorted(p for p in self.sizes if p.parent == folder)

    def mean_mb(self, folder: Path) -> float:
        return statistics.fmean(self.sizes[p] for p in self.files(folder)) / 1e6


def make_corpus(root: Path, n12: int, n08: int, procs: int) -> Corpus:
    corpus = Corpus(root / "img12", root / "img12-extra", root / "img08")
    jobs: list[tuple[str, int, int, int]] = []
    for folder, first, count, (w, h) in (
        (corpus.dir12, 0, n12, SIZE_12),
        (corpus.dir12_extra, n12, n12, SIZE_12),
        (corpus.dir08, 100_000, n08, SIZE_08),
    ):
        folder.mkdir(parents=True)
        jobs += [(str(folder / f"IMG_{first + i:06d}.JPG"), first + i, w, h) for i in range(count)]
    with ProcessPoolExecutor(max_workers=procs) as pool:
        for job, size in zip(jobs, pool.map(write_jpeg, jobs, chunksize=4), strict=True):
            corpus.sizes[Path(job[0])] = size
    return corpus


def warm_cache(paths: Iterable[Path]) -> None:
    for p in paths:
        p.read_bytes()


# --- measurements -----------------------------------------------------------------------------------------


def best_of(rounds: int, run: Callable[[], object]) -> float:
    """Fastest of ``rounds`` runs, in seconds."""
    times = []
    for _ in range(rounds):
        gc.collect()
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return min(times)


class JejakIngest:
    """(a) and (d): ``ingest_case`` over folders into a fresh SQLite store each run."""

    def __init__(self, scratch: Path, sources: Sequence[Path], workers: int, robust: bool = True) -> None:
        self.scratch = scratch
        self.sources = [str(s) for s in sources]
        self.settings = load_settings(workers=workers, robust_enabled=robust)
        self.runs = 0
        self.last_pdq: dict[str, str | None] = {}  # by file name (generated names are unique)
        self.last_exif_makes: dict[str, str | None] = {}

    def once(self, profile: cProfile.Profile | None = None) -> float:
        """One ingest; returns the seconds spent in ``ingest_case`` (store creation not included)."""
        self.runs += 1
        db = self.scratch / f"bench-{os.getpid()}-{self.runs}.db"
        store = Store.open(f"sqlite:///{db}")
        try:
            store.create_case("BENCH-1", "Benchmarks")
            gc.collect()
            t0 = time.perf_counter()
            if profile is not None:
                profile.enable()
            total = ingest_case(store, self.settings, "BENCH-1", self.sources, exhibit="bench")
            if profile is not None:
                profile.disable()
            seconds = time.perf_counter() - t0
            self._check(store, total)
        finally:
            store.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        return seconds

    def _check(self, store: Store, total: dict[str, object]) -> None:
        rows = list(store.iter_files(store.get_case("BENCH-1").id))
        self.last_pdq = {r["name"]: r["pdq"] for r in rows}
        self.last_exif_makes = {r["name"]: r["make"] for r in rows}
        if total["warnings"]:
            print(f"  note: jejak recorded {total['warnings']} warnings", file=sys.stderr)

    def best(self, rounds: int) -> float:
        return min(self.once() for _ in range(rounds))


def bits_to_hex(bits: npt.NDArray[np.generic]) -> str:
    """pdqhash's 256 0/1 values (most significant first) as 64 lowercase hex characters."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def naive_one(path: Path) -> str:
    """python-threatexchange's way: Pillow full decode to RGB, pdqhash, and the file's 3 digests."""
    data = path.read_bytes()
    for algo in ("md5", "sha1", "sha256"):
        hashlib.new(algo, data).hexdigest()
    with Image.open(io.BytesIO(data)) as img:
        rgb = np.asarray(img.convert("RGB"))
    bits, _quality = pdqhash.compute(rgb)
    return bits_to_hex(bits)


def floor_one(path: Path, min_side: int) -> None:
    """Read, 3 digests, reduced JPEG decode at jejak's scale: no PDQ, no EXIF, no store."""
    data = path.read_bytes()
    for algo in ("md5", "sha1", "sha256"):
        hashlib.new(algo, data).hexdigest()
    with Image.open(io.BytesIO(data)) as img:
        reduce_for_hashing(img, min_side)
        img.load()


def naive_pass(paths: Sequence[Path]) -> dict[str, str]:
    """Full-decode PDQ of each file, by file name."""
    return {p.name: naive_one(p) for p in paths}


def floor_pass(paths: Sequence[Path], min_side: int) -> None:
    for p in paths:
        floor_one(p, min_side)


@dataclass
class SetResult:
    label: str
    count: int
    mean_mb: float
    jejak_s: float
    naive_s: float
    floor_s: float
    decode: str  # what the reduced decode of (a) and (c) yields, e.g. "4000x3000 -> 1000x750 L"
    pdq_only_s: float  # (a) with the robust stage off: digests, PDQ, EXIF, store

    def rate(self, seconds: float) -> float:
        return self.count / seconds

    @property
    def vs_naive(self) -> float:
        return self.naive_s / self.jejak_s

    @property
    def vs_floor(self) -> float:
        return self.floor_s / self.jejak_s

    @property
    def robust_cost(self) -> float:
        """Per-image ingest cost with the robust stage, in multiples of the cost without it."""
        return self.jejak_s / self.pdq_only_s


def measure_set(
    label: str, folder: Path, corpus: Corpus, scratch: Path, rounds: int
) -> tuple[SetResult, JejakIngest, dict[str, str]]:
    """(a), (b) and (c) on one folder; also returns the runs' PDQ values for (e)."""
    paths = corpus.files(folder)
    warm_cache(paths)
    min_side = load_settings().pdq_min_side
    jejak = JejakIngest(scratch, [folder], workers=0)
    jejak_s = jejak.best(rounds)
    full_pdq: dict[str, str] = {}

    def naive_round() -> None:
        full_pdq.update(naive_pass(paths))

    naive_s = best_of(rounds, naive_round)
    floor_s = best_of(rounds, lambda: floor_pass(paths, min_side))
    decode = reduced_decode(paths[0], min_side)
    pdq_only_s = JejakIngest(scratch, [folder], workers=0, robust=False).best(rounds)
    result = SetResult(
        label, len(paths), corpus.mean_mb(folder), jejak_s, naive_s, floor_s, decode, pdq_only_s
    )
    return result, jejak, full_pdq


@dataclass
class Scaling:
    count: int
    one_s: float
    two_s: float
    batches: list[int]  # files per worker batch, as IngestJob cuts them (batch_files / batch_bytes)

    @property
    def ratio(self) -> float:
        return self.one_s / self.two_s


def ideal_split(batches: Sequence[int]) -> float:
    """Best 2-worker speed-up the batches allow when every file costs the same (greedy, in order)."""
    loads = [0, 0]
    for b in batches:
        loads[loads.index(min(loads))] += b
    return sum(batches) / max(loads) if batches else 1.0


def batch_split(sizes: Sequence[int], batch_files: int, batch_bytes: int) -> list[int]:
    """Files per batch for leaves of ``sizes`` in walk order, cut the way ``IngestJob`` cuts them."""
    out: list[int] = []
    count = total = 0
    for size in sizes:
        count, total = count + 1, total + size
        if count >= batch_files or total >= batch_bytes:
            out.append(count)
            count = total = 0
    return [*out, count] if count else out


def measure_scaling(corpus: Corpus, scratch: Path, rounds: int) -> tuple[Scaling, JejakIngest]:
    """(d): the process pool with 1 and with 2 workers on the 12 MP scaling set."""
    sources = [corpus.dir12, corpus.dir12_extra]
    paths = corpus.files(corpus.dir12) + corpus.files(corpus.dir12_extra)
    warm_cache(paths)
    one = JejakIngest(scratch, sources, workers=1).best(rounds)
    two_runner = JejakIngest(scratch, sources, workers=2)
    two = two_runner.best(rounds)
    s = two_runner.settings
    batches = batch_split([corpus.sizes[p] for p in paths], s.batch_files, s.batch_bytes)
    return Scaling(len(paths), one, two, batches), two_runner


# --- accuracy ---------------------------------------------------------------------------------------------


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def jejak_pdq(path: Path, processor: Processor) -> str | None:
    """PDQ of one file the way an ingest worker computes it (Processor: reduced decode, hashers)."""
    for leaf in walk_source(str(path), lambda w: None):
        for rec in processor.run(leaf).records:
            for h in rec.hashes:
                if h.algorithm == "pdq":
                    return h.value
    return None


@dataclass
class Accuracy:
    label: str
    distances: list[int]
    missing: int = 0
    reduced: int = 0  # images whose JPEG decode was actually reduced (the rest decode at full size)
    expected_distances: list[int] = field(default_factory=list)
    within_tolerance: int = 0

    @property
    def max(self) -> int:
        return max(self.distances, default=0)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.distances) if self.distances else 0.0


def reduced_decode(path: Path, min_side: int) -> str:
    """What ``reduce_for_hashing`` asks libjpeg for: "<full size> -> <decoded size> <mode>"."""
    with Image.open(path) as img:
        w, h = img.size
        reduce_for_hashing(img, min_side)
        return f"{w}x{h} -> {img.size[0]}x{img.size[1]} {img.mode}"


def is_reduced(path: Path, min_side: int) -> bool:
    """Whether jejak's decode of ``path`` is a reduced one (``draft`` picked a scale below 1)."""
    with Image.open(path) as img:
        before = img.size
        reduce_for_hashing(img, min_side)
        return img.size != before


def accuracy_generated(
    label: str, paths: Sequence[Path], jejak: dict[str, str | None], full: dict[str, str], min_side: int
) -> Accuracy:
    """(e) on generated images: jejak's stored PDQ (reduced decode) against a full decode's."""
    acc = Accuracy(label, [])
    for path in paths:
        stored = jejak.get(path.name)
        if stored is None:
            acc.missing += 1
            continue
        acc.distances.append(hamming(stored, full[path.name]))
        acc.reduced += is_reduced(path, min_side)
    return acc


def accuracy_threatexchange(processor: Processor) -> Accuracy | None:
    """(e) on the threatexchange PDQ test images, against a full decode and the expected values."""
    if not TE_CSV.is_file():
        return None
    acc = Accuracy("threatexchange pdq-expected.csv", [])
    with TE_CSV.open(newline="") as f:
        for row in csv.DictReader(f):
            path = TE_ROOT / row["path"]
            ours = jejak_pdq(path, processor)
            if ours is None:
                acc.missing += 1
                continue
            acc.distances.append(hamming(ours, naive_one(path)))
            acc.reduced += is_reduced(path, processor.pdq_min_side)
            to_expected = hamming(ours, row["pdq_hex"].strip().lower())
            acc.expected_distances.append(to_expected)
            acc.within_tolerance += to_expected <= int(row["tolerance_bits"])
    return acc


# --- profile ----------------------------------------------------------------------------------------------


def profile_jejak(corpus: Corpus, scratch: Path, top: int = 15) -> str:
    """cProfile of one (a) run on the 12 MP set: the top entries by cumulative time."""
    prof = cProfile.Profile()
    JejakIngest(scratch, [corpus.dir12], workers=0).once(profile=prof)
    out = io.StringIO()
    pstats.Stats(prof, stream=out).strip_dirs().sort_stats("cumulative").print_stats(top)
    text = out.getvalue()
    start = text.find("   ncalls")
    return text[start:].rstrip() if start >= 0 else text.rstrip()


# --- report -----------------------------------------------------------------------------------------------


def machine() -> str:
    turbo = features.version("libjpeg_turbo") or "no"
    return benchkit.machine(f"Pillow {PIL.__version__} (libjpeg-turbo {turbo}), numpy {np.__version__}")


@dataclass
class Check:
    name: str
    value: float
    floor: float

    @property
    def ok(self) -> bool:
        return self.value >= self.floor

    def line(self) -> str:
        return f"{'PASS' if self.ok else 'FAIL'}: {self.name}: {self.value:.3f}x (floor {self.floor:g}x)"


def report(
    sets: list[SetResult], scaling: Scaling, accuracy: list[Accuracy], checks: list[Check], min_side: int
) -> str:
    lines = [
        "| images/s per core (single process) | " + " | ".join(s.label for s in sets) + " |",
        "|---|" + "---:|" * len(sets),
        "| images | " + " | ".join(str(s.count) for s in sets) + " |",
        "| mean JPEG size | " + " | ".join(f"{s.mean_mb:.2f} MB" for s in sets) + " |",
        "| (a) jejak full ingest, workers=0 | " + " | ".join(f"{s.rate(s.jejak_s):.2f}" for s in sets) + " |",
        "| (b) naive: full decode + pdqhash + 3 digests | "
        + " | ".join(f"{s.rate(s.naive_s):.2f}" for s in sets)
        + " |",
        "| (c) floor: read + 3 digests + reduced decode | "
        + " | ".join(f"{s.rate(s.floor_s):.2f}" for s in sets)
        + " |",
        "| (a') (a) with the robust stage off (PDQ only) | "
        + " | ".join(f"{s.rate(s.pdq_only_s):.2f}" for s in sets)
        + " |",
        "| (a), (c) decode | " + " | ".join(s.decode for s in sets) + " |",
        "| cost of (a) / cost of (a') (floor <= 3x) | "
        + " | ".join(f"{s.robust_cost:.2f}x" for s in sets)
        + " |",
        "| (a)/(b) | " + " | ".join(f"{s.vs_naive:.2f}x" for s in sets) + " |",
        "| (a)/(c) | " + " | ".join(f"{s.vs_floor:.2f}x" for s in sets) + " |",
        "",
        "| (d) scaling, 12 MP, process pool | images | seconds | images/s | images/s per core |",
        "|---|---:|---:|---:|---:|",
        f"| workers=1 | {scaling.count} | {scaling.one_s:.2f} | {scaling.count / scaling.one_s:.2f} "
        f"| {scaling.count / scaling.one_s:.2f} |",
        f"| workers=2 | {scaling.count} | {scaling.two_s:.2f} | {scaling.count / scaling.two_s:.2f} "
        f"| {scaling.count / scaling.two_s / 2:.2f} |",
        f"| ratio 2/1 | | | {scaling.ratio:.2f}x | |",
        "",
        f"(d) batches of files (default batch_files / batch_bytes): {scaling.batches}; "
        f"best 2-worker split of them: {ideal_split(scaling.batches):.2f}x",
        "",
        f"| (e) PDQ: jejak (pdq_min_side={min_side}) vs full decode | images | decoded reduced "
        "| max bits | mean bits | vs expected: max bits | within CSV tolerance |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for acc in accuracy:
        n = len(acc.distances)
        if acc.expected_distances:
            exp_max = str(max(acc.expected_distances))
            within = f"{acc.within_tolerance}/{len(acc.expected_distances)}"
        else:
            exp_max = within = "-"
        missing = f" ({acc.missing} without PDQ)" if acc.missing else ""
        lines.append(
            f"| {acc.label} | {n}{missing} | {acc.reduced} | {acc.max} | {acc.mean:.2f} "
            f"| {exp_max} | {within} |"
        )
    lines += ["", *(f"- {c.line()}" for c in checks)]
    return "\n".join(lines)


def write_docs(table: str, command: str, seconds: float, other_cpu: float) -> None:
    body = (
        f"{SECTION}\n\n"
        f"Command: `{command}` (took {seconds:.0f} s; other processes used {other_cpu:.0f} CPU-s "
        "meanwhile)  \n"
        f"Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}  \n"
        f"Machine: {machine()}\n\n"
        "(a) is `ingest_case` (walk, read, MD5/SHA-1/SHA-256, sniff, reduced JPEG decode, PDQ, EXIF, "
        "SQLite commit) in one process, store creation excluded; (b) is Pillow full decode + "
        "`np.asarray(img.convert('RGB'))` + `pdqhash.compute` + the 3 digests, as python-threatexchange "
        "hashes; (c) reads, digests and decodes as `reduce_for_hashing` asks (row 'decode'), no PDQ, "
        "EXIF or store. Best of 3 rounds, files in the page cache; ratios are of images/s. (d) runs "
        "`ingest_case` with a process pool and default batching. (e) compares the PDQ jejak stores with "
        "`pdqhash` on a full RGB decode ('decoded reduced' counts the images whose decode was actually "
        "smaller than the file), and for the threatexchange images also with the expected values. "
        f"Floors (informational): 12 MP (a) >= {FLOOR_VS_NAIVE:g}x (b), (a) >= {FLOOR_VS_DECODE:g}x "
        f"(c); 2 workers >= {FLOOR_SCALING:g}x 1 worker.\n\n"
        f"{table}\n"
    )
    benchkit.write_section(SECTION, body)


# --- main -------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n12", type=int, default=None, help="12 MP images (default 24; scaling uses 2x)")
    ap.add_argument("--n08", type=int, default=None, help="0.8 MP images (default 150)")
    ap.add_argument("--quick", action="store_true", help="CI-sized run: N=4, M=20")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per measurement, best kept (default 3)")
    ap.add_argument("--write-docs", action="store_true", help=f"replace '{SECTION}' in docs/benchmarks.md")
    ap.add_argument("--profile", action="store_true", help="cProfile one (a) run on 12 MP, print top 15")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a floor is not met")
    args = ap.parse_args(argv)
    args.n12 = args.n12 if args.n12 is not None else (4 if args.quick else 24)
    args.n08 = args.n08 if args.n08 is not None else (20 if args.quick else 150)
    if args.n12 < 1 or args.n08 < 1 or args.rounds < 1:
        ap.error("--n12, --n08 and --rounds must be at least 1")
    return args


@dataclass
class Outcome:
    sets: list[SetResult]
    scaling: Scaling
    accuracy: list[Accuracy]
    checks: list[Check]
    profile: str | None = None


def run_all(args: argparse.Namespace, scratch: Path) -> Outcome:
    watch = benchkit.Stopwatch()
    corpus = make_corpus(scratch / "evidence", args.n12, args.n08, len(os.sched_getaffinity(0)))
    print(
        f"generated {2 * args.n12} x 12 MP JPEGs (mean {corpus.mean_mb(corpus.dir12):.2f} MB in the "
        f"(a)-(c) set, {corpus.mean_mb(corpus.dir12_extra):.2f} MB in the extra set) and {args.n08} x "
        f"0.8 MP (mean {corpus.mean_mb(corpus.dir08):.2f} MB) [{watch.text()}]"
    )
    sets: list[SetResult] = []
    stored: dict[str, dict[str, str | None]] = {}
    full: dict[str, dict[str, str]] = {}
    for label, folder in (("12 MP", corpus.dir12), ("0.8 MP", corpus.dir08)):
        watch = benchkit.Stopwatch()
        res, jejak, full[label] = measure_set(label, folder, corpus, scratch, args.rounds)
        sets.append(res)
        stored[label] = jejak.last_pdq
        print(
            f"{label}: (a) {res.rate(res.jejak_s):.2f}  (b) {res.rate(res.naive_s):.2f}  "
            f"(c) {res.rate(res.floor_s):.2f} images/s  [{watch.text()}]"
        )
        no_exif = sum(1 for make in jejak.last_exif_makes.values() if make != "Benchcam")
        if no_exif:
            print(f"  note: {no_exif} {label} files stored without the generated EXIF make")

    watch = benchkit.Stopwatch()
    scaling, pool_run = measure_scaling(corpus, scratch, args.rounds)
    print(
        f"scaling: workers=1 {scaling.count / scaling.one_s:.2f}, workers=2 "
        f"{scaling.count / scaling.two_s:.2f} images/s, ratio {scaling.ratio:.2f}x "
        f"[{watch.text()}]"
    )

    watch = benchkit.Stopwatch()
    full["12 MP"].update(naive_pass(corpus.files(corpus.dir12_extra)))
    settings = load_settings(workers=0)
    min_side = settings.pdq_min_side
    paths12 = corpus.files(corpus.dir12) + corpus.files(corpus.dir12_extra)
    accuracy = [
        accuracy_generated("generated 12 MP", paths12, pool_run.last_pdq, full["12 MP"], min_side),
        accuracy_generated(
            "generated 0.8 MP", corpus.files(corpus.dir08), stored["0.8 MP"], full["0.8 MP"], min_side
        ),
    ]
    te = accuracy_threatexchange(
        Processor(Limits.from_settings(settings), HashOptions(pdq_min_side=settings.pdq_min_side))
    )
    if te is None:
        print(f"note: {TE_CSV} not found: threatexchange accuracy skipped")
    else:
        accuracy.append(te)
    print(f"accuracy done [{watch.text()}]")

    twelve = sets[0]
    checks = [
        Check("12 MP (a)/(b) jejak vs naive", twelve.vs_naive, FLOOR_VS_NAIVE),
        Check("12 MP (a)/(c) jejak vs decode floor", twelve.vs_floor, FLOOR_VS_DECODE),
        Check("12 MP 2 workers vs 1 worker", scaling.ratio, FLOOR_SCALING),
        *(
            Check(
                f"{s.label} ingest speed with the robust stage / PDQ only (>= 1/3)", 1 / s.robust_cost, 1 / 3
            )
            for s in sets
        ),
    ]
    outcome = Outcome(sets, scaling, accuracy, checks)
    if args.profile:
        outcome.profile = profile_jejak(corpus, scratch)
    return outcome


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    watch = benchkit.Stopwatch()
    print(f"machine: {machine()}")
    scratch = Path(tempfile.mkdtemp(prefix="jejak-bench-"))
    try:
        outcome = run_all(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    min_side = load_settings().pdq_min_side
    table = report(outcome.sets, outcome.scaling, outcome.accuracy, outcome.checks, min_side)
    print()
    print(table)
    print()
    for c in outcome.checks:
        print(c.line())
    if outcome.profile is not None:
        print("\ncProfile of one (a) run on the 12 MP set, top 15 by cumulative time:")
        print(outcome.profile)
    elapsed, other = watch.elapsed(), watch.other_cpu()
    print(f"\ntotal {elapsed:.1f} s; other processes used {other:.1f} CPU-s meanwhile")
    if args.write_docs:
        flags = argv if argv is not None else sys.argv[1:]
        command = " ".join(["python benchmarks/ingest.py", *(a for a in flags if a != "--write-docs")])
        write_docs(table, command, elapsed, other)
        print(f"wrote {benchkit.DOCS.relative_to(benchkit.REPO)}")
    return 1 if args.strict and not all(c.ok for c in outcome.checks) else 0


if __name__ == "__main__":
    sys.exit(main())
