"""Procedural, benign rooms and photographs of them, for the "same scene" matcher (``jejak.match.scene``).

A **room** (``room(seed)``) is a handful of textured planes in 3-D: a back wall and two side walls with one
wallpaper (stripes, a damask-like mirrored motif tiled with a half drop, scattered flowers made of ellipses,
or a geometric lattice), a floor (planks, tiles or carpet) with a patterned rug, a bed or a sofa (a box whose
top and front carry one patterned cover: plaid, patchwork, flowers or chevrons; a headboard or backrest), a
framed abstract picture, a window with two curtains, a bookshelf, and a nightstand with a lamp. Every
texture is drawn from the room's seed, so every room is distinct, while rooms share the *kinds* of
patterns: ``room(seed, like=other)`` draws a hard negative, a room with the same style and palette for
every surface but a different draw.

A **view** (``view(room, seed, strength)``) is a pinhole camera inside the room: ``view_spec`` draws its
position (up to 0.8 m sideways), yaw (up to +-25 degrees), pitch (+-10), roll, zoom (0.74-1.35) and framing,
all scaled by ``strength`` in [0, 1]; ``render`` warps every plane into the picture by the homography the
camera induces on it (``cv2.warpPerspective`` into the plane's bounding box, the plane clipped to the part
in front of the camera, painted back to front), then puts plain opaque occluders in front (cardboard boxes,
balls and cushions, a potted plant made of ellipses, a quilted moving blanket; 10-35 % of the frame; never
anything resembling a person), changes the light (gamma, colour temperature, a broad light gradient,
vignetting), adds sensor noise and saves it as JPEG. ``scene_dataset`` yields views of many rooms.

``room(seed, chain=c)`` draws a room of hotel chain ``c``: the chain's wallpaper print (every wall cut from
one roll) and bed or sofa cover, its own layout and other things. ``view_spec(..., silhouette=True)`` puts a
flat, single-colour pictogram silhouette (a disc over a rounded body) among the occluders, and
``moves=m`` displaces the rug, nightstand with lamp and curtains by up to ``m`` metres per view.

Rooms are empty; occluders are boxes, balls, plants, blankets and, on request, that generic pictogram.
Output is deterministic for a given seed with the installed numpy/OpenCV. A 640 x 480 view takes about
20 ms to render, JPEG included (textures are drawn once per room: 40-65 ms; a room holds ~6 MB of
textures, so keep only the rooms being photographed).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import cv2
import numpy as np
from numpy.typing import NDArray

from jejak.testing.occluders import draw_occluders
from jejak.testing.room_textures import (
    COVERS,
    FLOORS,
    WALLPAPERS,
    add_folds,
    draw_books,
    draw_curtain,
    draw_headboard,
    draw_lamp,
    draw_painting,
    draw_palette,
    draw_rug,
    draw_window,
    draw_wood_box,
    hsv_rgb,
    solid,
)

U8 = NDArray[np.uint8]
F64 = NDArray[np.float64]
Rgb = tuple[int, int, int]

WALL_STYLES = ("stripes", "damask", "floral", "lattice")
COVER_STYLES = ("plaid", "patchwork", "floral", "chevron")
FLOOR_STYLES = ("planks", "tiles", "carpet")
FURNITURE = ("bed", "sofa")
PX_PER_M = 150.0
"""Texture resolution, pixels per metre."""
FLOOR_Y, CEILING_Y = 1.2, -1.5
"""World y (down) of floor and ceiling; the camera's eye is near y = 0 (1.2 m above the floor)."""
NEAR = 0.1
"""Planes are clipped to the part at least this far (metres) in front of the camera."""
SIZE = (640, 480)
CHAIN_ROLL = 960
"""Width (texture pixels, 6.4 m) of a chain's wallpaper roll: every wall of the chain is cut from it."""
MOVABLE = (("rug",), ("nightstand top", "nightstand", "lamp"), ("curtain 0",), ("curtain 1",))
"""Groups of planes that ``ViewSpec.moves`` displaces together between shots."""


# --- geometry --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Plane:
    """A textured rectangle: texture pixel (u, v) is at ``origin + u * du + v * dv`` (world metres)."""

    name: str
    origin: F64
    du: F64
    dv: F64
    texture: U8
    """(h, w, 3) RGB, or (h, w, 4) RGBA where alpha < 128 is see-through."""


