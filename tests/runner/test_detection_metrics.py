"""runner.scoring.metrics: the detection metrics against sklearn and hand-computed cases (ties included)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, precision_recall_fscore_support, roc_auc_score

from runner.scoring import metrics
from runner.scoring.metrics import best_index, best_mask, direction
from runner.scoring.metrics.detection import detection_metrics, lift_at_k, precision_at_k


def test_hand_computed_case_without_ties():
    is_true_error = np.array([1, 0, 1, 0, 0, 0], dtype=bool)
    label_quality = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    flagged = np.array([1, 1, 0, 0, 0, 0], dtype=bool)
    result = detection_metrics(is_true_error, flagged, label_quality)
    # the 2 lowest scores are rows 0 and 1: one true error of two; base rate 2/6
    assert result["issue_precision_at_num_errors"] == 0.5
    assert result["issue_lift_at_num_errors"] == pytest.approx(0.5 / (2 / 6))
    # errors at -0.1 and -0.3 beat 4 and 3 of the 4 clean scores (-0.2, -0.4, -0.5, -0.6)
    assert result["issue_auroc"] == pytest.approx(7 / 8)
    assert result["n_label_issues_minus_true"] == 0
    assert result["issue_precision"] == 0.5 and result["issue_recall"] == 0.5
    assert result["true_noise_rate"] == pytest.approx(2 / 6)
    assert "issue_lift_at_100" not in result  # fewer than 100 examples


def test_ties_are_taken_in_row_order_and_count_half_in_auroc():
    is_true_error = np.array([0, 1, 1, 0], dtype=bool)
    label_quality = np.array([0.2, 0.2, 0.2, 0.9])
    # k = 2 lowest of three tied scores: rows 0 and 1 (stable), so one error of two
    assert precision_at_k(is_true_error, label_quality, 2) == 0.5
    assert lift_at_k(is_true_error, label_quality, 2) == 1.0
    # rows reversed: the tied scores are now rows 1, 2, 3 and the first two are both errors
    assert precision_at_k(is_true_error[::-1], label_quality[::-1], 2) == 1.0
    # each error ties with the clean 0.2 (1/2) and beats 0.9 (1): (1.5 + 1.5) / 4
    result = detection_metrics(is_true_error, np.zeros(4, bool), label_quality)
    assert result["issue_auroc"] == 0.75 == roc_auc_score(is_true_error, -label_quality)
    assert result["n_label_issues_minus_true"] == -2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_case_against_sklearn_and_a_plain_sort(seed):
    rng = np.random.default_rng(seed)
    n_examples = 250
    is_true_error = rng.random(n_examples) < 0.2
    # coarse scores: many ties
    label_quality = np.round(rng.random(n_examples) - 0.3 * is_true_error, 1)
    flagged = label_quality < 0.2
    result = detection_metrics(is_true_error, flagged, label_quality)

    precision, recall, f1, _ = precision_recall_fscore_support(is_true_error, flagged, average="binary")
    assert result["issue_precision"] == pytest.approx(precision)
    assert result["issue_recall"] == pytest.approx(recall)
    assert result["issue_f1"] == pytest.approx(f1)
    assert result["issue_auroc"] == pytest.approx(roc_auc_score(is_true_error, -label_quality))
    assert result["issue_auprc"] == pytest.approx(average_precision_score(is_true_error, -label_quality))

    # k lowest by (score, row): an independent stable sort
    by_score = sorted(range(n_examples), key=lambda row: (label_quality[row], row))
    n_errors = int(is_true_error.sum())
    rate = n_errors / n_examples
    at_num_errors = np.mean([is_true_error[row] for row in by_score[:n_errors]])
    at_100 = np.mean([is_true_error[row] for row in by_score[:100]])
    assert result["issue_precision_at_num_errors"] == pytest.approx(at_num_errors)
    assert result["issue_lift_at_num_errors"] == pytest.approx(at_num_errors / rate)
    assert result["issue_lift_at_100"] == pytest.approx(at_100 / rate)
    assert result["n_label_issues_minus_true"] == int(flagged.sum()) - n_errors


def test_ranking_measures_are_absent_without_errors_or_with_only_errors():
    quality = np.linspace(0, 1, 120)
    none = detection_metrics(np.zeros(120, bool), quality < 0.1, quality)
    assert set(none) == {"true_noise_rate", "issue_precision", "n_label_issues_minus_true"}
    assert none["issue_precision"] == 0.0 and none["n_label_issues_minus_true"] == 12

    every = detection_metrics(np.ones(120, bool), quality < 0.1, quality)
    for absent in ("issue_auroc", "issue_lift_at_num_errors", "issue_lift_at_100"):
        assert absent not in every
    assert every["issue_precision_at_num_errors"] == 1.0 and every["issue_recall"] == pytest.approx(0.1)
    assert every["n_label_issues_minus_true"] == 12 - 120


def test_lift_at_100_needs_100_examples():
    quality = np.linspace(0, 1, 100)
    errors = np.arange(100) % 4 == 0
    assert detection_metrics(errors, errors, quality)["issue_lift_at_100"] == 1.0
    assert "issue_lift_at_100" not in detection_metrics(errors[:99], errors[:99], quality[:99])


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="same length"):
        detection_metrics(np.zeros(3, bool), np.zeros(4, bool), np.zeros(3))
    with pytest.raises(ValueError, match="is_true_error must be a boolean mask"):
        detection_metrics(np.array([0, 2, 1]), np.zeros(3, bool), np.zeros(3))
    with pytest.raises(ValueError, match="label_quality must not contain NaN"):
        detection_metrics(np.zeros(2, bool), np.zeros(2, bool), np.array([0.1, np.nan]))
    with pytest.raises(ValueError, match=r"k must be in \[1, 3\]"):
        precision_at_k(np.zeros(3, bool), np.zeros(3), 4)
    with pytest.raises(ValueError, match="lift is undefined"):
        lift_at_k(np.zeros(3, bool), np.zeros(3), 1)
    # 0/1 integers are a mask too
    assert detection_metrics(np.array([0, 1]), np.array([0, 1]), np.array([0.9, 0.1]))["issue_auroc"] == 1.0


def test_every_metric_has_the_direction_the_issue_asks_for():
    for name in ("issue_precision", "issue_recall", "issue_f1", "issue_auprc", "issue_auroc",
                 "issue_lift_at_num_errors", "issue_lift_at_100", "issue_precision_at_num_errors",
                 "test_accuracy_baseline", "test_accuracy_cleanlearning", "label_health_score"):
        assert direction(name) == metrics.HIGHER, name
    for name in ("noise_matrix_error", "total_seconds", "cv_seconds"):
        assert direction(name) == metrics.LOWER, name
    assert direction("n_label_issues_minus_true") == metrics.ZERO
    for name in ("n_examples", "n_label_issues", "true_noise_rate", "estimated_noise_rate"):
        assert direction(name) is None, name


def test_best_follows_the_direction_and_ignores_nan():
    assert best_index("issue_f1", [0.2, np.nan, 0.9, 0.9]) == 2
    assert best_index("total_seconds", [3.0, 1.0, 2.0]) == 1
    assert best_index("n_label_issues_minus_true", [-3, 5, 2, -1]) == 3
    assert best_index("n_examples", [1, 2]) is None
    assert best_index("issue_f1", [np.nan, np.nan]) is None
    assert best_mask("issue_f1", [0.9, 0.2, 0.9]).tolist() == [True, False, True]
    assert best_mask("n_label_issues_minus_true", [2, -2, 3]).tolist() == [True, True, False]


def test_a_run_with_an_error_mask_and_no_true_classes_is_scored(tmp_path):
    """dataset.label_errors (a known error mask) reaches the run's metrics: detection, no noise-matrix error."""
    from pathlib import Path

    import pandas as pd
    from hydra import compose, initialize_config_dir

    from runner.config import register_configs, validate_config
    from runner.experiment.pipeline import run

    rng = np.random.default_rng(0)
    n_examples = 150
    labels = np.arange(n_examples) % 3
    pred_probs = rng.dirichlet(np.ones(3), size=n_examples)
    pred_probs[np.arange(n_examples), labels] += 1.0
    pred_probs /= pred_probs.sum(axis=1, keepdims=True)
    mask = rng.random(n_examples) < 0.2
    pred_probs[mask] = pred_probs[mask][:, [1, 2, 0]]  # the audited errors look wrong
    for name, array in (("p", pred_probs), ("l", labels), ("e", mask)):
        np.save(tmp_path / f"{name}.npy", array)
    register_configs()
    with initialize_config_dir(config_dir=str(Path(__file__).resolve().parents[2] / "conf"), version_base="1.3"):
        cfg = compose("config", overrides=[
            "cache_dir=null", "dataset=precomputed", f"dataset.pred_probs={tmp_path / 'p.npy'}",
            f"dataset.labels={tmp_path / 'l.npy'}", f"dataset.label_errors={tmp_path / 'e.npy'}"])
    validate_config(cfg)
    result = run(cfg, tmp_path / "out")
    frame = pd.read_csv(tmp_path / "out" / "label_issues.csv").sort_values("index")
    np.testing.assert_array_equal(frame["is_true_error"], mask)
    assert "true_label" not in frame and "noise_matrix_error" not in result
    assert not (tmp_path / "out" / "true_noise_matrix.csv").exists()
    assert result["issue_auroc"] == pytest.approx(roc_auc_score(mask, -frame["label_quality"]))
    assert result["n_label_issues_minus_true"] == int(frame["is_label_issue"].sum()) - int(mask.sum())
    assert result["issue_lift_at_100"] == pytest.approx(
        lift_at_k(mask, frame["label_quality"].to_numpy(), 100))
    assert result["issue_auroc"] > 0.8
