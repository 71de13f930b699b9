"""Structured configs (the schema of every config group) and the checks Hydra cannot express.

Two layers catch a bad config before any work is done:

1. Schemas, stored in Hydra's ConfigStore by :func:`register_configs`. Each bundled option
   (``conf/dataset/digits.yaml``, ...) extends one of them through its defaults list, e.g.
   ``- /schema_dataset_sklearn@_here_``. Hydra then rejects, at composition, an unknown key
   (``cleanlearning.cv_nfolds=3``) or a value of the wrong type (``cleanlearning.cv_n_folds=abc``).
   The classifier schemas are generated from the installed estimators' signatures
   (runner.model.estimators): every constructor parameter is present, so ``classifier.max_depth=3``
   needs no ``+``, and a typo is reported with the valid names by the second layer.
2. :func:`validate_config`: ranges, choices, files that must exist, importable ``_target_``
   classes, a user's dataset loader checked against its signature, and the noise node
   (runner.noise.validate_noise). It raises :class:`ConfigError` naming the key and the bad
   value, one line per problem.

Datasets and noise models are open: any ``_target_`` function with a YAML file. Only the
bundled loaders (runner.datasets) have schemas here; the noise models check their own
parameters.

The schemas are stored outside any config group (``schema_<group>_<kind>``), so that they are
neither selectable as group options nor listed by ``--help``.
"""

from __future__ import annotations

import importlib
import inspect
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf

from runner.experiment import parallel

__all__ = [
    "ConfigError",
    "register_configs",
    "validate_config",
    "DATASETS",
    "FILTERS",
    "QUALITY_METHODS",
]

# The bundled loaders (runner.datasets), by _target_: known class counts.
SKLEARN_N_CLASSES = {
    "runner.datasets.digits": 10, "runner.datasets.iris": 3, "runner.datasets.wine": 3,
    "runner.datasets.breast_cancer": 2,
}
DATASETS = ("digits", "iris", "wine", "breast_cancer", "synthetic", "csv", "parquet", "precomputed")
PRECOMPUTED = "runner.datasets.precomputed"
CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
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
class FeatureDatasetConfig:
    """The keys the run reads from a dataset with features (runner.experiment.data.RunSettings)."""

    _target_: str = MISSING  # the loader, a function returning runner.datasets.Dataset
    name: str = MISSING
    # Fraction held out (stratified, seeded) to measure test accuracy; 0 examines every row.
    test_size: float = 0.25
    # Fraction of the training part set aside to score a search (runner/validation_split.py).
    validation_size: float = 0.0
    # Standardise numeric features inside each CV fold's pipeline (logistic regression, SVC,
    # kNN and MLP converge faster and better; trees do not care).
    standardize: bool = True
    # auto: per-fold imputation, one-hot encoding and scaling; none: the features as loaded.
    preprocess: str = "auto"
    # One-hot columns per categorical feature; rarer categories are grouped into one.
    max_categories: int = 20


@dataclass
class SklearnDatasetConfig(FeatureDatasetConfig):
    """A dataset bundled with scikit-learn (no download)."""


@dataclass
class SyntheticDatasetConfig(FeatureDatasetConfig):
    """sklearn.datasets.make_classification, seeded from the top-level seed."""

    _target_: str = "runner.datasets.synthetic"
    name: str = "synthetic"
    n_samples: int = 1000
    n_features: int = 20
    n_informative: int = 10
    n_classes: int = 4
    n_clusters_per_class: int = 1
    class_sep: float = 1.0


@dataclass
class TableDatasetConfig(FeatureDatasetConfig):
    """A CSV or parquet file: one label column (any type), feature columns of any dtype."""

    _target_: str = "runner.datasets.csv"
    name: str = "csv"
    path: str = MISSING
    label_column: str = MISSING
    # None: every column but the label, id, true-label, error and dropped columns.
    feature_columns: list[str] | None = None
    drop_columns: list[str] = field(default_factory=list)
    id_column: str | None = None
    true_label_column: str | None = None
    label_errors: str | None = None  # a column of true/false, or a boolean .npy file
    test_size: float = 0.0  # your own labels: every row is examined


@dataclass
class PrecomputedDatasetConfig:
    """Out-of-sample pred_probs computed elsewhere (.npy files or .zarr); no classifier, no CV."""

    _target_: str = "runner.datasets.precomputed"
    name: str = "precomputed"
    pred_probs: str = MISSING  # (n_examples, n_classes) float array
    labels: str = MISSING  # (n_examples,) given labels (ints 0..K-1, or strings)
    true_labels: str | None = None  # (n_examples,) when known: scores the detection
    label_errors: str | None = None  # (n_examples,) boolean mask of known wrong labels
    mmap: bool | None = None  # null: memory-map pred_probs above 256 MB


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
class SummaryConfig:
    """Settings of the sweep summary (runner.results.statistics); not part of a job's identity."""

    # Override key(s) whose values are replicates of one setting: a key or a list of keys.
    replicate_by: Any = "seed"
    # Metric the methods are compared on; null: issue_f1 when true errors are known, else
    # test_accuracy_cleanlearning.
    compare_metric: str | None = None
    # Swept keys compared as methods; null: classifier, cleanlearning.* and quality_score.
    method_axes: list[str] | None = None


