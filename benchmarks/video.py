"""Video hashing speed: jejak's vPDQ at 1 frame/s against a full decode and against Meta's vpdq.

One process run, offline, in a temporary folder (or ``--cache-dir``, which keeps the generated clips):

1. generate H.264 clips with an AAC track (``jejak.testing.videos``: panning procedural pictures, a
   bouncing shape, a caption), 480p (854x480) and 1080p, 30 frames/s, with 1-s GOPs (keyframe every 30
   frames) and 10-s GOPs (every 300), x264 ``--preset`` (default veryfast: CABAC, 3 B-frames, B-pyramid);
2. time on each clip, files in the page cache, best of ``--rounds``, one decoding thread everywhere:
   (a) ``hash_video(fps=1.0)``: jejak's choice of strategy (packet index, keyframe seeks, skipped
       non-reference frames);
   (b) the baseline: PyAV decoding every frame of the video stream, nothing else;
   (c) ``hash_video(fps=1.0, strategy="sequential")``: vpdq's own loop (decode all, hash every 30th);
   (d) Meta's ``vpdq`` Python package, ``computeHash(seconds_per_hash=1)``, when it is installed;
   (e) the audio fingerprint of the file (``jejak.hashing.audio.fingerprint``) when that module exists,
       and (a)+(e), the per-file cost of both;
3. print speeds as multiples of real time per core (video seconds / CPU seconds of this process: every
   thread it runs counts, so a multi-threaded library is not flattered) and, beside them, by wall time,
   and PASS/FAIL lines: 480p 1-s GOP (a) >= 100x real time, 1080p 1-s GOP (a) >= 20x, 10-s GOPs (a) no
   slower than (b), 480p 1-s GOP (a) >= 3x (d). Informational unless ``--strict``; ``--write-docs`` puts
   the table into docs/benchmarks.md.

    .venv/bin/python benchmarks/video.py [--seconds S] [--quick] [--rounds R] [--preset P]
                                         [--cache-dir DIR] [--write-docs] [--strict]

Default (60-s clips) takes about 6 minutes on 2 cores, most of it generating the 1080p clips (reused with
``--cache-dir``); --quick (20-s clips, one round) about 2 minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib
import importlib.util
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import benchkit
import numpy as np

from jejak.hashing.keyframes import KeyframePicker
from jejak.hashing.robust import QUERY_FEATURES
from jejak.hashing.video import hash_video
from jejak.testing.videos import VideoSpec, write_video

SECTION = "## Video hashing (benchmarks/video.py)"
FPS = 30
CLIPS = (("480p", 854, 480), ("1080p", 1920, 1080))
GOPS = ((30, "1-s GOP"), (300, "10-s GOP"))
FLOOR_480 = 100.0  # (a) x real time per core, 480p, 1-s GOP
FLOOR_1080 = 20.0  # (a) 1080p, 1-s GOP
FLOOR_LONG_GOP = 1.0  # (a) speed / (b) speed on 10-s GOPs
FLOOR_VS_VPDQ = 3.0  # (a) speed / (d) speed, 480p, 1-s GOP


# --- what is timed ----------------------------------------------------------------------------------------


def decode_everything(path: Path) -> int:
    """(b): every frame of the first video stream decoded, one thread, nothing else done with it."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_count = 1
        return sum(1 for _ in container.decode(stream))


def vpdq_step() -> tuple[Callable[[Path], object] | None, str]:
    """(d): Meta's vpdq at 1 frame/s with one hashing thread (its ``thread_count``; its decoder picks its
    own slice threads, which the CPU-time measure counts)."""
    if importlib.util.find_spec("vpdq") is None:
        return None, "not installed"
    vpdq: Any = importlib.import_module("vpdq")
    version = getattr(vpdq, "__version__", None) or _dist_version("vpdq")

    def compute(path: Path) -> object:
        try:
            return vpdq.computeHash(str(path), seconds_per_hash=1, thread_count=1)
        except TypeError:  # a version without thread_count
            return vpdq.computeHash(str(path), seconds_per_hash=1)

    return compute, version


