"""Fill borders around a picture: the padding, letterbox bars, phone UI bars or blurred fill that an edited
copy gains and its original lacks (``trim_box``), found on a grey work image.

Rows and columns are peeled off each side while they look like fill: most pixels within a few grey levels
of the line's median (black, white or solid padding, phone UI bars with a few icons), or almost no
gradient (a blurred copy used as fill), up to a clear step (the pasted picture's edge). A strict reading
(smooth on both sides) ends at its last step, past several bars; when it finds none, a relaxed one (smooth
on one side, more tolerance: an enlarged blurred copy has bilinear steps and JPEG noise) ends at its first
step. On the robustness benchmark's 20 % blurred-fill pads the strict reading alone found the box in 8 of
100 and recall was 78.8 %; with both, 85 of 100 and 98.8 %. Unpadded bases trimmed at all: 28 of 100
before, 37 after. At most ``MAX_TRIM`` of each side is trimmed. ``jejak.hashing.robust`` describes the box
it returns.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

MAX_TRIM = 0.4
"""At most this fraction of each side is trimmed as border."""

_SMOOTH = 0.6  # mean grey-level change along and across a line below which it is smooth
_SMOOTH_RELAXED = 1.0
_STEP = 4.0  # mean grey-level change between two lines that marks the edge of a pasted picture


def _fill_lines(g: NDArray[np.float32]) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Per row of ``g``: does it look like padding? Two readings: ``strict`` (near-uniform, or smooth on
    both sides: solid borders, UI bars) and ``relaxed`` (near-uniform, or smooth on at least one side
    with a larger tolerance: the blurred, enlarged copy of the picture that apps use as fill, whose
    bilinear steps and JPEG noise break the strict reading every few lines). Relaxed includes strict."""
    med = np.median(g, axis=1, keepdims=True)
    uniform = (np.abs(g - med) <= 6).mean(axis=1) >= 0.75
    dx = np.abs(np.diff(g, axis=1)).mean(axis=1)
    dmax = np.zeros(len(g), np.float32)
    dmin = np.zeros(len(g), np.float32)
    if len(g) > 1:
        d = np.abs(np.diff(g, axis=0)).mean(axis=1)
        dmax[:-1] = d
        dmax[1:] = np.maximum(dmax[1:], d)
        dmin[:-1] = d
        dmin[-1] = d[-1]
        dmin[1:-1] = np.minimum(d[1:], d[:-1])
    strict: NDArray[np.bool_] = uniform | ((dx < _SMOOTH) & (dmax < _SMOOTH))
    relaxed: NDArray[np.bool_] = uniform | ((dx < _SMOOTH_RELAXED) & (dmin < _SMOOTH_RELAXED))
    return strict, relaxed


def _run(flags: NDArray[np.bool_], limit: int) -> int:
    """Length of the leading run of True in ``flags``, at most ``limit``."""
    bad = np.flatnonzero(~flags[:limit])
    return int(bad[0]) if len(bad) else limit


def _edge(g: NDArray[np.float32], run: int, last: bool) -> int:
    """Lines to trim when the first ``run`` lines are fill: up to a clear step (mean change >= 4 grey
    levels) between two lines, looked for up to two lines past the run (a fill line beside the pasted
    picture's edge has that edge as a neighbour, and resizing spreads it over a line); the last such
    step, or with ``last=False`` the first one. No step: nothing is trimmed."""
    if run == 0 or run >= len(g):
        return 0
    steps = np.abs(np.diff(g[: run + 3], axis=0)).mean(axis=1)  # steps[p - 1]: between lines p - 1 and p
    ends = np.flatnonzero(steps >= _STEP)
    if not len(ends):
        return 0
    return int(ends[-1] if last else ends[0]) + 1


def _side(g: NDArray[np.float32], limit: int) -> int:
    """Fill lines at the start of ``g`` (rows), at most ``limit``: fill-like lines that end at a clear step
    (the edge of a pasted picture), so smooth skies and gradients of the picture itself are kept. The
    strict reading's run ends at its last step (several UI bars, then the picture); when it finds none,
    the relaxed reading's run ends at its first step (a blurred fill, then the picture's edge)."""
    # A line's flags depend on its neighbours only, so flags over g[: k + 1] are final for lines < k:
    # look at a few lines first (most pictures have no border) and at all ``limit`` only when they are fill.
    k = min(limit, 4)
    strict, relaxed = _fill_lines(g[: k + 1])
    if _run(relaxed, k) == k and k < limit:
        k = limit
        strict, relaxed = _fill_lines(g[: limit + 1])
    edge = _edge(g, _run(strict, k), last=True)
    if edge == 0:
        edge = _edge(g, _run(relaxed, k), last=False)
    return min(edge, limit)


def trim_box(grey: NDArray[np.uint8]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of ``grey`` without its fill borders (see the module doc)."""
    h, w = grey.shape
    g = grey.astype(np.float32)
    lh, lw = int(h * MAX_TRIM), int(w * MAX_TRIM)
    top, bottom = _side(g, lh), _side(g[::-1], lh)
    left, right = _side(g.T, lw), _side(g.T[::-1], lw)
    return left, top, w - right, h - bottom
