"""Procedural, benign test pictures and the encoders that turn them into evidence bytes.

Every picture is drawn from numbers only: gradients, shapes, smoothed noise, stripes, checkerboards,
rendered words, or an empty synthetic room (walls, floor, furniture blocks, wallpaper). Nothing in
this module draws or resembles a person. Output is deterministic for a given (seed, size, style) with
the installed Pillow/numpy versions.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from PIL import ExifTags, Image, ImageDraw, ImageEnhance, ImageFont, TiffImagePlugin

STYLES: tuple[str, ...] = ("gradient", "shapes", "texture", "stripes", "checker", "text", "room")

FloatArray = npt.NDArray[np.float64]
Color = tuple[int, int, int]

_WORDS = (
    "invoice", "meeting", "garden", "river", "coffee", "harbour", "ticket", "station", "orange", "lantern",
    "window", "market", "bridge", "planet", "circuit", "kettle", "notebook", "violet", "granite", "compass",
    "museum", "library", "pepper", "tomato", "thunder", "glacier", "saffron", "bicycle", "teapot", "meadow",
    "receipt", "total", "delivery", "schedule", "weather", "tuesday", "platform", "lemon", "copper", "anchor",
)  # fmt: skip


def procedural_image(seed: int, width: int = 640, height: int = 480, style: str | None = None) -> Image.Image:
    """An RGB picture drawn from ``seed``; ``style`` None picks ``STYLES[seed % len(STYLES)]``."""
    if width < 16 or height < 16:
        raise ValueError(f"image too small: {width}x{height}")
    if seed < 0:
        raise ValueError("seed must be >= 0")
    if style is None:
        style = STYLES[seed % len(STYLES)]
    draw_style = _STYLE_FUNCS.get(style)
    if draw_style is None:
        raise ValueError(f"unknown style {style!r}; expected one of {', '.join(STYLES)}")
    rng = np.random.default_rng(seed)
    return draw_style(rng, width, height).convert("RGB")


# --- drawing primitives -------------------------------------------------------------------------------


def _coords(width: int, height: int) -> tuple[FloatArray, FloatArray]:
    """Pixel-centre coordinates, x and y, each shaped (height, width)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    return x + 0.5, y + 0.5


def _smooth_noise(
    rng: np.random.Generator, width: int, height: int, cells: int, octaves: int = 3
) -> FloatArray:
    """Value noise in [0, 1]: random coarse grids upsampled bicubically and summed over octaves."""
    total = np.zeros((height, width), dtype=np.float64)
    amplitude = 1.0
    for octave in range(octaves):
        gx = max(2, cells * 2**octave)
        gy = max(2, round(gx * height / width))
        grid = rng.random((gy, gx), dtype=np.float32)
        up = Image.fromarray(grid).resize((width, height), Image.Resampling.BICUBIC)
        total += amplitude * np.asarray(up, dtype=np.float64)
        amplitude *= 0.5
    lo, hi = float(total.min()), float(total.max())
    out: FloatArray = (total - lo) / max(hi - lo, 1e-9)
    return out


def _colors(rng: np.random.Generator, n: int, lo: int = 0, hi: int = 256) -> FloatArray:
    return rng.uniform(lo, hi, size=(n, 3))


def _color(rng: np.random.Generator, lo: int = 0, hi: int = 256) -> Color:
    r, g, b = (int(v) for v in rng.integers(lo, hi, size=3))
    return r, g, b


def _to_image(rgb: FloatArray) -> Image.Image:
    return Image.fromarray(np.clip(np.rint(rgb), 0, 255).astype(np.uint8))


def _gradient_field(
    rng: np.random.Generator, width: int, height: int, lo: int = 0, hi: int = 256
) -> FloatArray:
    """Three-stop linear gradient at a random angle, with a radial glow and soft noise."""
    x, y = _coords(width, height)
    x, y = x / width, y / height
    theta = rng.uniform(0, 2 * math.pi)
    t = x * math.cos(theta) + y * math.sin(theta)
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-9)
    stops = _colors(rng, 3, lo, hi)
    t2 = t * 2
    idx = np.clip(np.floor(t2).astype(np.int64), 0, 1)
    frac = (t2 - idx)[..., None]
    rgb: FloatArray = stops[idx] * (1 - frac) + stops[idx + 1] * frac
    cx, cy = rng.uniform(0, 1, size=2)
    r = np.sqrt((x - cx) ** 2 + ((y - cy) * height / width) ** 2)
    glow = (np.exp(-((r / rng.uniform(0.15, 0.45)) ** 2)) * 0.6)[..., None]
    rgb = rgb * (1 - glow) + _colors(rng, 1, lo, hi)[0] * glow
    noise = _smooth_noise(rng, width, height, cells=3)[..., None] - 0.5
    return rgb + noise * 50


