"""jejak: ingest seized evidence, hash it, match it against known-material lists and link it."""

__version__ = "0.1.0"
