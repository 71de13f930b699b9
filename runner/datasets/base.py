"""What every dataset loader shares: the :class:`Dataset` it returns and how it declares itself.

A loader is any importable function returning a :class:`Dataset`; a dataset config is its
``_target_`` plus its keyword arguments, next to the keys the run reads itself (:data:`RUN_KEYS`).
A loader with a ``seed`` parameter gets the run's data seed.

A loader may declare, next to its own code, what the config checks need to know about it
(:func:`dataset_loader`), as the noise models attach their checks: its schema (every key of
its YAML, stored in Hydra's ConfigStore as ``schema_dataset_<name>`` for the bundled ones),
a range check of its node, how many classes it gives when that is known before loading, and
whether it brings its own out-of-sample pred_probs (then no classifier, no noise). The config
checks read these from the loader named by ``_target_``; nothing central lists the loaders.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from omegaconf import MISSING, DictConfig, OmegaConf

if TYPE_CHECKING:  # at run time imported where used: start-up imports no pandas
    import pandas as pd

__all__ = [
    "Dataset",
    "FeatureDatasetConfig",
    "LoaderSpec",
    "RUN_KEYS",
    "bundled_schemas",
    "call_loader",
    "dataset_loader",
    "loader_spec",
]

# Keys of a dataset config that the run reads; every other key is a loader argument.
RUN_KEYS = ("_target_", "name", "test_size", "validation_size", "standardize", "preprocess", "max_categories")


@dataclass(frozen=True)
class Dataset:
    """Every row of a dataset, as a loader returns it.

    - ``features``: (N, d) ndarray or a DataFrame (any column dtypes; None for precomputed).
    - ``labels``: (N,) given labels, any type (ints, strings, ...).
    - ``true_labels``: (N,) true labels when known (scores the detection and the noise matrix).
    - ``label_errors``: (N,) bool mask of the known wrong labels (a manual audit), when known.
    - ``ids``: (N,) an identity per row to join on (``dataset.id_column``), or None.
    - ``feature_names``: the d feature names, or None.
    - ``examples``: raw examples for display, indexable by original row: (N, h, w) images
      (with ``image_shape``), a sequence of str for text, or None (then the features are shown).
    - ``pred_probs``: (N, K) out-of-sample predicted probabilities (dataset=precomputed only).
    - ``source``: the file the rows came from and ``first_line`` the file line of row 0, so
      that errors can point at a line (None: errors name the row instead).
    """

    features: np.ndarray | pd.DataFrame | None
    labels: np.ndarray | pd.Series
    true_labels: np.ndarray | None = None
    label_errors: np.ndarray | None = None
    ids: np.ndarray | None = None
    feature_names: Sequence[str] | None = None
    examples: Any = None
    image_shape: tuple[int, ...] | None = None
    pred_probs: Any = None
    source: str | None = None
    first_line: int | None = None

    def where(self, row: int, column: str | None = None) -> str:
        """``'data.csv: column 'age', line 18'``: where row ``row`` (0-based) is to be found."""
        return _where(self.source, self.first_line, row, column)


def _where(source: str | None, first_line: int | None, row: int, column: str | None = None) -> str:
    place = [f"column {column!r}"] if column is not None else []
    place.append(f"line {row + first_line}" if first_line is not None else f"row {row}")
    return f"{source or 'dataset'}: {', '.join(place)}"



@dataclass
class FeatureDatasetConfig:
    """The keys the run reads from a dataset with features (runner.experiment.data.RunSettings)."""

    _target_: str = MISSING  # the loader, a function returning runner.datasets.Dataset
    name: str = MISSING
    # Fraction held out (stratified, seeded) to measure test accuracy; 0 examines every row.
    test_size: float = 0.25
    # Fraction of the training part set aside to score a search (runner/experiment/validation_split.py).
    validation_size: float = 0.0
    # Standardise numeric features inside each CV fold's pipeline (logistic regression, SVC,
    # kNN and MLP converge faster and better; trees do not care).
    standardize: bool = True
    # auto: per-fold imputation, one-hot encoding and scaling; none: the features as loaded.
    preprocess: str = "auto"
    # One-hot columns per categorical feature; rarer categories are grouped into one.
    max_categories: int = 20


# ---------------------------------------------------------------------------------------
# What a loader declares


@dataclass(frozen=True)
class LoaderSpec:
    """What the config checks know about a loader before calling it (see :func:`dataset_loader`)."""

    schema: type | None = None  # dataclass of every key of the loader's YAML
    schema_name: str | None = None  # its ConfigStore name, schema_dataset_<schema_name>
    check: Callable[[DictConfig], list[str]] | None = None  # one line per bad value of the node
    n_classes: Callable[[DictConfig], int | None] | None = None  # known before loading
    gives_pred_probs: bool = False  # out-of-sample pred_probs: no classifier, no CV, no noise


def dataset_loader(
    *,
    schema: type | None = None,
    schema_name: str | None = None,
    check: Callable[[DictConfig], list[str]] | None = None,
    n_classes: Callable[[DictConfig], int | None] | None = None,
    gives_pred_probs: bool = False,
) -> Callable:
    """Attach a :class:`LoaderSpec` to a loader function (its ``dataset_spec`` attribute).

    ``check(node) -> list[str]`` adds range checks to runner.config.validate_config (the
    signature of the loader is always checked); ``n_classes(node)`` lets settings that need a
    number of classes be checked before loading. A user's loader may use it too, or nothing:
    then its signature is its only declaration.
    """

    def attach(loader: Callable) -> Callable:
        loader.dataset_spec = LoaderSpec(schema, schema_name, check, n_classes, gives_pred_probs)
        return loader

    return attach


def loader_spec(loader: Any) -> LoaderSpec:
    """The loader's declaration; an undeclared loader is known by its signature only."""
    return getattr(loader, "dataset_spec", None) or LoaderSpec()


