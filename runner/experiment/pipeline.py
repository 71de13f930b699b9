"""One experiment: load data, inject label noise, find the label issues, learn without them.

``run(cfg, out_dir)`` is a plain function (the Hydra entry point and tests call it alike). It
writes the run's result files into ``out_dir`` and returns the metrics; the job wrapper
(runner.job.lifecycle) writes metrics.json, the status and the completion marker.

Pipeline for a dataset with features:

1. data: training and test split (true labels), features standardised on the training part;
2. noise on the training labels only (the true ones are kept to score the detection);
3. out-of-sample pred_probs by cross-validation (cached): the same numbers
   ``CleanLearning(seed=...).fit`` would compute internally;
4. baseline: the classifier trained on all noisy labels, scored on the test part (cached);
5. CleanLearning on the pred_probs of 3: label issues, then the final fit without them.

A precomputed dataset brings its own out-of-sample pred_probs: only the filtering runs.
Each stage logs one line; the last line sums the run up.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hydra.utils import get_method, instantiate
from omegaconf import DictConfig, OmegaConf
from sklearn.base import clone

from runner.core.cache import ArrayCache, fingerprint
from runner.core.signals import raise_if_interrupted
from runner.datasets.columns import leak_warnings
from runner.experiment.data import FeatureData, PrecomputedData, load_dataset, run_settings
from runner.experiment.held_out import label_targets, score_test_part, scores_test_part, search_role
from runner.experiment.parallel import folds_backend
from runner.experiment.seeds import Seeds, derive_seeds
from runner.experiment.titles import matrices_title
from runner.experiment.validation_split import carve_validation, score_validation
from runner.model import preprocessing
from runner.model.estimators import build_estimator, set_parameters
from runner.noise import describe_noise, inject_noise, is_no_noise, realised_noise_matrix
from runner.scoring.metrics import without_held_out
from runner.scoring.writer import RunOutcome, write_and_score

log = logging.getLogger(__name__)
# The job log only (conf/hydra/job_logging/runner.yaml), never the console.
FILE_ONLY = logging.getLogger("runner.file")

__all__ = ["Seeds", "derive_seeds", "run"]

def run(cfg: DictConfig, out_dir: Path) -> dict[str, Any]:
    """Run the experiment described by ``cfg``, write its files into ``out_dir``, return metrics."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    seeds = derive_seeds(cfg.seed)
    timings: dict[str, float] = {}

    with _stopwatch(timings, "data_seconds"):
        data = load_dataset(cfg.dataset, data_seed=seeds.data, split_seed=seeds.split)
    if isinstance(data, PrecomputedData):
        metrics = _run_precomputed(cfg, data, seeds, timings, out_dir)
    else:
        metrics = _run_with_features(cfg, data, seeds, timings, out_dir)

    timings["total_seconds"] = time.perf_counter() - started
    metrics.update({name: round(seconds, 4) for name, seconds in timings.items()})
    log.info("result: %s", _summary_line(metrics if search_role(cfg) is None else without_held_out(metrics)))
    return metrics


# ---------------------------------------------------------------------------------------
# The two pipelines
# ---------------------------------------------------------------------------------------


