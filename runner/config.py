"""Structured configs (the schema of every config group) and the checks Hydra cannot express.

Two layers catch a bad config before any work is done:

1. Schemas, stored in Hydra's ConfigStore by :func:`register_configs`. Each group option
   (``conf/dataset/digits.yaml``, ...) extends one of them through its defaults list, e.g.
   ``- /schema_dataset_sklearn@_here_``. Hydra then rejects, at composition, an unknown key
   (``cleanlearning.cv_nfolds=3``) or a value of the wrong type (``cleanlearning.cv_n_folds=abc``).
2. :func:`validate_config`: ranges, choices, files that must exist and importable
   ``_target_`` classes. It raises :class:`ConfigError` naming the key and the bad value.

The schemas are stored outside any config group (``schema_<group>_<kind>``), so that they are
neither selectable as group options nor listed by ``--help``.
"""

from __future__ import annotations

import importlib
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf

__all__ = [
    "ConfigError",
    "register_configs",
    "validate_config",
    "DATASETS",
    "FILTERS",
    "NOISE_KINDS",
    "QUALITY_METHODS",
]

SKLEARN_DATASETS = ("digits", "iris", "wine", "breast_cancer")
# Class counts of the bundled datasets, known without loading them.
SKLEARN_N_CLASSES = {"digits": 10, "iris": 3, "wine": 3, "breast_cancer": 2}
DATASETS = (*SKLEARN_DATASETS, "synthetic", "csv", "precomputed")
NOISE_KINDS = ("none", "uniform", "asymmetric")
FILTERS = (
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "predicted_neq_given",
    "low_normalized_margin",
    "low_self_confidence",
)
QUALITY_METHODS = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")


class ConfigError(ValueError):
    """A config value is out of range, unknown, or points at something that does not exist."""


# ---------------------------------------------------------------------------------------
# Schemas
# ---------------------------------------------------------------------------------------


@dataclass
class SklearnDatasetConfig:
    """A dataset bundled with scikit-learn (no download)."""

    name: str = MISSING
    # Fraction held out (stratified, seeded) to measure test accuracy; 0 keeps all for training.
    test_size: float = 0.25
    # Fraction of the training part set aside to score a search (runner/validation_split.py).
    validation_size: float = 0.0
    # Standardise features with statistics of the training split (logistic regression, SVC,
    # kNN and MLP converge faster and better; trees do not care).
    standardize: bool = True


@dataclass
class SyntheticDatasetConfig(SklearnDatasetConfig):
    """sklearn.datasets.make_classification, seeded from the top-level seed."""

    name: str = "synthetic"
    n_samples: int = 1000
    n_features: int = 20
    n_informative: int = 10
    n_classes: int = 4
    n_clusters_per_class: int = 1
    class_sep: float = 1.0


@dataclass
class CsvDatasetConfig(SklearnDatasetConfig):
    """A CSV file: one label column (any type: ints, strings), numeric feature columns."""

    name: str = "csv"
    path: str = MISSING
    label_column: str = MISSING
    # None: every column but the label column.
    feature_columns: list[str] | None = None


@dataclass
class PrecomputedDatasetConfig:
    """Out-of-sample pred_probs computed elsewhere (.npy files); no classifier, no CV."""

    name: str = "precomputed"
    pred_probs: str = MISSING  # (n_examples, n_classes) float array
    labels: str = MISSING  # (n_examples,) given labels (ints 0..K-1, or strings)
    true_labels: str | None = None  # (n_examples,) when known: scores the detection


@dataclass
class NoNoiseConfig:
    name: str = "none"


@dataclass
class UniformNoiseConfig:
    """Each training label flips with probability ``rate`` to a uniformly chosen other class."""

    name: str = "uniform"
    rate: float = 0.2


@dataclass
class AsymmetricNoiseConfig:
    """A random noise matrix with trace K * (1 - rate), as in the confident learning paper."""

    name: str = "asymmetric"
    rate: float = 0.2
    # Fraction of the K * (K - 1) off-diagonal noise rates that are exactly zero.
    sparsity: float = 0.0


@dataclass
class FindLabelIssuesKwargs:
    """Passed to cleanlearn.filter.find_label_issues (defaults: CleanLearning's)."""

    filter_by: str = "prune_by_noise_rate"
    frac_noise: float = 1.0
    min_examples_per_class: int = 10
    num_to_remove_per_class: list[int] | None = None


@dataclass
class LabelQualityScoresKwargs:
    """Passed to cleanlearn.rank.get_label_quality_scores."""

    method: str = "self_confidence"
    adjust_pred_probs: bool = False


