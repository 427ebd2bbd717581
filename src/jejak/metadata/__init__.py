"""Metadata read from evidence files: EXIF (camera, serial number, capture time, GPS)."""

from jejak.metadata.exif import read_exif

__all__ = ["read_exif"]
