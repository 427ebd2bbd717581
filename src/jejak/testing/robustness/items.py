"""The robustness benchmark's pictures: benign bases and distractors (procedural scenes, camera-like
pictures, scikit-image sample photos without people), deterministic per seed."""

from __future__ import annotations

import importlib.util
import io
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from jejak.hashing.pdq import luma_of, pdq_from_luma
from jejak.testing.images import camera_photo, procedural_image

PROCEDURAL_KINDS: tuple[str, ...] = ("shapes", "room", "text", "checker", "stripes", "texture")
KINDS: tuple[str, ...] = (*PROCEDURAL_KINDS, "camera", "photo")

# scikit-image samples used, by file stem. motorcycle_right is left out: it is the other view of the
# motorcycle_left stereo pair, a near copy. No sample showing a person is ever read.
PHOTO_SOURCES: tuple[str, ...] = (
    "brick", "cell", "chelsea", "chessboard_RGB", "clock_motion", "coffee", "coins", "color", "grass",
    "gravel", "hubble_deep_field", "ihc", "logo", "moon", "motorcycle_left", "page", "retina", "rocket",
    "text",
)  # fmt: skip

MIN_QUALITY = 50  # jejak's default match_pdq_quality
PHOTO_SHARE = 0.1  # photos among the bases and distractors (bases: as many as there are base tiles)
TILE = 224  # photos with both sides >= 2 * TILE are cut into tiles of at least TILE px
JPEG_QUALITY = 95
MIN_SIDE, MAX_SIDE = 640, 1600
ASPECTS = (1.0, 5 / 4, 4 / 3, 3 / 2, 16 / 9)
MAX_ATTEMPTS = 200
CACHE_VERSION = 1

_ROLE_BASE, _ROLE_DISTRACTOR, _ROLE_PARTNER, _ROLE_PLAN = 1, 2, 3, 4


def _seed_int(seed: int, role: int, slot: int, attempt: int = 0) -> int:
    """A procedural seed unique to (dataset seed, role, slot, attempt): the fields are bit ranges."""
    if seed < 0 or not 0 <= slot < 1 << 32 or not 0 <= attempt < 1 << 8:
        raise ValueError(f"seed/slot/attempt out of range: {seed}, {slot}, {attempt}")
    return (((seed * 8 + role) << 32) | slot) << 8 | attempt


def pdq_quality(img: Image.Image) -> int:
    """PDQ quality (0-100) of ``img``, as jejak computes it."""
    return pdq_from_luma(luma_of(img))[1]


# --- scikit-image sample photos -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _photo_dir() -> Path | None:
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    return folder if folder.is_dir() else None


def photo_path(source: str) -> Path | None:
    """The installed file of an allowed sample photo, or None when scikit-image or the file is absent."""
    if source not in PHOTO_SOURCES:
        raise ValueError(f"{source!r} is not an allowed sample photo")
    folder = _photo_dir()
    if folder is None:
        return None
    for ext in (".png", ".jpg"):
        path = folder / (source + ext)
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=len(PHOTO_SOURCES))
def _photo(source: str) -> Image.Image:
    path = photo_path(source)
    if path is None:
        raise FileNotFoundError(f"sample photo {source!r} is not installed")
    with Image.open(path) as im:
        im.load()
        if im.mode in ("RGBA", "LA", "P"):
            rgba = im.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, (0, 0), rgba)
            return flat
        return im.convert("RGB")


@dataclass(frozen=True)
class _Region:
    source: str
    box: tuple[int, int, int, int]
    label: str  # "whole" or "r<row>c<col>"


def _usable(img: Image.Image) -> bool:
    luma = luma_of(img)
    return float(luma.mean()) > 20 and float(luma.std()) > 8 and pdq_quality(img) >= MIN_QUALITY


