"""Audio fingerprints: recall per edit, false matches between unrelated audio, and speed against decoding.

One process run, offline, on generated benign audio (``jejak.testing.audio``: speech-like signals, music,
noise textures, mixes; nothing recorded or downloaded):

1. N known tracks (kinds in turn) of ``--seconds`` each, fingerprinted losslessly (from memory: the same
   items as from a FLAC); each is edited every way in ``TRANSFORMS`` (a copy that starts a random 0-4 s
   into the track, then re-encoded at a low bitrate, resampled, louder or quieter, or with noise added;
   or a 15 s stretch of it pasted into a 32 s track of another kind), written as a real file and
   fingerprinted from that file as ingest would;
2. D distractor tracks (other seeds) and an MP3 copy of each, fingerprinted the same way;
3. the N known fingerprints go into an ``AudioIndex``; every edited copy is searched: it is recalled when
   the hit on its source has a segment at the right offset (±0.5 s; for the pasted stretch also both
   time ranges within ±1 s), and any hit on another track is a false match;
4. every distractor fingerprint is compared with every known one by ``match_segments`` (the pair
   matcher the index verifies with): the impostor comparisons; any segment is a false match. A sample
   of them is also compared with the thresholds off, to show how close unrelated audio comes;
5. speed on one core, best of 3, same files, same run: plain decoding (PyAV decode, no resampling),
   jejak's decoding (decode + FFmpeg resampling to 11025 Hz mono int16) and the full fingerprint
   (the same + Chromaprint), as multiples of real time; the pair matcher and the index search.

    .venv/bin/python benchmarks/audio.py [--quick] [--n N] [--distractors D] [--seconds S]
                                         [--procs P] [--write-docs]

Default (N=200, D=100, 20 s tracks): about 5 minutes on 2 idle cores (twice that when another process
keeps one busy); --quick (N=24, D=12): about a minute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import itertools
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import av
import benchkit
import numpy as np

from jejak.hashing.audio import AudioFingerprint, decode_pcm, fingerprint, fingerprint_samples
from jejak.hashing.chromaprint import library_version
from jejak.match.audio import DEFAULT, MatchParams, Segment, match_segments
from jejak.match.audio_index import AudioIndex
from jejak.testing import audio as gen
from jejak.testing import audio_files

SECTION = "## Audio fingerprints (benchmarks/audio.py)"
RATE = gen.RATE
SHARED_SECONDS = 15.0
HOST_SECONDS = 32.0
EDGE = 2.0
"""The pasted stretch stays this far from the ends of its source: a stretch that ends within ~1.4 s of
a file's end cannot be told from one that runs to it (see jejak.match.audio)."""
OFFSET_TOLERANCE = 0.5
RANGE_TOLERANCE = 1.0
SPEED_RATE = 44_100  # the speed files are at CD rate (Opus: 48 kHz), as most seized music and video is
RELAXED = MatchParams(max_ber=0.5, max_relative=10.0, run_ber=0.35)
"""Thresholds off (only the run detection left): how close unrelated audio and hard copies come."""

Edit = Callable[[gen.Samples, np.random.Generator], tuple[gen.Samples, int, str, int | None]]


def _noisy(x: gen.Samples, snr_db: float, rng: np.random.Generator) -> gen.Samples:
    return gen.add_noise(x, snr_db, int(rng.integers(1 << 30)))


def _down_up(x: gen.Samples) -> gen.Samples:
    return audio_files.resample(
        audio_files.resample(audio_files.resample(x, RATE, 44_100), 44_100, 8000), 8000, 44_100
    )