@dataclass
class ReportConfig:
    """Read by runner.report only (report.html): not part of what a job computes."""

    top_k: int = 50  # flagged examples listed, worst first


@dataclass
class OutputConfig:
    """What the result files carry beyond the defaults."""

    # label_issues.csv also gets each example's own feature columns (as loaded).
    include_features: bool = False


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
    summary: SummaryConfig = field(default_factory=SummaryConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    parallel: Any = MISSING  # runner.experiment.parallel's group: where the CV folds run


def register_configs() -> None:
    """Store the schemas in Hydra's ConfigStore (call before composing, e.g. at import time).

    The classifier schemas are generated from the installed estimators' signatures
    (runner.model.estimators), one per ``conf/classifier/*.yaml``.
    """
    from runner.model.estimators import register_classifier_schemas

    store = ConfigStore.instance()
    store.store(name="base_config", node=RunConfig)
    store.store(name="schema_dataset_sklearn", node=SklearnDatasetConfig)
    store.store(name="schema_dataset_synthetic", node=SyntheticDatasetConfig)
    store.store(name="schema_dataset_table", node=TableDatasetConfig)
    store.store(name="schema_dataset_precomputed", node=PrecomputedDatasetConfig)
    store.store(name="schema_cleanlearning", node=CleanLearningConfig)
    register_classifier_schemas(store, CONF_DIR / "classifier")
    parallel.register_schemas(store)


# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------


def validate_config(cfg: DictConfig) -> None:
    """Raise :class:`ConfigError` listing every bad value of ``cfg`` (one line each).

    Checks what the schemas cannot: ranges, choices, that input files exist, that a user's
    dataset loader takes the arguments given, that each ``_target_`` imports and builds an
    object with the methods the run needs, and the noise node (runner.noise.validate_noise).
    Touches no data.
    """
    from runner.model.estimators import check_estimator_node
    from runner.noise import is_no_noise, validate_noise

    problems: list[str] = []
    problems += _check_unknown_keys(cfg)
    problems += _check_seed(cfg)
    if "report" in cfg:
        problems += _check(cfg.report, "report", "top_k", lambda v: _is_int(v) and v >= 1, "an int >= 1")
    problems += _check_dataset(cfg.dataset)
    precomputed = _value(cfg.dataset, "_target_") == PRECOMPUTED
    if not precomputed:  # a precomputed run trains nothing
        problems += check_estimator_node(cfg.classifier)
    problems += validate_noise(cfg.noise, n_classes=_known_class_count(cfg.dataset),
                               has_features=not precomputed)
    if precomputed and not problems and not is_no_noise(cfg.noise):
        problems.append(
            "noise must be none for dataset=precomputed (its labels are used as given; drop the "
            f"noise override); got noise={_value(cfg.noise, 'name')}"
        )
    problems += _check_cleanlearning(cfg.cleanlearning)
    if "summary" in cfg:
        from runner.results.statistics import summary_problems

        problems += summary_problems(cfg.summary)
    problems += parallel.validate_parallel(cfg.parallel)
    if not problems:
        problems += _check_against_class_count(cfg)
    if problems:
        raise ConfigError("\n".join(problems))


def _known_class_count(dataset: DictConfig) -> int | None:
    target = _value(dataset, "_target_")
    if target == "runner.datasets.synthetic":
        return dataset.n_classes
    return SKLEARN_N_CLASSES.get(target)


def _check_against_class_count(cfg: DictConfig) -> list[str]:
    """Settings that only work for some numbers of classes, where that number is known."""
    n_classes = _known_class_count(cfg.dataset)
    pulearning = cfg.cleanlearning.pulearning
    if n_classes is None or pulearning is None or n_classes == 2:
        return []
    return [
        f"cleanlearning.pulearning needs a two-class dataset (dataset={cfg.dataset.name} has "
        f"{n_classes} classes); got {pulearning}"
    ]


# Schemas of the bundled loaders, by _target_ (a user's loader is checked by its signature).
_DATASET_SCHEMAS = {
    **dict.fromkeys((f"runner.datasets.{n}" for n in ("digits", "iris", "wine", "breast_cancer")),
                    SklearnDatasetConfig),
    "runner.datasets.synthetic": SyntheticDatasetConfig,
    "runner.datasets.csv": TableDatasetConfig,
    "runner.datasets.parquet": TableDatasetConfig,
    PRECOMPUTED: PrecomputedDatasetConfig,
}


def _check_unknown_keys(cfg: DictConfig) -> list[str]:
    """Keys added with ``+key=value`` bypass the schemas: refuse those the run would not use."""
    schemas = [
        ("cleanlearning", CleanLearningConfig),
        ("cleanlearning.find_label_issues_kwargs", FindLabelIssuesKwargs),
        ("cleanlearning.label_quality_scores_kwargs", LabelQualityScoresKwargs),
    ]
    schema = _DATASET_SCHEMAS.get(_value(cfg.dataset, "_target_"))
    if schema is not None:
        schemas.append(("dataset", schema))
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
    target = _value(dataset, "_target_")
    if not isinstance(target, str):
        return [f"dataset._target_ must name a loader function (e.g. runner.datasets.csv); got {_show(target)}"]
    if target == PRECOMPUTED:
        return _check_precomputed(dataset)
    problems = _check_loader(dataset, target)
    if problems:
        return problems
    check = _BUNDLED_CHECKS.get(target)
    return _check_run_settings(dataset) + ([] if check is None else check(dataset))


def _check_loader(dataset: DictConfig, target: str) -> list[str]:
    """The loader imports and takes the node's arguments (its signature, for any loader)."""
    from runner.datasets import RUN_KEYS

    try:
        loader = _import_target(target)
    except (ImportError, AttributeError, ValueError) as error:
        return [f"dataset._target_ cannot be imported; got {target!r} ({error})"]
    if not callable(loader):
        return [f"dataset._target_ must name a function returning runner.datasets.Dataset; got {target!r}"]
    signature = inspect.signature(loader)
    arguments = {key: None for key in dataset if key not in RUN_KEYS}
    if "seed" in signature.parameters:
        arguments["seed"] = 0  # the run passes its data seed
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
    valid = [name for name in signature.parameters if name != "seed"]
    problems = [
        f"dataset.{key} is not a parameter of the loader {target} (its parameters: "
        f"{', '.join(valid) or 'none'}); got {_show(dataset[key])}"
        for key in arguments if key not in signature.parameters and not accepts_any
    ]
    for name, parameter in signature.parameters.items():
        required = parameter.default is inspect.Parameter.empty and parameter.kind not in (
            inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
        if required and name not in arguments:
            problems.append(f"dataset.{name} is required by the loader {target}; set it: dataset.{name}=...")
        elif name in dataset and OmegaConf.is_missing(dataset, name):
            problems.append(f"dataset.{name} is required for dataset={dataset.get('name', target)}; got ??? "
                            f"(set dataset.{name}=...)")
    return problems


def _check_run_settings(dataset: DictConfig) -> list[str]:
    from runner.model.preprocessing import PREPROCESS

    checks = [
        ("test_size", lambda v: _is_real(v) and 0 <= v < 1, "a float in [0, 1)"),
        ("validation_size", lambda v: _is_real(v) and 0 <= v < 1, "a float in [0, 1)"),
        ("standardize", lambda v: isinstance(v, bool), "true or false"),
        ("preprocess", lambda v: v in PREPROCESS, f"one of {', '.join(PREPROCESS)}"),
        ("max_categories", lambda v: _is_int(v) and v >= 2, "an int >= 2"),
    ]
    return [line for key, ok, expected in checks if key in dataset
            for line in _check(dataset, "dataset", key, ok, expected)]


def _check_precomputed(dataset: DictConfig) -> list[str]:
    problems = _check_file(dataset, "pred_probs", directory_ok=True) + _check_file(dataset, "labels")
    for key in ("true_labels", "label_errors"):
        if dataset.get(key) is not None:
            problems += _check_file(dataset, key)
    return problems


def _check_table(dataset: DictConfig) -> list[str]:
    problems = _check_file(dataset, "path")
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


def _check_file(dataset: DictConfig, key: str, *, directory_ok: bool = False) -> list[str]:
    value = _value(dataset, key)
    if value is MISSING:
        return [f"dataset.{key} is required for dataset={dataset.name}; got ??? (set dataset.{key}=PATH)"]
    exists = isinstance(value, str) and (Path(value).is_file() or (directory_ok and Path(value).is_dir()))
    if not exists:
        return [f"dataset.{key} must be an existing file; got {_show(value)} (not found)"]
    return []


def _import_target(path: str) -> Any:
    module_name, _, attribute = path.rpartition(".")
    if not module_name:
        raise ValueError("expected 'package.module.Name'")
    return getattr(importlib.import_module(module_name), attribute)


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


# Range checks of the bundled loaders beyond their schemas, by _target_ (a user's loader is
# checked by its signature, and raises ValueError itself for a bad value).
_BUNDLED_CHECKS: dict[str, Callable[[DictConfig], list[str]]] = {
    "runner.datasets.synthetic": _check_synthetic,
    "runner.datasets.csv": _check_table,
    "runner.datasets.parquet": _check_table,
}