def _plane(
    name: str,
    corner: tuple[float, float, float],
    right: tuple[float, float, float],
    down: tuple[float, float, float],
    texture: U8,
) -> Plane:
    """``corner`` is the texture's top-left; ``right``/``down`` the full edge vectors in metres."""
    h, w = texture.shape[:2]
    return Plane(
        name,
        np.array(corner, np.float64),
        np.array(right, np.float64) / w,
        np.array(down, np.float64) / h,
        texture,
    )


def _tex(fn_w: float, fn_h: float) -> tuple[int, int]:
    return max(8, round(fn_w * PX_PER_M)), max(8, round(fn_h * PX_PER_M))


@dataclass(frozen=True, eq=False)
class Room:
    """A procedural room: its planes in paint order (back to front for a camera near the entrance)."""

    seed: int
    styles: dict[str, str]
    """Pattern kind per surface: wall, cover, floor, furniture (what ``like`` copies)."""
    palette: tuple[Rgb, ...]
    width: float
    depth: float
    planes: tuple[Plane, ...]
    ceiling: Rgb


def _draw_styles(rng: np.random.Generator) -> dict[str, str]:
    return {
        "wall": WALL_STYLES[int(rng.integers(len(WALL_STYLES)))],
        "cover": COVER_STYLES[int(rng.integers(len(COVER_STYLES)))],
        "floor": FLOOR_STYLES[int(rng.integers(len(FLOOR_STYLES)))],
        "furniture": FURNITURE[int(rng.integers(len(FURNITURE)))],
        "window": "left" if rng.random() < 0.5 else "right",
    }


def _chain_rng(chain: int, part: int) -> np.random.Generator:
    return np.random.default_rng([chain, 0xC4A1, part])