# --- styles ---------------------------------------------------------------------------------------------


def _style_gradient(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    return _to_image(_gradient_field(rng, width, height))


def _style_shapes(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    img = _to_image(_gradient_field(rng, width, height))
    draw = ImageDraw.Draw(img)
    unit = min(width, height)
    for _ in range(int(rng.integers(10, 26))):
        kind = int(rng.integers(4))
        fill = _color(rng)
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        size = rng.uniform(0.04, 0.3) * unit
        if kind == 0:
            aspect = rng.uniform(0.4, 1.6)
            draw.ellipse((cx - size, cy - size * aspect, cx + size, cy + size * aspect), fill=fill)
        elif kind == 1:
            w2, h2 = size * rng.uniform(0.4, 1.5), size * rng.uniform(0.4, 1.5)
            draw.rectangle((cx - w2, cy - h2, cx + w2, cy + h2), fill=fill, outline=_color(rng), width=2)
        elif kind == 2:
            sides = int(rng.integers(3, 8))
            draw.regular_polygon((cx, cy, size), sides, rotation=float(rng.uniform(0, 360)), fill=fill)
        else:
            x2, y2 = rng.uniform(0, width), rng.uniform(0, height)
            draw.line((cx, cy, x2, y2), fill=fill, width=max(2, int(size / 8)))
    return img


def _style_texture(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    x, _ = _coords(width, height)
    base = _smooth_noise(rng, width, height, cells=int(rng.integers(3, 9)), octaves=4)
    swirl = _smooth_noise(rng, width, height, cells=int(rng.integers(2, 6)), octaves=3)
    freq = rng.uniform(4, 14) * 2 * math.pi / width
    marble = 0.5 + 0.5 * np.sin(x * freq + swirl * rng.uniform(4, 12))
    c0, c1, c2 = _colors(rng, 3)
    rgb = c0 + (c1 - c0) * base[..., None]
    rgb = rgb * (1 - 0.5 * marble[..., None]) + c2 * 0.5 * marble[..., None]
    return _to_image(rgb)


def _style_stripes(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    x, y = _coords(width, height)
    theta = rng.uniform(0, math.pi)
    period = rng.uniform(0.06, 0.25) * min(width, height)
    wobble = _smooth_noise(rng, width, height, cells=2) * rng.uniform(0, 2.5)
    t = (x * math.cos(theta) + y * math.sin(theta)) / period + wobble
    colors = _colors(rng, int(rng.integers(2, 5)))
    band = np.floor(t).astype(np.int64) % len(colors)
    shade = 0.75 + 0.5 * _smooth_noise(rng, width, height, cells=3)
    return _to_image(colors[band] * shade[..., None])


def _style_checker(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    x, y = _coords(width, height)
    theta = rng.uniform(0, math.pi / 2)
    cell = rng.uniform(0.05, 0.2) * min(width, height)
    ox, oy = rng.uniform(0, cell, size=2)
    u = (x * math.cos(theta) + y * math.sin(theta) + ox) / cell
    v = (-x * math.sin(theta) + y * math.cos(theta) + oy) / cell
    mask = ((np.floor(u) + np.floor(v)).astype(np.int64) % 2)[..., None]
    a, b = _colors(rng, 2)
    tint = _gradient_field(rng, width, height)
    return _to_image((a * mask + b * (1 - mask)) * 0.7 + tint * 0.3)


@lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _style_text(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    img = _to_image(_gradient_field(rng, width, height, lo=150, hi=256))
    draw = ImageDraw.Draw(img)
    y = rng.uniform(0.02, 0.15) * height
    while y < height:
        size = int(rng.integers(max(10, height // 40), max(12, height // 9)))
        words = " ".join(_WORDS[int(i)] for i in rng.integers(0, len(_WORDS), size=int(rng.integers(1, 6))))
        x = rng.uniform(0, 0.35) * width
        if rng.random() < 0.3:
            draw.rectangle(
                (x - 4, y - 2, x + size * len(words) * 0.55, y + size * 1.15), fill=_color(rng, 90, 256)
            )
        draw.text((x, y), words, fill=_color(rng, 0, 110), font=_font(size))
        y += size * rng.uniform(1.3, 2.4)
    return img


def _polygon_mask(width: int, height: int, polygons: Sequence[Sequence[tuple[float, float]]]) -> Image.Image:
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    for poly in polygons:
        draw.polygon(list(poly), fill=255)
    return mask


def _wallpaper(rng: np.random.Generator, width: int, height: int, base: Color) -> Image.Image:
    """A repeating motif (dots, diamonds, crosses or pinstripes) on ``base``."""
    layer = Image.new("RGB", (width, height), base)
    draw = ImageDraw.Draw(layer)
    motif = int(rng.integers(4))
    step = int(rng.integers(max(8, width // 60), max(10, width // 20)))
    ink = _color(rng)
    r = max(2, step // 5)
    for row, cy in enumerate(range(0, height + step, step)):
        shift = step // 2 if row % 2 else 0
        for cx in range(-step, width + step, step):
            px = cx + shift
            if motif == 0:
                draw.ellipse((px - r, cy - r, px + r, cy + r), fill=ink)
            elif motif == 1:
                draw.polygon([(px, cy - r * 2), (px + r, cy), (px, cy + r * 2), (px - r, cy)], fill=ink)
            elif motif == 2:
                draw.line((px - r, cy, px + r, cy), fill=ink, width=2)
                draw.line((px, cy - r, px, cy + r), fill=ink, width=2)
            elif row == 0:
                draw.line((cx, 0, cx, height), fill=ink, width=max(1, r // 2))
    return layer


def _style_room(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """An empty interior: ceiling, papered walls, planked floor, a window and furniture blocks."""
    w, h = float(width), float(height)
    bx0, bx1 = w * rng.uniform(0.15, 0.35), w * rng.uniform(0.65, 0.85)
    by0, by1 = h * rng.uniform(0.1, 0.3), h * rng.uniform(0.55, 0.72)
    wall = _color(rng, 120, 250)
    img = Image.new("RGB", (width, height), _color(rng, 200, 256))  # ceiling
    walls = [
        [(bx0, by0), (bx1, by0), (bx1, by1), (bx0, by1)],
        [(0, 0), (bx0, by0), (bx0, by1), (0, h)],
        [(w, 0), (bx1, by0), (bx1, by1), (w, h)],
    ]
    img.paste(_wallpaper(rng, width, height, wall), (0, 0), _polygon_mask(width, height, walls))
    shaded = ImageEnhance.Brightness(img).enhance(rng.uniform(0.65, 0.85))
    img.paste(shaded, (0, 0), _polygon_mask(width, height, walls[1:]))  # side walls in shadow
    draw = ImageDraw.Draw(img)
    floor = _color(rng, 60, 200)
    draw.polygon([(0, h), (w, h), (bx1, by1), (bx0, by1)], fill=floor)
    plank = tuple(max(0, c - 35) for c in floor)
    planks = int(rng.integers(6, 16))
    for i in range(planks + 1):
        fx = -w + 3 * w * i / planks
        draw.line((fx, h, bx0 + (bx1 - bx0) * fx / w, by1), fill=plank, width=2)
    if rng.random() < 0.8:  # window with sky
        wx0 = rng.uniform(bx0 + 10, bx0 + (bx1 - bx0) * 0.5)
        wx1 = wx0 + (bx1 - bx0) * rng.uniform(0.15, 0.35)
        wy0 = by0 + (by1 - by0) * rng.uniform(0.08, 0.2)
        wy1 = wy0 + (by1 - by0) * rng.uniform(0.3, 0.5)
        draw.rectangle((wx0, wy0, wx1, wy1), fill=_color(rng, 150, 256), outline=(240, 240, 240), width=4)
        draw.line(((wx0 + wx1) / 2, wy0, (wx0 + wx1) / 2, wy1), fill=(240, 240, 240), width=3)
    if rng.random() < 0.7:  # framed abstract picture
        px0 = rng.uniform(bx0, bx1 - (bx1 - bx0) * 0.2)
        py0 = by0 + (by1 - by0) * rng.uniform(0.1, 0.3)
        pw, ph = (bx1 - bx0) * rng.uniform(0.08, 0.18), (by1 - by0) * rng.uniform(0.15, 0.3)
        draw.rectangle((px0, py0, px0 + pw, py0 + ph), fill=_color(rng), outline=_color(rng, 0, 80), width=3)
        draw.ellipse((px0 + pw * 0.2, py0 + ph * 0.2, px0 + pw * 0.7, py0 + ph * 0.7), fill=_color(rng))
    if rng.random() < 0.7:  # rug
        rx, ry = rng.uniform(0.3, 0.7) * w, rng.uniform(by1 + (h - by1) * 0.4, h * 0.95)
        rw, rh = w * rng.uniform(0.15, 0.3), (h - by1) * rng.uniform(0.1, 0.25)
        draw.ellipse((rx - rw, ry - rh, rx + rw, ry + rh), fill=_color(rng), outline=_color(rng), width=4)
    if rng.random() < 0.8:  # shelf with books
        sx0 = rng.uniform(bx0, bx1 - (bx1 - bx0) * 0.25)
        sx1, sy0 = sx0 + (bx1 - bx0) * rng.uniform(0.12, 0.25), by0 + (by1 - by0) * rng.uniform(0.05, 0.4)
        draw.rectangle((sx0, sy0, sx1, by1), fill=_color(rng, 60, 160), outline=(40, 30, 20), width=2)
        levels = int(rng.integers(2, 5))
        for k in range(levels):
            top = sy0 + (by1 - sy0) * k / levels
            bottom = sy0 + (by1 - sy0) * (k + 1) / levels
            draw.line((sx0, bottom, sx1, bottom), fill=(40, 30, 20), width=3)
            bx = sx0 + 3
            while bx < sx1 - 6:
                bw = rng.uniform(3, 9)
                draw.rectangle(
                    (bx, top + (bottom - top) * rng.uniform(0.1, 0.4), bx + bw, bottom - 2), fill=_color(rng)
                )
                bx += bw + 1
    for _ in range(int(rng.integers(1, 4))):  # boxes: sofa, cabinet, table
        fw = w * rng.uniform(0.12, 0.35)
        fh = (h - by1) * rng.uniform(0.25, 0.7)
        fx = rng.uniform(0, w - fw)
        fy = rng.uniform(by1 - fh * 0.5, h - fh)
        body = _color(rng, 30, 230)
        draw.rectangle((fx, fy, fx + fw, fy + fh), fill=body, outline=tuple(c // 2 for c in body), width=3)
        if rng.random() < 0.5:  # backrest
            draw.rectangle((fx, fy - fh * 0.6, fx + fw, fy), fill=tuple(min(255, c + 25) for c in body))
        else:  # legs
            for lx in (fx + 4, fx + fw - 10):
                draw.rectangle((lx, fy + fh, lx + 6, min(h, fy + fh * 1.3)), fill=(50, 40, 30))
    rgb = np.asarray(img, dtype=np.float64) + rng.normal(0, 3, size=(height, width, 3))
    return _to_image(rgb)


_STYLE_FUNCS: dict[str, Callable[[np.random.Generator, int, int], Image.Image]] = {
    "gradient": _style_gradient,
    "shapes": _style_shapes,
    "texture": _style_texture,
    "stripes": _style_stripes,
    "checker": _style_checker,
    "text": _style_text,
    "room": _style_room,
}


# --- EXIF -------------------------------------------------------------------------------------------------


def _dms(value: float) -> tuple[TiffImagePlugin.IFDRational, ...]:
    """Unsigned degrees as (degrees, minutes, seconds) rationals, seconds to 1/10000."""
    total = round(abs(value) * 36_000_000)
    degrees, rest = divmod(total, 36_000_000)
    minutes, seconds = divmod(rest, 600_000)
    return (
        TiffImagePlugin.IFDRational(degrees, 1),
        TiffImagePlugin.IFDRational(minutes, 1),
        TiffImagePlugin.IFDRational(seconds, 10_000),
    )


def _offset_text(when: datetime) -> str | None:
    offset = when.utcoffset()
    if offset is None:
        return None
    minutes = round(offset.total_seconds() / 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def exif_bytes(
    make: str | None = None,
    model: str | None = None,
    serial: str | None = None,
    datetime_original: datetime | None = None,
    gps: tuple[float, float, float | None] | None = None,
    image_unique_id: str | None = None,
    software: str | None = None,
    orientation: int | None = None,
    description: str | None = None,
) -> bytes:
    """A real EXIF block (``Exif\\0\\0`` + TIFF) for ``jpeg_bytes(..., exif=...)``.

    ``gps`` is (latitude, longitude, altitude in metres or None), signed decimal degrees.
    A tz-aware ``datetime_original`` also writes OffsetTimeOriginal (0x9011).
    """
    exif = Image.Exif()
    base = ExifTags.Base
    if make is not None:
        exif[base.Make] = make
    if model is not None:
        exif[base.Model] = model
    if software is not None:
        exif[base.Software] = software
    if orientation is not None:
        exif[base.Orientation] = orientation
    if description is not None:
        exif[base.ImageDescription] = description
    if datetime_original is not None or serial is not None or image_unique_id is not None:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        if datetime_original is not None:
            sub[base.DateTimeOriginal] = datetime_original.strftime("%Y:%m:%d %H:%M:%S")
            offset = _offset_text(datetime_original)
            if offset is not None:
                sub[base.OffsetTimeOriginal] = offset
        if serial is not None:
            sub[base.BodySerialNumber] = serial
        if image_unique_id is not None:
            sub[base.ImageUniqueID] = image_unique_id
    if gps is not None:
        lat, lon, alt = gps
        g = exif.get_ifd(ExifTags.IFD.GPSInfo)
        g[ExifTags.GPS.GPSVersionID] = b"\x02\x02\x00\x00"
        g[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        g[ExifTags.GPS.GPSLatitude] = _dms(lat)
        g[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        g[ExifTags.GPS.GPSLongitude] = _dms(lon)
        if alt is not None:
            g[ExifTags.GPS.GPSAltitudeRef] = 0 if alt >= 0 else 1
            g[ExifTags.GPS.GPSAltitude] = TiffImagePlugin.IFDRational(round(abs(alt) * 100), 100)
    return exif.tobytes()


# --- encoders ---------------------------------------------------------------------------------------------


def jpeg_bytes(img: Image.Image, quality: int = 90, exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    if exif is None:
        img.convert("RGB").save(out, format="JPEG", quality=quality)
    else:
        img.convert("RGB").save(out, format="JPEG", quality=quality, exif=exif)
    return out.getvalue()


def png_bytes(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def gif_bytes(frames: Sequence[Image.Image], duration_ms: int = 500) -> bytes:
    """An animated (looping) GIF when more than one frame is given."""
    if not frames:
        raise ValueError("no frames")
    paletted = [f.convert("RGB").quantize(colors=128) for f in frames]
    out = io.BytesIO()
    paletted[0].save(
        out, format="GIF", save_all=True, append_images=paletted[1:], duration=duration_ms, loop=0
    )
    return out.getvalue()


def webp_bytes(img: Image.Image, quality: int = 80) -> bytes:
    out = io.BytesIO()
    img.convert("RGB").save(out, format="WEBP", quality=quality, method=4)
    return out.getvalue()


def bmp_bytes(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.convert("RGB").save(out, format="BMP")
    return out.getvalue()


def tiff_bytes(img: Image.Image) -> bytes:
    """Uncompressed TIFF (written by Pillow's pure-Python encoder, so stable across libtiff versions)."""
    out = io.BytesIO()
    img.convert("RGB").save(out, format="TIFF", compression="raw")
    return out.getvalue()


def camera_photo(seed: int, width: int, height: int) -> Image.Image:
    """A photograph-like picture: a procedural scene at 1/4 (or 1/2) scale upsampled bicubically, plus
    fine detail (half-resolution grain) and mild per-channel sensor noise, so a quality-90 JPEG weighs
    about what a camera's does (3-5 MB at 12 MP)."""
    rng = np.random.default_rng(10_000 + seed)
    factor = 4 if min(width, height) >= 2000 else 2
    base = procedural_image(seed, width // factor, height // factor)
    pixels = np.asarray(base.resize((width, height), Image.Resampling.BICUBIC)).astype(np.int16)
    detail, noise = 28, 7
    grain = rng.integers(0, 2 * detail + 1, size=(height // 2, width // 2), dtype=np.uint8)
    grain_up = Image.fromarray(grain, "L").resize((width, height), Image.Resampling.BILINEAR)
    pixels += np.asarray(grain_up).astype(np.int16)[..., None]
    pixels += rng.integers(0, 2 * noise + 1, size=(height, width, 3), dtype=np.uint8)
    pixels -= detail + noise
    np.clip(pixels, 0, 255, out=pixels)
    return Image.fromarray(pixels.astype(np.uint8), "RGB")
