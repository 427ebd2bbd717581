"""Textures of the procedural rooms (``jejak.testing.scenes``): palettes, wallpapers, bed covers, floors and
the things in a room (rug, picture, window, curtains, books, furniture, lamp, headboard), each drawn from a
seeded generator as an RGB array, and the drawing primitives the views' occluders use too."""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

U8 = NDArray[np.uint8]
F64 = NDArray[np.float64]
Rgb = tuple[int, int, int]


# --- colours and noise -----------------------------------------------------------------------------------


def hsv_rgb(h: float, s: float, v: float) -> Rgb:
    rgb = cv2.cvtColor(np.array([[[h % 180, s, v]]], np.uint8), cv2.COLOR_HSV2RGB)[0, 0]
    return int(rgb[0]), int(rgb[1]), int(rgb[2])


def draw_palette(rng: np.random.Generator) -> tuple[Rgb, ...]:
    """Five colours around a random hue: a light ground, two mid tones, a dark accent, a contrast."""
    h = float(rng.uniform(0, 180))
    return (
        hsv_rgb(h + rng.uniform(-8, 8), rng.uniform(20, 70), rng.uniform(190, 245)),
        hsv_rgb(h + rng.uniform(-15, 15), rng.uniform(80, 200), rng.uniform(110, 200)),
        hsv_rgb(h + rng.uniform(20, 50), rng.uniform(60, 180), rng.uniform(120, 210)),
        hsv_rgb(h + rng.uniform(-20, 20), rng.uniform(80, 220), rng.uniform(40, 100)),
        hsv_rgb(h + 90 + rng.uniform(-20, 20), rng.uniform(90, 220), rng.uniform(120, 230)),
    )


def _jitter(rng: np.random.Generator, c: Rgb, amount: float = 18) -> Rgb:
    r, g, b = (int(np.clip(v + rng.uniform(-amount, amount), 0, 255)) for v in c)
    return r, g, b


def _noise(rng: np.random.Generator, w: int, h: int, cells: int) -> NDArray[np.float32]:
    """Smooth noise in [0, 1], shape (h, w): random values on a coarse grid, bicubic upsampled."""
    cw = max(2, cells)
    ch = max(2, round(cells * h / max(w, 1)))
    small = rng.random((ch, cw)).astype(np.float32)
    return np.clip(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC), 0, 1)


def _shade(img: U8, factor: NDArray[np.float32]) -> U8:
    out = img.astype(np.float32) * factor[..., None]
    return np.asarray(np.clip(out, 0, 255), np.uint8)


def solid(w: int, h: int, c: Rgb) -> U8:
    return np.tile(np.array(c, np.uint8), (h, w, 1))