def room(seed: int, like: Room | None = None, chain: int | None = None) -> Room:
    """The room drawn from ``seed``. With ``like``, the same pattern kinds and palette as that room (a hard
    negative: same style of wallpaper, cover and floor, different draw). With ``chain``, a room of that
    hotel chain: the chain's wallpaper (the same print, each wall cut from one roll at its own offset), its
    bed or sofa with the same cover (same size and pattern; the creases are the room's), its palette and
    pattern kinds; the layout, floor, rug, window, shelf, picture, lamp and headboard are the room's own.
    ``like`` and ``chain`` are exclusive."""
    if like is not None and chain is not None:
        raise ValueError("room(): like and chain are exclusive")
    rng = np.random.default_rng([seed, 0x5CE4E])
    styles = dict(like.styles) if like is not None else _draw_styles(rng)
    pal = like.palette if like is not None else draw_palette(rng)
    if like is not None:
        _draw_styles(rng)  # keep the draw independent of whether the styles were given
        draw_palette(rng)
    if chain is not None:
        crng = _chain_rng(chain, 0)
        shared = _draw_styles(crng)
        styles.update({k: shared[k] for k in ("wall", "cover", "furniture")})
        styles["chain"] = str(chain)
        pal = draw_palette(crng)
        chain_fwid = (
            float(crng.uniform(1.4, 1.9)) if shared["furniture"] == "bed" else float(crng.uniform(1.6, 2.2))
        )
    wdt, dep = float(rng.uniform(3.6, 5.0)), float(rng.uniform(3.6, 5.0))
    hw = wdt / 2
    wall_h = FLOOR_Y - CEILING_Y
    z_back = -1.0  # walls and floor extend behind the camera; render clips them
    wall = WALLPAPERS[styles["wall"]]
    planes: list[Plane] = []
    fw, fh = _tex(wdt, dep - z_back)
    floor = FLOORS[styles["floor"]](rng, fw, fh, pal)
    planes.append(_plane("floor", (-hw, FLOOR_Y, dep), (wdt, 0, 0), (0, 0, -(dep - z_back)), floor))
    tw, th = _tex(wdt, wall_h)
    sw, sh = _tex(dep - z_back, wall_h)
    if chain is not None:
        roll = wall(_chain_rng(chain, 1), CHAIN_ROLL, th, pal)  # the chain's wallpaper print

        def paper(w: int, h: int) -> U8:
            x0 = int(rng.integers(0, CHAIN_ROLL - w + 1))
            return np.ascontiguousarray(roll[:h, x0 : x0 + w])

    else:

        def paper(w: int, h: int) -> U8:
            return wall(rng, w, h, pal)

    planes.append(_plane("back wall", (-hw, CEILING_Y, dep), (wdt, 0, 0), (0, wall_h, 0), paper(tw, th)))
    planes.append(
        _plane(
            "left wall",
            (-hw, CEILING_Y, z_back),
            (0, 0, dep - z_back),
            (0, wall_h, 0),
            paper(sw, sh),
        )
    )
    planes.append(
        _plane(
            "right wall",
            (hw, CEILING_Y, dep),
            (0, 0, -(dep - z_back)),
            (0, wall_h, 0),
            paper(sw, sh),
        )
    )
    # the rug
    rw, rd = float(rng.uniform(1.4, 2.4)), float(rng.uniform(1.0, 1.6))
    rx, rz = float(rng.uniform(-hw + rw / 2 + 0.2, hw - rw / 2 - 0.2)), float(rng.uniform(1.2, dep - 1.6))
    planes.append(
        _plane(
            "rug",
            (rx - rw / 2, FLOOR_Y - 0.005, rz + rd / 2),
            (rw, 0, 0),
            (0, 0, -rd),
            draw_rug(rng, *_tex(rw, rd), pal),
        )
    )
    # window with curtains on a side wall, bookshelf on the other
    win_left = styles["window"] == "left"
    sx = -hw if win_left else hw
    sgn = 1.0 if win_left else -1.0  # towards the room
    wz, ww = float(rng.uniform(0.8, dep - 1.8)), float(rng.uniform(0.9, 1.4))
    z0, z1 = (wz, wz + ww) if win_left else (wz + ww, wz)
    planes.append(
        _plane(
            "window",
            (sx + sgn * 0.01, -0.9, z0),
            (0, 0, z1 - z0),
            (0, 1.2, 0),
            draw_window(rng, *_tex(ww, 1.2)),
        )
    )
    cstyle = int(rng.integers(3))
    for k, (a, b) in enumerate(((wz - 0.35, wz + 0.15), (wz + ww - 0.15, wz + ww + 0.35))):
        za, zb = (a, b) if win_left else (b, a)
        planes.append(
            _plane(
                f"curtain {k}",
                (sx + sgn * 0.06, -1.3, za),
                (0, 0, zb - za),
                (0, 2.2, 0),
                draw_curtain(rng, *_tex(0.5, 2.2), pal, cstyle),
            )
        )
    bx = -sx
    bz, bwid = float(rng.uniform(0.8, dep - 1.5)), float(rng.uniform(0.8, 1.3))
    bz0, bz1 = (bz + bwid, bz) if win_left else (bz, bz + bwid)
    planes.append(
        _plane(
            "shelf",
            (bx - sgn * 0.01, -1.0, bz0),
            (0, 0, bz1 - bz0),
            (0, 1.1, 0),
            draw_books(rng, *_tex(bwid, 1.1)),
        )
    )
    # picture above the furniture
    is_bed = styles["furniture"] == "bed"
    fwid = float(rng.uniform(1.4, 1.9)) if is_bed else float(rng.uniform(1.6, 2.2))
    if chain is not None:
        fwid = chain_fwid
    fx = float(rng.uniform(-hw + fwid / 2 + 0.5, hw - fwid / 2 - 0.5))
    pw, ph = float(rng.uniform(0.5, 1.1)), float(rng.uniform(0.4, 0.8))
    px = fx + float(rng.uniform(-0.3, 0.3))
    planes.append(
        _plane(
            "picture",
            (px - pw / 2, -0.95, dep - 0.01),
            (pw, 0, 0),
            (0, ph, 0),
            draw_painting(rng, *_tex(pw, ph)),
        )
    )
    # bed or sofa: top and front share one cover
    length = 2.0 if is_bed else 0.9
    top_y = 0.6 if is_bed else 0.75
    front_h = FLOOR_Y - top_y
    cw, ch = _tex(fwid, length + front_h)
    cover_rng = _chain_rng(chain, 2) if chain is not None else rng
    cover = add_folds(rng, COVERS[styles["cover"]](cover_rng, cw, ch, pal))
    split = round(length * PX_PER_M)
    zf = dep - length
    back_h = 0.45 if is_bed else 0.5
    planes.append(
        _plane(
            "headboard",
            (fx - fwid / 2, top_y - back_h, dep - 0.02),
            (fwid, 0, 0),
            (0, back_h, 0),
            draw_headboard(rng, *_tex(fwid, back_h), pal),
        )
    )
    planes.append(
        _plane(
            "cover top",
            (fx - fwid / 2, top_y, dep),
            (fwid, 0, 0),
            (0, 0, -length),
            np.ascontiguousarray(cover[:split]),
        )
    )
    planes.append(
        _plane(
            "cover front",
            (fx - fwid / 2, top_y, zf),
            (fwid, 0, 0),
            (0, front_h, 0),
            np.ascontiguousarray(cover[split:]),
        )
    )
    # nightstand and lamp beside it, on the side with more room
    side = 1.0 if fx < 0 else -1.0
    nx = fx + side * (fwid / 2 + 0.35)
    planes.append(
        _plane(
            "nightstand top",
            (nx - 0.25, 0.65, dep - 0.02),
            (0.5, 0, 0),
            (0, 0, -0.45),
            draw_wood_box(rng, *_tex(0.5, 0.45), 0),
        )
    )
    planes.append(
        _plane(
            "nightstand",
            (nx - 0.25, 0.65, dep - 0.47),
            (0.5, 0, 0),
            (0, 0.55, 0),
            draw_wood_box(rng, *_tex(0.5, 0.55), int(rng.integers(1, 4))),
        )
    )
    planes.append(
        _plane(
            "lamp", (nx - 0.2, 0.0, dep - 0.25), (0.4, 0, 0), (0, 0.65, 0), draw_lamp(rng, *_tex(0.4, 0.65))
        )
    )
    ceiling = hsv_rgb(0, 0, float(rng.uniform(200, 245)))
    return Room(seed, styles, pal, wdt, dep, tuple(planes), ceiling)


