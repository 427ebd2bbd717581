"""IngestJob: walk -> batches -> workers -> one writer, resumable leaf by leaf."""

from __future__ import annotations

import collections
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from jejak.config import Settings
from jejak.hashing.registry import HashOptions
from jejak.ingest.runners import Runner, make_runner
from jejak.ingest.walker import walk_source
from jejak.model import LeafTask, TaskResult, WarningRecord
from jejak.store.sql import Store
from jejak.walk.limits import Limits


@dataclass
class Progress:
    """Counters the job updates as results arrive; a UI reads them."""

    files: int = 0
    bytes: int = 0
    leaves_done: int = 0
    leaves_skipped: int = 0
    warnings: int = 0
    by_kind: collections.Counter[str] = field(default_factory=collections.Counter)
    started: float = field(default_factory=time.monotonic)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "bytes": self.bytes,
            "by_kind": dict(sorted(self.by_kind.items())),
            "warnings": self.warnings,
            "leaves_done": self.leaves_done,
            "leaves_skipped_as_already_done": self.leaves_skipped,
            "seconds": round(time.monotonic() - self.started, 3),
        }


class IngestJob:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        case_id: int,
        exhibit_id: int,
        sources: list[str],
        cluster: str | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.case_id = case_id
        self.exhibit_id = exhibit_id
        self.sources = [os.path.abspath(s) for s in sources]
        self.cluster = cluster
        self.limits = Limits.from_settings(settings)
        self.progress = Progress()
        self.on_progress = on_progress or (lambda p: None)
        self._loose: list[WarningRecord] = []

    def run(self) -> dict[str, Any]:
        s = self.settings
        run_settings = s.model_dump(mode="json", exclude={"db", "secret_key"})
        run_id = self.store.start_run(self.case_id, self.exhibit_id, self.sources, run_settings)
        runner = make_runner(s.workers, self.cluster, self.limits, HashOptions.from_settings(s))
        status = "failed"
        try:
            self._loop(runner, run_id)
            status = "finished"
        finally:
            runner.close()
            counts = self.progress.as_dict()
            self.store.finish_run(run_id, status, counts)
        return {"run_id": run_id, **self.progress.as_dict()}

    def _leaves(self, done: dict[str, str | None]) -> Iterator[LeafTask]:
        for src in self.sources:
            for leaf in walk_source(src, self._loose.append):
                kind = done.get(leaf.key, "")
                if kind == "":
                    yield leaf
                elif kind == "disk_image":
                    # Hashed before; its files may not all be: list them again, skip the done ones.
                    yield LeafTask(leaf.pathspec, leaf.size, enumerate_only=True)
                else:
                    self.progress.leaves_skipped += 1

    def _loop(self, runner: Runner, run_id: int) -> None:
        s = self.settings
        done = self.store.done_leaves(self.exhibit_id)
        walker = self._leaves(done)
        queue: collections.deque[LeafTask] = collections.deque()
        pending: set[Any] = set()
        buffered: list[TaskResult] = []
        buffered_records = 0
        walking = True
        in_flight_cap = max(2, runner.parallelism * 3)

        def next_batch() -> list[LeafTask]:
            nonlocal walking
            batch: list[LeafTask] = []
            size = 0
            while len(batch) < s.batch_files and size < s.batch_bytes:
                if not queue and walking:
                    try:
                        queue.append(next(walker))
                    except StopIteration:
                        walking = False
                if not queue:
                    break
                leaf = queue.popleft()
                batch.append(leaf)
                size += leaf.size or 0
            return batch

        while True:
            while len(pending) < in_flight_cap:
                batch = next_batch()
                if not batch:
                    break
                pending.add(runner.submit(batch))
            if self._loose:
                self.store.record_warnings(self.exhibit_id, run_id, self._loose)
                self.progress.warnings += len(self._loose)
                self._loose.clear()
            if not pending:
                break
            for fut, results in runner.wait(pending):
                pending.discard(fut)
                for res in results:
                    queue.extend(c for c in res.children if done.get(c.key, "") == "")
                    self.progress.leaves_skipped += sum(1 for c in res.children if done.get(c.key, "") != "")
                    buffered.append(res)
                    buffered_records += len(res.records)
            if buffered_records >= s.commit_every or not pending or len(buffered) >= s.commit_every:
                self._flush(run_id, buffered)
                buffered, buffered_records = [], 0
        if buffered:
            self._flush(run_id, buffered)

    def _flush(self, run_id: int, results: list[TaskResult]) -> None:
        if not results:
            return
        self.store.write_results(self.exhibit_id, run_id, results)
        p = self.progress
        for res in results:
            p.leaves_done += 1
            p.bytes += res.bytes_read
            p.files += len(res.records)
            p.warnings += len(res.warnings) + sum(len(r.warnings) for r in res.records)
            p.by_kind.update(str(r.kind) for r in res.records)
        self.on_progress(p)