def _run_with_features(cfg, data: FeatureData, seeds: Seeds, timings, out_dir: Path) -> dict[str, Any]:
    settings = run_settings(cfg.dataset)
    n_train, *example_shape = data.X_train.shape
    n_test = 0 if data.X_test is None else data.X_test.shape[0]
    log.info(
        "data: %s, %d training / %d test examples, %s, %d classes",
        settings.name, n_train, n_test,
        f"{example_shape[0]} features" if len(example_shape) == 1 else f"images of shape {tuple(example_shape)}",
        data.n_classes,
    )
    # 1) the model: the classifier behind the preprocessing, both fitted inside every fold.
    with _stopwatch(timings, "data_seconds"):
        clf, X_train, X_test = _model(cfg, data, settings)

    # 2) noise on the training labels only.
    with _stopwatch(timings, "data_seconds"):
        noisy_labels, true_noise_matrix = inject_noise(
            cfg.noise, data.labels_train, n_classes=data.n_classes, seed=seeds.noise,
            features=_noise_features(cfg.noise, X_train, settings),
        )
    # dataset.validation_size: a validation part of the (noisy) training part, set aside
    # before any learning (runner/experiment/validation_split.py); the model inputs follow the reduced part.
    data, noisy_labels, validation = carve_validation(data, noisy_labels, cfg.dataset, seed=seeds.split)
    if validation is not None:
        validation = validation._replace(features=preprocessing.prepare_features(validation.features,
                                                                                  settings.preprocess))
        clf, X_train, X_test = _model(cfg, data, settings)
        n_train = X_train.shape[0]
    n_changed = int((noisy_labels != data.labels_train).sum())
    log.info(
        "noise: %s, %d of %d training labels changed (%.1f%%)",
        "none" if is_no_noise(cfg.noise) else describe_noise(cfg.noise, inline=True), n_changed, n_train, 100 * n_changed / n_train,
    )
    true_labels, label_errors, true_noise_matrix = _known_errors(cfg, data, noisy_labels, true_noise_matrix)

    cache = ArrayCache(cfg.cache_dir)
    # Everything that decides the cached arrays (the cache adds package versions): the data as
    # loaded, the labels, and the model = preprocessing settings and code + classifier.
    cache_key = {
        "dataset": OmegaConf.to_container(cfg.dataset, resolve=True),
        "data": fingerprint(data.X_train, noisy_labels, data.X_test),
        "noise": OmegaConf.to_container(cfg.noise, resolve=True),
        "classifier": set_parameters(cfg.classifier),
        "preprocessing": {
            **dataclasses.asdict(settings),
            "code": fingerprint(np.frombuffer(Path(preprocessing.__file__).read_bytes(), dtype=np.uint8)),
        },
        "seed": cfg.seed,
    }

    # 3) out-of-sample pred_probs.
    cv_n_folds = cfg.cleanlearning.cv_n_folds
    log.info("cross-validation: %d folds of %s", cv_n_folds, _model_name(clf))
    with _stopwatch(timings, "cv_seconds"):

        def cross_validate() -> dict:
            with folds_backend(cfg.parallel, cfg.cleanlearning.n_jobs) as n_jobs:  # runner.experiment.parallel
                return {"pred_probs": _cross_validate(X_train, noisy_labels, clf, cv_n_folds, seeds.cv, n_jobs)}

        pred_probs = cache.get_or_compute("cv_pred_probs", {**cache_key, "cv_n_folds": cv_n_folds}, cross_validate,
                                         names=["pred_probs"])[
            "pred_probs"
        ]
    if isinstance(data.X_train, pd.DataFrame):  # a table: a column alone as good as the model leaks
        cv_accuracy = float((np.asarray(pred_probs).argmax(axis=1) == noisy_labels).mean())
        for line in leak_warnings(data.X_train, noisy_labels, cv_accuracy, data.dataset.source or "dataset"):
            log.warning(line)

    # 4) baseline: the same classifier trained on every noisy label. A search's trials never
    # touch the test part (runner.experiment.held_out): nothing there to select on.
    metrics: dict[str, Any] = {}
    if not scores_test_part(cfg):
        X_test = None
    # the labels each test metric is scored against: the true ones when known (held_out.py)
    targets = label_targets(data.labels_test, true_labels_test=data.true_labels_test,
                            label_errors_test=data.label_errors_test) if X_test is not None else []
    test_log = log if search_role(cfg) is None else FILE_ONLY  # a search's test values: job log only
    if X_test is not None:
        metrics["n_test_examples"] = n_test
        with _stopwatch(timings, "baseline_seconds"):
            baseline_predictions = cache.get_or_compute(
                "baseline",
                cache_key,
                lambda: {"test_predictions": _fit_baseline(clf, X_train, noisy_labels).predict(X_test)},
                names=["test_predictions"],
            )["test_predictions"]
        metrics.update(score_test_part({"baseline": baseline_predictions}, targets))
        test_log.info("baseline: test accuracy %.4f (trained on the noisy labels)", metrics["test_accuracy_baseline"])

    # 5) CleanLearning on the pred_probs of 3: filter, then the final fit on what is left.
    clean_learning = instantiate(cfg.cleanlearning, clf=clone(clf), seed=seeds.cv, _convert_="all")
    with _stopwatch(timings, "filter_seconds"):
        label_issues = clean_learning.find_label_issues(X_train, noisy_labels, pred_probs=pred_probs)
    _log_issues(cfg, label_issues)
    log.info("final fit: %s on the %d examples kept", _classifier_name(clf),
             n_train - int(label_issues["is_label_issue"].sum()))
    with _stopwatch(timings, "final_fit_seconds"):
        clean_learning.fit(X_train, noisy_labels, pred_probs=pred_probs, label_issues=label_issues)
    raise_if_interrupted()  # the classifier may have swallowed a Ctrl-C (runner.core.signals)
    label_issues = clean_learning.get_label_issues()
    metrics.update(score_validation(clean_learning, validation))
    if X_test is not None:
        metrics.update(score_test_part({"cleanlearning": clean_learning.predict(X_test)}, targets))
        test_log.info(
            "final fit: %d examples kept, test accuracy %.4f -> %.4f (baseline -> CleanLearning, %s labels)",
            n_train - int(label_issues["is_label_issue"].sum()), metrics["test_accuracy_baseline"],
            metrics["test_accuracy_cleanlearning"],
            "true" if data.true_labels_test is not None or not is_no_noise(cfg.noise) else "given",
        )
    else:
        log.info("final fit: %d examples kept", n_train - int(label_issues["is_label_issue"].sum()))

    with _stopwatch(timings, "write_seconds"):
        outcome = RunOutcome(
            clean_learning, label_issues, data.classes, noisy_labels, data.index_train, true_labels=true_labels,
            true_noise_matrix=true_noise_matrix, label_errors=label_errors,
            extra_columns=_identity_columns(cfg, data.dataset, data.index_train),
        )
        return write_and_score(out_dir, outcome, metrics=metrics, cache=cache,
                               matrices_title=matrices_title(OmegaConf.to_container(cfg, resolve=True)))


