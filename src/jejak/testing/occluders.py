"""What stands in front of the room in a view (``jejak.testing.scenes``): plain opaque occluders (cardboard
boxes, balls and cushions, a potted plant made of ellipses, a quilted moving blanket) and, on request, a flat
one-colour pictogram silhouette (a disc over a rounded body), never anything more."""

from __future__ import annotations

import math

import cv2
import numpy as np

from jejak.testing.room_textures import U8, draw_ellipse, draw_poly, hsv_rgb


def _silhouette(rng: np.random.Generator, img: U8, cover: U8, target: float) -> None:
    """A generic pictogram silhouette, flat and of one colour: a disc (head) over a rounded body (a rounded
    rectangle), standing on the bottom edge, about ``target`` of the frame."""
    h, w = img.shape[:2]
    col = hsv_rgb(float(rng.uniform(0, 180)), rng.uniform(0, 120), rng.uniform(30, 120))
    white = (255, 255, 255)
    # body width bw, body height 1.3 bw, head radius 0.3 bw: area ~ bw^2 (1.3 + 0.28)
    bw = min(math.sqrt(target * w * h / 1.58), w * 0.6)
    bh = 1.3 * bw
    r = 0.3 * bw
    cx = rng.uniform(0.15, 0.85) * w
    top = h - bh * rng.uniform(0.75, 1.0)
    for canvas, c in ((img, col), (cover, white)):
        draw_ellipse(canvas, (cx, top - r * 1.05), (r, r), 0, c)
        corner = 0.3 * bw
        body = np.array([[cx - bw / 2 + corner, top], [cx + bw / 2 - corner, top]])
        draw_poly(
            canvas,
            np.array(
                [
                    body[0],
                    body[1],
                    [cx + bw / 2, top + corner],
                    [cx + bw / 2, top + bh],
                    [cx - bw / 2, top + bh],
                    [cx - bw / 2, top + corner],
                ]
            ),
            c,
        )
        for sx in (-1, 1):
            draw_ellipse(canvas, (cx + sx * (bw / 2 - corner), top + corner), (corner, corner), 0, c)