@lru_cache(maxsize=8)
def _photo_plan(seed: int) -> tuple[tuple[_Region, ...], tuple[_Region, ...]]:
    """(base regions, distractor regions) of the sample photos: small photos whole (bases), larger ones as
    a checkerboard of disjoint tiles, alternately base and distractor; unusable (flat, dark) tiles dropped."""
    rng = np.random.default_rng([seed, _ROLE_PLAN])
    base: list[_Region] = []
    other: list[_Region] = []
    for source in PHOTO_SOURCES:
        parity = int(rng.integers(2))
        if photo_path(source) is None:
            continue
        im = _photo(source)
        w, h = im.size
        if min(w, h) < 2 * TILE:
            region = _Region(source, (0, 0, w, h), "whole")
            if _usable(im):
                base.append(region)
            continue
        nx, ny = w // TILE, h // TILE
        tw, th = w // nx, h // ny
        for row in range(ny):
            for col in range(nx):
                box = (col * tw, row * th, (col + 1) * tw, (row + 1) * th)
                if not _usable(im.crop(box)):
                    continue
                (base if (row + col + parity) % 2 == 0 else other).append(
                    _Region(source, box, f"r{row}c{col}")
                )
    return tuple(base), tuple(other)


# --- items ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Base:
    """One picture of the dataset (a base or a distractor): ``image`` is RGB."""

    name: str
    image: Image.Image
    kind: str


@dataclass(frozen=True)
class Item:
    """The recipe of one picture; cheap to make and to pickle, ``image()`` draws it."""

    name: str
    kind: str
    role: str  # "base" | "distractor"
    seed: int
    slot: int
    size: tuple[int, int]  # output width, height
    source: str = ""  # photo: the sample's stem
    box: tuple[int, int, int, int] = (0, 0, 0, 0)  # photo: the crop of the sample
    mirror: bool = False  # photo distractors: mirrored crop

    def render(self) -> Image.Image:
        """The picture before JPEG encoding (RGB)."""
        if self.kind == "photo":
            im = _photo(self.source).crop(self.box)
            if self.mirror:
                im = im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            return im.resize(self.size, Image.Resampling.BICUBIC) if im.size != self.size else im
        role = _ROLE_BASE if self.role == "base" else _ROLE_DISTRACTOR
        w, h = self.size
        for attempt in range(MAX_ATTEMPTS):
            s = _seed_int(self.seed, role, self.slot, attempt)
            im = camera_photo(s, w, h) if self.kind == "camera" else procedural_image(s, w, h, self.kind)
            if pdq_quality(im) >= MIN_QUALITY:
                return im
        raise RuntimeError(f"{self.name}: no seed gave PDQ quality >= {MIN_QUALITY}")

    def jpeg(self, cache_dir: str | os.PathLike[str] | None = None) -> bytes:
        """The picture as a quality-95 JPEG; kept in (and read back from) ``cache_dir`` when given."""
        path = None
        if cache_dir is not None:
            path = Path(cache_dir) / f"v{CACHE_VERSION}-s{self.seed}-{self.name}.jpg"
            if path.is_file():
                return path.read_bytes()
        out = io.BytesIO()
        self.render().save(out, format="JPEG", quality=JPEG_QUALITY)
        data = out.getvalue()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return data

    def image(self, cache_dir: str | os.PathLike[str] | None = None) -> Image.Image:
        return decode(self.jpeg(cache_dir))

    def load(self, cache_dir: str | os.PathLike[str] | None = None) -> Base:
        return Base(self.name, self.image(cache_dir), self.kind)