TRANSFORMS: dict[str, Edit] = {
    # name -> (samples, rate, file format, bitrate) of the copy
    "MP3 32 kbit/s": lambda x, _r: (x, RATE, "mp3", 32_000),
    "AAC 24 kbit/s (M4A)": lambda x, _r: (x, RATE, "m4a", 24_000),
    "Opus 12 kbit/s (OGG voice note)": lambda x, _r: (x, RATE, "ogg", 12_000),
    "AMR-NB 12.2 kbit/s": lambda x, _r: (x, RATE, "amr", None),
    "resample 44.1k > 8k > 44.1k (WAV)": lambda x, _r: (_down_up(x), 44_100, "wav", None),
    "volume -12 dB (WAV)": lambda x, _r: (gen.gain(x, -12.0), RATE, "wav", None),
    "volume +9 dB, clipping (WAV)": lambda x, _r: (gen.gain(x, 9.0), RATE, "wav", None),
    "white noise 20 dB SNR (WAV)": lambda x, r: (_noisy(x, 20, r), RATE, "wav", None),
    "white noise 10 dB SNR (WAV)": lambda x, r: (_noisy(x, 10, r), RATE, "wav", None),
}  # fmt: skip
SHARED = "15 s pasted into another track (MP3 64k)"
ALL_TRANSFORMS = (*TRANSFORMS, SHARED)

KNOWN_SEEDS = 0
DISTRACTOR_SEEDS = 500_000
HOST_SEEDS = 900_000


def fp_bytes(x: gen.Samples, rate: int, fmt: str | None, bitrate: int | None = None) -> bytes:
    """Encode ``x`` as a ``fmt`` file and fingerprint that file as ingest would; ``fmt`` None: the
    lossless original, fingerprinted from memory (the same items as from a FLAC of it)."""
    if fmt is None:
        return fingerprint_samples(x, rate).to_bytes()
    return fingerprint(io.BytesIO(audio_files.encode_audio(x, rate, fmt, bitrate=bitrate))).to_bytes()


@dataclass
class Query:
    track: int
    transform: str
    fp: bytes
    offset: float
    """Expected segment offset (reference time minus query time), seconds."""
    ranges: tuple[float, float, float, float] | None = None
    """(query start, query end, reference start, reference end) of the pasted stretch."""


@dataclass
class Track:
    index: int
    kind: str
    fp: bytes
    queries: list[Query] = field(default_factory=list)


def build_track(job: tuple[int, str, int, float]) -> Track:
    """One known track, its FLAC fingerprint and its edited copies (runs in a worker process)."""
    index, kind, seed, seconds = job
    rng = np.random.default_rng([17, seed])
    x = gen.generate(kind, seed, seconds)
    track = Track(index, kind, fp_bytes(x, RATE, None))
    for name, edit in TRANSFORMS.items():
        start = float(rng.uniform(0.0, 4.0))
        y, rate, fmt, bitrate = edit(gen.trim(x, RATE, start), rng)
        track.queries.append(Query(index, name, fp_bytes(y, rate, fmt, bitrate), start))
    host_kind = gen.KINDS[(gen.KINDS.index(kind) + 1 + int(rng.integers(3))) % len(gen.KINDS)]
    host = gen.generate(host_kind, HOST_SEEDS + seed, HOST_SECONDS)
    src = float(rng.uniform(EDGE, seconds - SHARED_SECONDS - EDGE))
    at = float(rng.uniform(EDGE, HOST_SECONDS - SHARED_SECONDS - EDGE))
    pasted = gen.splice(host, gen.trim(x, RATE, src, src + SHARED_SECONDS), RATE, at)
    ranges = (at, at + SHARED_SECONDS, src, src + SHARED_SECONDS)
    track.queries.append(Query(index, SHARED, fp_bytes(pasted, RATE, "mp3", 64_000), src - at, ranges))
    return track


def build_distractor(job: tuple[int, str, int, float]) -> list[bytes]:
    """An unrelated track: the original and a noisy MP3 copy."""
    _, kind, seed, seconds = job
    x = gen.generate(kind, seed, seconds)
    return [fp_bytes(x, RATE, None), fp_bytes(gen.add_noise(x, 20, seed), RATE, "mp3", 48_000)]


# --- matching ---------------------------------------------------------------------------------------------


@dataclass
class Recall:
    found: dict[tuple[str, str], list[bool]] = field(default_factory=dict)  # (transform, kind) -> per query
    ranges_ok: dict[str, list[bool]] = field(default_factory=dict)  # kind -> per recalled pasted stretch
    wrong_hits: int = 0
    queries: int = 0
    search_s: list[float] = field(default_factory=list)

    def rate(self, transform: str, kind: str | None = None) -> tuple[int, int]:
        values = [v for (t, k), vs in self.found.items() if t == transform and kind in (None, k) for v in vs]
        return sum(values), len(values)


