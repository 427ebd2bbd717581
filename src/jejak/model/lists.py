"""Known-hash lists: categories in their schemes, list entries, and the hits a matcher produces.

A category is a ``(scheme, code)`` pair: the scheme says whose classification it is (Project VIC US, the
legacy VIC scale, UK, industry) and the code is that scheme's value. "No category" is ``None``, never a code
0: in VIC-US, 0 means Non-Pertinent, which is a decision, while a missing category means nobody decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jejak.model.records import HashValue

# scheme -> code -> label. Codes are strings so that "1" and "A1" live in one column.
SCHEMES: dict[str, dict[str, str]] = {
    "vic-us": {
        "0": "Non-Pertinent",
        "1": "CAM",
        "2": "Exploitive / Age-difficult",
        "3": "CGI / Animation",
        "4": "Comparison",
    },
    "vic-legacy": {
        "0": "Uncategorized",
        "1": "Child Exploitation (Illegal)",
        "2": "Child Exploitation (Non-Illegal / Age Difficult)",
        "3": "CGI / Animation (Child Exploitive)",
        "4": "Exemplar / Comparison (Internal Use Only)",
        "5": "Non-Pertinent",
    },
    "uk": {
        "A": "Category A",
        "B": "Category B",
        "C": "Category C",
    },
    "industry": {
        "A1": "A1",
        "A2": "A2",
        "B1": "B1",
        "B2": "B2",
    },
}
DEFAULT_SCHEME = "vic-us"


@dataclass(frozen=True, order=True)
class Category:
    scheme: str
    code: str

    def __post_init__(self) -> None:
        codes = SCHEMES.get(self.scheme)
        if codes is None:
            raise ValueError(f"unknown category scheme {self.scheme!r}; known: {', '.join(SCHEMES)}")
        if self.code not in codes:
            raise ValueError(
                f"category {self.code!r} is not in scheme {self.scheme}; known: {', '.join(codes)}"
            )

    @property
    def label(self) -> str:
        return SCHEMES[self.scheme][self.code]

    @staticmethod
    def parse(scheme: str, code: object) -> Category | None:
        """A category from a list's raw value: None, "" and "null" mean uncategorised.
        Numbers are accepted for numeric schemes (1, 1.0, "1"); letters are upper-cased."""
        if code is None:
            return None
        text = str(code).strip()
        if text == "" or text.lower() in {"null", "none"}:
            return None
        if text.endswith(".0") and text[:-2].isdigit():
            text = text[:-2]
        return Category(scheme, text.upper())

    def as_dict(self) -> dict[str, str]:
        return {"scheme": self.scheme, "code": self.code, "label": self.label}


# The hashes an entry can be matched on, in the order its identity key lists them.
KEY_ORDER: tuple[str, ...] = ("md5", "sha1", "sha256", "pdq")


def entry_key(hashes: dict[str, str], photodna: str | None, external_id: str | None) -> str | None:
    """``ListEntry.key`` from an entry's hashes by algorithm (the store computes it this way in bulk)."""
    parts = [f"{alg}:{hashes[alg]}" for alg in KEY_ORDER if alg in hashes]
    if parts:
        return "|".join(parts)
    if photodna:
        return f"photodna:{photodna}"
    if external_id:
        return f"id:{external_id}"
    return None


@dataclass(frozen=True)
class ListEntry:
    """One known item of a hash list, as read from any format.

    ``hashes`` hold validated digests and perceptual hashes (md5, sha1, sha256, pdq) that can be matched.
    ``photodna`` is stored and re-exported exactly as read, never matched. ``extra`` keeps every key the
    reader did not map, so that an import followed by an export in the same format loses nothing.
    """

    hashes: tuple[HashValue, ...]
    category: Category | None = None
    photodna: str | None = None
    series: str | None = None
    victim_identified: bool | None = None
    offender_identified: bool | None = None
    distributed: bool | None = None
    baseline: bool | None = None
    external_id: str | None = None
    media_type: str | None = None
    name: str | None = None
    size: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # Robust-matching descriptors of the media the entry was built from (``lists build``): name -> blob.
    descriptors: dict[str, bytes] = field(default_factory=dict, compare=False, hash=False)

    def hash(self, algorithm: str) -> str | None:
        for h in self.hashes:
            if h.algorithm == algorithm:
                return h.value
        return None

    @property
    def key(self) -> str | None:
        """The entry's identity within its list: all its matchable hashes ("md5:…|sha256:…"), else its
        PhotoDNA or external id; None when it has nothing to be known by. A later release that changes
        an item's hashes lists a different entry; one that changes its category or flags updates it."""
        return entry_key({h.algorithm: h.value for h in self.hashes}, self.photodna, self.external_id)

    def flags(self) -> dict[str, bool]:
        out: dict[str, bool] = {}
        for name in ("victim_identified", "offender_identified", "distributed", "baseline"):
            v = getattr(self, name)
            if v is not None:
                out[name] = v
        return out


@dataclass(frozen=True)
class ListHeader:
    """What a reader learned about the file as a whole: its format, version, profile and top-level keys."""

    format: str
    version: str | None = None
    profile: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    """A content of the store that matched a list entry: by which algorithm (md5, sha1, sha256, pdq), at
    which distance (0 for exact), and through which dihedral variant of the content (None: as it is)."""

    content_id: int
    entry_id: int
    list_id: int
    algorithm: str
    distance: int
    variant: str | None = None
    evidence: dict[str, Any] | None = field(default=None, compare=False, hash=False)
