"""What every benchmark script shares: a stopwatch that also reports the CPU other processes used (the
machine is shared), the machine's description, and writing one section of docs/benchmarks.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs" / "benchmarks.md"
DOCS_INTRO = (
    "# Benchmarks\n\n"
    "Measurements of jejak on generated, benign evidence. Each section is written by the script named\n"
    "in its heading (run it with `--write-docs`); numbers are from the machine stated in the section.\n"
)


class Stopwatch:
    """Wall time of a phase, and the CPU time other processes took meanwhile (a busy neighbour slows every
    number). This process's children count once reaped: pools are shut down inside each phase."""

    def __init__(self) -> None:
        self.wall0, self.busy0, self.own0 = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float]:
        try:
            ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
            # user nice system idle iowait irq softirq steal ...: busy = all but idle, iowait, steal
            busy = (sum(ticks[:3]) + sum(ticks[5:7])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError):
            busy = float("nan")
        t = os.times()
        return time.perf_counter(), busy, t.user + t.system + t.children_user + t.children_system

    def elapsed(self) -> float:
        return time.perf_counter() - self.wall0

    def other_cpu(self) -> float:
        """CPU seconds used by processes other than this one and its children since the start."""
        _, busy, own = self._sample()
        return max(0.0, (busy - self.busy0) - (own - self.own0))

    def text(self) -> str:
        return f"{self.elapsed():.1f} s, other processes {self.other_cpu():.1f} CPU-s"


def machine(libraries: str) -> str:
    """ "2 cores (nproc), <CPU model>; Python 3.11.7, <libraries>"."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0))
    return f"{cores} cores (nproc), {model}; Python {platform.python_version()}, {libraries}"


def write_section(heading: str, body: str) -> None:
    """Replace the section of docs/benchmarks.md that starts with ``heading`` (a line "## ...") by ``body``
    (which starts with that heading), or append it; the other sections are left as they are."""
    text = DOCS.read_text() if DOCS.is_file() else DOCS_INTRO
    pattern = re.compile("^" + re.escape(heading) + r".*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: body + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + body
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text)


def publish(heading: str, command: str, watch: Stopwatch, text: str, libraries: str) -> None:
    """Write ``text`` as the section ``heading`` of docs/benchmarks.md, under the command that produced it,
    its wall time (and the other processes' CPU meanwhile), the date and the machine."""
    body = (
        f"{heading}\n\nCommand: `{command}` ({watch.text()})  \n"
        f"Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}  \n"
        f"Machine: {machine(libraries)}\n\n{text}\n"
    )
    write_section(heading, body)