def _grain(rng: np.random.Generator, img: U8, amount: float = 0.08) -> U8:
    """A little smooth unevenness (paint, fabric), so plain areas are not perfectly flat."""
    h, w = img.shape[:2]
    f = 1.0 + amount * (_noise(rng, w, h, max(3, w // 60)) - 0.5)
    return _shade(img, f)


def draw_ellipse(img: U8, c: tuple[float, float], axes: tuple[float, float], ang: float, col: Rgb) -> None:
    cv2.ellipse(
        img,
        (round(c[0] * 4), round(c[1] * 4)),
        (max(1, round(axes[0] * 4)), max(1, round(axes[1] * 4))),
        ang,
        0,
        360,
        col,
        -1,
        cv2.LINE_AA,
        2,
    )


def draw_poly(img: U8, pts: F64, col: Rgb) -> None:
    cv2.fillPoly(img, [np.round(pts * 4).astype(np.int32)], col, cv2.LINE_AA, 2)


# --- wallpapers ------------------------------------------------------------------------------------------


def _wall_stripes(rng: np.random.Generator, w: int, h: int, pal: tuple[Rgb, ...]) -> U8:
    period = int(rng.integers(70, 180))
    row = np.empty((period, 3), np.uint8)
    x = 0
    cols = [pal[0], pal[1], pal[2], pal[0]]
    while x < period:
        sw = int(rng.integers(4, 30))
        row[x : x + sw] = cols[int(rng.integers(len(cols)))]
        x += sw
    for _ in range(int(rng.integers(1, 4))):  # pinstripes
        row[int(rng.integers(period))] = pal[3]
    reps = w // period + 1
    img = np.ascontiguousarray(np.broadcast_to(np.tile(row, (reps, 1))[:w][None], (h, w, 3)))
    # small motifs in one stripe position, repeated down the wall
    mx = int(rng.integers(period))
    step = int(rng.integers(30, 70))
    r = float(rng.uniform(3, 7))
    kind = int(rng.integers(3))
    for cx in range(mx, w, period):
        for cy in range(int(rng.integers(step)), h, step):
            if kind == 0:
                draw_ellipse(img, (cx, cy), (r, r), 0, pal[4])
            elif kind == 1:
                draw_poly(
                    img,
                    np.array([[cx, cy - r * 1.5], [cx + r, cy], [cx, cy + r * 1.5], [cx - r, cy]]),
                    pal[3],
                )
            else:
                draw_ellipse(img, (cx, cy), (r * 1.6, r * 0.6), 45, pal[4])
    return _grain(rng, img, 0.06)


def _motif(rng: np.random.Generator, tw: int, th: int, pal: tuple[Rgb, ...]) -> U8:
    """A mirror-symmetric motif (damask-like): random shapes on the left half, mirrored."""
    tile = solid(tw, th, pal[0])
    half = tw / 2
    for _ in range(int(rng.integers(4, 9))):
        col = pal[int(rng.integers(1, 5))]
        cx, cy = rng.uniform(0.1, 0.5) * tw, rng.uniform(0.05, 0.95) * th
        k = int(rng.integers(3))
        if k == 0:
            draw_ellipse(
                tile,
                (cx, cy),
                (rng.uniform(2, half * 0.5), rng.uniform(2, th * 0.2)),
                rng.uniform(0, 180),
                col,
            )
        elif k == 1:
            n = int(rng.integers(3, 6))
            pts = np.column_stack(
                [cx + rng.uniform(-1, 1, n) * half * 0.4, cy + rng.uniform(-1, 1, n) * th * 0.2]
            )
            draw_poly(tile, pts, col)
        else:
            x2, y2 = rng.uniform(0.1, 0.5) * tw, rng.uniform(0.05, 0.95) * th
            cv2.line(
                tile,
                (round(cx), round(cy)),
                (round(x2), round(y2)),
                col,
                int(rng.integers(1, 4)),
                cv2.LINE_AA,
            )
    left = tile[:, : tw // 2]
    tile[:, tw - tw // 2 :] = left[:, ::-1][:, : tw - tw // 2]
    return tile


def _wall_damask(rng: np.random.Generator, w: int, h: int, pal: tuple[Rgb, ...]) -> U8:
    tw, th = int(rng.integers(50, 90)) // 2 * 2, int(rng.integers(64, 120))
    tile = _motif(rng, tw, th, pal)
    col = np.tile(tile, (h // th + 3, 1, 1))
    cols = []
    for i in range(w // tw + 1):
        off = (th // 2) * (i % 2)  # half drop
        cols.append(col[off : off + h])
    return _grain(rng, np.ascontiguousarray(np.concatenate(cols, axis=1)[:, :w]), 0.06)


def _flowers(rng: np.random.Generator, img: U8, pal: tuple[Rgb, ...], spacing: float, size: float) -> None:
    """Scattered flowers (petals around a disc) and leaves on a jittered grid: not periodic."""
    h, w = img.shape[:2]
    leaf = hsv_rgb(float(rng.uniform(35, 75)), rng.uniform(80, 200), rng.uniform(70, 160))
    for gy in np.arange(spacing / 2, h, spacing):
        for gx in np.arange(spacing / 2, w, spacing):
            cx = gx + rng.uniform(-0.4, 0.4) * spacing
            cy = gy + rng.uniform(-0.4, 0.4) * spacing
            s = size * rng.uniform(0.6, 1.4)
            for _ in range(int(rng.integers(1, 3))):
                a = rng.uniform(0, 2 * math.pi)
                draw_ellipse(
                    img,
                    (cx + math.cos(a) * s * 1.6, cy + math.sin(a) * s * 1.6),
                    (s * 0.9, s * 0.35),
                    math.degrees(a),
                    leaf,
                )
            petals = int(rng.integers(4, 9))
            col = pal[int(rng.integers(1, 5))]
            a0 = rng.uniform(0, 360)
            for p in range(petals):
                a = math.radians(a0 + 360 * p / petals)
                draw_ellipse(
                    img,
                    (cx + math.cos(a) * s * 0.6, cy + math.sin(a) * s * 0.6),
                    (s * 0.6, s * 0.3),
                    math.degrees(a),
                    col,
                )
            draw_ellipse(img, (cx, cy), (s * 0.28, s * 0.28), 0, pal[3])


def _wall_floral(rng: np.random.Generator, w: int, h: int, pal: tuple[Rgb, ...]) -> U8:
    img = solid(w, h, pal[0])
    _flowers(rng, img, pal, float(rng.uniform(45, 80)), float(rng.uniform(7, 13)))
    return _grain(rng, img, 0.06)


def _wall_lattice(rng: np.random.Generator, w: int, h: int, pal: tuple[Rgb, ...]) -> U8:
    img = solid(w, h, pal[0])
    cell = float(rng.uniform(30, 60))
    kind = int(rng.integers(3))
    for j, cy in enumerate(np.arange(0, h + cell, cell)):
        for i, cx in enumerate(np.arange(0, w + cell, cell)):
            col = pal[1 + (i + j) % 2]
            if kind == 0:
                r = cell * 0.45
                draw_poly(img, np.array([[cx, cy - r], [cx + r, cy], [cx, cy + r], [cx - r, cy]]), col)
            elif kind == 1:
                draw_ellipse(img, (cx, cy), (cell * 0.3, cell * 0.3), 0, col)
                draw_ellipse(img, (cx + cell / 2, cy + cell / 2), (cell * 0.1, cell * 0.1), 0, pal[3])
            else:
                pts = np.array(
                    [
                        [cx + cell * 0.4 * math.cos(a), cy + cell * 0.4 * math.sin(a)]
                        for a in np.linspace(0, 2 * math.pi, 7)[:-1]
                    ]
                )
                cv2.polylines(img, [np.round(pts).astype(np.int32)], True, col, 2, cv2.LINE_AA)
    return _grain(rng, img, 0.06)


WALLPAPERS = {
    "stripes": _wall_stripes,
    "damask": _wall_damask,
    "floral": _wall_floral,
    "lattice": _wall_lattice,
}


# --- covers, floors, objects -----------------------------------------------------------------------------


def _cover_plaid(rng: np.random.Generator, w: int, h: int, pal: tuple[Rgb, ...]) -> U8:
    img = solid(w, h, pal[0]).astype(np.float32)
    for axis in (0, 1):
        n = w if axis == 1 else h
        pos = 0
        while pos < n:
            bw = int(rng.integers(6, 40))
            gap = int(rng.integers(10, 60))
            col = np.array(pal[int(rng.integers(1, 5))], np.float32)
            sl = (slice(None), slice(pos, pos + bw)) if axis == 1 else (slice(pos, pos + bw), slice(None))
            img[sl] = img[sl] * 0.45 + col * 0.55
            pos += bw + gap
    return np.clip(img, 0, 255).astype(np.uint8)


def _cover_patchwork(rng: np.random.Generator, w: int, h: int, pal: tuple[Rgb, ...]) -> U8:
    img = solid(w, h, pal[0])
    p = int(rng.integers(28, 55))
    for y in range(0, h, p):
        for x in range(0, w, p):
            col = _jitter(rng, pal[int(rng.integers(0, 5))], 25)
            img[y : y + p, x : x + p] = col
            k = int(rng.integers(4))
            other = pal[int(rng.integers(0, 5))]
            if k == 1:
                for d in range(3, p, 9):
                    for e in range(3, p, 9):
                        draw_ellipse(img, (x + d, y + e), (2, 2), 0, other)
            elif k == 2:
                for d in range(0, p, 7):
                    cv2.line(img, (x + d, y), (x + d, y + p - 1), other, 2)
            elif k == 3:
                draw_poly(img, np.array([[x, y], [x + p, y], [x, y + p]], np.float64), other)
            cv2.rectangle(img, (x, y), (x + p - 1, y + p - 1), pal[3], 1)
    return img


def _cover_floral(rng: np.random.Generator, w: int, h: int, pal: tuple[Rgb, ...]) -> U8:
    img = solid(w, h, pal[1] if rng.random() < 0.5 else pal[0])
    _flowers(rng, img, pal, float(rng.uniform(35, 65)), float(rng.uniform(8, 15)))
    return img


def _cover_chevron(rng: np.random.Generator, w: int, h: int, pal: tuple[Rgb, ...]) -> U8:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    period = float(rng.uniform(20, 45))
    zig = np.abs((x / float(rng.uniform(20, 50))) % 2 - 1) * period
    band = np.floor((y + zig) / period * 2).astype(np.int64) % 3
    cols = np.array([pal[0], pal[1], pal[int(rng.integers(2, 5))]], np.uint8)
    img = np.ascontiguousarray(cols[band])
    for _ in range(int(rng.integers(4, 10))):  # a few appliques: the draw of this cover
        draw_ellipse(
            img, (rng.uniform(0, w), rng.uniform(0, h)), (rng.uniform(5, 14), rng.uniform(5, 14)), 0, pal[3]
        )
    return img


COVERS = {
    "plaid": _cover_plaid,
    "patchwork": _cover_patchwork,
    "floral": _cover_floral,
    "chevron": _cover_chevron,
}


def add_folds(rng: np.random.Generator, img: U8) -> U8:
    h, w = img.shape[:2]
    f = 0.85 + 0.3 * _noise(rng, w, h, max(3, w // 70))
    return _shade(img, f)


def _floor_planks(rng: np.random.Generator, w: int, h: int, pal: tuple[Rgb, ...]) -> U8:
    wood = hsv_rgb(float(rng.uniform(8, 22)), rng.uniform(90, 180), rng.uniform(90, 180))
    img = solid(w, h, wood)
    pw = int(rng.integers(18, 32))
    for x in range(0, w, pw):
        y = -int(rng.integers(0, 200))
        while y < h:
            ln = int(rng.integers(120, 300))
            img[max(y, 0) : y + ln, x : x + pw] = _jitter(rng, wood, 22)
            for _ in range(3):
                gx = x + int(rng.integers(2, pw - 2))
                cv2.line(
                    img, (gx, max(y, 0)), (gx + int(rng.integers(-2, 3)), y + ln), _jitter(rng, wood, 30), 1
                )
            cv2.line(img, (x, y), (x + pw, y), (40, 30, 20), 1)
            y += ln
        cv2.line(img, (x, 0), (x, h), (50, 35, 25), 1)
    return img


def _floor_tiles(rng: np.random.Generator, w: int, h: int, pal: tuple[Rgb, ...]) -> U8:
    base = hsv_rgb(float(rng.uniform(0, 180)), rng.uniform(0, 60), rng.uniform(120, 220))
    img = solid(w, h, (70, 70, 70))
    t = int(rng.integers(35, 70))
    for y in range(0, h, t):
        for x in range(0, w, t):
            img[y + 2 : y + t - 1, x + 2 : x + t - 1] = _jitter(rng, base, 20)
    return _grain(rng, img, 0.12)


def _floor_carpet(rng: np.random.Generator, w: int, h: int, pal: tuple[Rgb, ...]) -> U8:
    base = hsv_rgb(float(rng.uniform(0, 180)), rng.uniform(30, 150), rng.uniform(70, 170))
    img = solid(w, h, base)
    f = 0.8 + 0.4 * _noise(rng, w, h, max(4, w // 25))
    return _shade(img, f)


FLOORS = {"planks": _floor_planks, "tiles": _floor_tiles, "carpet": _floor_carpet}


def draw_rug(rng: np.random.Generator, w: int, h: int, pal: tuple[Rgb, ...]) -> U8:
    img = solid(w, h, pal[1])
    b = int(min(w, h) * rng.uniform(0.06, 0.12))
    cv2.rectangle(img, (0, 0), (w - 1, h - 1), pal[3], b)
    cv2.rectangle(img, (b + 3, b + 3), (w - b - 4, h - b - 4), pal[4], 3)
    cx, cy = w / 2, h / 2
    for k in range(int(rng.integers(3, 6)), 0, -1):
        r = k * min(w, h) * 0.08
        col = pal[int(rng.integers(0, 5))]
        if k % 2:
            draw_poly(
                img, np.array([[cx, cy - r], [cx + r * 1.4, cy], [cx, cy + r], [cx - r * 1.4, cy]]), col
            )
        else:
            draw_ellipse(img, (cx, cy), (r * 1.3, r * 0.9), 0, col)
    for _ in range(int(rng.integers(6, 14))):
        x, y = rng.uniform(b, w - b), rng.uniform(b, h - b)
        draw_ellipse(
            img,
            (x, y),
            (rng.uniform(3, 9), rng.uniform(3, 9)),
            rng.uniform(0, 180),
            pal[int(rng.integers(5))],
        )
    return img


def draw_painting(rng: np.random.Generator, w: int, h: int) -> U8:
    pal = draw_palette(rng)
    img = solid(w, h, pal[0])
    g = _noise(rng, w, h, 3)
    img = _shade(img, 0.7 + 0.5 * g)
    for _ in range(int(rng.integers(6, 14))):
        col = draw_palette(rng)[int(rng.integers(1, 5))]
        k = int(rng.integers(3))
        cx, cy, s = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.05, 0.3) * min(w, h)
        if k == 0:
            draw_ellipse(img, (cx, cy), (s, s * rng.uniform(0.4, 1)), rng.uniform(0, 180), col)
        elif k == 1:
            n = int(rng.integers(3, 7))
            draw_poly(img, np.column_stack([cx + rng.uniform(-s, s, n), cy + rng.uniform(-s, s, n)]), col)
        else:
            cv2.line(
                img,
                (round(cx), round(cy)),
                (round(rng.uniform(0, w)), round(rng.uniform(0, h))),
                col,
                int(rng.integers(2, 6)),
                cv2.LINE_AA,
            )
    fw = max(4, int(min(w, h) * 0.07))
    frame = hsv_rgb(float(rng.uniform(5, 25)), rng.uniform(60, 200), rng.uniform(40, 200))
    cv2.rectangle(img, (0, 0), (w - 1, h - 1), frame, fw)
    return img


def draw_window(rng: np.random.Generator, w: int, h: int) -> U8:
    frame = hsv_rgb(0, 0, float(rng.uniform(200, 250)))
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    top = np.array(hsv_rgb(float(rng.uniform(95, 115)), rng.uniform(60, 160), 250), np.float32)
    bottom = np.array(hsv_rgb(float(rng.uniform(95, 115)), rng.uniform(10, 60), 240), np.float32)
    img = np.ascontiguousarray(np.broadcast_to(top * (1 - y) + bottom * y, (h, w, 3)).astype(np.uint8))
    for _ in range(int(rng.integers(2, 6))):  # clouds
        draw_ellipse(
            img,
            (rng.uniform(0, w), rng.uniform(0, h * 0.6)),
            (rng.uniform(15, 50), rng.uniform(6, 15)),
            0,
            (248, 248, 248),
        )
    if rng.random() < 0.6:  # a far roofline
        pts = [[0.0, float(h)]]
        x = 0.0
        while x < w:
            yy = h * rng.uniform(0.6, 0.85)
            pts += [[x, yy], [x + rng.uniform(20, 60), yy]]
            x = pts[-1][0]
        pts.append([float(w), float(h)])
        draw_poly(
            img, np.array(pts), hsv_rgb(float(rng.uniform(0, 30)), rng.uniform(40, 120), rng.uniform(80, 150))
        )
    fw = max(4, w // 25)
    cv2.rectangle(img, (0, 0), (w - 1, h - 1), frame, fw)
    cv2.line(img, (w // 2, 0), (w // 2, h), frame, fw // 2 + 1)
    cv2.line(
        img, (0, int(h * rng.uniform(0.35, 0.5))), (w, int(h * rng.uniform(0.35, 0.5))), frame, fw // 2 + 1
    )
    return img


def draw_curtain(rng: np.random.Generator, w: int, h: int, pal: tuple[Rgb, ...], style: int) -> U8:
    img = solid(w, h, pal[2])
    if style == 1:
        for x in range(0, w, 14):
            cv2.line(img, (x, 0), (x, h), pal[3], 3)
    elif style == 2:
        for y in range(8, h, 22):
            for x in range(int(rng.integers(0, 10)), w, 20):
                draw_ellipse(img, (x, y), (3, 3), 0, pal[0])
    xs = np.arange(w, dtype=np.float32)
    fold = 0.8 + 0.25 * np.cos(xs / w * 2 * math.pi * float(rng.uniform(3, 6)) + float(rng.uniform(0, 6)))
    return _shade(img, np.broadcast_to(fold[None, :], (h, w)).astype(np.float32))


def draw_books(rng: np.random.Generator, w: int, h: int) -> U8:
    wood = hsv_rgb(float(rng.uniform(8, 22)), rng.uniform(90, 180), rng.uniform(70, 160))
    img = solid(w, h, wood)
    shelves = int(rng.integers(2, 4))
    sh = h // shelves
    for s in range(shelves):
        y1 = (s + 1) * sh - 6
        x = 6
        while x < w - 10:
            bw = int(rng.integers(6, 20))
            bh = int(sh * rng.uniform(0.55, 0.9))
            col = hsv_rgb(float(rng.uniform(0, 180)), rng.uniform(60, 230), rng.uniform(60, 230))
            cv2.rectangle(img, (x, y1 - bh), (x + bw - 1, y1), col, -1)
            if rng.random() < 0.5:
                cv2.line(img, (x, y1 - bh + 6), (x + bw - 1, y1 - bh + 6), (230, 220, 150), 2)
            x += bw + int(rng.integers(0, 3))
            if rng.random() < 0.07:
                x += int(rng.integers(10, 30))
        cv2.rectangle(img, (0, y1), (w - 1, y1 + 5), _jitter(rng, wood, 20), -1)
    return img


def draw_wood_box(rng: np.random.Generator, w: int, h: int, drawers: int) -> U8:
    wood = hsv_rgb(float(rng.uniform(8, 22)), rng.uniform(60, 180), rng.uniform(80, 200))
    img = _grain(rng, solid(w, h, wood), 0.2)
    for d in range(drawers):
        y0, y1 = int(h * (0.08 + d / drawers * 0.9)), int(h * (0.08 + (d + 1) / drawers * 0.9)) - 4
        cv2.rectangle(img, (6, y0), (w - 7, y1), _jitter(rng, wood, 30), 2)
        draw_ellipse(img, (w / 2, (y0 + y1) / 2), (4, 4), 0, (60, 50, 40))
    return img


def draw_lamp(rng: np.random.Generator, w: int, h: int) -> U8:
    """RGBA: a trapezoid shade on a thin stand."""
    img = np.zeros((h, w, 4), np.uint8)
    shade = hsv_rgb(float(rng.uniform(0, 180)), rng.uniform(20, 120), rng.uniform(180, 250))
    sh = h * 0.55
    pts = np.array([[w * 0.25, 0], [w * 0.75, 0], [w * 0.95, sh], [w * 0.05, sh]])
    col4 = (*shade, 255)
    cv2.fillPoly(img, [np.round(pts).astype(np.int32)], col4)
    cv2.rectangle(img, (int(w * 0.46), int(sh)), (int(w * 0.54), h - 8), (90, 80, 70, 255), -1)
    cv2.rectangle(img, (int(w * 0.3), h - 8), (int(w * 0.7), h - 1), (70, 60, 50, 255), -1)
    return img


def draw_headboard(rng: np.random.Generator, w: int, h: int, pal: tuple[Rgb, ...]) -> U8:
    img = solid(w, h, pal[3] if rng.random() < 0.5 else pal[1])
    if rng.random() < 0.5:  # tufted
        s = int(rng.integers(18, 30))
        for y in range(s // 2, h, s):
            for x in range(s // 2 + (y // s % 2) * s // 2, w, s):
                draw_ellipse(img, (x, y), (2.5, 2.5), 0, (40, 35, 30))
    else:
        for x in range(0, w, int(rng.integers(15, 30))):
            cv2.line(img, (x, 0), (x, h), _jitter(rng, pal[3], 30), 2)
    return add_folds(rng, img)
