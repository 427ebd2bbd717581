"""The on-disk form of an index: one uncompressed ``.npz`` file, no pickle anywhere.

Members: ``header`` (a 0-d unicode array holding JSON: ``format`` = ``"jejak.pdq-index"``, ``version``,
``kind`` and the kind's own fields), ``meta`` (0-d unicode array, the caller's JSON metadata) and plain
numeric arrays named by the kind. Writing goes to a temporary file beside the target, then ``os.replace``,
so a crash never leaves half an index under the real name. Reading uses ``np.load(allow_pickle=False)``;
every way a file can be wrong (not a zip, a ``.npy``, an object array, another format, another version,
missing or mis-typed members) becomes a ``StoreError`` that says what was expected.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from jejak.errors import StoreError

FORMAT = "jejak.pdq-index"
VERSION = 1


def _json_array(value: Any, what: str) -> NDArray[np.str_]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"index {what} must be a dict with str keys, got {type(value).__name__}")
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"index {what} must be JSON-serialisable: {exc}") from exc
    return np.array(text)


def save_index(
    path: str | os.PathLike[str],
    kind: str,
    fields: dict[str, Any],
    meta: dict[str, Any],
    arrays: dict[str, Any],
    *,
    format: str = FORMAT,
    version: int = VERSION,
) -> None:
    """Write ``arrays`` and the header/meta JSON to ``path`` atomically (the name is used as given).
    ``format`` and ``version`` name the file kind (PDQ indexes by default; the robust index has its own)."""
    target = Path(path)
    header = _json_array({"format": format, "version": version, "kind": kind, **fields}, "header")
    meta_arr = _json_array(meta, "meta")
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:  # a file object: np.savez would otherwise append ".npz" to the name
            np.savez(f, header=header, meta=meta_arr, **arrays)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _text(value: NDArray[Any], name: str, where: Path, what: str) -> str:
    if value.dtype.kind != "U" or value.ndim != 0:
        raise StoreError(f"{where}: member {name!r} is not a JSON string; not a {what}")
    return str(value[()])


def load_index(
    path: str | os.PathLike[str],
    kind: str | None,
    members: dict[str, tuple[str, int]],
    *,
    format: str = FORMAT,
    version: int = VERSION,
    noun: str = "PDQ index",
) -> tuple[dict[str, Any], dict[str, Any], dict[str, NDArray[Any]]]:
    """(header, meta, arrays) of an index file of ``kind`` (None: any); ``members`` maps array names to the
    expected (dtype kind letters, ndim). Raises ``StoreError`` for anything but a well-formed file of this
    format and version; ``noun`` names the file in messages."""
    where = Path(path)
    what = f"jejak {noun}"
    try:
        z = np.load(where, allow_pickle=False)
        if not isinstance(z, np.lib.npyio.NpzFile):
            raise StoreError(f"{where} is a single .npy array, not a {what} (.npz)")
        with z:
            if "header" not in z.files:
                raise StoreError(f"{where} has no 'header' member: not a {what}")
            try:
                header = json.loads(_text(z["header"], "header", where, what))
            except json.JSONDecodeError as exc:
                raise StoreError(f"{where}: the header is not JSON ({exc}); not a {what}") from exc
            if not isinstance(header, dict) or header.get("format") != format:
                found = header.get("format") if isinstance(header, dict) else None
                raise StoreError(f"{where} is not a {what} (format {found!r}, expected {format!r})")
            if header.get("version") != version:
                raise StoreError(
                    f"{where} is a {what} of format version {header.get('version')!r}; "
                    f"this jejak reads version {version} only: rebuild the index"
                )
            if kind is not None and header.get("kind") != kind:
                raise StoreError(f"{where} holds a {header.get('kind')!r} index, expected {kind!r}")
            if "meta" not in z.files:
                raise StoreError(f"{where} has no 'meta' member: corrupt index")
            meta = json.loads(_text(z["meta"], "meta", where, what))
            if not isinstance(meta, dict):
                raise StoreError(f"{where}: 'meta' is not a JSON object: corrupt index")
            arrays: dict[str, NDArray[Any]] = {}
            for name, (kinds, ndim) in members.items():
                if name not in z.files:
                    raise StoreError(f"{where} has no {name!r} member: corrupt index")
                arr = z[name]
                if arr.dtype.kind not in kinds or arr.ndim != ndim:
                    raise StoreError(
                        f"{where}: member {name!r} is {arr.dtype} with {arr.ndim} dims: corrupt index"
                    )
                arrays[name] = arr
    except StoreError:
        raise
    except FileNotFoundError as exc:
        raise StoreError(f"no {noun.removeprefix('PDQ ')} file at {where}") from exc
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        # ValueError includes numpy's refusal of pickled or object data with allow_pickle=False
        raise StoreError(f"{where} is not a readable {what}: {exc}") from exc
    return header, meta, arrays
