"""Where the pipeline's independent tasks run (one proxy per assay, one final model set per
target): threads on this machine (``local``) or a Dask cluster (``dask``).

Both executors run the same task functions on the same inputs, so with the same seeds they give
the same models. Large inputs shared by every task (the fingerprint matrix, the labels) are sent
to each Dask worker once, not once per task; the fingerprint matrix is built on the workers and
never passes through the client.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from joblib import Parallel, delayed
from joblib._parallel_backends import LokyBackend
from joblib.executor import get_memmapping_executor

from ._utils import die_with_parent, progress, resolve_n_jobs
from .errors import BioassayMixError

logger = logging.getLogger(__name__)

EXECUTORS = ("local", "dask")


#: Tasks in flight per worker process in :func:`process_map`.
IN_FLIGHT = 2
_marked_pid: int | None = None


def process_map(func: Callable, items: Iterable[tuple], *, n_jobs: int) -> Iterator:
    """``func(*item)`` for each tuple of ``items`` in ``n_jobs`` worker processes, yielded in
    input order.

    The workers are joblib's own (its memmapping executor over loky, started once and reused by
    the process's later joblib calls, the user's included, with the thread limits joblib gives
    them); ``items`` is consumed lazily, at most :data:`IN_FLIGHT` tasks per worker ahead of
    what has been yielded, so memory stays flat in the input's length (joblib's own generator
    runs ahead of its consumer). Each worker is tied to this process's life (Linux): a killed
    parent leaves no worker behind.
    """
    pool = get_memmapping_executor(n_jobs, env=LokyBackend()._prepare_worker_env(n_jobs))
    parent = os.getpid()
    queue: deque = deque()
    try:
        for item in items:
            queue.append(pool.submit(_in_worker, parent, func, item))
            if len(queue) >= IN_FLIGHT * n_jobs:
                yield queue.popleft().result()
        while queue:
            yield queue.popleft().result()
    finally:
        for future in queue:
            future.cancel()


def _in_worker(parent: int, func: Callable, item: tuple) -> Any:
    global _marked_pid
    if os.getpid() != parent and _marked_pid != os.getpid():
        die_with_parent()
        _marked_pid = os.getpid()
    return func(*item)


class LocalExecutor:
    """Tasks in ``n_jobs`` threads of this process (XGBoost and RDKit's bulk calls release the
    GIL, and shared inputs are not copied)."""

    kind = "local"

    def __init__(self, n_jobs: int | None = 1):
        self.n_jobs = resolve_n_jobs(n_jobs)

    def map(
        self,
        func: Callable,
        items: Sequence,
        *,
        shared: dict[str, Any] | None = None,
        desc: str = "tasks",
        verbose: bool = True,
    ) -> list:
        """``[func(item, **shared) for item in items]``, in parallel, in order."""
        shared = shared or {}
        jobs = progress(
            (delayed(func)(item, **shared) for item in items),
            desc=desc,
            total=len(items),
            verbose=verbose,
        )
        return Parallel(n_jobs=self.n_jobs, prefer="threads")(jobs)

    def map_keep(
        self,
        func: Callable,
        items: Sequence,
        *,
        shared: dict[str, Any] | None = None,
        desc: str = "tasks",
        verbose: bool = True,
    ) -> list:
        """Like :meth:`map`; here results are always in memory."""
        return self.map(func, items, shared=shared, desc=desc, verbose=verbose)

    def combine(self, func: Callable, parts: list) -> Any:
        """``func(parts)``."""
        return func(parts)

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DaskExecutor:
    """Tasks on a Dask cluster: ``scheduler`` (an address such as ``tcp://host:8786``) or, by
    default, a ``LocalCluster`` of ``n_workers`` single-threaded worker processes started here.

    A task lost with a worker is run again elsewhere (Dask reschedules it; ``retries`` more
    attempts are allowed for tasks that raise), so a run survives losing workers. For that the
    copies of shared data on every worker must stay, so the cluster's Active Memory Manager is
    paused while the executor is open and started again on :meth:`close`.
    """

    kind = "dask"

    def __init__(
        self,
        scheduler: str | None = None,
        *,
        n_workers: int | None = None,
        threads_per_worker: int = 1,
        retries: int = 2,
    ):
        distributed = _import_distributed()
        self.retries = retries
        self._cluster = None
        if scheduler:
            self.client = distributed.Client(scheduler)
        else:
            n = resolve_n_jobs(n_workers or -1)
            self._cluster = distributed.LocalCluster(
                n_workers=n,
                threads_per_worker=threads_per_worker,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            self.client = distributed.Client(self._cluster)
            self.client.wait_for_workers(n)
        # Dask's Active Memory Manager drops the copies of shared data made here (scatter with
        # broadcast, replicate) once no task waits for them (dask/distributed#6578); losing the
        # worker that keeps the last copy then loses every task that needs it. Paused while
        # this executor is open.
        self._amm_paused = self.client.amm.running()
        if self._amm_paused:
            logger.info("Dask: the Active Memory Manager is paused while this run is connected")
            self.client.amm.stop()
        logger.info("Dask executor: %s", self.client)

    def map(
        self,
        func: Callable,
        items: Sequence,
        *,
        shared: dict[str, Any] | None = None,
        desc: str = "tasks",
        verbose: bool = True,
    ) -> list:
        """``[func(item, **shared) for item in items]`` as Dask tasks, results in order.
        ``items`` and ``shared`` values may be futures already on the cluster (they are
        passed by reference, never through this process)."""
        return self.client.gather(self._submit(func, items, shared, desc, verbose))

    def map_keep(
        self,
        func: Callable,
        items: Sequence,
        *,
        shared: dict[str, Any] | None = None,
        desc: str = "tasks",
        verbose: bool = True,
    ) -> list:
        """Like :meth:`map`, but the results stay on the workers: a list of futures."""
        return self._submit(func, items, shared, desc, verbose)

    def _submit(self, func, items, shared, desc, verbose) -> list:
        from distributed import Future, as_completed

        if not len(items):
            return []
        # Wrapped in a list: scatter() would split a dict or list into one future per item.
        remote = {
            k: v
            if isinstance(v, Future)
            else self.client.scatter([v], broadcast=True, hash=False)[0]
            for k, v in (shared or {}).items()
        }
        futures = self.client.map(func, list(items), **remote, pure=False, retries=self.retries)
        for _ in progress(as_completed(futures), desc=desc, total=len(futures), verbose=verbose):
            pass
        return futures

    def combine(self, func: Callable, parts: list) -> Any:
        """``func(parts)`` run on a worker (``parts`` move between workers, not through this
        process), its result copied to every worker and returned as a future: losing a worker
        leaves the copies on the others."""
        future = self.client.submit(func, parts, pure=False, retries=self.retries)
        self.client.replicate([future])
        return future

    def close(self) -> None:
        if self._amm_paused:
            self.client.amm.start()
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def check_executor(kind: str, scheduler: str | None) -> None:
    """Refuse an unknown executor, or a scheduler address without ``kind="dask"``."""
    if kind not in EXECUTORS:
        raise ValueError(f"executor must be one of {EXECUTORS}, got {kind!r}")
    if scheduler and kind != "dask":
        raise ValueError("scheduler is only used with executor='dask'")


def make_executor(
    kind: str = "local", *, n_jobs: int | None = 1, scheduler: str | None = None
) -> LocalExecutor | DaskExecutor:
    """``local`` (threads) or ``dask`` (``scheduler`` address, else a LocalCluster of
    ``n_jobs`` workers)."""
    check_executor(kind, scheduler)
    if kind == "local":
        return LocalExecutor(n_jobs)
    return DaskExecutor(scheduler, n_workers=n_jobs)


def _import_distributed():
    try:
        import distributed
    except ImportError as exc:
        raise BioassayMixError(
            "executor='dask' needs Dask's distributed scheduler: pip install 'bioassay-mix[dask]'"
        ) from exc
    return distributed