def right_segment(query: Query, segments: Sequence[Segment]) -> Segment | None:
    near = [s for s in segments if abs(s.offset - query.offset) <= OFFSET_TOLERANCE]
    return min(near, key=lambda s: s.ber) if near else None


def evaluate_queries(index: AudioIndex, tracks: Sequence[Track]) -> Recall:
    out = Recall()
    for track in tracks:
        for q in track.queries:
            fp = AudioFingerprint.from_bytes(q.fp)
            t0 = time.perf_counter()
            hits = index.search(fp)
            out.search_s.append(time.perf_counter() - t0)
            out.queries += 1
            own = [h for h in hits if h.track == q.track]
            seg = right_segment(q, own[0].segments) if own else None
            out.found.setdefault((q.transform, track.kind), []).append(seg is not None)
            out.wrong_hits += sum(1 for h in hits if h.track != q.track)
            if q.ranges is not None and seg is not None:
                got = (seg.query_start, seg.query_end, seg.ref_start, seg.ref_end)
                ok = all(abs(a - b) <= RANGE_TOLERANCE for a, b in zip(got, q.ranges, strict=True))
                out.ranges_ok.setdefault(track.kind, []).append(ok)
    return out


_KNOWN: list[AudioFingerprint] = []  # in each impostor worker: the known fingerprints


def _init_known(blobs: list[bytes]) -> None:
    _KNOWN[:] = [AudioFingerprint.from_bytes(b) for b in blobs]


def impostor_pairs(job: tuple[bytes, bool]) -> tuple[int, int, float | None, float | None]:
    """One distractor against every known track: (comparisons, false matches, and with the thresholds
    off, the lowest segment BER and relative BER met, or None)."""
    blob, relaxed = job
    fp = AudioFingerprint.from_bytes(blob)
    false = sum(1 for ref in _KNOWN if match_segments(fp, ref))
    low_ber = low_rel = None
    if relaxed:
        for ref in _KNOWN:
            for s in match_segments(fp, ref, RELAXED):
                rel = s.ber / s.information
                low_ber = s.ber if low_ber is None else min(low_ber, s.ber)
                low_rel = rel if low_rel is None else min(low_rel, rel)
    return len(_KNOWN), false, low_ber, low_rel


@dataclass
class Closeness:
    """Per transform, the genuine copies' best segment at the right offset with the thresholds off."""

    genuine: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # (ber, relative)
    impostor_ber: list[float] = field(default_factory=list)
    impostor_rel: list[float] = field(default_factory=list)
    impostor_pairs: int = 0


def genuine_closeness(tracks: Sequence[Track], out: Closeness) -> None:
    for track in tracks:
        ref = AudioFingerprint.from_bytes(track.fp)
        for q in track.queries:
            seg = right_segment(q, match_segments(AudioFingerprint.from_bytes(q.fp), ref, RELAXED))
            if seg is not None:
                out.genuine.setdefault(f"{q.transform}|{track.kind}", []).append(
                    (seg.ber, seg.ber / seg.information)
                )


# --- speed ------------------------------------------------------------------------------------------------


def plain_decode(data: bytes) -> None:
    with av.open(io.BytesIO(data), "r") as container:
        for _ in container.decode(container.streams.audio[0]):
            pass


def jejak_decode(data: bytes) -> None:
    for _ in decode_pcm(io.BytesIO(data)):
        pass


def jejak_fingerprint(data: bytes) -> None:
    fingerprint(io.BytesIO(data))


def best_of(rounds: int, fn: Callable[[bytes], None], files: Sequence[bytes]) -> float:
    """Fastest of ``rounds`` passes over ``files``, in CPU seconds of this process (the machine is shared:
    wall time would count the neighbours)."""
    times = []
    for _ in range(rounds):
        t0 = time.process_time()
        for data in files:
            fn(data)
        times.append(time.process_time() - t0)
    return min(times)


