"""Ingest evidence into a case, and hash loose files without a database."""

from __future__ import annotations

import collections
import os
from collections.abc import Callable, Iterator
from typing import Any

from jejak.config import Settings
from jejak.hashing.registry import HashOptions
from jejak.ingest.job import IngestJob, Progress
from jejak.ingest.process import process_batch
from jejak.ingest.walker import check_sources, walk_source
from jejak.model import FileRecord, WarningRecord
from jejak.services.graph import link_case
from jejak.services.match import match_case
from jejak.services.media import link_case_media
from jejak.store.sql import Store
from jejak.walk.limits import Limits


def exhibit_name_for(source: str) -> str:
    return os.path.basename(os.path.abspath(source).rstrip(os.sep)) or source


def ingest_case(
    store: Store,
    settings: Settings,
    case: str,
    sources: list[str],
    exhibit: str | None = None,
    cluster: str | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> dict[str, Any]:
    """Ingest each source into its exhibit (named after the source unless ``exhibit`` is given)."""
    check_sources(sources)
    row = store.get_case(case)
    groups: dict[str, list[str]] = {}
    for src in sources:
        groups.setdefault(exhibit or exhibit_name_for(src), []).append(src)
    runs = []
    for name, srcs in groups.items():
        exhibit_id = store.exhibit_id(row.id, name)
        job = IngestJob(store, settings, row.id, exhibit_id, srcs, cluster=cluster, on_progress=on_progress)
        runs.append({"exhibit": name, "sources": [os.path.abspath(s) for s in srcs], **job.run()})
    total: dict[str, Any] = {
        "case": case,
        "files": 0,
        "bytes": 0,
        "warnings": 0,
        "by_kind": {},
        "seconds": 0.0,
    }
    for r in runs:
        for k in ("files", "bytes", "warnings"):
            total[k] += r[k]
        total["seconds"] = round(total["seconds"] + r["seconds"], 3)
        for kind, n in r["by_kind"].items():
            total["by_kind"][kind] = total["by_kind"].get(kind, 0) + n
    total["by_kind"] = dict(sorted(total["by_kind"].items()))
    total["runs"] = runs
    if store.lists.any():  # subtract what is known straight away (and link the case's media)
        total["match"] = match_case(store, settings, case)
    else:
        total["links"] = link_case_media(store, settings, store.get_case(case).id)
        total["graph"] = link_case(store, settings, case)
    return total


def hash_files(
    settings: Settings, paths: list[str]
) -> Iterator[tuple[FileRecord | None, WarningRecord | None]]:
    """Digests, PDQ and metadata of loose files (archives expanded, disk images walked), in this process,
    no store."""
    check_sources(paths)
    limits = Limits.from_settings(settings)
    options = HashOptions.from_settings(settings)
    loose: list[WarningRecord] = []
    for src in paths:
        queue = collections.deque(walk_source(src, loose.append))
        yield from ((None, w) for w in loose)
        loose.clear()
        while queue:
            for res in process_batch([queue.popleft()], limits, options):
                yield from ((rec, None) for rec in res.records)
                yield from ((None, w) for w in res.warnings)
                queue.extend(res.children)  # the files of a disk image
