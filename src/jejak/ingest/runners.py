"""Where batches run: inline, a local process pool, or a Dask cluster. Same worker code everywhere;
results come back to the caller, which is the single writer."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from jejak.errors import ConfigError, MissingDependency
from jejak.hashing.registry import HashOptions
from jejak.ingest.process import process_batch
from jejak.model import LeafTask, TaskResult
from jejak.walk.limits import Limits


class Runner(Protocol):
    parallelism: int

    def submit(self, batch: list[LeafTask]) -> Any: ...

    def wait(self, futures: Iterable[Any]) -> Iterator[tuple[Any, list[TaskResult]]]:
        """Yield (future, results) for at least one finished future."""
        ...

    def close(self) -> None: ...


class InlineRunner:
    """Hash in the calling process: for debugging, tests and single-file commands."""

    parallelism = 1

    def __init__(self, limits: Limits, options: HashOptions) -> None:
        self.args = (limits, options)

    def submit(self, batch: list[LeafTask]) -> Any:
        f: cf.Future[list[TaskResult]] = cf.Future()
        f.set_result(process_batch(batch, *self.args))
        return f

    def wait(self, futures: Iterable[Any]) -> Iterator[tuple[Any, list[TaskResult]]]:
        for f in list(futures):
            yield f, f.result()

    def close(self) -> None:
        return None


class PoolRunner:
    """A pool of worker processes on this machine (fork: workers start in milliseconds)."""

    def __init__(self, workers: int, limits: Limits, options: HashOptions) -> None:
        self.parallelism = workers
        self.args = (limits, options)
        self.pool = cf.ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("fork")
        )

    def submit(self, batch: list[LeafTask]) -> Any:
        return self.pool.submit(process_batch, batch, *self.args)

    def wait(self, futures: Iterable[Any]) -> Iterator[tuple[Any, list[TaskResult]]]:
        done, _ = cf.wait(list(futures), return_when=cf.FIRST_COMPLETED)
        for f in done:
            yield f, f.result()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskRunner:
    """Batches as Dask tasks on a distributed cluster; ``local`` starts a LocalCluster here."""

    def __init__(self, address: str, limits: Limits, options: HashOptions, local_workers: int = 2) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise MissingDependency("distributed", "dask") from exc
        self.args = (limits, options)
        self.cluster: Any = None
        try:
            if address == "local":
                self.cluster = LocalCluster(
                    n_workers=local_workers, threads_per_worker=1, processes=True, dashboard_address=None
                )
                self.client = Client(self.cluster)
            else:
                self.client = Client(address, timeout="20s")
        except OSError as exc:
            raise ConfigError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
        info = self.client.scheduler_info()
        self.parallelism = max(1, sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()))

    def submit(self, batch: list[LeafTask]) -> Any:
        return self.client.submit(process_batch, batch, *self.args, pure=False)

    def wait(self, futures: Iterable[Any]) -> Iterator[tuple[Any, list[TaskResult]]]:
        from distributed import wait

        done, _ = wait(list(futures), return_when="FIRST_COMPLETED")
        for f in done:
            yield f, f.result()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_runner(workers: int, cluster: str | None, limits: Limits, options: HashOptions) -> Runner:
    if cluster:
        return DaskRunner(cluster, limits, options, local_workers=max(workers, 1))
    if workers <= 0:
        return InlineRunner(limits, options)
    return PoolRunner(workers, limits, options)
