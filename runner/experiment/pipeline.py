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
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from hydra.utils import get_method, instantiate
from omegaconf import DictConfig, OmegaConf
from sklearn.base import clone
from sklearn.metrics import accuracy_score

from runner.core.cache import ArrayCache, fingerprint
from runner.core.io import atomic_write_bytes, atomic_write_csv
from runner.core.signals import raise_if_interrupted
from runner.experiment.data import FeatureData, PrecomputedData, load_dataset, run_settings
from runner.experiment.parallel import folds_backend
from runner.experiment.validation_split import carve_validation, score_validation
from runner.model import preprocessing
from runner.model.estimators import build_estimator, set_parameters
from runner.noise import inject_noise, is_no_noise, realised_noise_matrix
from runner.scoring import metrics as detection
from runner.scoring.health import write_label_health

log = logging.getLogger(__name__)

__all__ = ["Seeds", "derive_seeds", "run"]

# label_issues.csv is compared byte for byte between reruns: fix the float text.
FLOAT_FORMAT = "%.10g"


class Seeds(NamedTuple):
    """Independent seeds for each random step, all derived from the top-level seed."""

    data: int  # synthetic data generation
    split: int  # the stratified test split
    noise: int  # the noise matrix and which labels flip
    cv: int  # the cross-validation folds (CleanLearning's seed)


def derive_seeds(seed: int) -> Seeds:
    """Spawn one child seed per step, so that changing one step's use of randomness (or
    adding a step) leaves the others' streams as they were."""
    children = np.random.SeedSequence(seed).spawn(len(Seeds._fields))
    return Seeds(*(int(child.generate_state(1)[0]) for child in children))


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
    log.info("result: %s", _summary_line(metrics))
    return metrics


# ---------------------------------------------------------------------------------------
# The two pipelines
# ---------------------------------------------------------------------------------------


