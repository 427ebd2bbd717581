"""The transform ladder: the edits offenders make, each at several strengths, grouped mild / hard /
beyond as issue 4's floors are."""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from jejak.testing.images import procedural_image
from jejak.testing.robustness.items import _ROLE_PARTNER, PROCEDURAL_KINDS, _seed_int, decode

# --- transforms -----------------------------------------------------------------------------------------

TransformFn = Callable[[Image.Image, np.random.Generator], Image.Image]


@dataclass(frozen=True)
class Transform:
    family: str
    strength: str
    group: str  # "mild" | "hard" | "beyond"
    fn: TransformFn

    @property
    def name(self) -> str:
        return f"{self.family} {self.strength}"

    def __call__(self, img: Image.Image, rng: np.random.Generator) -> Image.Image:
        return self.fn(img.convert("RGB"), rng).convert("RGB")


def transform_rng(seed: int, slot: int, transform: Transform) -> np.random.Generator:
    """The generator of one (base slot, transform): keyed by the transform's name, not its position, so a
    subset of the ladder edits each base exactly as the whole ladder does."""
    return np.random.default_rng([seed, slot, zlib.crc32(transform.name.encode())])


@lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(6, size))


def _encode(img: Image.Image, fmt: str, quality: int = 75) -> Image.Image:
    out = io.BytesIO()
    if fmt == "JPEG":
        img.save(out, format="JPEG", quality=quality)
    else:
        img.save(out, format=fmt, compress_level=1)
    return decode(out.getvalue())


def _jpeg(quality: int) -> TransformFn:
    return lambda img, _rng: _encode(img, "JPEG", quality)


def _downscale(factor: float) -> TransformFn:
    def fn(img: Image.Image, _rng: np.random.Generator) -> Image.Image:
        w, h = img.size
        return img.resize((max(1, round(w * factor)), max(1, round(h * factor))), Image.Resampling.BICUBIC)

    return fn


def _blur(radius: float) -> TransformFn:
    return lambda img, _rng: img.filter(ImageFilter.GaussianBlur(radius))


def _noise(sigma: float) -> TransformFn:
    def fn(img: Image.Image, rng: np.random.Generator) -> Image.Image:
        pixels = np.asarray(img, dtype=np.float32)
        noisy = pixels + rng.normal(0.0, sigma, size=pixels.shape).astype(np.float32)
        return Image.fromarray(np.clip(np.rint(noisy), 0, 255).astype(np.uint8), "RGB")

    return fn


def _gamma(gamma: float) -> TransformFn:
    lut = [round(255 * (i / 255) ** gamma) for i in range(256)] * 3
    return lambda img, _rng: img.point(lut)


def _hue(degrees: float) -> TransformFn:
    def fn(img: Image.Image, _rng: np.random.Generator) -> Image.Image:
        hsv = np.array(img.convert("HSV"))
        hsv[..., 0] = (hsv[..., 0].astype(np.int32) + round(degrees / 360 * 256)) % 256
        return Image.fromarray(hsv, "HSV").convert("RGB")

    return fn


def _overlay(img: Image.Image, layer: Image.Image, xy: tuple[int, int]) -> Image.Image:
    """``layer`` (RGBA) alpha-composited onto ``img`` at ``xy``."""
    out = img.convert("RGBA")
    out.alpha_composite(layer, dest=xy)
    return out.convert("RGB")


