"""Reading a list's raw category value in a scheme, with the spellings real lists use.

``vic-us``, ``vic-legacy`` and ``industry`` codes go through ``Category.parse`` (1, 1.0, "1", "a1" -> "A1").
The ``uk`` scheme takes its letters in any of the usual spellings ("A", "a", "Cat A", "Category A") and, for
the VICS 2.0 UK profile, the numbers 1, 2, 3 for A, B, C. That numeric mapping is our reading of how UK VICS
exports carry CAID grades; it is not confirmed by a public specification (see docs/formats.md).
"""

from __future__ import annotations

import re
from typing import Any

from jejak.model.lists import Category

UK_BY_NUMBER: dict[str, str] = {"1": "A", "2": "B", "3": "C"}
NUMBER_BY_UK: dict[str, int] = {"A": 1, "B": 2, "C": 3}
_UK_WORDS = re.compile(r"^\s*(?:category|cat)?[\s._-]*([abc])\s*$", re.IGNORECASE)


class CategoryReader:
    """Callable raw value -> Category | None for one scheme; raises ValueError for a value not in it.
    Results are cached per raw value (lists repeat a handful of codes millions of times)."""

    def __init__(self, scheme: str | None, notes: dict[str, Any] | None = None) -> None:
        self.scheme = scheme
        self.notes = (
            notes  # uk: gets "category_style" ("number" or "letter", the first seen) to write back alike
        )
        self._cache: dict[object, Category | None] = {}

    def __call__(self, raw: object) -> Category | None:
        if self.scheme is None:
            return None
        key = (type(raw), raw) if raw is None or isinstance(raw, _SCALARS) else None
        if key is not None:
            hit = self._cache.get(key, _MISS)
            if hit is not _MISS:
                return hit  # type: ignore[return-value]
        result = self._parse(raw)
        if key is not None and len(self._cache) < 4096:
            self._cache[key] = result
        return result

    def _parse(self, raw: object) -> Category | None:
        if isinstance(raw, bool | dict | list):
            raise ValueError(f"category is not a code: {raw!r}")
        if self.scheme != "uk":
            return Category.parse(self.scheme or "", raw)
        if raw is None:
            return None
        text = str(raw).strip()
        if text == "" or text.lower() in {"null", "none"}:
            return None
        if text.endswith(".0"):
            text = text[:-2]
        if text in UK_BY_NUMBER:
            if self.notes is not None:
                self.notes.setdefault("category_style", "number")
            return Category("uk", UK_BY_NUMBER[text])
        m = _UK_WORDS.match(text)
        if m:
            if self.notes is not None:
                self.notes.setdefault("category_style", "letter")
            return Category("uk", m.group(1).upper())
        raise ValueError(f"category {text!r} is not in scheme uk; known: A, B, C (or 1, 2, 3)")


_MISS = object()
_SCALARS = (str, int, float, bool)