@dataclass
class CleanLearningConfig:
    """CleanLearning's constructor, one key per parameter (clf and seed come from the run)."""

    _target_: str = "cleanlearn.classification.CleanLearning"
    cv_n_folds: int = 5
    converge_latent_estimates: bool = False
    pulearning: int | None = None
    find_label_issues_kwargs: FindLabelIssuesKwargs = field(default_factory=FindLabelIssuesKwargs)
    label_quality_scores_kwargs: LabelQualityScoresKwargs = field(
        default_factory=LabelQualityScoresKwargs
    )
    # Cross-validation folds run in parallel; the result does not depend on it.
    n_jobs: int | None = None
    # Progress of CleanLearning itself in the job log (logger cleanlearn.classification).
    verbose: bool = False


@dataclass
class RunConfig:
    """The top level. Groups are typed by their own schema (see the group's defaults list)."""

    # One seed drives the split, the noise, the CV folds and the classifier.
    seed: int = 0
    # Out-of-sample pred_probs and baselines are cached here (null: no cache).
    cache_dir: str | None = None
    dataset: Any = MISSING
    classifier: Any = MISSING  # open: any _target_ with its keyword arguments
    noise: Any = MISSING
    cleanlearning: Any = MISSING


def register_configs() -> None:
    """Store the schemas in Hydra's ConfigStore (call before composing, e.g. at import time)."""
    store = ConfigStore.instance()
    store.store(name="base_config", node=RunConfig)
    store.store(name="schema_dataset_sklearn", node=SklearnDatasetConfig)
    store.store(name="schema_dataset_synthetic", node=SyntheticDatasetConfig)
    store.store(name="schema_dataset_csv", node=CsvDatasetConfig)
    store.store(name="schema_dataset_precomputed", node=PrecomputedDatasetConfig)
    store.store(name="schema_noise_none", node=NoNoiseConfig)
    store.store(name="schema_noise_uniform", node=UniformNoiseConfig)
    store.store(name="schema_noise_asymmetric", node=AsymmetricNoiseConfig)
    store.store(name="schema_cleanlearning", node=CleanLearningConfig)


# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------


def validate_config(cfg: DictConfig) -> None:
    """Raise :class:`ConfigError` listing every bad value of ``cfg`` (one line each).

    Checks what the schemas cannot: ranges, choices, that input files exist, and that each
    ``_target_`` imports and builds an object with the methods the run needs. Touches no data.
    """
    problems: list[str] = []
    problems += _check_unknown_keys(cfg)
    problems += _check_seed(cfg)
    problems += _check_dataset(cfg.dataset)
    if cfg.dataset.name != "precomputed":  # a precomputed run trains nothing
        problems += _check_classifier(cfg.classifier)
    problems += _check_noise(cfg.noise, cfg.dataset)
    problems += _check_cleanlearning(cfg.cleanlearning)
    if not problems:
        problems += _check_against_class_count(cfg)
    if problems:
        raise ConfigError("\n".join(problems))


def _check_against_class_count(cfg: DictConfig) -> list[str]:
    """Settings that only work for some numbers of classes, where that number is known."""
    name = cfg.dataset.name
    n_classes = SKLEARN_N_CLASSES.get(name, cfg.dataset.n_classes if name == "synthetic" else None)
    if n_classes is None:
        return []
    problems = []
    pulearning = cfg.cleanlearning.pulearning
    if pulearning is not None and n_classes != 2:
        problems.append(
            f"cleanlearning.pulearning needs a two-class dataset (dataset={name} has {n_classes} classes); "
            f"got {pulearning}"
        )
    # A valid noise matrix needs trace K * (1 - rate) > 1.
    if cfg.noise.name == "asymmetric" and n_classes * (1 - cfg.noise.rate) <= 1:
        problems.append(
            f"noise.rate must be < {1 - 1 / n_classes:.4g} for asymmetric noise on {n_classes} classes "
            f"(dataset={name}); got {cfg.noise.rate}"
        )
    return problems


_SCHEMAS = {
    "dataset": {
        **dict.fromkeys(SKLEARN_DATASETS, SklearnDatasetConfig),
        "synthetic": SyntheticDatasetConfig,
        "csv": CsvDatasetConfig,
        "precomputed": PrecomputedDatasetConfig,
    },
    "noise": {"none": NoNoiseConfig, "uniform": UniformNoiseConfig, "asymmetric": AsymmetricNoiseConfig},
}


