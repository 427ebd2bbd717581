"""The robustness dataset: benign base pictures, the edits offenders make to them, and distractors.

Everything is drawn from numbers or taken from the sample photos shipped inside scikit-image (only the
ones in ``PHOTO_SOURCES``: objects, textures, astronomy, microscopy, text; never a person), and nothing is
downloaded: the photos are read from the installed package's files, scikit-image itself is not imported.

**Bases** (``bases``, ``base_items``) are the known pictures a list would carry. They come from several
generators, each a *kind*:

- ``shapes``, ``room``, ``text``, ``checker``, ``stripes``, ``texture``: ``procedural_image`` styles, at
  random sizes (longer side 640-1600 px) and aspect ratios (1:1 to 16:9, landscape or portrait);
- ``camera``: ``camera_photo`` (a procedural scene drawn at half size, upsampled, with grain and sensor
  noise), same sizes;
- ``photo``: the scikit-image samples: the small ones whole, the larger ones cut into a grid of disjoint
  tiles, each tile slightly inset and rescaled. Tiles alternate (checkerboard, phase by seed) between
  bases and distractors, so no base shares a pixel with another base or with any distractor.

A base must be one a list would carry: its PDQ quality is at least ``MIN_QUALITY`` (jejak's
``match_pdq_quality``; ``jejak lists build`` drops lower-quality PDQs). A procedural slot that draws a
flatter picture redraws with the next seed. The ``gradient`` style is therefore not used: its quality is
below 50 for nearly every seed.

**Distractors** (``distractors``, ``distractor_items``) are other pictures of the same kinds: different
seeds, and random crops (possibly mirrored) of the photo tiles kept for distractors.

Every item is stored as a JPEG of quality 95, as listed and seized files mostly are: ``Item.image``
decodes that JPEG, so passing a ``cache_dir`` (where the bytes are kept between runs) never changes a
picture. Seeds are laid out so that bases, distractors and collage partners never share one.

**Transforms** (``TRANSFORMS``) are the ladder of edits, each with a family, a strength, a group (``mild``
and ``hard`` as the issue's floors group them; ``beyond`` for strengths past the floors) and a function
``(RGB image, numpy Generator) -> RGB image``; ``transform_rng`` gives the generator of one (base,
transform) pair. Percentages of crops and borders are per side.
"""

from __future__ import annotations

from jejak.testing.robustness.items import (
    KINDS,
    MAX_SIDE,
    MIN_QUALITY,
    MIN_SIDE,
    PHOTO_SOURCES,
    PROCEDURAL_KINDS,
    Base,
    Item,
    _seed_int,
    base_items,
    bases,
    composition,
    decode,
    distractor_items,
    distractors,
    pdq_quality,
    photo_path,
)
from jejak.testing.robustness.transforms import (
    GROUPS,
    QUICK,
    TRANSFORMS,
    Transform,
    inner_rectangle,
    transform_rng,
    transforms,
)

__all__ = [
    "GROUPS",
    "KINDS",
    "MAX_SIDE",
    "MIN_QUALITY",
    "MIN_SIDE",
    "PHOTO_SOURCES",
    "PROCEDURAL_KINDS",
    "QUICK",
    "TRANSFORMS",
    "Base",
    "Item",
    "Transform",
    "_seed_int",
    "base_items",
    "bases",
    "composition",
    "decode",
    "distractor_items",
    "distractors",
    "inner_rectangle",
    "pdq_quality",
    "photo_path",
    "transform_rng",
    "transforms",
]