def audio_step() -> Callable[[Path], object] | None:
    """(e): the audio fingerprinting step timed beside video hashing, per file. ``jejak.hashing.audio`` is
    being written separately; while it does not exist (or has no ``fingerprint``) the step is skipped."""
    if importlib.util.find_spec("jejak.hashing.audio") is None:
        return None
    module: Any = importlib.import_module("jejak.hashing.audio")
    fingerprint: Callable[[Path], object] | None = getattr(module, "fingerprint", None)
    return fingerprint if callable(fingerprint) else None


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown version"


@dataclass
class Timing:
    cpu: float  # CPU seconds of this process (all its threads), best round
    wall: float


def measure(fn: Callable[[], object], rounds: int) -> Timing:
    best: Timing | None = None
    for _ in range(rounds):
        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        t = Timing(time.process_time() - c0, time.perf_counter() - w0)
        if best is None or t.cpu < best.cpu:
            best = t
    assert best is not None
    return best


# --- clips ------------------------------------------------------------------------------------------------


@dataclass
class Clip:
    label: str
    gop_label: str
    path: Path
    seconds: float
    results: dict[str, Timing] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.label} {self.gop_label}"

    def speed(self, key: str, wall: bool = False) -> float | None:
        t = self.results.get(key)
        if t is None:
            return None
        used = t.wall if wall else t.cpu
        return self.seconds / used if used > 0 else float("inf")


def make_clips(folder: Path, seconds: float, preset: str) -> list[Clip]:
    folder.mkdir(parents=True, exist_ok=True)
    clips: list[Clip] = []
    for label, width, height in CLIPS:
        for gop, gop_label in GOPS:
            path = folder / f"{label}-gop{gop}-{seconds:g}s-{preset}.mp4"
            if not path.is_file():
                watch = benchkit.Stopwatch()
                spec = VideoSpec(
                    width=width,
                    height=height,
                    seconds=seconds,
                    fps=FPS,
                    gop=gop,
                    preset=preset,
                    audio="sine",
                    cut_seconds=3.0,
                    seed=2024,
                )
                write_video(path.with_suffix(".part.mp4"), spec).rename(path)
                print(f"generated {path.name}: {path.stat().st_size / 1e6:.1f} MB [{watch.text()}]")
            clips.append(Clip(label, gop_label, path, seconds))
    return clips


# --- report -----------------------------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    value: float | None
    floor: float

    @property
    def ok(self) -> bool:
        return self.value is not None and self.value >= self.floor

    def line(self) -> str:
        if self.value is None:
            return f"SKIP: {self.name} (not measured)"
        return f"{'PASS' if self.ok else 'FAIL'}: {self.name}: {self.value:.2f}x (floor {self.floor:g}x)"


ROWS = (
    ("a", "(a) jejak `hash_video(fps=1)`"),
    ("b", "(b) baseline: decode every frame"),
    ("c", '(c) jejak, `strategy="sequential"`'),
    ("d", "(d) Meta's vpdq `computeHash(seconds_per_hash=1)`"),
    ("e", "(e) audio fingerprint"),
    ("ae", "(a)+(e) per file"),
    ("k", "(k) (a) with the robust stage's keyframes, as ingest"),
    ("ke", "(k)+(e) per file, as ingest"),
)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}x"