@dataclass
class Speed:
    audio_seconds: float
    rows: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # fmt -> decode, jejak, fp
    pair_ms: float = 0.0
    index_tracks: int = 0
    index_build_s: float = 0.0
    index_search_ms: float = 0.0


def measure_speed(seconds: float, rounds: int) -> Speed:
    clips = [gen.generate(kind, 700_000 + i, seconds, SPEED_RATE) for i, kind in enumerate(gen.KINDS)]
    speed = Speed(len(clips) * seconds)
    for fmt, bitrate in (("mp3", 128_000), ("m4a", 128_000), ("ogg", 24_000), ("flac", None), ("wav", None)):
        files = [audio_files.encode_audio(x, SPEED_RATE, fmt, bitrate=bitrate) for x in clips]
        speed.rows[fmt] = (
            best_of(rounds, plain_decode, files),
            best_of(rounds, jejak_decode, files),
            best_of(rounds, jejak_fingerprint, files),
        )
    return speed


def measure_matching(
    speed: Speed, known: Sequence[AudioFingerprint], queries: Sequence[AudioFingerprint]
) -> None:
    """The pair matcher's cost per comparison, and the index at scale: the known fingerprints plus copies
    of them with every item XOR-ed by a per-copy random constant (same bit statistics, unrelated to
    everything), up to 10,000 tracks."""
    pairs = list(itertools.islice(itertools.product(queries[:20], known), 400))
    t0 = time.perf_counter()
    for q, r in pairs:
        match_segments(q, r)
    speed.pair_ms = (time.perf_counter() - t0) / len(pairs) * 1000
    rng = np.random.default_rng(3)
    index = AudioIndex()
    total = max(10_000, len(known))
    t0 = time.perf_counter()
    for i in range(total):
        items = known[i % len(known)].items
        index.add(str(i), items if i < len(known) else items ^ np.uint32(rng.integers(1, 1 << 32)))
    index.search(queries[0])  # builds the postings
    speed.index_build_s = time.perf_counter() - t0
    speed.index_tracks = total
    t0 = time.perf_counter()
    for q in queries[:50]:
        index.search(q)
    speed.index_search_ms = (time.perf_counter() - t0) / min(50, len(queries)) * 1000


# --- report -----------------------------------------------------------------------------------------------


def pct(k: int, n: int) -> str:
    return f"{100 * k / n:.1f} % ({k}/{n})" if n else "-"