def _text_layer(text: str, size: int, fill: tuple[int, int, int, int], shadow: int = 0) -> Image.Image:
    """``text`` on a transparent layer just large enough, with a dark shadow of alpha ``shadow``."""
    font = _font(size)
    x0, y0, x1, y1 = (math.floor(v) for v in font.getbbox(text))
    pad = 4
    layer = Image.new("RGBA", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    if shadow:
        draw.text((pad + 1 - x0, pad + 1 - y0), text, font=font, fill=(0, 0, 0, shadow))
    draw.text((pad - x0, pad - y0), text, font=font, fill=fill)
    return layer


def _watermark_corner(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A small credit line in the bottom right corner (3.5% of the short side high)."""
    w, h = img.size
    text = f"© photo-archive.example {int(rng.integers(2015, 2027))}"
    layer = _text_layer(text, max(10, round(0.035 * min(w, h))), (255, 255, 255, 200), shadow=140)
    margin = round(0.02 * min(w, h))
    return _overlay(img, layer, (max(0, w - layer.width - margin), max(0, h - layer.height - margin)))


def _watermark_diagonal(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Large text across the middle at 25-40 degrees (letters a sixth of the short side high), white at
    38% opacity; what overflows the picture is cut off."""
    w, h = img.size
    layer = _text_layer("PREVIEW · archive", max(12, round(min(w, h) / 6)), (255, 255, 255, 96))
    layer = layer.rotate(float(rng.uniform(25, 40)), resample=Image.Resampling.BICUBIC, expand=True)
    full = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    full.paste(layer, ((w - layer.width) // 2, (h - layer.height) // 2))
    return _overlay(img, full, (0, 0))


def _logo(size: int, rng: np.random.Generator, alpha: int) -> Image.Image:
    """A made-up logo: a ring, a triangle and two letters, on a transparent square."""
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    r, g, b = (int(v) for v in rng.integers(0, 256, size=3))
    width = max(2, size // 14)
    draw.ellipse((width, width, size - width, size - width), outline=(r, g, b, alpha), width=width)
    c = size / 2
    draw.polygon(
        [(c, size * 0.22), (size * 0.28, size * 0.7), (size * 0.72, size * 0.7)], fill=(r, g, b, alpha)
    )
    font = _font(size // 4)
    draw.text((c, size * 0.78), "JX", font=font, fill=(255, 255, 255, alpha), anchor="mm")
    return layer


def _watermark_logo(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    w, h = img.size
    size = max(16, round(0.22 * min(w, h)))
    layer = _logo(size, rng, alpha=128)
    margin = round(0.03 * min(w, h))
    corner = int(rng.integers(4))
    x = margin if corner % 2 == 0 else w - size - margin
    y = margin if corner < 2 else h - size - margin
    return _overlay(img, layer, (max(0, x), max(0, y)))


def _crop(fraction: float, centred: bool) -> TransformFn:
    """Keep the middle (1 - 2 * fraction) of each side; off-centre removes the same from one corner."""

    def fn(img: Image.Image, rng: np.random.Generator) -> Image.Image:
        w, h = img.size
        cw, ch = max(1, round(w * (1 - 2 * fraction))), max(1, round(h * (1 - 2 * fraction)))
        if centred:
            x0, y0 = (w - cw) // 2, (h - ch) // 2
        else:
            corner = int(rng.integers(4))
            x0 = 0 if corner % 2 == 0 else w - cw
            y0 = 0 if corner < 2 else h - ch
        return img.crop((x0, y0, x0 + cw, y0 + ch))

    return fn


def inner_rectangle(w: float, h: float, degrees: float) -> tuple[float, float]:
    """Width and height of the largest axis-aligned rectangle inside a w x h rectangle turned by
    ``degrees``, centred on it (so cropping to it removes every corner a rotation leaves)."""
    a = math.radians(degrees)
    s, c = abs(math.sin(a)), abs(math.cos(a))
    long_side, short_side = max(w, h), min(w, h)
    if short_side <= 2 * s * c * long_side or abs(s - c) < 1e-10:
        # the rectangle touches the rotated one's two long sides: half the short side sets its size
        half = short_side / 2
        return (half / s, half / c) if w >= h else (half / c, half / s)
    c2 = c * c - s * s
    return (w * c - h * s) / c2, (h * c - w * s) / c2


def _rotate(degrees: float, crop: bool) -> TransformFn:
    def fn(img: Image.Image, rng: np.random.Generator) -> Image.Image:
        angle = degrees if rng.random() < 0.5 else -degrees
        turned = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(0, 0, 0))
        if not crop:
            return turned
        iw, ih = inner_rectangle(img.width, img.height, angle)
        iw, ih = max(1, math.floor(iw) - 2), max(1, math.floor(ih) - 2)
        x0, y0 = (turned.width - iw) // 2, (turned.height - ih) // 2
        return turned.crop((x0, y0, x0 + iw, y0 + ih))

    return fn


def _quarter(turns: int) -> TransformFn:
    def fn(img: Image.Image, rng: np.random.Generator) -> Image.Image:
        if turns == 2:
            return img.transpose(Image.Transpose.ROTATE_180)
        return img.transpose(Image.Transpose.ROTATE_90 if rng.random() < 0.5 else Image.Transpose.ROTATE_270)

    return fn


def _blurred_fill(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``img`` stretched to ``size``, heavily blurred and dimmed: the usual fill behind a padded picture."""
    small = img.resize((max(1, size[0] // 8), max(1, size[1] // 8)), Image.Resampling.BILINEAR)
    small = small.filter(ImageFilter.GaussianBlur(max(size) / 8 / 25))
    return small.resize(size, Image.Resampling.BILINEAR).point(lambda v: round(v * 0.8))


def _canvas(img: Image.Image, size: tuple[int, int], fill: str) -> Image.Image:
    if fill == "blur":
        return _blurred_fill(img, size)
    return Image.new("RGB", size, (0, 0, 0) if fill == "black" else (255, 255, 255))


def _pad(fraction: float, fill: str) -> TransformFn:
    """A border of ``fraction`` of the width on the left and right, of the height above and below."""

    def fn(img: Image.Image, _rng: np.random.Generator) -> Image.Image:
        w, h = img.size
        bw, bh = round(w * fraction), round(h * fraction)
        out = _canvas(img, (w + 2 * bw, h + 2 * bh), fill)
        out.paste(img, (bw, bh))
        return out

    return fn


def _letterbox(fraction: float) -> TransformFn:
    """Black bars of ``fraction`` of the height above and below a landscape picture (of the width left and
    right of a portrait one): the wide-screen frame."""

    def fn(img: Image.Image, _rng: np.random.Generator) -> Image.Image:
        w, h = img.size
        bw, bh = (0, round(h * fraction)) if w >= h else (round(w * fraction), 0)
        out = Image.new("RGB", (w + 2 * bw, h + 2 * bh), (0, 0, 0))
        out.paste(img, (bw, bh))
        return out

    return fn


def _story(img: Image.Image, _rng: np.random.Generator) -> Image.Image:
    """The picture on a black 9:16 (phone story) frame, centred, at its own size."""
    w, h = img.size
    aspect = 9 / 16
    cw, ch = (w, max(h, round(w / aspect))) if w / h > aspect else (max(w, round(h * aspect)), h)
    out = Image.new("RGB", (cw, ch), (0, 0, 0))
    out.paste(img, ((cw - w) // 2, (ch - h) // 2))
    return out


def _fit(img: Image.Image, box_w: int, box_h: int) -> Image.Image:
    scale = min(box_w / img.width, box_h / img.height)
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.resize(size, Image.Resampling.BILINEAR)


def _phone_screen(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A 1080 x 2340 phone screenshot of a photo viewer: status bar, app bar, the picture, navigation bar."""
    w, h = 1080, 2340
    status, appbar, nav = 84, 160, 132
    dark = bool(rng.random() < 0.7)
    bg, ink = ((0, 0, 0), (235, 235, 235)) if dark else ((250, 250, 250), (30, 30, 30))
    screen = Image.new("RGB", (w, h), bg)
    area_h = h - status - appbar - nav
    pic = _fit(img, w, area_h)
    screen.paste(pic, ((w - pic.width) // 2, status + appbar + (area_h - pic.height) // 2))
    draw = ImageDraw.Draw(screen)
    bar = (20, 20, 20) if dark else (240, 240, 240)
    draw.rectangle((0, 0, w, status), fill=bar)
    clock = f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}"
    draw.text((40, status // 2), clock, font=_font(40), fill=ink, anchor="lm")
    for i in range(4):  # signal bars, then the battery
        draw.rectangle((w - 260 + i * 18, 56 - i * 9, w - 248 + i * 18, 62), fill=ink)
    draw.rectangle((w - 150, 30, w - 60, 58), outline=ink, width=3)
    draw.rectangle((w - 146, 34, w - 146 + int(rng.integers(10, 82)), 54), fill=ink)
    draw.rectangle((0, status, w, status + appbar), fill=bar)
    draw.text((40, status + appbar // 2), "<  Gallery", font=_font(48), fill=ink, anchor="lm")
    for i in range(3):
        draw.ellipse((w - 70, status + 50 + i * 26, w - 58, status + 62 + i * 26), fill=ink)
    draw.rectangle((0, h - nav, w, h), fill=bar)
    cy = h - nav // 2
    draw.polygon([(250, cy), (290, cy - 28), (290, cy + 28)], outline=ink, width=4)
    draw.ellipse((w // 2 - 30, cy - 30, w // 2 + 30, cy + 30), outline=ink, width=4)
    draw.rectangle((w - 300, cy - 26, w - 248, cy + 26), outline=ink, width=4)
    return screen


def _desktop_screen(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A 1920 x 1080 desktop screenshot: an image viewer window (title bar) above a task bar."""
    w, h = 1920, 1080
    title, taskbar = 40, 48
    screen = Image.new("RGB", (w, h), (45, 45, 48))
    area_h = h - title - taskbar
    pic = _fit(img, w - 40, area_h - 20)
    screen.paste(pic, ((w - pic.width) // 2, title + (area_h - pic.height) // 2))
    draw = ImageDraw.Draw(screen)
    draw.rectangle((0, 0, w, title), fill=(225, 225, 228))
    name = f"IMG_{int(rng.integers(1000, 9999))}.jpg - Viewer"
    draw.text((16, title // 2), name, font=_font(20), fill=(20, 20, 20), anchor="lm")
    for i, colour in enumerate(((230, 80, 70), (240, 190, 60), (90, 190, 90))):
        draw.ellipse((w - 40 - i * 34, 10, w - 20 - i * 34, 30), fill=colour)
    draw.rectangle((0, h - taskbar, w, h), fill=(30, 34, 42))
    for i in range(7):
        x = 20 + i * 56
        draw.rounded_rectangle((x, h - 40, x + 36, h - 8), radius=6, fill=(90 + i * 20, 110, 160))
    draw.text((w - 20, h - taskbar // 2), "14:05", font=_font(20), fill=(230, 230, 230), anchor="rm")
    return screen


def _screenshot(device: str, fmt: str) -> TransformFn:
    def fn(img: Image.Image, rng: np.random.Generator) -> Image.Image:
        screen = _phone_screen(img, rng) if device == "phone" else _desktop_screen(img, rng)
        return _encode(screen, fmt, quality=85)

    return fn


def _sticker(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A coloured shape (disc, star or heart-like blob) with an outline, 12-20% of the short side."""
    w, h = img.size
    size = max(8, round(min(w, h) * float(rng.uniform(0.12, 0.2))))
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    r, g, b = (int(v) for v in rng.integers(40, 256, size=3))
    line = max(2, size // 16)
    shape = int(rng.integers(3))
    if shape == 0:
        white = (255, 255, 255, 255)
        draw.ellipse((line, line, size - line, size - line), fill=(r, g, b, 255), outline=white, width=line)
    elif shape == 1:
        c = size / 2
        points = [
            (c + (c - line) * (1 if k % 2 == 0 else 0.45) * math.cos(math.pi * k / 5 - math.pi / 2),
             c + (c - line) * (1 if k % 2 == 0 else 0.45) * math.sin(math.pi * k / 5 - math.pi / 2))
            for k in range(10)
        ]  # fmt: skip
        draw.polygon(points, fill=(r, g, b, 255), outline=(255, 255, 255, 255), width=line)
    else:
        q = size / 4
        draw.ellipse((line, line, 2 * q + line, 2 * q + line), fill=(r, g, b, 255))
        draw.ellipse((2 * q - line, line, 4 * q - line, 2 * q + line), fill=(r, g, b, 255))
        draw.polygon(
            [(line, q + line), (size - line, q + line), (size / 2, size - line)], fill=(r, g, b, 255)
        )
    x, y = int(rng.integers(0, max(1, w - size))), int(rng.integers(0, max(1, h - size)))
    return _overlay(img, layer, (x, y))


def _social(passes: int) -> TransformFn:
    """A social network's upload, ``passes`` times: crop 5% per side (split unevenly between opposite sides),
    longer side down to 1080, a sticker, JPEG quality 75."""

    def fn(img: Image.Image, rng: np.random.Generator) -> Image.Image:
        out = img
        for _ in range(passes):
            w, h = out.size
            left, top = round(w * 0.1 * rng.uniform(0.2, 0.8)), round(h * 0.1 * rng.uniform(0.2, 0.8))
            out = out.crop((left, top, left + round(w * 0.9), top + round(h * 0.9)))
            if max(out.size) > 1080:
                out = _fit(out, 1080, 1080)
            out = _encode(_sticker(out, rng), "JPEG", quality=75)
        return out

    return fn


def partner_image(rng: np.random.Generator, height: int) -> Image.Image:
    """Another picture for a collage: procedural, from seeds no base or distractor uses."""
    slot = int(rng.integers(0, 1 << 32))
    kind = PROCEDURAL_KINDS[int(rng.integers(len(PROCEDURAL_KINDS)))]
    aspect = float(rng.uniform(0.6, 1.6))
    draw_h = min(height, 720)  # drawn at most 720 px high, then scaled: only its presence matters
    pic = procedural_image(
        _seed_int(0, _ROLE_PARTNER, slot), max(16, round(draw_h * aspect)), max(16, draw_h), kind
    )
    return pic.resize((max(16, round(height * aspect)), max(16, height)), Image.Resampling.BICUBIC)


def _collage(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The picture beside another one, same height, with a white gutter; the picture left or right."""
    w, h = img.size
    other = partner_image(rng, h)
    gutter = max(2, round(0.02 * h))
    out = Image.new("RGB", (w + gutter + other.width, h), (255, 255, 255))
    if rng.random() < 0.5:
        out.paste(img, (0, 0))
        out.paste(other, (w + gutter, 0))
    else:
        out.paste(other, (0, 0))
        out.paste(img, (other.width + gutter, 0))
    return out


def _flip(img: Image.Image, _rng: np.random.Generator) -> Image.Image:
    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def _ladder() -> tuple[Transform, ...]:
    t: list[Transform] = []
    for q in (10, 20, 30, 50, 70, 90):
        t.append(Transform("jpeg", f"q{q}", "beyond" if q < 20 else "mild", _jpeg(q)))
    for p in (25, 50, 75):
        t.append(Transform("downscale", f"{p}%", "mild", _downscale(p / 100)))
    for radius in (1, 2, 4):
        t.append(Transform("blur", f"r{radius}", "mild", _blur(radius)))
    for sigma in (5, 10, 20):
        t.append(Transform("noise", f"σ{sigma}", "mild", _noise(sigma)))
    for g in (0.6, 1.5):
        t.append(Transform("gamma", f"{g}", "mild", _gamma(g)))
    for d in (30, 90):
        t.append(Transform("hue", f"{d}°", "mild", _hue(d)))
    t.append(Transform("watermark", "corner text", "mild", _watermark_corner))
    t.append(Transform("watermark", "diagonal text", "mild", _watermark_diagonal))
    t.append(Transform("watermark", "logo", "mild", _watermark_logo))
    for p in (2, 5, 10, 20):
        group = "hard" if p <= 10 else "beyond"
        t.append(Transform("crop", f"{p}%", group, _crop(p / 100, centred=True)))
        t.append(Transform("crop off-centre", f"{p}%", group, _crop(p / 100, centred=False)))
    for deg in (2, 5, 10):
        t.append(Transform("rotate", f"{deg}°", "hard", _rotate(deg, crop=False)))
        t.append(Transform("rotate+crop", f"{deg}°", "hard", _rotate(deg, crop=True)))
    t.append(Transform("rotate", "90°", "hard", _quarter(1)))
    t.append(Transform("rotate", "180°", "hard", _quarter(2)))
    t.append(Transform("flip", "horizontal", "hard", _flip))
    for p in (10, 20, 30):
        for fill in ("black", "white", "blur"):
            t.append(Transform("pad", f"{p}% {fill}", "hard" if p <= 20 else "beyond", _pad(p / 100, fill)))
    for p in (10, 20):
        t.append(Transform("letterbox", f"{p}%", "hard", _letterbox(p / 100)))
    t.append(Transform("letterbox", "9:16 frame", "beyond", _story))
    t.append(Transform("screenshot", "phone PNG", "hard", _screenshot("phone", "PNG")))
    t.append(Transform("screenshot", "phone JPEG", "hard", _screenshot("phone", "JPEG")))
    t.append(Transform("screenshot", "desktop PNG", "hard", _screenshot("desktop", "PNG")))
    t.append(Transform("social", "1 upload", "hard", _social(1)))
    t.append(Transform("social", "2 uploads", "beyond", _social(2)))
    t.append(Transform("collage", "2 pictures", "beyond", _collage))
    return tuple(t)


TRANSFORMS: tuple[Transform, ...] = _ladder()
GROUPS: tuple[str, ...] = ("mild", "hard", "beyond")

# One or two strengths of every family: the ladder of a quick run.
QUICK: tuple[str, ...] = (
    "jpeg q10", "jpeg q20", "downscale 25%", "blur r2", "noise σ10", "gamma 1.5", "hue 90°",
    "watermark diagonal text", "watermark logo", "crop 10%", "crop off-centre 10%", "crop 20%", "rotate 5°",
    "rotate+crop 5°", "rotate 90°", "flip horizontal", "pad 20% blur", "pad 30% black", "letterbox 20%",
    "screenshot phone JPEG", "social 1 upload", "collage 2 pictures",
)  # fmt: skip


def transforms(names: Sequence[str] | None = None) -> tuple[Transform, ...]:
    """The ladder, or the named rungs of it (in ladder order)."""
    if names is None:
        return TRANSFORMS
    wanted = set(names)
    unknown = wanted - {t.name for t in TRANSFORMS}
    if unknown:
        raise ValueError(f"unknown transforms: {', '.join(sorted(unknown))}")
    return tuple(t for t in TRANSFORMS if t.name in wanted)