def report(clips: list[Clip], checks: list[Check]) -> str:
    head = "| x real time per core (wall) | " + " | ".join(c.name for c in clips) + " |"
    lines = [head, "|---|" + "---:|" * len(clips)]
    for key, title in ROWS:
        if all(key not in c.results for c in clips):
            continue
        cells = [f"{_fmt(c.speed(key))} ({_fmt(c.speed(key, wall=True))})" for c in clips]
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    lines.append(
        "| (a) frames decoded / seeks | " + " | ".join(c.notes.get("decoded", "-") for c in clips) + " |"
    )
    lines.append("| (a) / (b) | " + " | ".join(_ratio(c, "a", "b") for c in clips) + " |")
    if any("d" in c.results for c in clips):
        lines.append("| (a) / (d) | " + " | ".join(_ratio(c, "a", "d") for c in clips) + " |")
    lines.append(
        "| (k) keyframes described | " + " | ".join(c.notes.get("keyframes", "-") for c in clips) + " |"
    )
    lines.append("| (a) = (c), same hashes | " + " | ".join(c.notes.get("same", "-") for c in clips) + " |")
    lines += ["", *(f"- {c.line()}" for c in checks)]
    return "\n".join(lines)


def _ratio(clip: Clip, a: str, b: str) -> str:
    x, y = clip.speed(a), clip.speed(b)
    return "-" if x is None or y is None else f"{x / y:.2f}x"


def machine(vpdq_version: str) -> str:
    ffmpeg = ".".join(str(v) for v in av.library_versions["libavcodec"])
    return benchkit.machine(
        f"PyAV {av.__version__} (libavcodec {ffmpeg}), numpy {np.__version__}, vpdq {vpdq_version}"
    )


def write_docs(table: str, command: str, seconds: float, other_cpu: float, vpdq_version: str) -> None:
    body = (
        f"{SECTION}\n\n"
        f"Command: `{command}` (took {seconds:.0f} s; other processes used {other_cpu:.0f} CPU-s "
        "meanwhile)  \n"
        f"Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}  \n"
        f"Machine: {machine(vpdq_version)}\n\n"
        "Generated H.264 clips (x264, B-frames, AAC track), 30 frames/s; speed is video seconds per CPU "
        "second of the benchmark process (per core: one decoding thread; any thread a library starts "
        "counts), wall-clock speed in brackets; best of the rounds, files in the page cache. (a) is "
        "`jejak.hashing.video.hash_video` at 1 frame/s as ingest would call it; (b) decodes every frame "
        "with PyAV and does nothing else; (c) is jejak with vpdq's loop (decode all, hash every 30th "
        "frame); (d) Meta's vpdq package; (e) jejak's audio fingerprint when present; (k) (a) plus the "
        "robust stage's keyframes (`hashing.keyframes`: one per 10 s, at least 4, ORB with 768 features "
        "and their mirror), which is what ingest runs. Floors "
        f"(informational): 480p 1-s GOP (a) >= {FLOOR_480:g}x real time, 1080p 1-s GOP (a) >= "
        f"{FLOOR_1080:g}x, 10-s GOPs (a) >= (b), 480p 1-s GOP (a) >= {FLOOR_VS_VPDQ:g}x (d).\n\n"
        f"{table}\n"
    )
    benchkit.write_section(SECTION, body)


# --- main -------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=None, help="length of each clip (default 60)")
    ap.add_argument("--quick", action="store_true", help="20-s clips, one round")
    ap.add_argument("--rounds", type=int, default=None, help="rounds per measurement, best kept (default 3)")
    ap.add_argument("--preset", default="veryfast", help="x264 preset of the generated clips")
    ap.add_argument("--cache-dir", type=Path, default=None, help="keep (and reuse) the generated clips here")
    ap.add_argument("--write-docs", action="store_true", help=f"replace '{SECTION}' in docs/benchmarks.md")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a floor is not met")
    args = ap.parse_args(argv)
    args.seconds = args.seconds if args.seconds is not None else (20.0 if args.quick else 60.0)
    args.rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    if args.seconds < 2 or args.rounds < 1:
        ap.error("--seconds must be at least 2 and --rounds at least 1")
    return args


