"""One experiment: load data, inject label noise, find the label issues, learn without them.

``run(cfg, out_dir)`` is a plain function (the Hydra entry point and tests call it alike). It
writes the run's result files into ``out_dir`` and returns the metrics; the job wrapper
(runner.jobs) writes metrics.json, the status and the completion marker.

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
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from sklearn.base import clone
from sklearn.metrics import accuracy_score, average_precision_score, precision_recall_fscore_support

from runner.cache import ArrayCache, fingerprint
from runner.data import FeatureData, PrecomputedData, inject_noise, load_dataset
from runner.io import atomic_write_bytes, atomic_write_csv
from runner.validation_split import carve_validation, score_validation

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
    n_train, n_features = data.X_train.shape
    n_test = 0 if data.X_test is None else data.X_test.shape[0]
    log.info(
        "data: %s, %d training / %d test examples, %d features, %d classes",
        cfg.dataset.name, n_train, n_test, n_features, data.n_classes,
    )

    # 2) noise on the training labels only.
    with _stopwatch(timings, "data_seconds"):
        noisy_labels, true_noise_matrix = inject_noise(
            data.labels_train, data.n_classes, cfg.noise, seed=seeds.noise
        )
        # dataset.validation_size: a validation part of the (noisy) training part, set aside.
        data, noisy_labels, validation = carve_validation(data, noisy_labels, cfg.dataset, seed=seeds.split)
        n_train = data.X_train.shape[0]
    is_true_error = noisy_labels != data.labels_train
    log.info(
        "noise: %s, %d of %d training labels changed (%.1f%%)",
        _describe_noise(cfg.noise), is_true_error.sum(), n_train, 100 * is_true_error.mean(),
    )

    clf = instantiate(cfg.classifier, _convert_="all")
    cache = ArrayCache(cfg.cache_dir)
    # Everything that decides the cached arrays (the cache adds package versions).
    cache_key = {
        "dataset": OmegaConf.to_container(cfg.dataset, resolve=True),
        "data": fingerprint(data.X_train, noisy_labels, data.X_test),
        "noise": OmegaConf.to_container(cfg.noise, resolve=True),
        "classifier": OmegaConf.to_container(cfg.classifier, resolve=True),
        "seed": cfg.seed,
    }

    # 3) out-of-sample pred_probs.
    cv_n_folds = cfg.cleanlearning.cv_n_folds
    log.info("cross-validation: %d folds of %s", cv_n_folds, type(clf).__name__)
    with _stopwatch(timings, "cv_seconds"):
        pred_probs = cache.get_or_compute(
            "cv_pred_probs",
            {**cache_key, "cv_n_folds": cv_n_folds},
            lambda: {"pred_probs": _cross_validate(data.X_train, noisy_labels, clf, cv_n_folds, seeds.cv,
                                                   cfg.cleanlearning.n_jobs)},
        )["pred_probs"]

    # 4) baseline: the same classifier trained on every noisy label.
    metrics: dict[str, Any] = {}
    if data.X_test is not None:
        metrics["n_test_examples"] = n_test
        with _stopwatch(timings, "baseline_seconds"):
            baseline_predictions = cache.get_or_compute(
                "baseline",
                cache_key,
                lambda: {"test_predictions": clone(clf).fit(data.X_train, noisy_labels).predict(data.X_test)},
            )["test_predictions"]
        metrics["test_accuracy_baseline"] = float(accuracy_score(data.labels_test, baseline_predictions))
        log.info("baseline: test accuracy %.4f (trained on the noisy labels)", metrics["test_accuracy_baseline"])

    # 5) CleanLearning on the pred_probs of 3: filter, then the final fit on what is left.
    clean_learning = instantiate(cfg.cleanlearning, clf=clone(clf), seed=seeds.cv, _convert_="all")
    with _stopwatch(timings, "filter_seconds"):
        label_issues = clean_learning.find_label_issues(data.X_train, noisy_labels, pred_probs=pred_probs)
    _log_issues(cfg, label_issues)
    with _stopwatch(timings, "final_fit_seconds"):
        clean_learning.fit(data.X_train, noisy_labels, pred_probs=pred_probs, label_issues=label_issues)
    label_issues = clean_learning.get_label_issues()
    metrics.update(score_validation(clean_learning, validation))
    if data.X_test is not None:
        metrics["test_accuracy_cleanlearning"] = float(
            accuracy_score(data.labels_test, clean_learning.predict(data.X_test))
        )
        log.info(
            "final fit: %d examples kept, test accuracy %.4f",
            n_train - int(label_issues["is_label_issue"].sum()), metrics["test_accuracy_cleanlearning"],
        )
    else:
        log.info("final fit: %d examples kept", n_train - int(label_issues["is_label_issue"].sum()))

    # Without injected noise the dataset's labels are the given labels and nothing is known of
    # their errors: no true labels, so no detection metrics (rather than a vacuous precision 0).
    true_labels = None if cfg.noise.name == "none" else data.labels_train
    if true_labels is None:
        true_noise_matrix = None
    with _stopwatch(timings, "write_seconds"):
        return _write_and_score(
            out_dir, clean_learning, label_issues, data.classes, noisy_labels, true_labels,
            true_noise_matrix, index=data.index_train, metrics=metrics, cache=cache,
        )


def _run_precomputed(cfg, data: PrecomputedData, seeds: Seeds, timings, out_dir: Path) -> dict[str, Any]:
    n_examples = data.labels.shape[0]
    log.info("data: precomputed pred_probs, %d examples, %d classes", n_examples, data.n_classes)
    clean_learning = instantiate(cfg.cleanlearning, seed=seeds.cv, _convert_="all")
    with _stopwatch(timings, "filter_seconds"):
        label_issues = clean_learning.find_label_issues(labels=data.labels, pred_probs=data.pred_probs)
    _log_issues(cfg, label_issues)
    true_noise_matrix = None
    if data.true_labels is not None:
        true_noise_matrix = _empirical_noise_matrix(data.labels, data.true_labels, data.n_classes)
    with _stopwatch(timings, "write_seconds"):
        return _write_and_score(
            out_dir, clean_learning, label_issues, data.classes, data.labels, data.true_labels,
            true_noise_matrix, index=np.arange(n_examples), metrics={}, cache=ArrayCache(cfg.cache_dir),
        )


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
) -> dict[str, Any]:
    """Write label_issues.csv, the matrices (CSV and PNG); return ``metrics`` completed."""
    n_examples, n_classes = given_labels.shape[0], len(classes)
    is_label_issue = label_issues["is_label_issue"].to_numpy(dtype=bool)
    label_quality = label_issues["label_quality"].to_numpy(dtype=float)

    # label_issues.csv: one row per examined example, in the order the pipeline saw them.
    columns = {
        "index": index,
        "is_label_issue": is_label_issue,
        "label_quality": label_quality,
        "given_label": classes[given_labels],
        "predicted_label": classes[label_issues["predicted_label"].to_numpy(dtype=np.int64)],
    }
    if "sample_weight" in label_issues.columns:
        columns["sample_weight"] = label_issues["sample_weight"].to_numpy(dtype=float)
    if true_labels is not None:
        columns["true_label"] = classes[true_labels]
        columns["is_true_error"] = given_labels != true_labels
    atomic_write_csv(out_dir / "label_issues.csv", pd.DataFrame(columns), float_format=FLOAT_FORMAT)

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
    atomic_write_bytes(out_dir / "matrices.png", _matrices_png(frames, cache))

    metrics = {
        "n_examples": int(n_examples),
        "n_classes": int(n_classes),
        "n_label_issues": int(is_label_issue.sum()),
        **metrics,
        # P(given != true) under the estimated joint: 1 - sum_k P(given=k | true=k) P(true=k).
        "estimated_noise_rate": float(1 - np.sum(np.diag(noise_matrix) * class_prior)),
    }
    if true_labels is not None:
        metrics.update(_detection_metrics(given_labels != true_labels, is_label_issue, label_quality))
    if true_noise_matrix is not None:
        metrics["noise_matrix_error"] = float(np.mean(np.abs(noise_matrix - true_noise_matrix)))
    return metrics


def _matrices_png(frames: dict[str, pd.DataFrame], cache: ArrayCache) -> bytes:
    """matrices.png as bytes, from the cache when the same matrices were drawn before.

    The confident joint and noise matrices do not depend on the filter settings, so every job
    of a sweep over them draws the same figure; drawing it is most of a cached job's cost.
    """
    import matplotlib

    from runner import plots

    key = {
        "matrices": fingerprint(*(x for title, frame in frames.items() for x in (title, frame))),
        "plot_code": fingerprint(np.frombuffer(Path(plots.__file__).read_bytes(), dtype=np.uint8)),
        "matplotlib": matplotlib.__version__,
    }
    arrays = cache.get_or_compute(
        "matrices_png", key,
        lambda: {"png": np.frombuffer(plots.png_bytes(plots.plot_matrices(frames)), dtype=np.uint8)},
    )
    return arrays["png"].tobytes()


def _detection_metrics(is_true_error: np.ndarray, is_label_issue: np.ndarray, label_quality) -> dict:
    """How well the flagged examples match the true label errors.

    Recall, F1 and AUPRC are undefined without any true error: they are then left out.
    """
    precision, recall, f1, _ = precision_recall_fscore_support(
        is_true_error, is_label_issue, average="binary", zero_division=0.0
    )
    metrics = {"true_noise_rate": float(is_true_error.mean()), "issue_precision": float(precision)}
    if is_true_error.any():
        metrics["issue_recall"] = float(recall)
        metrics["issue_f1"] = float(f1)
        # Low label quality = likely error, so rank by -label_quality.
        metrics["issue_auprc"] = float(average_precision_score(is_true_error, -label_quality))
    return metrics


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


def _empirical_noise_matrix(given_labels, true_labels, n_classes: int) -> np.ndarray:
    """P(given = i | true = j) counted from the labels; a class never true gets an identity column."""
    counts = np.zeros((n_classes, n_classes))
    np.add.at(counts, (given_labels, true_labels), 1)
    column_totals = counts.sum(axis=0)
    empty = column_totals == 0
    counts[:, empty] = np.eye(n_classes)[:, empty]
    column_totals[empty] = 1
    return counts / column_totals


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
    if noise.name == "none":
        return "none"
    text = f"{noise.name} rate={noise.rate}"
    if noise.name == "asymmetric":
        text += f" sparsity={noise.sparsity}"
    return text


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