def bundled_schemas() -> dict[str, type]:
    """{ConfigStore name: schema} of the loaders in runner.datasets' modules (discovered)."""
    import runner.datasets as package

    schemas: dict[str, type] = {}
    for module_info in pkgutil.iter_modules(package.__path__, prefix=f"{package.__name__}."):
        module = importlib.import_module(module_info.name)
        for candidate in vars(module).values():
            spec = getattr(candidate, "dataset_spec", None)
            if isinstance(spec, LoaderSpec) and spec.schema is not None and spec.schema_name:
                schemas[f"schema_dataset_{spec.schema_name}"] = spec.schema
    return dict(sorted(schemas.items()))


def call_loader(dataset: DictConfig, *, data_seed: int) -> Dataset:
    """Call the dataset's ``_target_`` with its loader arguments (and ``seed`` if it takes one)."""
    from hydra.utils import get_method

    loader = get_method(dataset._target_)
    kwargs = {key: value for key, value in OmegaConf.to_container(dataset, resolve=True).items()
              if key not in RUN_KEYS}
    if "seed" in inspect.signature(loader).parameters:
        kwargs["seed"] = data_seed
    loaded = loader(**kwargs)
    if not isinstance(loaded, Dataset):
        raise TypeError(f"dataset._target_={dataset._target_!r} must return a runner.datasets.Dataset; "
                        f"got {type(loaded).__name__}")
    check_loaded_labels(loaded)
    return loaded


def check_loaded_labels(loaded: Dataset) -> None:
    """Every loader's labels pass one check (runner.datasets.labels): rows, missing, mixed types."""
    from runner.datasets.labels import check_labels

    if len(loaded.labels) == 0:
        raise ValueError(f"{loaded.source or 'the dataset'}: no rows (a header, or an empty array, only)")
    for key, what in (("labels", "label"), ("true_labels", "true label")):
        values = getattr(loaded, key)
        if values is None:
            continue

        def where(row: int, key: str = key) -> str:
            if loaded.first_line is not None:  # a table: its file and line
                return loaded.where(row)
            return f"dataset.{key}: row {row}"

        check_labels(values, where, what)
    kinds = {np.asarray(a).dtype.kind for a in (loaded.labels, loaded.true_labels) if a is not None}
    # given and true labels are sorted into classes together: one type across both
    if loaded.true_labels is not None and (len(kinds) > 1 or "O" in kinds):
        both = np.concatenate([np.asarray(loaded.labels, dtype=object),
                               np.asarray(loaded.true_labels, dtype=object)])
        n_rows = len(loaded.labels)
        check_labels(both, lambda row: f"dataset.labels and true_labels together: row {row % n_rows}")