def _model(cfg, data: FeatureData, settings):
    """``(clf, X_train, X_test)``: the classifier behind the per-fold preprocessing, and the
    features in the form it takes. Every row of the dataset is checked first, so an error
    names the file's first bad line."""
    estimator = build_estimator(cfg.classifier)
    preprocessing.check_features(data.dataset, preprocess=settings.preprocess, estimator=estimator)
    X_train = preprocessing.prepare_features(data.X_train, settings.preprocess)
    X_test = None if data.X_test is None else preprocessing.prepare_features(data.X_test, settings.preprocess)
    clf = preprocessing.with_preprocessing(
        estimator, X_train, preprocess=settings.preprocess, standardize=settings.standardize,
        max_categories=settings.max_categories,
    )
    return clf, X_train, X_test


def _known_errors(cfg, data: FeatureData, noisy_labels, injected_matrix):
    """``(true_labels, label_errors, true_noise_matrix)``: what is known about the errors.

    Injected noise: the labels before it. Otherwise the dataset's own true labels (the noise
    matrix counted from them) or its error mask; else nothing (no detection metrics rather
    than a vacuous precision 0).
    """
    if not is_no_noise(cfg.noise):
        return data.labels_train, None, injected_matrix
    if data.true_labels_train is not None:
        matrix = realised_noise_matrix(noisy_labels, data.true_labels_train, data.n_classes)
        return data.true_labels_train, None, matrix
    return None, data.label_errors_train, None


def _noise_features(noise: DictConfig, X_train, settings) -> np.ndarray | None:
    """The numeric, standardised training features, for noise models that take them (instance
    noise): the default preprocessing fitted on the training part (noise is not learning, so
    this is no leak). None for models without a ``features`` parameter (no work)."""
    import inspect

    try:
        model = get_method(noise._target_)
    except Exception:  # validate_config has reported it
        return None
    parameters = inspect.signature(model).parameters
    if "features" not in parameters and not any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return None
    if preprocessing.is_images(X_train):  # the pixels as features
        X_train = np.reshape(X_train, (len(X_train), -1))
    steps = preprocessing.preprocessor(X_train, preprocess="auto", standardize=True,
                                       max_categories=settings.max_categories)
    return np.asarray(X_train if steps is None else steps.fit_transform(X_train), dtype=np.float64)


def _model_name(clf) -> str:
    steps = getattr(clf, "steps", None)
    if steps:
        return f"{_classifier_name(clf)} (after per-fold {type(steps[0][1]).__name__})"
    return type(clf).__name__


def _classifier_name(clf) -> str:
    """The classifier's class name, also when it is the last step of the per-fold pipeline."""
    steps = getattr(clf, "steps", None)
    return type(steps[-1][1] if steps else clf).__name__