# --- cameras and views -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewSpec:
    """A photograph's camera, light, occluders and encoding (drawn by ``view_spec``)."""

    seed: int
    strength: float
    position: tuple[float, float, float]
    """Camera centre, world metres: x right, y down, z towards the back wall."""
    yaw: float
    pitch: float
    roll: float
    """Degrees: yaw turns right, pitch looks down, roll turns the picture clockwise."""
    hfov: float
    """Horizontal field of view, degrees (zoom)."""
    occlusion: float
    """Fraction of the frame the occluders are to cover (10-35 %)."""
    gamma: float
    temperature: tuple[float, float, float]
    """Gains for R, G, B."""
    vignette: float
    light: tuple[float, float, float]
    """A broad light gradient: direction (radians), strength, offset."""
    noise: float
    jpeg: int
    size: tuple[int, int] = field(default=SIZE)
    silhouette: bool = False
    """A flat, single-colour pictogram silhouette (a disc over a rounded body) stands in front, counted in
    ``occlusion``."""
    moves: float = 0.0
    """Movable things (``MOVABLE``: the rug, the nightstand with its lamp, each curtain) are displaced by up
    to this many metres from where the room put them, differently in every view."""


def view_spec(
    seed: int,
    strength: float,
    size: tuple[int, int] = SIZE,
    silhouette: bool = False,
    moves: float = 0.0,
) -> ViewSpec:
    """The camera and conditions of view ``seed``: viewpoint terms scale with ``strength`` in [0, 1]
    (1: yaw +-25, pitch +-10 around 8 degrees down, 0.8 m sideways, zoom 0.74-1.35); light, noise and
    occlusion (10-35 %) do not. ``silhouette`` and ``moves``: see ``ViewSpec``."""
    s = float(np.clip(strength, 0.0, 1.0))
    rng = np.random.default_rng([seed, 0x71E3])
    u = rng.uniform(-1, 1, 7)
    zoom = math.exp(0.3 * s * u[5])
    return ViewSpec(
        seed=seed,
        strength=s,
        position=(0.8 * s * u[0], -0.05 + 0.12 * s * u[1], 0.3 + 0.4 * s * u[2]),
        yaw=25.0 * s * u[3],
        pitch=8.0 + 10.0 * s * u[4],
        roll=2.0 * s * u[6],
        hfov=64.0 / zoom,
        occlusion=float(rng.uniform(0.10, 0.35)),
        gamma=float(math.exp(rng.uniform(-0.35, 0.35))),
        temperature=(
            float(rng.uniform(0.85, 1.12)),
            float(rng.uniform(0.93, 1.05)),
            float(rng.uniform(0.8, 1.12)),
        ),
        vignette=float(rng.uniform(0.0, 0.45)),
        light=(
            float(rng.uniform(0, 2 * math.pi)),
            float(rng.uniform(0.0, 0.35)),
            float(rng.uniform(0.85, 1.1)),
        ),
        noise=float(rng.uniform(1.0, 5.0)),
        jpeg=int(rng.integers(60, 93)),
        size=size,
        silhouette=silhouette,
        moves=float(max(moves, 0.0)),
    )