def _check_unknown_keys(cfg: DictConfig) -> list[str]:
    """Keys added with ``+key=value`` bypass the schemas: refuse those the run would not use."""
    schemas = [
        ("cleanlearning", CleanLearningConfig),
        ("cleanlearning.find_label_issues_kwargs", FindLabelIssuesKwargs),
        ("cleanlearning.label_quality_scores_kwargs", LabelQualityScoresKwargs),
    ]
    for group, options in _SCHEMAS.items():
        schema = options.get(_value(cfg[group], "name"))
        if schema is not None:
            schemas.append((group, schema))
    problems = []
    for path, schema in schemas:
        node = OmegaConf.select(cfg, path)
        known = [f.name for f in fields(schema)]
        for key in node:
            if key not in known:
                value = "???" if OmegaConf.is_missing(node, key) else _show(node[key])
                problems.append(f"{path}.{key} is not a known key (known: {', '.join(known)}); got {value}")
    return problems


def _value(node: DictConfig, key: str) -> Any:
    """``node[key]`` or MISSING (never raises for a ``???`` value)."""
    if key not in node or OmegaConf.is_missing(node, key):
        return MISSING
    return node[key]


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check(node: DictConfig, prefix: str, key: str, ok: Callable[[Any], bool], expected: str) -> list[str]:
    """One problem line if ``node[key]`` is missing or fails ``ok``; none otherwise."""
    name = f"{prefix}.{key}" if prefix else key
    value = _value(node, key)
    if value is MISSING:
        return [f"{name} is required; got ??? (set it: {name}=...)"]
    if not ok(value):
        return [f"{name} must be {expected}; got {_show(value)}"]
    return []


def _show(value: Any) -> str:
    if isinstance(value, (DictConfig, ListConfig)):
        value = OmegaConf.to_container(value)
    return repr(value)


def _check_seed(cfg: DictConfig) -> list[str]:
    return _check(cfg, "", "seed", lambda v: _is_int(v) and v >= 0, "an int >= 0")


def _check_dataset(dataset: DictConfig) -> list[str]:
    name = _value(dataset, "name")
    if name not in DATASETS:
        return [f"dataset.name must be one of {', '.join(DATASETS)}; got {name!r}"]
    if name == "precomputed":
        problems = _check_file(dataset, "pred_probs") + _check_file(dataset, "labels")
        if dataset.true_labels is not None:
            problems += _check_file(dataset, "true_labels")
        return problems
    problems = _check(
        dataset, "dataset", "test_size", lambda v: _is_real(v) and 0 <= v < 1, "a float in [0, 1)"
    )
    problems += _check(dataset, "dataset", "validation_size", lambda v: _is_real(v) and 0 <= v < 1, "a float in [0, 1)")
    if name == "synthetic":
        problems += _check_synthetic(dataset)
    elif name == "csv":
        problems += _check_file(dataset, "path")
        problems += _check(dataset, "dataset", "label_column", lambda v: isinstance(v, str) and v != "",
                           "a column name")
        columns = dataset.feature_columns
        if columns is not None and len(columns) == 0:
            problems.append("dataset.feature_columns must be null (all other columns) or a non-empty list; got []")
    return problems


def _check_synthetic(dataset: DictConfig) -> list[str]:
    def at_least(low):
        return lambda v: _is_int(v) and v >= low

    problems = _check(dataset, "dataset", "n_classes", at_least(2), "an int >= 2")
    problems += _check(dataset, "dataset", "n_features", at_least(1), "an int >= 1")
    problems += _check(dataset, "dataset", "n_clusters_per_class", at_least(1), "an int >= 1")
    problems += _check(dataset, "dataset", "class_sep", lambda v: _is_real(v) and v > 0, "a float > 0")
    if problems:
        return problems
    problems += _check(
        dataset, "dataset", "n_informative", lambda v: _is_int(v) and 1 <= v <= dataset.n_features,
        f"an int in [1, dataset.n_features={dataset.n_features}]",
    )
    # make_classification places one hypercube vertex per cluster.
    needed = dataset.n_classes * dataset.n_clusters_per_class
    if not problems and needed > 2**dataset.n_informative:
        problems.append(
            f"dataset.n_informative must satisfy n_classes * n_clusters_per_class <= 2**n_informative "
            f"({needed} > 2**{dataset.n_informative}); got {dataset.n_informative}"
        )
    # Each class needs a few examples in every CV fold and in the test split.
    problems += _check(
        dataset, "dataset", "n_samples", at_least(10 * dataset.n_classes),
        f"an int >= 10 * n_classes = {10 * dataset.n_classes}",
    )
    return problems