def draw_occluders(rng: np.random.Generator, img: U8, target: float, silhouette: bool = False) -> None:
    """Plain opaque things in front of the camera until about ``target`` of the frame is covered: boxes,
    balls and cushions, a potted plant made of ellipses, a quilted moving blanket; with ``silhouette``
    first a flat pictogram silhouette (``_silhouette``) for about 60 % of it. Each thing is drawn on the
    picture and on the coverage mask alike."""
    h, w = img.shape[:2]
    cover = np.zeros((h, w), np.uint8)
    white = (255, 255, 255)
    if silhouette:
        _silhouette(rng, img, cover, target * 0.6)
    for _ in range(12):
        covered = float(np.count_nonzero(cover)) / (w * h)
        if covered >= target * 0.97:
            break
        left = max(0.02, target - covered)
        side = math.sqrt(left * w * h) * rng.uniform(0.55, 0.9)
        cx = rng.uniform(0, w)
        cy = rng.uniform(h * 0.35, h * 1.05)  # things stand on the floor, in the lower part
        kind = int(rng.integers(4))
        if kind == 0:  # a cardboard box: front, top, tape
            bw, bh = side * rng.uniform(0.8, 1.3), side * rng.uniform(0.6, 0.9)
            card = hsv_rgb(float(rng.uniform(10, 22)), rng.uniform(90, 170), rng.uniform(120, 200))
            lid = hsv_rgb(float(rng.uniform(10, 22)), rng.uniform(60, 120), rng.uniform(170, 230))
            front = np.array(
                [
                    [cx - bw / 2, cy - bh / 2],
                    [cx + bw / 2, cy - bh / 2],
                    [cx + bw / 2, cy + bh / 2],
                    [cx - bw / 2, cy + bh / 2],
                ]
            )
            d = bh * 0.25
            top = np.array([front[0], front[1], front[1] + [d, -d], front[0] + [d, -d]])
            for poly, col in ((top, lid), (front, card)):
                draw_poly(img, poly, col)
                draw_poly(cover, poly, white)
            cv2.line(
                img,
                (round(cx), round(cy - bh / 2)),
                (round(cx), round(cy + bh / 2)),
                (190, 170, 120),
                max(2, round(bw / 25)),
            )
        elif kind == 1:  # a ball or a round cushion
            r = side * 0.55
            axes = (r, r * rng.uniform(0.7, 1.0))
            col = hsv_rgb(float(rng.uniform(0, 180)), rng.uniform(80, 230), rng.uniform(90, 230))
            draw_ellipse(img, (cx, cy), axes, 0, col)
            draw_ellipse(cover, (cx, cy), axes, 0, white)
        elif kind == 2:  # a potted plant: a pot and leaves
            pw, ph = side * 0.45, side * 0.45
            pot = np.array(
                [[cx - pw / 2, cy], [cx + pw / 2, cy], [cx + pw * 0.35, cy + ph], [cx - pw * 0.35, cy + ph]]
            )
            draw_poly(
                img, pot, hsv_rgb(float(rng.uniform(5, 20)), rng.uniform(100, 200), rng.uniform(90, 180))
            )
            draw_poly(cover, pot, white)
            green = float(rng.uniform(35, 75))
            for _ in range(int(rng.integers(7, 14))):
                a = rng.uniform(-math.pi, 0)
                ln = side * rng.uniform(0.25, 0.55)
                lc = (cx + math.cos(a) * ln * 0.7, cy + math.sin(a) * ln * 0.9)
                axes = (ln * 0.5, ln * 0.15)
                draw_ellipse(
                    img,
                    lc,
                    axes,
                    math.degrees(a),
                    hsv_rgb(green, rng.uniform(100, 230), rng.uniform(60, 170)),
                )
                draw_ellipse(cover, lc, axes, math.degrees(a), white)
        else:  # a quilted moving blanket draped over something
            bw, bh = side * rng.uniform(1.0, 1.3), side * rng.uniform(0.6, 0.8)
            n = 7
            xs = np.linspace(cx - bw / 2, cx + bw / 2, n)
            top = np.column_stack([xs, cy - bh / 2 + rng.uniform(-0.12, 0.12, n) * bh])
            bottom = np.column_stack([xs[::-1], cy + bh / 2 + rng.uniform(-0.08, 0.08, n) * bh])
            poly = np.vstack([top, bottom])
            col = hsv_rgb(float(rng.uniform(90, 130)), rng.uniform(60, 200), rng.uniform(60, 150))
            x0, y0 = max(0, math.floor(poly[:, 0].min())), max(0, math.floor(poly[:, 1].min()))
            x1, y1 = min(w, math.ceil(poly[:, 0].max()) + 1), min(h, math.ceil(poly[:, 1].max()) + 1)
            if x1 <= x0 or y1 <= y0:
                continue
            patch = np.ascontiguousarray(img[y0:y1, x0:x1])
            m = np.zeros(patch.shape[:2], np.uint8)
            local = poly - [x0, y0]
            draw_poly(patch, local, col)
            draw_poly(m, local, white)
            step = max(8, round(bw / 8))
            dark = (int(col[0] * 0.7), int(col[1] * 0.7), int(col[2] * 0.7))
            quilt = patch.copy()
            for o in range(-int(bh), int(bw + bh), step):  # diamond quilting
                a0 = round(cx - bw / 2 + o) - x0
                ya, yb = round(cy - bh / 2) - y0, round(cy + bh / 2) - y0
                cv2.line(quilt, (a0, ya), (a0 + (yb - ya), yb), dark, 1)
                cv2.line(quilt, (a0, yb), (a0 + (yb - ya), ya), dark, 1)
            cv2.copyTo(quilt, m, patch)
            img[y0:y1, x0:x1] = patch
            cover[y0:y1, x0:x1] |= m