def camera_rotation(spec: ViewSpec) -> F64:
    """World-to-camera rotation (camera x right, y down, z forward)."""
    y, p, r = (math.radians(a) for a in (spec.yaw, spec.pitch, spec.roll))
    ry = np.array([[math.cos(y), 0, -math.sin(y)], [0, 1, 0], [math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return np.asarray(rz @ rx @ ry, np.float64)


def viewpoint_change(a: ViewSpec, b: ViewSpec, rm: Room) -> float:
    """How differently two views see the room, degrees: the rotation between the cameras plus the angle
    the two camera centres subtend at the middle of the back wall (parallax), plus the zoom ratio as
    30 degrees per doubling."""
    ra, rb = camera_rotation(a), camera_rotation(b)
    cos = (np.trace(ra @ rb.T) - 1) / 2
    rot = math.degrees(math.acos(float(np.clip(cos, -1, 1))))
    target = np.array([0.0, 0.0, rm.depth])
    va, vb = target - np.array(a.position), target - np.array(b.position)
    par = math.degrees(math.acos(float(np.clip(va @ vb / np.linalg.norm(va) / np.linalg.norm(vb), -1, 1))))
    zoom = 30.0 * abs(math.log2(math.tan(math.radians(a.hfov) / 2) / math.tan(math.radians(b.hfov) / 2)))
    return rot + par + zoom


def _clip(poly: F64, z: F64) -> F64:
    """Sutherland-Hodgman: the part of polygon ``poly`` (n, 2) where the affine ``z`` (n,) >= NEAR."""
    out: list[F64] = []
    n = len(poly)
    for i in range(n):
        j = (i + 1) % n
        a_in, b_in = z[i] >= NEAR, z[j] >= NEAR
        if a_in:
            out.append(poly[i])
        if a_in != b_in:
            t = (NEAR - z[i]) / (z[j] - z[i])
            out.append(poly[i] + t * (poly[j] - poly[i]))
    return np.array(out, np.float64).reshape(-1, 2)


def _paint(canvas: U8, plane: Plane, k: F64, rot: F64, centre: F64) -> None:
    h, w = plane.texture.shape[:2]
    m = np.column_stack([plane.du, plane.dv, plane.origin - centre])  # texture (u, v, 1) -> world - C
    cam = rot @ m  # -> camera coordinates
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    z = corners @ cam[2, :2] + cam[2, 2]
    poly = corners if np.all(z >= NEAR) else _clip(corners, z)
    if len(poly) < 3:
        return
    hom = k @ cam
    p = np.column_stack([poly, np.ones(len(poly))]) @ hom.T
    pts = p[:, :2] / p[:, 2:3]
    ch, cw = canvas.shape[:2]
    x0, y0 = max(0, math.floor(pts[:, 0].min())), max(0, math.floor(pts[:, 1].min()))
    x1, y1 = min(cw, math.ceil(pts[:, 0].max()) + 1), min(ch, math.ceil(pts[:, 1].max()) + 1)
    if x1 - x0 < 1 or y1 - y0 < 1:
        return
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64)
    warped = cv2.warpPerspective(
        plane.texture,
        shift @ hom,
        (x1 - x0, y1 - y0),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    q = np.clip(pts - [x0, y0], -1e5, 1e5)
    cv2.fillPoly(mask, [np.round(q * 16).astype(np.int32)], 255, cv2.LINE_8, 4)
    if warped.ndim == 3 and warped.shape[2] == 4:
        mask &= np.where(warped[..., 3] >= 128, 255, 0).astype(np.uint8)
        warped = warped[..., :3]
    roi = canvas[y0:y1, x0:x1]
    cv2.copyTo(warped, mask, roi)


_NOISE: dict[tuple[int, int], NDArray[np.float32]] = {}
_MARGIN = 32


def _noise_field(size: tuple[int, int]) -> NDArray[np.float32]:
    """A fixed field of unit Gaussian noise, a little larger than ``size``: views take shifted crops."""
    f = _NOISE.get(size)
    if f is None:
        w, h = size
        f = np.random.default_rng(0x4015E).standard_normal((h + _MARGIN, w + _MARGIN, 3)).astype(np.float32)
        _NOISE[size] = f
    return f


def _light(img: U8, spec: ViewSpec, rng: np.random.Generator) -> U8:
    """Gamma, colour temperature, a broad light gradient, vignetting, then sensor noise."""
    w, h = spec.size
    lut = np.clip(255.0 * (np.arange(256) / 255.0) ** spec.gamma, 0, 255).astype(np.uint8)
    gw, gh = max(2, w // 8), max(2, h // 8)
    y, x = np.mgrid[0:gh, 0:gw].astype(np.float32)
    xn, yn = (x + 0.5) / gw - 0.5, (y + 0.5) / gh - 0.5
    r2 = (xn * xn + yn * yn) * 2
    ang, amount, offset = spec.light
    t = xn * math.cos(ang) + yn * math.sin(ang)
    gain = offset * (1 - spec.vignette * r2) * (1 + amount * t)
    gain3 = np.stack([gain * spec.temperature[c] for c in range(3)], axis=-1).astype(np.float32)
    big = cv2.resize(gain3, (w, h), interpolation=cv2.INTER_LINEAR)
    lit = cv2.multiply(cv2.LUT(img, lut), big, dtype=cv2.CV_32F)
    dy, dx = (int(v) for v in rng.integers(0, _MARGIN, 2))
    noise = _noise_field(spec.size)[dy : dy + h, dx : dx + w]
    out = cv2.scaleAdd(noise, spec.noise, lit)
    return np.asarray(np.clip(out, 0, 255), np.uint8)


def moved_planes(rm: Room, spec: ViewSpec) -> tuple[Plane, ...]:
    """The room's planes with the ``MOVABLE`` groups displaced for this view (``spec.moves`` metres at
    most): the rug over the floor, the nightstand and lamp along the back wall, each curtain along its
    wall."""
    if spec.moves <= 0:
        return rm.planes
    rng = np.random.default_rng([spec.seed, rm.seed, 0x30FE])
    shift: dict[str, F64] = {}
    for group in MOVABLE:
        dx, dz = (float(v) for v in rng.uniform(-spec.moves, spec.moves, 2))
        if group[0] == "rug":
            d = np.array([dx, 0.0, dz])
        elif group[0].startswith("curtain"):
            d = np.array([0.0, 0.0, dz])
        else:
            d = np.array([dx, 0.0, 0.0])
        for name in group:
            shift[name] = d
    return tuple(
        replace(pl, origin=pl.origin + shift[pl.name]) if pl.name in shift else pl for pl in rm.planes
    )


def render(rm: Room, spec: ViewSpec) -> U8:
    """The photograph ``spec`` of room ``rm``: (H, W, 3) uint8 RGB, JPEG-decoded."""
    w, h = spec.size
    f = (w / 2) / math.tan(math.radians(spec.hfov) / 2)
    k = np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]], np.float64)
    rot = camera_rotation(spec)
    centre = np.array(spec.position, np.float64)
    canvas = solid(w, h, rm.ceiling)
    for plane in moved_planes(rm, spec):
        _paint(canvas, plane, k, rot, centre)
    rng = np.random.default_rng([spec.seed, rm.seed, 0x0CC1])
    draw_occluders(rng, canvas, spec.occlusion, spec.silhouette)
    img = _light(canvas, spec, rng)
    ok, data = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, spec.jpeg])
    if not ok:  # pragma: no cover - OpenCV always encodes uint8 RGB
        raise RuntimeError("JPEG encoding failed")
    decoded: U8 = np.asarray(cv2.imdecode(data, cv2.IMREAD_COLOR), np.uint8)
    return np.ascontiguousarray(decoded[..., ::-1])


def view(
    rm: Room,
    seed: int,
    strength: float,
    size: tuple[int, int] = SIZE,
    silhouette: bool = False,
    moves: float = 0.0,
) -> U8:
    """View ``seed`` of ``rm`` (see ``view_spec``): (H, W, 3) uint8 RGB."""
    return render(rm, view_spec(seed, strength, size, silhouette, moves))


def scene_dataset(
    n_rooms: int, views_per_room: int, seed: int = 0, strength: tuple[float, float] = (0.2, 1.0)
) -> Iterator[tuple[int, int, U8]]:
    """(room id, view id, picture) for ``views_per_room`` views of each of ``n_rooms`` rooms; room ids are
    ``seed * 1_000_000 + i``, each view's strength drawn from ``strength``."""
    for i in range(n_rooms):
        rid = seed * 1_000_000 + i
        rm = room(rid)
        rng = np.random.default_rng([rid, 0x5E7])
        for v in range(views_per_room):
            yield rid, v, view(rm, rid * 100 + v, float(rng.uniform(*strength)))