def decode(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as im:
        return im.convert("RGB")


def _procedural_size(rng: np.random.Generator) -> tuple[int, int]:
    long_side = int(rng.integers(MIN_SIDE, MAX_SIDE + 1))
    aspect = float(ASPECTS[int(rng.integers(len(ASPECTS)))])
    short_side = max(16, round(long_side / aspect))
    return (long_side, short_side) if rng.random() < 0.65 else (short_side, long_side)


def _kind_schedule(n: int, photos: int, rng: np.random.Generator) -> list[str]:
    others = [k for k in KINDS if k != "photo"]
    kinds = ["photo"] * photos + [others[i % len(others)] for i in range(n - photos)]
    order = rng.permutation(len(kinds))
    return [kinds[int(i)] for i in order]


def base_items(n: int = 500, seed: int = 0) -> list[Item]:
    """Recipes of ``n`` distinct bases: about ``PHOTO_SHARE`` photos (as many as there are base tiles),
    the rest spread evenly over the procedural and camera kinds, in a seeded order."""
    if n < 0:
        raise ValueError("n must be >= 0")
    regions, _ = _photo_plan(seed)
    rng = np.random.default_rng([seed, _ROLE_BASE])
    photos = min(len(regions), round(n * PHOTO_SHARE))
    schedule = _kind_schedule(n, photos, rng)
    picked = [regions[int(i)] for i in rng.permutation(len(regions))[:photos]]
    items: list[Item] = []
    for slot, kind in enumerate(schedule):
        r = np.random.default_rng([seed, _ROLE_BASE, slot])
        if kind != "photo":
            items.append(Item(f"base-{slot:05d}-{kind}", kind, "base", seed, slot, _procedural_size(r)))
            continue
        reg = picked.pop()
        x0, y0, x1, y1 = reg.box
        if reg.label != "whole":  # inset by 0-6% per side: the tile grid is not a base's frame
            dx, dy = (x1 - x0) * 0.06, (y1 - y0) * 0.06
            x0, x1 = x0 + int(r.uniform(0, dx)), x1 - int(r.uniform(0, dx))
            y0, y1 = y0 + int(r.uniform(0, dy)), y1 - int(r.uniform(0, dy))
        scale = float(r.uniform(1.0, 2.2))
        w, h = x1 - x0, y1 - y0
        scale = min(scale, MAX_SIDE / max(w, h))
        size = (max(16, round(w * scale)), max(16, round(h * scale)))
        name = f"base-{slot:05d}-photo-{reg.source}-{reg.label}"
        items.append(Item(name, "photo", "base", seed, slot, size, reg.source, (x0, y0, x1, y1)))
    return items


def distractor_items(n: int = 5000, seed: int = 0) -> list[Item]:
    """Recipes of ``n`` distractors of the same kinds, disjoint from the bases of the same seed: other
    procedural seeds, and random crops (half to all of each side, maybe mirrored) of the distractor tiles."""
    if n < 0:
        raise ValueError("n must be >= 0")
    _, regions = _photo_plan(seed)
    rng = np.random.default_rng([seed, _ROLE_DISTRACTOR])
    photos = round(n * PHOTO_SHARE) if regions else 0
    items: list[Item] = []
    for slot, kind in enumerate(_kind_schedule(n, photos, rng)):
        r = np.random.default_rng([seed, _ROLE_DISTRACTOR, slot])
        if kind != "photo":
            items.append(
                Item(f"distractor-{slot:05d}-{kind}", kind, "distractor", seed, slot, _procedural_size(r))
            )
            continue
        reg = regions[int(r.integers(len(regions)))]
        x0, y0, x1, y1 = reg.box
        w, h = round((x1 - x0) * r.uniform(0.5, 1.0)), round((y1 - y0) * r.uniform(0.5, 1.0))
        cx, cy = x0 + int(r.integers(0, x1 - x0 - w + 1)), y0 + int(r.integers(0, y1 - y0 - h + 1))
        scale = min(float(r.uniform(1.0, 2.5)), MAX_SIDE / max(w, h))
        size = (max(16, round(w * scale)), max(16, round(h * scale)))
        name = f"distractor-{slot:05d}-photo-{reg.source}-{reg.label}"
        box = (cx, cy, cx + w, cy + h)
        items.append(
            Item(name, "photo", "distractor", seed, slot, size, reg.source, box, bool(r.random() < 0.5))
        )
    return items


def bases(n: int = 500, seed: int = 0, cache_dir: str | os.PathLike[str] | None = None) -> list[Base]:
    """The ``n`` bases, drawn (this takes ~0.1-0.3 s each; ``base_items`` gives the recipes only)."""
    return [item.load(cache_dir) for item in base_items(n, seed)]


def distractors(
    n: int = 5000, seed: int = 0, cache_dir: str | os.PathLike[str] | None = None
) -> Iterator[Base]:
    """The ``n`` distractors, drawn one at a time."""
    for item in distractor_items(n, seed):
        yield item.load(cache_dir)


def composition(items: Sequence[Item]) -> dict[str, int]:
    """Count of items by kind, in ``KINDS`` order."""
    counts = Counter(item.kind for item in items)
    return {k: counts[k] for k in KINDS if counts[k]}
