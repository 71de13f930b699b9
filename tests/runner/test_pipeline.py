"""runner.experiment.pipeline.run on small configs: the files it writes, the metrics, determinism, cache."""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.metrics import precision_score
from sklearn.preprocessing import StandardScaler

from runner.config import register_configs, validate_config
from runner.experiment.data import load_dataset
from runner.experiment.pipeline import run
from runner.experiment.seeds import derive_seeds
from runner.model.estimators import build_estimator
from runner.model.preprocessing import WeightedPipeline
from runner.noise import inject_noise

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
# Iris, 3 folds: a run takes well under a second.
SMALL = ["dataset=iris", "cleanlearning.cv_n_folds=3", "noise.rate=0.2"]
RESULT_FILES = ["label_issues.csv", "confident_joint.csv", "noise_matrix.csv", "true_noise_matrix.csv",
                "matrices.png", "matrices.pdf", "class_health.csv", "overlapping_classes.csv"]
FRACTIONS = ["test_accuracy_baseline", "test_accuracy_cleanlearning", "true_noise_rate", "estimated_noise_rate",
             "issue_precision", "issue_recall", "issue_f1", "issue_auprc", "noise_matrix_error", "label_health_score"]

register_configs()


def make_config(*overrides: str, cache_dir: Path | None = None):
    cache = f"cache_dir={cache_dir}" if cache_dir is not None else "cache_dir=null"
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=[cache, *overrides])
    validate_config(cfg)
    return cfg


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    """One cached iris run shared by the read-only checks below: (cfg, out_dir, metrics, cache_dir)."""
    cache_dir = tmp_path_factory.mktemp("cache")
    out_dir = tmp_path_factory.mktemp("iris_run")
    cfg = make_config(*SMALL, cache_dir=cache_dir)
    return cfg, out_dir, run(cfg, out_dir), cache_dir


