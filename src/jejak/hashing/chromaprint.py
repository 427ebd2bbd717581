"""Chromaprint through the system library (ctypes): constants, loading, and one streaming context.

libchromaprint (Debian's libchromaprint1, 1.5.1 here) is loaded once, by soname and then wherever
``ctypes.util.find_library`` finds it; without it, ``MissingLibrary`` names the apt-get line. Its C API is
used as chromaprint.h documents it: ``chromaprint_new`` with the default algorithm (TEST2, AcoustID's),
``chromaprint_start`` at 11025 Hz mono (the rate it analyses at: the caller resamples, so the library's
own resampler never runs), ``chromaprint_feed`` with int16 samples, ``chromaprint_finish``,
``chromaprint_get_raw_fingerprint`` (freed with ``chromaprint_dealloc``), ``chromaprint_free``. The
default algorithm removes no leading silence, so item ``i`` is at ``i * 1365 / 11025`` = 0.1238 s of
what was fed. Each 32-bit item is 16 two-bit classifiers over a 2.6 s window of 12-band chroma
(28-3520 Hz), hence ``max(0, (n - 28666) // 1365)`` items for ``n`` samples (measured): clips under
~2.7 s have none. Silence, a steady tone or a chord give one value repeated (silence: 627964279).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Iterable, Sequence
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from jejak.errors import MissingLibrary

NAME = "chromaprint"
"""The algorithm name stored beside fingerprints (a storage key forever)."""
ALGORITHM = 1
"""Chromaprint's CHROMAPRINT_ALGORITHM_DEFAULT (TEST2): the one AcoustID uses. Fingerprints of different
algorithms are not comparable."""
SAMPLE_RATE = 11025
"""The rate Chromaprint analyses at: audio is resampled to it by FFmpeg before it is fed, so the library's
own resampler never runs."""
ITEM_SAMPLES = 1365
"""Samples (at SAMPLE_RATE) between consecutive fingerprint items: Chromaprint's 4096-sample frames with
2/3 overlap (``chromaprint_get_item_duration``, checked when the library loads)."""
ITEM_SECONDS = ITEM_SAMPLES / SAMPLE_RATE
"""Seconds per fingerprint item, ~0.1238."""
DELAY_SAMPLES = 28666
"""Chromaprint's delay (``chromaprint_get_delay``): a 4096-sample frame plus 18 steps for the chroma
filter and the widest classifier. ``n`` samples give ``max(0, (n - DELAY_SAMPLES) // ITEM_SAMPLES)`` items
(measured), so audio shorter than ~2.7 s has an empty fingerprint."""
WINDOW_SECONDS = DELAY_SAMPLES / SAMPLE_RATE
"""The same in seconds (2.6): item ``i`` describes seconds ``i * ITEM_SECONDS`` to that plus 2.6."""

LIBRARY = "libchromaprint.so.1"
DEBIAN_PACKAGE = "libchromaprint1"
_LIBRARY_NAMES = (LIBRARY, "libchromaprint.so", "libchromaprint.1.dylib", "chromaprint.dll")


def open_library(names: Sequence[str]) -> ctypes.CDLL:
    """The first of ``names`` that loads, with Chromaprint's prototypes declared; MissingLibrary (with
    the apt-get line) when none does."""
    lib = None
    for name in names:
        try:
            lib = ctypes.CDLL(name)
            break
        except OSError:
            continue
    if lib is None:
        raise MissingLibrary(LIBRARY, DEBIAN_PACKAGE)
    ctx = ctypes.c_void_p
    lib.chromaprint_new.argtypes, lib.chromaprint_new.restype = [ctypes.c_int], ctx
    lib.chromaprint_free.argtypes, lib.chromaprint_free.restype = [ctx], None
    lib.chromaprint_start.argtypes, lib.chromaprint_start.restype = (
        [ctx, ctypes.c_int, ctypes.c_int],
        ctypes.c_int,
    )
    lib.chromaprint_feed.argtypes, lib.chromaprint_feed.restype = (
        [ctx, ctypes.c_void_p, ctypes.c_int],
        ctypes.c_int,
    )
    lib.chromaprint_finish.argtypes, lib.chromaprint_finish.restype = [ctx], ctypes.c_int
    lib.chromaprint_get_raw_fingerprint.argtypes = [
        ctx,
        ctypes.POINTER(ctypes.POINTER(ctypes.c_uint32)),
        ctypes.POINTER(ctypes.c_int),
    ]
    lib.chromaprint_get_raw_fingerprint.restype = ctypes.c_int
    lib.chromaprint_dealloc.argtypes, lib.chromaprint_dealloc.restype = [ctypes.c_void_p], None
    lib.chromaprint_get_item_duration.argtypes, lib.chromaprint_get_item_duration.restype = (
        [ctx],
        ctypes.c_int,
    )
    lib.chromaprint_get_version.argtypes, lib.chromaprint_get_version.restype = [], ctypes.c_char_p
    return lib


@functools.cache
def library() -> ctypes.CDLL:
    """libchromaprint, loaded once (by soname, then wherever ``ctypes.util.find_library`` finds it)."""
    try:
        return open_library(_LIBRARY_NAMES)
    except MissingLibrary:
        found = ctypes.util.find_library("chromaprint")  # runs ldconfig: only when the sonames fail
        if not found:
            raise
        return open_library([found])


def library_version() -> str:
    """The version string of the loaded libchromaprint (e.g. "1.5.1")."""
    raw = library().chromaprint_get_version()
    return raw.decode("ascii", "replace") if raw else "unknown"


class Chromaprint:
    """One streaming Chromaprint computation: ``feed`` mono int16 PCM at SAMPLE_RATE, then ``finish``.

    PCM is consumed as it is fed; what grows with the audio is Chromaprint's chroma image and the
    fingerprint (a few MB per hour). Not thread-safe (one per thread); ctypes releases the GIL in the
    library calls."""

    NAME: ClassVar[str] = NAME

    def __init__(self, algorithm: int = ALGORITHM) -> None:
        self._lib = library()
        self._ctx: int | None = self._lib.chromaprint_new(algorithm)
        if not self._ctx:
            raise RuntimeError(f"chromaprint_new({algorithm}) failed")
        self.algorithm = algorithm
        if not self._lib.chromaprint_start(self._ctx, SAMPLE_RATE, 1):
            self.close()
            raise RuntimeError("chromaprint_start failed")
        item = self._lib.chromaprint_get_item_duration(self._ctx)
        if item != ITEM_SAMPLES:
            self.close()
            raise RuntimeError(
                f"this libchromaprint steps {item} samples per item, jejak expects {ITEM_SAMPLES}"
            )
        self.samples = 0

    def feed(self, pcm: NDArray[np.int16]) -> None:
        if self._ctx is None:
            raise RuntimeError("feed after finish")
        data = np.ascontiguousarray(pcm, dtype=np.int16)
        if len(data) and not self._lib.chromaprint_feed(self._ctx, data.ctypes.data, len(data)):
            raise RuntimeError("chromaprint_feed failed")
        self.samples += len(data)

    def finish(self) -> NDArray[np.uint32]:
        """The raw fingerprint (one uint32 per ITEM_SECONDS); closes the context."""
        if self._ctx is None:
            raise RuntimeError("finish called twice")
        try:
            if not self._lib.chromaprint_finish(self._ctx):
                raise RuntimeError("chromaprint_finish failed")
            ptr = ctypes.POINTER(ctypes.c_uint32)()
            size = ctypes.c_int()
            if not self._lib.chromaprint_get_raw_fingerprint(
                self._ctx, ctypes.byref(ptr), ctypes.byref(size)
            ):
                raise RuntimeError("chromaprint_get_raw_fingerprint failed")
            try:
                n = size.value
                items = (
                    np.ctypeslib.as_array(ptr, (n,)).astype(np.uint32) if n > 0 else np.zeros(0, np.uint32)
                )
            finally:
                if ptr:
                    self._lib.chromaprint_dealloc(ptr)
            return items
        finally:
            self.close()

    def close(self) -> None:
        ctx = getattr(self, "_ctx", None)  # None too when __init__ failed early
        if ctx is not None:
            self._lib.chromaprint_free(ctx)
            self._ctx = None

    def __enter__(self) -> Chromaprint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


def fingerprint_pcm(chunks: Iterable[NDArray[np.int16]]) -> NDArray[np.uint32]:
    """Chromaprint's raw fingerprint of mono int16 PCM at SAMPLE_RATE, given in chunks."""
    with Chromaprint() as cp:
        for chunk in chunks:
            cp.feed(chunk)
        return cp.finish()