def _check_file(dataset: DictConfig, key: str) -> list[str]:
    value = _value(dataset, key)
    if value is MISSING:
        return [f"dataset.{key} is required for dataset={dataset.name}; got ??? (set dataset.{key}=PATH)"]
    if not isinstance(value, str) or not Path(value).is_file():
        return [f"dataset.{key} must be an existing file; got {_show(value)} (not found)"]
    return []


def _check_classifier(classifier: DictConfig) -> list[str]:
    target = _value(classifier, "_target_")
    if target is MISSING or not isinstance(target, str):
        return [f"classifier._target_ must be an importable class path; got {_show(target)}"]
    try:
        _import_target(target)
    except (ImportError, AttributeError, ValueError) as error:
        return [f"classifier._target_ cannot be imported; got {target!r} ({error})"]
    from hydra.utils import instantiate

    try:
        estimator = instantiate(classifier)
    except Exception as error:  # a bad keyword argument of the estimator's __init__
        message = " ".join(str(error).split()) or type(error).__name__
        return [f"classifier cannot be built from _target_ {target!r}: {message}"]
    missing = [m for m in ("fit", "predict", "predict_proba") if not callable(getattr(estimator, m, None))]
    if missing:
        return [
            f"classifier._target_ must build an estimator with fit, predict and predict_proba; got {target!r} "
            f"(it lacks {', '.join(missing)})"
        ]
    return []


def _import_target(path: str) -> Any:
    module_name, _, attribute = path.rpartition(".")
    if not module_name:
        raise ValueError("expected 'package.module.Name'")
    return getattr(importlib.import_module(module_name), attribute)


def _check_noise(noise: DictConfig, dataset: DictConfig) -> list[str]:
    name = _value(noise, "name")
    if name not in NOISE_KINDS:
        return [f"noise.name must be one of {', '.join(NOISE_KINDS)}; got {name!r}"]
    problems: list[str] = []
    if name != "none":
        problems += _check(noise, "noise", "rate", lambda v: _is_real(v) and 0 <= v < 1, "a float in [0, 1)")
    if name == "asymmetric":
        problems += _check(noise, "noise", "sparsity", lambda v: _is_real(v) and 0 <= v <= 1,
                           "a float in [0, 1]")
    if name != "none" and dataset.name == "precomputed":
        problems.append(
            f"noise must be none for dataset=precomputed (its labels are used as given; add noise=none); "
            f"got noise={name}"
        )
    return problems


def _check_cleanlearning(node: DictConfig) -> list[str]:
    prefix = "cleanlearning"
    problems: list[str] = []
    target = _value(node, "_target_")
    try:
        _import_target(target)
    except (ImportError, AttributeError, ValueError, TypeError) as error:
        problems.append(f"cleanlearning._target_ cannot be imported; got {target!r} ({error})")
    problems += _check(node, prefix, "cv_n_folds", lambda v: _is_int(v) and v >= 2, "an int >= 2")
    problems += _check(node, prefix, "pulearning", lambda v: v is None or (_is_int(v) and v in (0, 1)),
                       "null, 0 or 1")
    problems += _check(node, prefix, "n_jobs", lambda v: v is None or (_is_int(v) and (v == -1 or v >= 1)),
                       "null, -1 or an int >= 1")

    kwargs, kw_prefix = node.find_label_issues_kwargs, f"{prefix}.find_label_issues_kwargs"
    problems += _check(kwargs, kw_prefix, "filter_by", lambda v: v in FILTERS, f"one of {', '.join(FILTERS)}")
    problems += _check(kwargs, kw_prefix, "frac_noise", lambda v: _is_real(v) and 0 < v <= 1, "a float in (0, 1]")
    problems += _check(kwargs, kw_prefix, "min_examples_per_class", lambda v: _is_int(v) and v >= 0,
                       "an int >= 0")
    problems += _check(
        kwargs, kw_prefix, "num_to_remove_per_class",
        lambda v: v is None or all(_is_int(n) and n >= 0 for n in v),
        "null or a list of ints >= 0 (one per class)",
    )

    kwargs, kw_prefix = node.label_quality_scores_kwargs, f"{prefix}.label_quality_scores_kwargs"
    problems += _check(kwargs, kw_prefix, "method", lambda v: v in QUALITY_METHODS,
                       f"one of {', '.join(QUALITY_METHODS)}")
    if kwargs.method == "confidence_weighted_entropy" and kwargs.adjust_pred_probs:
        problems.append(
            f"{kw_prefix}.adjust_pred_probs must be false with method=confidence_weighted_entropy; got true"
        )
    return problems