def run_clip(
    clip: Clip, rounds: int, vpdq: Callable[[Path], object] | None, audio: Callable[[Path], object] | None
) -> None:
    watch = benchkit.Stopwatch()
    last: dict[str, Any] = {}

    def ours() -> None:
        last["a"] = hash_video(clip.path)

    def sequential() -> None:
        last["c"] = hash_video(clip.path, strategy="sequential")

    def with_keyframes() -> None:
        picker = KeyframePicker(clip.seconds, QUERY_FEATURES, mirror=True)
        hash_video(clip.path, on_frame=picker.add, wants=picker.wants)
        last["k"] = picker.result()

    clip.results["a"] = measure(ours, rounds)
    clip.results["b"] = measure(lambda: decode_everything(clip.path), rounds)
    clip.results["c"] = measure(sequential, rounds)
    a, c = last["a"], last["c"]
    clip.notes["decoded"] = f"{a.frames_decoded} / {'yes' if a.seeked else 'no'}"
    clip.notes["same"] = "yes" if a.frames == c.frames else "NO"
    if vpdq is not None:
        clip.results["d"] = measure(lambda: vpdq(clip.path), rounds)
    if audio is not None:
        clip.results["e"] = measure(lambda: audio(clip.path), rounds)
        clip.results["ae"] = Timing(
            clip.results["a"].cpu + clip.results["e"].cpu, clip.results["a"].wall + clip.results["e"].wall
        )
    clip.results["k"] = measure(with_keyframes, rounds)
    clip.notes["keyframes"] = str(len(last["k"]))
    if "e" in clip.results:
        clip.results["ke"] = Timing(
            clip.results["k"].cpu + clip.results["e"].cpu, clip.results["k"].wall + clip.results["e"].wall
        )
    keys = ("a", "b", "c", "d", "e", "k")
    speeds = "  ".join(f"({k}) {_fmt(clip.speed(k))}" for k in keys if k in clip.results)
    print(f"{clip.name}: {speeds}  [{watch.text()}]")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    watch = benchkit.Stopwatch()
    vpdq, vpdq_version = vpdq_step()
    audio = audio_step()
    print(f"machine: {machine(vpdq_version)}")
    if audio is None:
        print("note: jejak.hashing.audio.fingerprint not found: the audio step (e) is skipped")
    scratch = Path(tempfile.mkdtemp(prefix="jejak-bench-video-"))
    try:
        clips = make_clips(args.cache_dir or scratch, args.seconds, args.preset)
        for clip in clips:
            run_clip(clip, args.rounds, vpdq, audio)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    by_name = {c.name: c for c in clips}
    short480, short1080 = by_name["480p 1-s GOP"], by_name["1080p 1-s GOP"]
    checks = [
        Check("480p 1-s GOP, (a) x real time per core", short480.speed("a"), FLOOR_480),
        Check("1080p 1-s GOP, (a) x real time per core", short1080.speed("a"), FLOOR_1080),
        *(
            Check(f"{c.name}, (a) / (b) full decode", _div(c.speed("a"), c.speed("b")), FLOOR_LONG_GOP)
            for c in clips
            if c.gop_label == "10-s GOP"
        ),
        Check(
            "480p 1-s GOP, (a) / (d) Meta's vpdq",
            _div(short480.speed("a"), short480.speed("d")),
            FLOOR_VS_VPDQ,
        ),
    ]
    table = report(clips, checks)
    print()
    print(table)
    print()
    for check in checks:
        print(check.line())
    elapsed, other = watch.elapsed(), watch.other_cpu()
    print(f"\ntotal {elapsed:.1f} s; other processes used {other:.1f} CPU-s meanwhile")
    if args.write_docs:
        flags = argv if argv is not None else sys.argv[1:]
        skip = {"--write-docs"}
        kept = [a for i, a in enumerate(flags) if a not in skip and not (i and flags[i - 1] == "--cache-dir")]
        command = " ".join(["python benchmarks/video.py", *(a for a in kept if a != "--cache-dir")])
        write_docs(table, command, elapsed, other, vpdq_version)
        print(f"wrote {benchkit.DOCS.relative_to(benchkit.REPO)}")
    return 1 if args.strict and not all(c.ok for c in checks if c.value is not None) else 0


def _div(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


if __name__ == "__main__":
    sys.exit(main())