def _run_precomputed(cfg, data: PrecomputedData, seeds: Seeds, timings, out_dir: Path) -> dict[str, Any]:
    n_examples = data.labels.shape[0]
    log.info(
        "data: precomputed pred_probs, %d examples, %d classes, %s%s", n_examples, data.n_classes,
        data.pred_probs.dtype, " (memory-mapped)" if isinstance(data.pred_probs, np.memmap) else "",
    )
    overridden = _overridden_classifier()
    if overridden:
        log.warning("%s is not used: dataset=precomputed brings its own pred_probs", overridden)
    clean_learning = instantiate(cfg.cleanlearning, seed=seeds.cv, _convert_="all")
    with _stopwatch(timings, "filter_seconds"):
        label_issues = clean_learning.find_label_issues(labels=data.labels, pred_probs=data.pred_probs)
    _log_issues(cfg, label_issues)
    true_noise_matrix = None
    if data.true_labels is not None:
        true_noise_matrix = realised_noise_matrix(data.labels, data.true_labels, data.n_classes)
    index = np.arange(n_examples)
    with _stopwatch(timings, "write_seconds"):
        outcome = RunOutcome(
            clean_learning, label_issues, data.classes, data.labels, index, true_labels=data.true_labels,
            true_noise_matrix=true_noise_matrix, label_errors=data.label_errors,
            extra_columns=_identity_columns(cfg, data.dataset, index),
        )
        return write_and_score(out_dir, outcome, metrics={}, cache=ArrayCache(cfg.cache_dir),
                               matrices_title=matrices_title(OmegaConf.to_container(cfg, resolve=True)))


def _overridden_classifier() -> str | None:
    """The command line's classifier override (``classifier=...``), if any."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return None
    overrides = [o for o in HydraConfig.get().overrides.task if o.lstrip("+~").startswith("classifier")]
    return " ".join(overrides) or None


def _identity_columns(cfg, dataset, index: np.ndarray) -> dict[str, np.ndarray]:
    """label_issues.csv columns beside ``index``: the dataset's ids (``dataset.id_column``)
    and, with ``output.include_features: true``, the example's own feature values."""
    columns: dict[str, np.ndarray] = {}
    if dataset.ids is not None:
        columns[str(cfg.dataset.get("id_column") or "id")] = np.asarray(dataset.ids)[index]
    output = cfg.get("output")
    if output is not None and output.get("include_features") and dataset.features is not None:
        features = dataset.features
        if not isinstance(features, pd.DataFrame):
            features = np.reshape(features, (len(features), -1))  # images: one column per pixel
            names = dataset.feature_names or [f"x{j}" for j in range(features.shape[1])]
            features = pd.DataFrame(features, columns=[str(n) for n in names])
        for name in features.columns:
            columns[str(name)] = features[name].to_numpy()[index]
    return columns


def _fit_baseline(clf, X, labels):
    log.info("baseline: fitting %s on all %d noisy labels", _classifier_name(clf), len(labels))
    return clone(clf).fit(X, labels)


def _cross_validate(X, labels, clf, cv_n_folds: int, seed: int, n_jobs) -> np.ndarray:
    from cleanlearn.count import estimate_cv_predicted_probabilities

    return estimate_cv_predicted_probabilities(
        X, labels, clone(clf), cv_n_folds=cv_n_folds, seed=seed, n_jobs=n_jobs
    )


# ---------------------------------------------------------------------------------------
# Logging helpers
# ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def _stopwatch(timings: dict[str, float], name: str) -> Iterator[None]:
    """Add the wall time of the block to ``timings[name]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start


def _log_issues(cfg, label_issues: pd.DataFrame) -> None:
    n_issues = int(label_issues["is_label_issue"].sum())
    log.info(
        "filtering (%s): %d label issues of %d examples (%.1f%%)",
        cfg.cleanlearning.find_label_issues_kwargs.filter_by, n_issues, len(label_issues),
        100 * n_issues / len(label_issues),
    )


def _summary_line(metrics: dict[str, Any]) -> str:
    parts = [f"{metrics['n_label_issues']} issues in {metrics['n_examples']} examples"]
    if "issue_precision" in metrics:
        parts.append(
            "precision {:.3f} recall {:.3f} f1 {:.3f} auprc {:.3f}".format(
                *(metrics.get(k, float("nan")) for k in ("issue_precision", "issue_recall", "issue_f1", "issue_auprc"))
            )
        )
    if "test_accuracy_baseline" in metrics:
        parts.append(
            f"test accuracy {metrics['test_accuracy_baseline']:.4f} -> {metrics['test_accuracy_cleanlearning']:.4f}"
        )
    parts.append(f"{metrics['total_seconds']:.2f} s")
    return "; ".join(parts)