def test_run_writes_every_result_file(iris_run):
    _, out_dir, _, _ = iris_run
    for name in RESULT_FILES:
        assert (out_dir / name).stat().st_size > 0, name
    assert (out_dir / "matrices.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out_dir / "matrices.pdf").read_bytes()[:5] == b"%PDF-"  # the vector version beside it
    # Result files only: metrics.json, status and markers belong to the job wrapper.
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(RESULT_FILES)


def in_row_order(frame: pd.DataFrame) -> pd.DataFrame:
    """label_issues.csv back in the order of the original rows."""
    return frame.sort_values("index", kind="stable").reset_index(drop=True)


def in_training_order(frame: pd.DataFrame, index_train: np.ndarray) -> pd.DataFrame:
    """label_issues.csv in the order the pipeline saw the training rows (data.index_train)."""
    position = pd.Series(np.arange(len(index_train)), index=index_train)
    return frame.iloc[np.argsort(position[frame["index"]].to_numpy())].reset_index(drop=True)


def test_label_issues_csv_has_one_row_per_training_example(iris_run):
    _, out_dir, metrics, _ = iris_run
    frame = pd.read_csv(out_dir / "label_issues.csv")
    # Most likely wrong first: label_quality ascending, ties by original row.
    quality, index = frame["label_quality"].to_numpy(), frame["index"].to_numpy()
    assert np.all((np.diff(quality) > 0) | ((np.diff(quality) == 0) & (np.diff(index) > 0)))
    assert list(frame.columns) == ["index", "is_label_issue", "label_quality", "given_label", "predicted_label",
                                   "sample_weight", "true_label", "is_true_error"]
    assert len(frame) == metrics["n_examples"] == 112  # 150 - 38 test examples
    assert frame["index"].is_unique and frame["index"].between(0, 149).all()
    # True labels are iris' own labels at the original positions.
    np.testing.assert_array_equal(frame["true_label"], load_iris().target[frame["index"]])
    np.testing.assert_array_equal(frame["is_true_error"], frame["given_label"] != frame["true_label"])
    assert frame["label_quality"].between(0, 1).all()
    assert frame["is_label_issue"].sum() == metrics["n_label_issues"]
    # Flagged examples are left out of the final fit: weight 0; kept ones weigh >= 1.
    assert (frame.loc[frame["is_label_issue"], "sample_weight"] == 0).all()
    assert (frame.loc[~frame["is_label_issue"], "sample_weight"] >= 1).all()


def test_metrics_are_consistent_with_the_csv(iris_run):
    _, out_dir, metrics, _ = iris_run
    frame = pd.read_csv(out_dir / "label_issues.csv")
    for key in FRACTIONS:
        assert 0 <= metrics[key] <= 1, key
    assert metrics["n_classes"] == 3
    assert metrics["n_test_examples"] == 38
    assert metrics["true_noise_rate"] == pytest.approx(frame["is_true_error"].mean())
    assert metrics["issue_precision"] == pytest.approx(precision_score(frame["is_true_error"], frame["is_label_issue"]))
    recall = (frame["is_label_issue"] & frame["is_true_error"]).sum() / frame["is_true_error"].sum()
    assert metrics["issue_recall"] == pytest.approx(recall)
    for stage in ("data", "cv", "baseline", "filter", "final_fit", "total"):
        assert metrics[f"{stage}_seconds"] >= 0
    assert all(isinstance(v, (int, float, str)) for v in metrics.values())


def test_matrices_are_labelled_and_the_noise_matrix_error_matches_them(iris_run):
    _, out_dir, metrics, _ = iris_run
    estimated = pd.read_csv(out_dir / "noise_matrix.csv", index_col=0)
    true = pd.read_csv(out_dir / "true_noise_matrix.csv", index_col=0)
    joint = pd.read_csv(out_dir / "confident_joint.csv", index_col=0)
    for frame in (estimated, true, joint):
        assert list(frame.index) == [0, 1, 2] and list(frame.columns) == ["0", "1", "2"]
    np.testing.assert_allclose(estimated.sum(axis=0), 1)
    np.testing.assert_allclose(true.sum(axis=0), 1)
    assert np.trace(true) == pytest.approx(3 * 0.8)  # asymmetric noise: trace K * (1 - rate)
    assert metrics["noise_matrix_error"] == pytest.approx(np.abs(estimated - true).to_numpy().mean(), abs=1e-9)


def test_noise_touches_training_labels_only(iris_run):
    cfg, out_dir, _, _ = iris_run
    seeds = derive_seeds(cfg.seed)
    data = load_dataset(cfg.dataset, data_seed=seeds.data, split_seed=seeds.split)
    frame = in_training_order(pd.read_csv(out_dir / "label_issues.csv"), data.index_train)
    np.testing.assert_array_equal(frame["index"], data.index_train)
    # The test labels are iris' own; the noisy ones differ from them only in training rows.
    test_rows = np.setdiff1d(np.arange(150), data.index_train)
    np.testing.assert_array_equal(np.sort(data.labels_test), np.sort(load_iris().target[test_rows]))
    noisy, _ = inject_noise(cfg.noise, data.labels_train, n_classes=3, seed=seeds.noise)
    np.testing.assert_array_equal(frame["given_label"], noisy)
    assert frame["is_true_error"].any()


def test_pipeline_equals_cleanlearning_fitted_directly(iris_run):
    """Cached CV + find_label_issues + fit(label_issues=...) = CleanLearning(seed).fit(X, labels)."""
    cfg, out_dir, metrics, _ = iris_run
    seeds = derive_seeds(cfg.seed)
    data = load_dataset(cfg.dataset, data_seed=seeds.data, split_seed=seeds.split)
    noisy, _ = inject_noise(cfg.noise, data.labels_train, n_classes=3, seed=seeds.noise)
    # The raw features, with the standardisation inside the model (fitted per fold), which
    # passes CleanLearning's sample weights on to the classifier.
    clf = WeightedPipeline([("scale", StandardScaler()), ("classifier", build_estimator(cfg.classifier))])
    model = instantiate(cfg.cleanlearning, clf=clone(clf), seed=seeds.cv, _convert_="all")
    model.fit(data.X_train, noisy)
    expected = model.get_label_issues()
    frame = in_training_order(pd.read_csv(out_dir / "label_issues.csv"), data.index_train)
    np.testing.assert_array_equal(frame["is_label_issue"], expected["is_label_issue"])
    np.testing.assert_allclose(frame["label_quality"], expected["label_quality"], rtol=1e-9)
    np.testing.assert_array_equal(frame["predicted_label"], expected["predicted_label"])
    np.testing.assert_allclose(frame["sample_weight"], expected["sample_weight"], rtol=1e-9)
    assert metrics["test_accuracy_cleanlearning"] == pytest.approx(model.score(data.X_test, data.labels_test))
    baseline = clone(clf).fit(data.X_train, noisy).score(data.X_test, data.labels_test)
    assert metrics["test_accuracy_baseline"] == pytest.approx(baseline)


def test_rerun_is_byte_identical_and_reads_the_cache(iris_run, tmp_path, caplog):
    cfg, first_dir, first_metrics, cache_dir = iris_run
    with caplog.at_level(logging.INFO):
        second = run(make_config(*SMALL, cache_dir=cache_dir), tmp_path / "cached")
    hits = [r.getMessage() for r in caplog.records if "cache hit" in r.getMessage()]
    assert any("cv_pred_probs" in m for m in hits) and any("baseline" in m for m in hits)
    assert any("matrices_png" in m for m in hits)  # the same matrices are not drawn twice
    third = run(make_config(*SMALL), tmp_path / "uncached")  # no cache at all
    for name in RESULT_FILES:
        reference = (first_dir / name).read_bytes()
        assert (tmp_path / "cached" / name).read_bytes() == reference, name
        assert (tmp_path / "uncached" / name).read_bytes() == reference, name
    for metrics in (second, third):
        assert {k: v for k, v in metrics.items() if not k.endswith("_seconds")} == {
            k: v for k, v in first_metrics.items() if not k.endswith("_seconds")}


def test_seed_changes_the_run(iris_run, tmp_path):
    _, first_dir, _, _ = iris_run
    run(make_config(*SMALL, "seed=1"), tmp_path)
    assert (tmp_path / "label_issues.csv").read_bytes() != (first_dir / "label_issues.csv").read_bytes()


def test_one_run_logs_each_stage_and_a_result(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="runner"):
        run(make_config("dataset=wine", "cleanlearning.cv_n_folds=2", "noise=uniform",
                        "classifier=naive_bayes"), tmp_path)
    messages = [r.getMessage() for r in caplog.records if r.name == "runner.experiment.pipeline"]
    for prefix in ("data:", "noise:", "cross-validation:", "filtering", "result:"):
        assert sum(m.startswith(prefix) for m in messages) == 1, prefix
    # the two fits log when they start (a long fit is not silent) and when they are done
    baseline = [m for m in messages if m.startswith("baseline:")]
    final_fit = [m for m in messages if m.startswith("final fit:")]
    assert baseline[0] == "baseline: fitting GaussianNB on all 133 noisy labels" and len(baseline) == 2
    assert re.fullmatch(r"final fit: GaussianNB on the \d+ examples kept", final_fit[0]) and len(final_fit) == 2
    assert "uniform rate=0.2" in next(m for m in messages if m.startswith("noise:"))


def test_uniform_noise_without_test_split(tmp_path):
    metrics = run(make_config(*SMALL, "noise=uniform", "noise.rate=0.3", "dataset.test_size=0"), tmp_path)
    assert metrics["n_examples"] == 150
    assert "test_accuracy_baseline" not in metrics and "baseline_seconds" not in metrics
    true = pd.read_csv(tmp_path / "true_noise_matrix.csv", index_col=0).to_numpy()
    np.testing.assert_allclose(true, [[0.7, 0.15, 0.15], [0.15, 0.7, 0.15], [0.15, 0.15, 0.7]])


def test_no_noise_claims_no_knowledge_of_true_labels(tmp_path):
    # The dataset's own labels are then the given labels; their errors are unknown.
    metrics = run(make_config(*SMALL[:2], "noise=none"), tmp_path)
    assert not {"true_noise_rate", "issue_precision", "issue_recall", "noise_matrix_error"} & set(metrics)
    assert metrics["n_label_issues"] >= 0 and "test_accuracy_cleanlearning" in metrics
    frame = pd.read_csv(tmp_path / "label_issues.csv")
    assert "true_label" not in frame and "is_true_error" not in frame
    assert not (tmp_path / "true_noise_matrix.csv").exists()


def test_csv_dataset_with_string_labels(tmp_path):
    iris = load_iris()
    table = pd.DataFrame(iris.data, columns=["sl", "sw", "pl", "pw"])
    table.insert(0, "species", iris.target_names[iris.target])
    table.to_csv(tmp_path / "iris.csv", index=False)
    # Noise and a test split asked for explicitly (a CSV's defaults are noise=none, test_size 0).
    cfg = make_config("dataset=csv", f"dataset.path={tmp_path / 'iris.csv'}", "dataset.label_column=species",
                      "cleanlearning.cv_n_folds=3", "classifier=knn", "noise=asymmetric", "dataset.test_size=0.25")
    metrics = run(cfg, tmp_path / "out")
    frame = pd.read_csv(tmp_path / "out" / "label_issues.csv")
    names = set(iris.target_names)
    for column in ("given_label", "predicted_label", "true_label"):
        assert set(frame[column]) <= names, column
    np.testing.assert_array_equal(frame["true_label"], iris.target_names[iris.target[frame["index"]]])
    joint = pd.read_csv(tmp_path / "out" / "confident_joint.csv", index_col=0)
    assert list(joint.index) == list(joint.columns) == ["setosa", "versicolor", "virginica"]
    assert 0 <= metrics["issue_f1"] <= 1


def test_precomputed_dataset_filters_the_given_pred_probs(tmp_path):
    cleanlab_filter = pytest.importorskip("cleanlab.filter")
    rng = np.random.default_rng(0)
    n_examples, n_classes = 300, 4
    true_labels = np.arange(n_examples) % n_classes
    logits = rng.normal(size=(n_examples, n_classes)) + 2.5 * np.eye(n_classes)[true_labels]
    pred_probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = true_labels.copy()
    flipped = rng.random(n_examples) < 0.15
    labels[flipped] = (labels[flipped] + 1) % n_classes
    names = np.array(["ant", "bee", "cat", "dog"])
    for name, array in (("p", pred_probs), ("l", names[labels]), ("t", names[true_labels])):
        np.save(tmp_path / f"{name}.npy", array)
    cfg = make_config("dataset=precomputed", f"dataset.pred_probs={tmp_path / 'p.npy'}",
                      f"dataset.labels={tmp_path / 'l.npy'}", f"dataset.true_labels={tmp_path / 't.npy'}")
    metrics = run(cfg, tmp_path / "out")
    frame = in_row_order(pd.read_csv(tmp_path / "out" / "label_issues.csv"))
    # The reference, on the same inputs, with CleanLearning's default min_examples_per_class.
    expected = cleanlab_filter.find_label_issues(labels, pred_probs, min_examples_per_class=10)
    np.testing.assert_array_equal(frame["is_label_issue"], expected)
    np.testing.assert_array_equal(frame["given_label"], names[labels])
    np.testing.assert_array_equal(frame["index"], np.arange(n_examples))
    assert metrics["true_noise_rate"] == pytest.approx(flipped.mean())
    assert "test_accuracy_baseline" not in metrics and "cv_seconds" not in metrics
    # The true noise matrix is counted from the labels.
    true = pd.read_csv(tmp_path / "out" / "true_noise_matrix.csv", index_col=0)
    counts = pd.crosstab(labels, true_labels, normalize="columns").to_numpy()
    np.testing.assert_allclose(true.to_numpy(), counts)
    assert not math.isnan(metrics["issue_auprc"])
