"""``parallel=dask``: the folds on the workers of a Dask cluster (the ``[dask]`` extra).

Through ``joblib.parallel_config(backend="dask")``. ``parallel.address: null`` starts a
``LocalCluster`` of ``parallel.n_workers`` processes for the job; an address
(``tcp://scheduler:8786``) connects to a running cluster, e.g. one that dask-jobqueue started
on Slurm. dask.distributed is imported only when this backend runs.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from omegaconf import DictConfig

from runner.experiment.parallel import folds_backend_of

__all__ = ["DaskParallelConfig", "SINGLE_THREADED_BLAS", "folds_on_dask"]

log = logging.getLogger(__name__)

# Set on the workers of a LocalCluster started here: one BLAS thread per worker process, so
# that a fold computes the same bits there as in a serial run (and the 2 workers do not
# oversubscribe the cores with BLAS threads).
SINGLE_THREADED_BLAS = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


@dataclass
class DaskParallelConfig:
    """Schema of conf/parallel/dask.yaml."""

    _target_: str = "runner.experiment.parallel.dask_cluster.folds_on_dask"
    name: str = "dask"
    # null: start a LocalCluster for the job; otherwise a scheduler address to connect to.
    address: str | None = None
    # Workers (processes) of the LocalCluster started when address is null.
    n_workers: int = 2
    threads_per_worker: int = 1


def _check_dask(parallel: DictConfig) -> list[str]:
    problems = []
    for key in ("n_workers", "threads_per_worker"):
        value = parallel.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            problems.append(f"parallel.{key} must be an int >= 1; got {value!r}")
    address = parallel.get("address")
    if address is not None and (not isinstance(address, str) or "://" not in address):
        problems.append(f"parallel.address must be null or a scheduler address such as tcp://host:8786; got {address!r}")
    return problems


@folds_backend_of(schema=DaskParallelConfig, schema_name="dask", check=_check_dask)
@contextlib.contextmanager
def folds_on_dask(n_jobs: int | None, *, address: str | None = None, n_workers: int = 2,
                  threads_per_worker: int = 1) -> Iterator[int | None]:
    """Yields -1 (every worker thread of the cluster) when ``n_jobs`` is None or 1 (one fold at
    a time would run here, not on the cluster; a parallel Hydra launcher sets an unset n_jobs
    to the job's thread budget, often 1), else ``n_jobs`` folds at a time; the client is
    closed on exit whatever happens in the block."""
    import joblib
    from dask.distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if address is None:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=n_workers,
                    threads_per_worker=threads_per_worker,
                    processes=True,
                    dashboard_address=":0",
                    env=SINGLE_THREADED_BLAS,
                )
            )
            client = stack.enter_context(Client(cluster))
            log.info("parallel: LocalCluster of %d workers started", n_workers)
        else:
            client = stack.enter_context(Client(address))
            log.info("parallel: connected to the Dask scheduler at %s", address)
        stack.enter_context(joblib.parallel_config(backend="dask"))
        log.info("parallel: folds on %d Dask worker threads", sum(client.nthreads().values()))
        yield -1 if n_jobs in (None, 1) else n_jobs
