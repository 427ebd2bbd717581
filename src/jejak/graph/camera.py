"""Same camera: identity keys derived from EXIF, and the links from media to the camera that took them.

A camera is named by a key of one of three strengths, strongest first:

* **serial** (score 0.95): ``serial:<make>|<model>|<serial>``. A body serial number names one device. The
  serials come from :func:`jejak.metadata.exif.read_exif`: ``ExifInfo.serial`` is the most authoritative
  one it found (EXIF BodySerialNumber, then DNG CameraSerialNumber, then the vendor MakerNote), named by
  ``extra["serial_source"]``; the others are in ``extra["other_serials"]`` as ``"source=value; ..."``
  (for instance ``Canon.InternalSerialNumber``, which differs from the body serial printed on the
  camera). Each valid one gives a key, in that order. ``extra["lens_serial_number"]`` is not used: a
  lens moves between bodies. The key keeps make and model because vendors' serial ranges overlap (two
  makers' "1234567" are two cameras), and a serial without make or model gives no key for that reason.
  Not 1.0: serials are written by firmware and copied by editors that keep EXIF, so two files sharing one
  prove a shared EXIF origin more than a shared shutter.
* **unique_id** (score 0.6): ``uid:<make>|<model>|<prefix>``, the first ``UID_PREFIX_LEN`` (12) characters
  of EXIF ImageUniqueID. Many devices write a 32-hex-digit value whose leading part is fixed per device
  or per firmware family and whose tail changes per picture; the prefix is therefore a *family* key,
  weaker than a serial: a family can span several devices of one model (hence 0.6, and make and model in
  the key), and a device whose value is random per picture simply gets a key per picture, linking
  nothing. 12 characters (48 bits) is a judgement, not a measurement: long enough that unrelated
  random values never share it, short enough to keep a fixed part of that length. Values shorter than
  ``UID_MIN_LEN`` (16) characters after removing blanks and hyphens, not alphanumeric, all zeros or one
  repeated character, whose prefix is one repeated character, or shaped like a random (version 4) UUID
  (``xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx``, with or without hyphens) give no key.
* **model** (score 0.1): ``model:<make>|<model>``. Thousands of identical phones share it: a hint for
  grouping, never evidence of one device. It needs a model; make alone gives nothing.

Normalisation, so that the same camera written differently gives one key: make and model are
casefolded, ``|`` and commas become blanks, runs of blanks collapse; trailing vendor words are stripped
from the make while something is left ("NIKON CORPORATION" -> "nikon", "OLYMPUS IMAGING CORP." ->
"olympus", "CASIO COMPUTER CO.,LTD." -> "casio", "LEICA CAMERA AG" -> "leica"); a model that repeats the
make (or one of the make's words) as its first word loses it ("Canon EOS 5D" -> "eos 5d", "NIKON D750"
-> "d750"). Serials are stripped, upper-cased, lose leading zeros (one camera's serial is written "0012345"
in one tag and "12345" in another) and are refused when a placeholder: shorter than 4 characters, one
repeated character, or a known filler ("unknown", "none", "serial", "1234567890", ...).

:func:`camera_edges` gives each item at most one edge per strength, to the strongest key of that
strength (the most authoritative serial; there is one unique_id and one model key at most), so a file
with both a body serial and an internal serial does not count twice towards a camera; the other keys
stay visible through :func:`camera_keys`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jejak.model.graph import Edge, Node, NodeKind, node_key
from jejak.model.records import ExifInfo

__all__ = [
    "MODEL_SCORE",
    "SERIAL_SCORE",
    "UID_MIN_LEN",
    "UID_PREFIX_LEN",
    "UID_SCORE",
    "CameraKey",
    "camera_edges",
    "camera_keys",
    "normalise_make",
    "normalise_model",
    "normalise_serial",
    "unique_id_prefix",
]

SERIAL_SCORE = 0.95
UID_SCORE = 0.6
MODEL_SCORE = 0.1
UID_PREFIX_LEN = 12
UID_MIN_LEN = 16
MIN_SERIAL_LEN = 4
STRENGTHS = ("serial", "unique_id", "model")

# Trailing words of a maker's legal or divisional name (compared without dots).
_VENDOR_WORDS = frozenset(
    {
        "&",
        "a/s",
        "ag",
        "camera",
        "co",
        "coltd",
        "company",
        "computer",
        "corp",
        "corporation",
        "electric",
        "electronics",
        "gmbh",
        "imaging",
        "inc",
        "incorporated",
        "kg",
        "limited",
        "llc",
        "ltd",
        "optical",
        "plc",
    }
)
_PLACEHOLDERS = frozenset(
    {
        "0123456789",
        "123456789",
        "1234567890",
        "12345678",
        "default",
        "na",
        "n/a",
        "nil",
        "none",
        "noserial",
        "notavailable",
        "null",
        "serial",
        "serialnumber",
        "unknown",
    }
)
_UUID4 = re.compile(r"^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$")
_SEPARATORS = re.compile(r"[\s,|]+")


@dataclass(frozen=True)
class CameraKey:
    key: str  # "serial:<make>|<model>|<serial>", "uid:<make>|<model>|<prefix>" or "model:<make>|<model>"
    strength: str  # "serial" | "unique_id" | "model"
    score: float
    evidence: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


def normalise_make(make: str | None) -> str:
    """Casefolded, blanks collapsed, trailing vendor words ("corporation", "co., ltd.") removed."""
    words = _words(make)
    while len(words) > 1 and words[-1].replace(".", "") in _VENDOR_WORDS:
        words.pop()
    return " ".join(words)


def normalise_model(model: str | None, make: str | None = None) -> str:
    """Casefolded, blanks collapsed, without a first word that repeats the make."""
    words = _words(model)
    if len(words) > 1 and words[0] in _make_words(make):
        words = words[1:]
    return " ".join(words)


def normalise_serial(serial: str | None) -> str | None:
    """The serial as compared: stripped, upper-cased, no leading zeros; None for placeholders."""
    if serial is None:
        return None
    text = serial.strip().upper().lstrip("0")
    if len(text) < MIN_SERIAL_LEN or len(set(text)) == 1 or not text.isprintable():
        return None
    if re.sub(r"[\s_\-]+", "", text.casefold()) in _PLACEHOLDERS:
        return None
    return text


def unique_id_prefix(unique_id: str | None) -> str | None:
    """The family prefix of an ImageUniqueID, or None when the value carries no device information."""
    if unique_id is None:
        return None
    text = re.sub(r"[\s\-]+", "", unique_id).lower()
    if len(text) < UID_MIN_LEN or not text.isascii() or not text.isalnum():
        return None
    if len(set(text)) == 1 or _UUID4.match(text):
        return None
    prefix = text[:UID_PREFIX_LEN]
    return None if len(set(prefix)) == 1 else prefix


def camera_keys(exif: ExifInfo) -> list[CameraKey]:
    """Every identity key ``exif`` supports, strongest first (serials in order of authority)."""
    make, model = normalise_make(exif.make), normalise_model(exif.model, exif.make)
    base = {"make": exif.make or "", "model": exif.model or ""}
    keys: list[CameraKey] = []
    if make or model:
        seen: set[str] = set()
        for source, raw in _serials(exif):
            serial = normalise_serial(raw)
            if serial is None or serial in seen:
                continue
            seen.add(serial)
            evidence = {"strength": "serial", **base, "serial": serial, "source": source}
            keys.append(CameraKey(f"serial:{make}|{model}|{serial}", "serial", SERIAL_SCORE, evidence))
        prefix = unique_id_prefix(exif.image_unique_id)
        if prefix is not None:
            evidence = {"strength": "unique_id", **base, "unique_id_prefix": prefix}
            keys.append(CameraKey(f"uid:{make}|{model}|{prefix}", "unique_id", UID_SCORE, evidence))
    if model:
        evidence = {"strength": "model", **base}
        keys.append(CameraKey(f"model:{make}|{model}", "model", MODEL_SCORE, evidence))
    return keys


def camera_edges(items: Iterable[tuple[str, ExifInfo]]) -> tuple[dict[str, Node], list[Edge]]:
    """Camera nodes and ``content:<sha256>`` -> ``camera:<key>`` edges (rule ``camera``).

    Each item gets at most one edge per strength, to its strongest key of that strength. A content
    listed twice gets its edges once (the first listing's). Nodes are sorted by key, edges by (a, b).
    """
    labels: dict[str, set[str]] = {}
    attrs_of: dict[str, dict[str, Any]] = {}
    edges: dict[tuple[str, str, str], Edge] = {}
    for sha256, exif in items:
        content = node_key(NodeKind.CONTENT, sha256)
        taken: set[str] = set()
        for key in camera_keys(exif):
            if key.strength in taken:
                continue
            taken.add(key.strength)
            camera = node_key(NodeKind.CAMERA, key.key)
            labels.setdefault(camera, set()).add(_label(exif, key))
            if camera not in attrs_of:
                attrs_of[camera] = _node_attrs(exif, key)
            edge = Edge(content, camera, "camera", key.score, dict(key.evidence))
            edges.setdefault(edge.identity, edge)
    nodes: dict[str, Node] = {}
    for camera in sorted(labels):
        nodes[camera] = Node(camera, min(labels[camera]), attrs_of[camera])
    return nodes, sorted(edges.values(), key=lambda e: (e.a, e.b))


def _words(text: str | None) -> list[str]:
    return _SEPARATORS.sub(" ", (text or "").casefold()).split()


def _make_words(make: str | None) -> set[str]:
    """What a model may start with when it repeats the make: the make's words, or its normalised form."""
    words = set(_words(make)) | {normalise_make(make)}
    words.discard("")
    return words


def _serials(exif: ExifInfo) -> list[tuple[str, str]]:
    """(source, value) of every body serial read_exif found, most authoritative first."""
    out: list[tuple[str, str]] = []
    if exif.serial:
        out.append((str(exif.extra.get("serial_source", "serial")), exif.serial))
    others = exif.extra.get("other_serials")
    if isinstance(others, str):
        for part in others.split("; "):
            source, sep, value = part.partition("=")
            if sep and value:
                out.append((source, value))
    return out


def _node_attrs(exif: ExifInfo, key: CameraKey) -> dict[str, Any]:
    """A camera node's attributes: its strength and score, and the normalised parts of its key."""
    attrs: dict[str, Any] = {
        "strength": key.strength,
        "score": key.score,
        "make": normalise_make(exif.make),
        "model": normalise_model(exif.model, exif.make),
    }
    for name in ("serial", "unique_id_prefix"):
        if name in key.evidence:
            attrs[name] = key.evidence[name]
    return attrs


def _display_make(make: str | None) -> str:
    """The make as written, without trailing vendor words: "NIKON CORPORATION" -> "NIKON"."""
    words = _SEPARATORS.sub(" ", make or "").split()
    while len(words) > 1 and words[-1].casefold().replace(".", "") in _VENDOR_WORDS:
        words.pop()
    return " ".join(words)


def _label(exif: ExifInfo, key: CameraKey) -> str:
    words = (exif.model or "").split()
    if len(words) > 1 and words[0].casefold() in _make_words(exif.make):
        words = words[1:]  # the model repeats the make: "Canon" "Canon EOS 5D" -> "Canon EOS 5D"
    name = " ".join(w for w in (_display_make(exif.make), " ".join(words)) if w) or "camera"
    if key.strength == "serial":
        return f"{name} #{key.evidence['serial']}"
    if key.strength == "unique_id":
        return f"{name} (ImageUniqueID {key.evidence['unique_id_prefix']}…)"
    return f"{name} (model only)"