def report(
    args: argparse.Namespace,
    recall: Recall,
    impostors: tuple[int, int],
    close: Closeness,
    speed: Speed,
) -> str:
    comparisons, false = impostors
    lines = [
        f"| recall at the defaults (N={args.n} known tracks of {args.seconds:g} s) | all | "
        + " | ".join(gen.KINDS)
        + " |",
        "|---|---:|" + "---:|" * len(gen.KINDS),
    ]
    for t in ALL_TRANSFORMS:
        k, n = recall.rate(t)
        per_kind = []
        for kind in gen.KINDS:
            kk, nn = recall.rate(t, kind)
            per_kind.append(f"{100 * kk / nn:.0f} %" if nn else "-")
        lines.append(f"| {t} | {pct(k, n)} | " + " | ".join(per_kind) + " |")
    ranges = [v for vs in recall.ranges_ok.values() for v in vs]
    by_kind = ", ".join(
        f"{kind} {pct(sum(recall.ranges_ok.get(kind, [])), len(recall.ranges_ok.get(kind, [])))}"
        for kind in gen.KINDS
    )
    lines += [
        "",
        f"- pasted stretch: both time ranges within ±{RANGE_TOLERANCE:g} s in "
        f"{pct(sum(ranges), len(ranges))} of the recalled ones ({by_kind})",
        f"- wrong hits of the index (a hit on any track but the source): {recall.wrong_hits} over "
        f"{recall.queries} queries against {args.n} tracks ({recall.queries * (args.n - 1)} query-track "
        "pairs)",
        f"- impostor comparisons (`match_segments`, {2 * args.distractors} distractor fingerprints x "
        f"{args.n} known): {comparisons}; false matches: {false}; false-match rate per comparison: "
        + (f"{false / comparisons:.2e}" if false else f"0 (< {3 / comparisons:.1e} at 95 % confidence)"),
        "",
        "| thresholds off: how close | BER p50 | BER p99 | BER max | relative p99 | relative max |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind in gen.KINDS:
        vals = [v for key, vs in close.genuine.items() if key.endswith(f"|{kind}") for v in vs]
        if vals:
            ber = np.array([v[0] for v in vals])
            rel = np.array([v[1] for v in vals])
            lines.append(
                f"| edited copies, {kind} (best segment at the right offset) | {np.median(ber):.3f} "
                f"| {np.percentile(ber, 99):.3f} | {ber.max():.3f} | {np.percentile(rel, 99):.2f} "
                f"| {rel.max():.2f} |"
            )
    if close.impostor_ber:
        ib, ir = np.array(close.impostor_ber), np.array(close.impostor_rel)
        lines.append(
            f"| unrelated ({close.impostor_pairs} pairs; lowest per distractor) | {np.median(ib):.3f} "
            f"| min {ib.min():.3f} | | min {ir.min():.2f} | |"
        )
    lines += [
        "",
        f"Defaults: max_ber {DEFAULT.max_ber}, max_relative {DEFAULT.max_relative}, min_information "
        f"{DEFAULT.min_information}, min_seconds {DEFAULT.min_seconds:g}.",
        "",
        f"| speed, one core, {speed.audio_seconds:.0f} s of 44.1 kHz audio per format | plain decode "
        "| jejak decode (resample to 11025 Hz) | fingerprint (decode + Chromaprint) "
        "| fingerprint / plain decode |",
        "|---|---:|---:|---:|---:|",
    ]
    for fmt, (plain, dec, fp) in speed.rows.items():
        a = speed.audio_seconds
        lines.append(
            f"| {fmt} | {a / plain:.0f}x real time | {a / dec:.0f}x | {a / fp:.0f}x "
            f"| {fp / plain:.2f}x the time |"
        )
    lines += [
        "",
        f"- `match_segments` (voting + verification), two {args.seconds:g} s fingerprints: "
        f"{speed.pair_ms:.2f} ms",
        f"- `AudioIndex` of {speed.index_tracks} tracks ({args.n} generated, the rest XOR-scrambled "
        f"copies): built in {speed.index_build_s:.1f} s; search + verification "
        f"{speed.index_search_ms:.1f} ms per query; searches of the recall run (N={args.n}): median "
        f"{1000 * statistics.median(recall.search_s):.1f} ms",
    ]
    return "\n".join(lines)


def machine() -> str:
    return benchkit.machine(
        f"numpy {np.__version__}, PyAV {av.__version__} (FFmpeg libavcodec "
        f"{'.'.join(map(str, av.library_versions['libavcodec']))}), libchromaprint {library_version()}"
    )


def write_docs(table: str, command: str, seconds: float, other_cpu: float) -> None:
    body = (
        f"{SECTION}\n\n"
        f"Command: `{command}` (took {seconds:.0f} s; other processes used {other_cpu:.0f} CPU-s "
        "meanwhile)  \n"
        f"Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}  \n"
        f"Machine: {machine()}\n\n"
        "Generated benign audio only (`jejak.testing.audio`). Known tracks are fingerprinted "
        "losslessly; each edited copy starts 0-4 s into its track and is a real file of the stated format, "
        "fingerprinted from the file. Recalled: the index returns the source with a segment at the right "
        "offset (±0.5 s). Impostor comparisons: every distractor (and its noisy MP3 copy) against every "
        "known track with the pair matcher. 'Relative' is a segment's BER over its information (the BER "
        "unrelated audio of the same bit statistics would have). Speed: 44.1 kHz files (Opus: 48 kHz) in "
        "memory, one process, best of 3 in CPU time of the process; index searches in wall time.\n\n"
        f"{table}\n"
    )
    benchkit.write_section(SECTION, body)


# --- main -------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=None, help="known tracks (default 200)")
    ap.add_argument("--distractors", type=int, default=None, help="unrelated tracks (default 100)")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each track (default 20)")
    ap.add_argument("--procs", type=int, default=len(os.sched_getaffinity(0)), help="worker processes")
    ap.add_argument("--rounds", type=int, default=3, help="speed rounds, best kept (default 3)")
    ap.add_argument("--quick", action="store_true", help="N=24, D=12")
    ap.add_argument("--write-docs", action="store_true", help=f"replace '{SECTION}' in docs/benchmarks.md")
    args = ap.parse_args(argv)
    args.n = args.n if args.n is not None else (24 if args.quick else 200)
    args.distractors = args.distractors if args.distractors is not None else (12 if args.quick else 100)
    shortest = SHARED_SECONDS + 2 * EDGE
    if args.n < 2 or args.distractors < 1 or args.seconds < shortest or args.rounds < 1:
        ap.error(f"--n >= 2, --distractors >= 1, --seconds >= {shortest:g}, --rounds >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    total = benchkit.Stopwatch()
    print(f"machine: {machine()}")
    kinds = gen.KINDS
    known_jobs = [(i, kinds[i % len(kinds)], KNOWN_SEEDS + i, args.seconds) for i in range(args.n)]
    distractor_jobs = [
        (i, kinds[i % len(kinds)], DISTRACTOR_SEEDS + i, args.seconds) for i in range(args.distractors)
    ]
    watch = benchkit.Stopwatch()
    with ProcessPoolExecutor(max_workers=args.procs) as pool:
        tracks = list(pool.map(build_track, known_jobs, chunksize=2))
        distractors = [b for pair in pool.map(build_distractor, distractor_jobs, chunksize=2) for b in pair]
    print(
        f"generated, edited, encoded and fingerprinted {args.n} tracks x {len(ALL_TRANSFORMS)} copies and "
        f"{args.distractors} distractors x 2 [{watch.text()}]"
    )

    watch = benchkit.Stopwatch()
    index = AudioIndex()
    for t in tracks:
        index.add(str(t.index), AudioFingerprint.from_bytes(t.fp))
    recall = evaluate_queries(index, tracks)
    print(f"recall: {recall.queries} queries searched [{watch.text()}]")

    watch = benchkit.Stopwatch()
    relaxed_every = max(1, len(distractors) // 40)
    jobs = [(b, i % relaxed_every == 0) for i, b in enumerate(distractors)]
    close = Closeness()
    comparisons = false = 0
    with ProcessPoolExecutor(
        max_workers=args.procs, initializer=_init_known, initargs=([t.fp for t in tracks],)
    ) as pool:
        for n, f, low_ber, low_rel in pool.map(impostor_pairs, jobs, chunksize=4):
            comparisons += n
            false += f
            if low_ber is not None and low_rel is not None:
                close.impostor_ber.append(low_ber)
                close.impostor_rel.append(low_rel)
    close.impostor_pairs = sum(1 for _, relaxed in jobs if relaxed) * args.n
    genuine_closeness(tracks, close)
    print(f"impostors: {comparisons} comparisons, {false} false matches [{watch.text()}]")

    watch = benchkit.Stopwatch()
    speed = measure_speed(args.seconds, args.rounds)
    measure_matching(
        speed,
        [AudioFingerprint.from_bytes(t.fp) for t in tracks],
        [AudioFingerprint.from_bytes(q.fp) for t in tracks for q in t.queries],
    )
    print(f"speed measured [{watch.text()}]")

    table = report(args, recall, (comparisons, false), close, speed)
    print()
    print(table)
    elapsed, other = total.elapsed(), total.other_cpu()
    print(f"\ntotal {elapsed:.1f} s; other processes used {other:.1f} CPU-s meanwhile")
    if args.write_docs:
        flags = argv if argv is not None else sys.argv[1:]
        command = " ".join(["python benchmarks/audio.py", *(a for a in flags if a != "--write-docs")])
        write_docs(table, command, elapsed, other)
        print(f"wrote {benchkit.DOCS.relative_to(benchkit.REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
