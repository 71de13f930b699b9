"""Where the cross-validation folds of one run execute: the ``parallel`` config group.

- ``parallel=local`` (default): on this machine, ``cleanlearning.n_jobs`` folds at a time
  (joblib's loky processes), as CleanLearning does by itself.
- ``parallel=dask``: on the workers of a Dask cluster, through
  ``joblib.parallel_config(backend="dask")``. ``parallel.address: null`` starts a
  ``LocalCluster`` of ``parallel.n_workers`` processes for the job; an address
  (``tcp://scheduler:8786``) connects to a running cluster, e.g. one that dask-jobqueue
  started on Slurm. The folds' pred_probs are the same numbers as a serial run's (each fold
  is a pure function of its data and seed), so the cache key ignores this group.

:func:`folds_backend` is the one entry point: a context manager that the experiment enters
around cross-validation. It yields the ``n_jobs`` to give the folds and closes the client
(and the cluster it started) on the way out, also when the cross-validation fails.
dask.distributed (the ``[dask]`` extra) is imported only when ``parallel=dask`` is used.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from omegaconf import DictConfig

__all__ = ["DaskParallelConfig", "LocalParallelConfig", "folds_backend", "register_schemas", "validate_parallel"]

log = logging.getLogger(__name__)

# Set on the workers of a LocalCluster started here: one BLAS thread per worker process, so
# that a fold computes the same bits there as in a serial run (and the 2 workers do not
# oversubscribe the cores with BLAS threads).
SINGLE_THREADED_BLAS = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


@dataclass
class LocalParallelConfig:
    """Schema of conf/parallel/local.yaml."""

    name: str = "local"


@dataclass
class DaskParallelConfig:
    """Schema of conf/parallel/dask.yaml."""

    name: str = "dask"
    # null: start a LocalCluster for the job; otherwise a scheduler address to connect to.
    address: str | None = None
    # Workers (processes) of the LocalCluster started when address is null.
    n_workers: int = 2
    threads_per_worker: int = 1


def register_schemas(store) -> None:
    """Store the group's schemas in Hydra's ConfigStore (``schema_parallel_<name>``)."""
    store.store(name="schema_parallel_local", node=LocalParallelConfig)
    store.store(name="schema_parallel_dask", node=DaskParallelConfig)


def validate_parallel(parallel: DictConfig) -> list[str]:
    """One short line per bad value of the ``parallel`` group (never raises)."""
    name = parallel.get("name")
    if name == "local":
        return []
    if name != "dask":
        return [f"parallel.name must be 'local' or 'dask'; got {name!r}"]
    problems = []
    for key in ("n_workers", "threads_per_worker"):
        value = parallel.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            problems.append(f"parallel.{key} must be an int >= 1; got {value!r}")
    address = parallel.get("address")
    if address is not None and (not isinstance(address, str) or "://" not in address):
        problems.append(f"parallel.address must be null or a scheduler address such as tcp://host:8786; got {address!r}")
    return problems


@contextlib.contextmanager
def folds_backend(parallel: DictConfig, n_jobs: int | None) -> Iterator[int | None]:
    """Within the block, joblib runs the folds where ``parallel`` says; yields their n_jobs.

    local: ``n_jobs`` unchanged. dask: -1 (every worker thread of the cluster) when
    ``n_jobs`` is None or 1 (one fold at a time would run here, not on the cluster; a
    parallel Hydra launcher sets an unset n_jobs to the job's thread budget, often 1), else
    ``n_jobs`` folds at a time; the client is closed on exit whatever happens in the block.
    """
    if parallel.name == "local":
        yield n_jobs
        return
    import joblib
    from dask.distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if parallel.address is None:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=parallel.n_workers,
                    threads_per_worker=parallel.threads_per_worker,
                    processes=True,
                    dashboard_address=":0",
                    env=SINGLE_THREADED_BLAS,
                )
            )
            client = stack.enter_context(Client(cluster))
            log.info("parallel: LocalCluster of %d workers started", parallel.n_workers)
        else:
            client = stack.enter_context(Client(parallel.address))
            log.info("parallel: connected to the Dask scheduler at %s", parallel.address)
        stack.enter_context(joblib.parallel_config(backend="dask"))
        log.info("parallel: folds on %d Dask worker threads", sum(client.nthreads().values()))
        yield -1 if n_jobs in (None, 1) else n_jobs
