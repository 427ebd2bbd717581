"""Benign synthetic evidence for tests and demos.

Nothing here is real evidence. ``images`` draws procedural pictures (gradients, shapes, textures, stripes,
checkerboards, words and empty rooms; never people) and encodes them with real EXIF blocks; ``fatimage``
writes FAT12/FAT16 disk images in pure Python, deleted files included; ``seizure`` assembles both into a
deterministic demo seizure with a manifest of what an ingest is expected to find.
"""
