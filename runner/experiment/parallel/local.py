"""``parallel=local`` (default): the folds on this machine, ``cleanlearning.n_jobs`` at a time
(joblib's loky processes), as CleanLearning does by itself."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from runner.experiment.parallel import folds_backend_of

__all__ = ["LocalParallelConfig", "folds_here"]


@dataclass
class LocalParallelConfig:
    """Schema of conf/parallel/local.yaml."""

    _target_: str = "runner.experiment.parallel.local.folds_here"
    name: str = "local"


@folds_backend_of(schema=LocalParallelConfig, schema_name="local")
@contextlib.contextmanager
def folds_here(n_jobs: int | None) -> Iterator[int | None]:
    """``n_jobs`` unchanged: joblib's default backend runs the folds here."""
    yield n_jobs
