"""Where the cross-validation folds of one run execute: the ``parallel`` config group.

Every option is a ``_target_``: a backend function, one module per backend in this package,
with its schema and checks declared next to it (:func:`folds_backend_of`)::

    # conf/parallel/dask.yaml
    _target_: runner.experiment.parallel.dask_cluster.folds_on_dask
    name: dask
    address: null

A backend is ``backend(n_jobs, **parameters)``, a context manager that the experiment enters
around cross-validation: it yields the ``n_jobs`` to give the folds and releases what it
started on the way out, also when the cross-validation fails. The folds' pred_probs are the
same numbers wherever they run (each fold is a pure function of its data and seed), so the
cache key ignores this group. Bundled: ``local`` (this machine, :mod:`.local`) and ``dask``
(a Dask cluster, :mod:`.dask_cluster`). Adding one is a module here (or anywhere importable)
plus a YAML in conf/parallel/; nothing else names the backends.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from omegaconf import DictConfig, OmegaConf

from runner.core.names import did_you_mean
from runner.core.targets import import_target

__all__ = ["BackendSpec", "folds_backend", "folds_backend_of", "register_schemas", "validate_parallel"]

# Keys of a parallel node that are not parameters of the backend.
RESERVED_KEYS = ("_target_", "name")


@dataclass(frozen=True)
class BackendSpec:
    """What a backend declares: its schema (ConfigStore ``schema_parallel_<name>``) and checks."""

    schema: type | None = None
    schema_name: str | None = None
    check: Callable[[DictConfig], list[str]] | None = None  # one line per bad value


def folds_backend_of(*, schema: type | None = None, schema_name: str | None = None,
                     check: Callable[[DictConfig], list[str]] | None = None) -> Callable:
    """Declare a function ``(n_jobs, **parameters) -> context manager`` a folds backend."""

    def attach(backend: Callable) -> Callable:
        backend.backend_spec = BackendSpec(schema, schema_name, check)
        return backend

    return attach


def register_schemas(store) -> None:
    """Store the bundled backends' schemas in Hydra's ConfigStore (discovered in this package)."""
    for module_info in pkgutil.iter_modules(__path__, prefix=f"{__name__}."):
        module = importlib.import_module(module_info.name)
        for candidate in vars(module).values():
            spec = getattr(candidate, "backend_spec", None)
            if isinstance(spec, BackendSpec) and spec.schema is not None and spec.schema_name:
                store.store(name=f"schema_parallel_{spec.schema_name}", node=spec.schema)


def validate_parallel(parallel: DictConfig) -> list[str]:
    """One short line per bad value of the ``parallel`` group (never raises)."""
    target = parallel.get("_target_")
    try:
        backend = import_target(target)
    except Exception as error:  # noqa: BLE001 - reported as a config problem
        return [f"parallel._target_ must name a folds backend (e.g. runner.experiment.parallel.local.folds_here); "
                f"got {target!r} ({type(error).__name__}: {error})"]
    parameters = _parameters(parallel)
    signature = inspect.signature(backend)
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
    problems = [f"parallel.{key} is not a parameter of the backend {target} (its parameters: "
                f"{', '.join(n for n in signature.parameters if n != 'n_jobs') or 'none'}); got {parameters[key]!r}"
                f"{did_you_mean(key, signature.parameters)}"
                for key in parameters if key not in signature.parameters and not accepts_any]
    spec = getattr(backend, "backend_spec", None)
    if not problems and spec is not None and spec.check is not None:
        problems += spec.check(parallel)
    return problems


@contextlib.contextmanager
def folds_backend(parallel: DictConfig, n_jobs: int | None) -> Iterator[int | None]:
    """Within the block, joblib runs the folds where ``parallel`` says; yields their n_jobs."""
    backend = import_target(parallel._target_)
    with backend(n_jobs, **_parameters(parallel)) as folds_n_jobs:
        yield folds_n_jobs


def _parameters(parallel: DictConfig) -> dict:
    node = OmegaConf.to_container(parallel, resolve=True) if isinstance(parallel, DictConfig) else dict(parallel)
    return {key: value for key, value in node.items() if key not in RESERVED_KEYS}