def _run_with_features(cfg, data: FeatureData, seeds: Seeds, timings, out_dir: Path) -> dict[str, Any]:
    settings = run_settings(cfg.dataset)
    n_train, n_features = data.X_train.shape
    n_test = 0 if data.X_test is None else data.X_test.shape[0]
    log.info(
        "data: %s, %d training / %d test examples, %d features, %d classes",
        settings.name, n_train, n_test, n_features, data.n_classes,
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
    # before any learning (runner/validation_split.py); the model inputs follow the reduced part.
    data, noisy_labels, validation = carve_validation(data, noisy_labels, cfg.dataset, seed=seeds.split)
    if validation is not None:
        validation = validation._replace(features=preprocessing.prepare_features(validation.features,
                                                                                  settings.preprocess))
        clf, X_train, X_test = _model(cfg, data, settings)
        n_train = X_train.shape[0]
    n_changed = int((noisy_labels != data.labels_train).sum())
    log.info(
        "noise: %s, %d of %d training labels changed (%.1f%%)",
        _describe_noise(cfg.noise), n_changed, n_train, 100 * n_changed / n_train,
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

        pred_probs = cache.get_or_compute("cv_pred_probs", {**cache_key, "cv_n_folds": cv_n_folds}, cross_validate)[
            "pred_probs"
        ]

    # 4) baseline: the same classifier trained on every noisy label.
    metrics: dict[str, Any] = {}
    if X_test is not None:
        metrics["n_test_examples"] = n_test
        with _stopwatch(timings, "baseline_seconds"):
            baseline_predictions = cache.get_or_compute(
                "baseline",
                cache_key,
                lambda: {"test_predictions": _fit_baseline(clf, X_train, noisy_labels).predict(X_test)},
            )["test_predictions"]
        metrics["test_accuracy_baseline"] = float(accuracy_score(data.labels_test, baseline_predictions))
        log.info("baseline: test accuracy %.4f (trained on the noisy labels)", metrics["test_accuracy_baseline"])

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
        metrics["test_accuracy_cleanlearning"] = float(
            accuracy_score(data.labels_test, clean_learning.predict(X_test))
        )
        log.info(
            "final fit: %d examples kept, test accuracy %.4f",
            n_train - int(label_issues["is_label_issue"].sum()), metrics["test_accuracy_cleanlearning"],
        )
    else:
        log.info("final fit: %d examples kept", n_train - int(label_issues["is_label_issue"].sum()))

    with _stopwatch(timings, "write_seconds"):
        return _write_and_score(
            out_dir, clean_learning, label_issues, data.classes, noisy_labels, true_labels,
            true_noise_matrix, index=data.index_train, metrics=metrics, cache=cache, cfg=cfg,
            label_errors=label_errors, extra_columns=_identity_columns(cfg, data.dataset, data.index_train),
        )


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
        return _write_and_score(
            out_dir, clean_learning, label_issues, data.classes, data.labels, data.true_labels,
            true_noise_matrix, index=index, metrics={}, cache=ArrayCache(cfg.cache_dir), cfg=cfg,
            label_errors=data.label_errors, extra_columns=_identity_columns(cfg, data.dataset, index),
        )


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
# Results: files and metrics
# ---------------------------------------------------------------------------------------


def _write_and_score(
    out_dir: Path,
    clean_learning,
    label_issues: pd.DataFrame,
    classes: np.ndarray,
    given_labels: np.ndarray,
    true_labels: np.ndarray | None,
    true_noise_matrix: np.ndarray | None,
    *,
    index: np.ndarray,
    metrics: dict[str, Any],
    cache: ArrayCache,
    cfg: DictConfig,
    label_errors: np.ndarray | None = None,
    extra_columns: dict[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Write label_issues.csv, the matrices (CSV and PNG); return ``metrics`` completed.

    The detection is scored where the true errors are known: from the true labels, else from
    a known error mask ``label_errors`` (then without the noise-matrix error).
    ``extra_columns`` (ids, the example's own features) follow the result columns.
    """
    n_examples, n_classes = given_labels.shape[0], len(classes)
    is_label_issue = label_issues["is_label_issue"].to_numpy(dtype=bool)
    label_quality = label_issues["label_quality"].to_numpy(dtype=float)

    # label_issues.csv: one row per examined example, `index` its row in the original dataset.
    columns = {
        "index": index,
        "is_label_issue": is_label_issue,
        "label_quality": label_quality,
        "given_label": classes[given_labels],
        "predicted_label": classes[label_issues["predicted_label"].to_numpy(dtype=np.int64)],
    }
    if "sample_weight" in label_issues.columns:
        columns["sample_weight"] = label_issues["sample_weight"].to_numpy(dtype=float)
    is_true_error = None if label_errors is None else np.asarray(label_errors, dtype=bool)
    if true_labels is not None:
        is_true_error = given_labels != true_labels
        columns["true_label"] = classes[true_labels]
    if is_true_error is not None:
        columns["is_true_error"] = is_true_error
    for name, values in (extra_columns or {}).items():
        columns[name if name not in columns else f"feature_{name}"] = values
    # Most likely wrong first; ties by original row, so reruns give the same bytes.
    order = np.lexsort((index, label_quality))
    table = pd.DataFrame(columns).iloc[order]
    atomic_write_csv(out_dir / "label_issues.csv", table, float_format=FLOAT_FORMAT)

    # Matrices: rows are the given label, columns the true label.
    confident_joint = _fitted(clean_learning, "confident_joint")
    noise_matrix = _fitted(clean_learning, "noise_matrix")
    class_prior = _fitted(clean_learning, "py")  # estimated P(true label = k)
    matrices = {"confident joint": confident_joint, "estimated noise matrix": noise_matrix}
    if true_noise_matrix is not None:
        matrices["true noise matrix"] = true_noise_matrix
    frames = {title: _matrix_frame(matrix, classes) for title, matrix in matrices.items()}
    for title, file_name in (("confident joint", "confident_joint.csv"),
                             ("estimated noise matrix", "noise_matrix.csv"),
                             ("true noise matrix", "true_noise_matrix.csv")):
        if title in frames:
            atomic_write_csv(
                out_dir / file_name, frames[title], index=True, index_label="given_label/true_label",
                float_format=FLOAT_FORMAT,
            )
    atomic_write_bytes(out_dir / "matrices.png", _matrices_png(frames, cache, cfg))
    health_score = write_label_health(out_dir, given_labels, confident_joint, classes, float_format=FLOAT_FORMAT)

    metrics = {
        "n_examples": int(n_examples),
        "n_classes": int(n_classes),
        "n_label_issues": int(is_label_issue.sum()),
        **metrics,
        # P(given != true) under the estimated joint: 1 - sum_k P(given=k | true=k) P(true=k).
        "estimated_noise_rate": float(1 - np.sum(np.diag(noise_matrix) * class_prior)),
        "label_health_score": health_score,  # trace of the estimated joint (runner/health.py)
    }
    if is_true_error is not None:
        metrics.update(detection.detection_metrics(is_true_error, is_label_issue, label_quality))
    if true_noise_matrix is not None:
        metrics["noise_matrix_error"] = float(np.mean(np.abs(noise_matrix - true_noise_matrix)))
    return metrics


def _matrices_png(frames: dict[str, pd.DataFrame], cache: ArrayCache, cfg: DictConfig) -> bytes:
    """matrices.png as bytes, from the cache when the same matrices were drawn before.

    The confident joint and noise matrices do not depend on the filter settings, so every job
    of a sweep over them draws the same figure; drawing it is most of a cached job's cost.
    """
    import matplotlib

    from runner.results import figures as plots

    figure_title = plots.matrices_title(cfg)  # what the matrices depend on (not filter_by)
    key = {
        "title": figure_title,
        "matrices": fingerprint(*(x for title, frame in frames.items() for x in (title, frame))),
        "plot_code": fingerprint(np.frombuffer(Path(plots.__file__).read_bytes(), dtype=np.uint8)),
        "matplotlib": matplotlib.__version__,
    }
    arrays = cache.get_or_compute(
        "matrices_png", key,
        lambda: {"png": np.frombuffer(plots.png_bytes(plots.plot_matrices(frames, figure_title)), dtype=np.uint8)},
    )
    return arrays["png"].tobytes()


def _fitted(clean_learning, name: str) -> np.ndarray:
    """A fitted attribute: scikit-learn style ``name_``, else the reference's ``name``."""
    value = getattr(clean_learning, f"{name}_", None)
    if value is None:
        value = getattr(clean_learning, name, None)
    if value is None:
        raise RuntimeError(f"CleanLearning has no fitted {name}_ after finding label issues")
    return np.asarray(value)


def _matrix_frame(matrix: np.ndarray, classes: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        matrix,
        index=pd.Index(classes, name="given label"),
        columns=pd.Index(classes, name="true label"),
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


def _describe_noise(noise: DictConfig) -> str:
    """``asymmetric rate=0.2 sparsity=0.0``: the option's name and its parameters."""
    if is_no_noise(noise):
        return "none"
    name = noise.get("name") or str(noise._target_).rpartition(".")[2]
    parameters = [f"{k}={v}" for k, v in noise.items() if k not in ("_target_", "name")]
    return " ".join([name, *parameters])


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
