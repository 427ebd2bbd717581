"""The walker: evidence roots on the local file system -> leaves, without following symlinks."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator

from jejak.errors import EvidenceError
from jejak.evidence.base import from_timestamp
from jejak.model import LeafTask, PathSpec, WarningRecord

WarnSink = Callable[[WarningRecord], None]


def _leaf(path: str, root: str, st: os.stat_result) -> LeafTask:
    return LeafTask(
        PathSpec.os_path(path, root),
        st.st_size,
        mtime=from_timestamp(st.st_mtime),
        atime=from_timestamp(st.st_atime),
        ctime=from_timestamp(st.st_ctime),
        crtime=from_timestamp(getattr(st, "st_birthtime", None)),
    )


def check_sources(paths: list[str]) -> None:
    for p in paths:
        if not os.path.lexists(p):
            raise EvidenceError(f"evidence not found: {p}")
        if not (os.path.isdir(p) or os.path.isfile(p)):
            raise EvidenceError(f"evidence is neither a folder nor a regular file: {p}")


def walk_source(path: str, warn: WarnSink) -> Iterator[LeafTask]:
    """Regular files under ``path`` (or ``path`` itself), in a stable order.

    Symlinks are never followed, so nothing outside the root is reached and link loops cannot
    recur; a link that points outside the root is reported. Devices, FIFOs and sockets are
    reported and not read (reading a FIFO would block forever).
    """
    root = os.path.abspath(path)
    st = os.stat(root)
    if stat.S_ISREG(st.st_mode):
        yield _leaf(root, root, st)
        return
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            dst = os.stat(d, follow_symlinks=False)
            ident = (dst.st_dev, dst.st_ino)
            if ident in seen:
                continue
            seen.add(ident)
            with os.scandir(d) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            warn(
                WarningRecord(
                    "walk", f"folder cannot be read: {exc.strerror or exc}", PathSpec.os_path(d, root)
                )
            )
            continue
        subdirs = []
        for e in entries:
            try:
                est = e.stat(follow_symlinks=False)
            except OSError as exc:
                warn(
                    WarningRecord(
                        "walk", f"cannot stat: {exc.strerror or exc}", PathSpec.os_path(e.path, root)
                    )
                )
                continue
            mode = est.st_mode
            if stat.S_ISLNK(mode):
                try:
                    target = os.path.realpath(e.path)
                except OSError:
                    target = "?"
                if not (target == root or target.startswith(root + os.sep)):
                    warn(
                        WarningRecord(
                            "walk",
                            f"symbolic link to {target} outside the evidence root: not followed",
                            PathSpec.os_path(e.path, root),
                        )
                    )
            elif stat.S_ISDIR(mode):
                subdirs.append(e.path)
            elif stat.S_ISREG(mode):
                yield _leaf(e.path, root, est)
            else:
                warn(
                    WarningRecord("walk", "device, FIFO or socket: not read", PathSpec.os_path(e.path, root))
                )
        stack.extend(reversed(subdirs))
