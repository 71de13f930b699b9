"""cleanlearn.dataset: parity with cleanlab.dataset 2.9.0 on the shapes of the single-label
tests (K = 2..100, ties, a class missing from the labels, float32), hand-computed small cases,
and the library's no-print rule.

The joint that every table is read from equals the reference's bit for bit, so the tables
are compared exactly: columns, dtypes, values and row order, ties included.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from _api import assert_drop_in_signatures
from _data import make_pred_probs
from cleanlab import count as ref_count
from cleanlab import dataset as reference

from cleanlearn import count, dataset

CASES = {
    "n20_k2": (20, 2, {"noise": 0.1}),
    "n50_k3": (50, 3, {"noise": 0.2}),
    "n300_k3_heavy_noise": (300, 3, {"noise": 0.6}),
    "n1000_k10": (1000, 10, {"noise": 0.2}),
    "n2000_k10_ties_2dec": (2000, 10, {"ties": True, "levels": 100}),
    "n600_k10_ties_1dec": (600, 10, {"ties": True, "levels": 10}),
    "n3000_k100": (3000, 100, {"noise": 0.3}),
    "n2000_k100_ties": (2000, 100, {"ties": True, "levels": 100}),
    "n5000_k2_ties_float32": (5000, 2, {"ties": True, "levels": 100, "dtype": np.float32}),
    "n1000_k10_float32": (1000, 10, {"dtype": np.float32}),
    "n400_k5_rare_class": (400, 5, {"rare_class": 2, "rare_count": 1}),
    "n400_k5_missing_class": (400, 5, {"rare_class": 3, "rare_count": 0}),
    "n500_k6_never_predicted": (500, 6, {"never_predicted": 1}),
    "n1000_k10_imbalanced": (1000, 10, {"imbalance": 0.5, "noise": 0.3}),
}


@pytest.fixture(params=sorted(CASES), scope="module")
def case(request):
    n, k, kwargs = CASES[request.param]
    return make_pred_probs(n, k, seed=sum(map(ord, request.param)), **kwargs)


def _quiet(function, *args, **kwargs):
    """Call a reference function that prints by default with verbose off."""
    return function(*args, verbose=False, **kwargs)


def assert_same_table(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same columns, dtypes, row order (ties included) and values, bit for bit."""
    pd.testing.assert_frame_equal(actual, expected, check_exact=True)


def test_public_api_is_a_drop_in_for_the_reference():
    assert_drop_in_signatures(dataset, reference)


def test_rank_classes_matches_reference(case):
    labels, pred_probs = case
    n_classes = pred_probs.shape[1]
    names = [f"class {k}" for k in range(n_classes)]
    assert_same_table(
        dataset.rank_classes_by_label_quality(labels, pred_probs, class_names=names),
        reference.rank_classes_by_label_quality(labels, pred_probs, class_names=names),
    )
    confident_joint = ref_count.compute_confident_joint(labels, pred_probs)
    assert_same_table(
        dataset.rank_classes_by_label_quality(labels, confident_joint=confident_joint),
        reference.rank_classes_by_label_quality(labels, confident_joint=confident_joint),
    )
    joint = ref_count.estimate_joint(labels, pred_probs)
    expected = reference.rank_classes_by_label_quality(joint=joint, num_examples=len(labels))
    actual = dataset.rank_classes_by_label_quality(joint=joint, num_examples=len(labels))
    pd.testing.assert_frame_equal(actual, expected)  # the same joint: the same bytes


@pytest.mark.parametrize("asymmetric", [False, True])
def test_find_overlapping_classes_matches_reference(case, asymmetric):
    labels, pred_probs = case
    names = [f"c{k}" for k in range(pred_probs.shape[1])]
    assert_same_table(
        dataset.find_overlapping_classes(labels, pred_probs, asymmetric=asymmetric, class_names=names),
        reference.find_overlapping_classes(labels, pred_probs, asymmetric=asymmetric, class_names=names),
    )
    joint = ref_count.estimate_joint(labels, pred_probs)
    pd.testing.assert_frame_equal(
        dataset.find_overlapping_classes(joint=joint, num_examples=len(labels), asymmetric=asymmetric),
        reference.find_overlapping_classes(joint=joint, num_examples=len(labels), asymmetric=asymmetric),
    )


@pytest.mark.filterwarnings("ignore:The supplied `confident_joint` is ignored")  # both warn so
def test_overall_label_health_score_matches_reference(case):
    labels, pred_probs = case
    assert dataset.overall_label_health_score(labels, pred_probs, verbose=False) == _quiet(
        reference.overall_label_health_score, labels, pred_probs
    )
    confident_joint = ref_count.compute_confident_joint(labels, pred_probs)
    assert dataset.overall_label_health_score(labels, confident_joint=confident_joint, verbose=False) == _quiet(
        reference.overall_label_health_score, labels, confident_joint=confident_joint
    )
    assert dataset.overall_label_health_score(
        labels, pred_probs, confident_joint=confident_joint, verbose=False
    ) == _quiet(reference.overall_label_health_score, labels, pred_probs, confident_joint=confident_joint)


def test_health_summary_matches_reference(case):
    labels, pred_probs = case
    ours = dataset.health_summary(labels, pred_probs, verbose=False)
    expected = _quiet(reference.health_summary, labels, pred_probs)
    assert set(ours) == set(expected)
    assert ours["overall_label_health_score"] == expected["overall_label_health_score"]
    np.testing.assert_array_equal(ours["joint"], expected["joint"])
    assert_same_table(ours["classes_by_label_quality"], expected["classes_by_label_quality"])
    assert_same_table(ours["overlapping_classes"], expected["overlapping_classes"])


def test_hand_computed_joint():
    # P(given, true) for 3 classes, 100 examples; rows = given label, columns = true label.
    joint = np.array([[0.30, 0.05, 0.00], [0.10, 0.20, 0.05], [0.00, 0.00, 0.30]])
    ranked = dataset.rank_classes_by_label_quality(joint=joint, num_examples=100, class_names=["a", "b", "c"])
    # Class b: given-b mass 0.35, of which 0.15 off the diagonal -> noise 3/7, 15 issues.
    assert ranked["Class Name"].tolist() == ["b", "a", "c"]
    row_b = ranked.iloc[0]
    assert row_b["Label Issues"] == 15 and row_b["Inverse Label Issues"] == 5
    assert row_b["Label Noise"] == pytest.approx(0.15 / 0.35) and row_b["Inverse Label Noise"] == pytest.approx(0.05 / 0.25)
    assert ranked.iloc[2]["Label Quality Score"] == 1.0  # c: nothing else is labelled c
    overlap = dataset.find_overlapping_classes(joint=joint, num_examples=100)
    assert overlap.iloc[0][["Class Index A", "Class Index B"]].tolist() == [0, 1]
    assert overlap.iloc[0]["Joint Probability"] == pytest.approx(0.15)
    assert overlap.iloc[0]["Num Overlapping Examples"] == 15
    assert overlap["Num Overlapping Examples"].tolist() == [15, 5, 0]
    asymmetric = dataset.find_overlapping_classes(joint=joint, num_examples=100, asymmetric=True)
    assert len(asymmetric) == 6 and asymmetric.iloc[0][["Class Index A", "Class Index B"]].tolist() == [1, 0]
    assert dataset.overall_label_health_score(joint=joint, num_examples=100, verbose=False) == pytest.approx(0.8)


def test_no_printing_verbose_logs(caplog, capsys):
    labels, pred_probs = make_pred_probs(300, 4, seed=2)
    with caplog.at_level(logging.INFO, logger="cleanlearn.dataset"):
        summary = dataset.health_summary(labels, pred_probs, class_names=list("wxyz"))
    assert capsys.readouterr().out == ""
    assert "Label Quality Score" in caplog.text and "Joint Probability" in caplog.text
    assert "health score is" in caplog.text
    assert summary["classes_by_label_quality"]["Class Name"].isin(list("wxyz")).all()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="cleanlearn.dataset"):
        dataset.health_summary(labels, pred_probs, verbose=0)
    assert caplog.text == ""


def test_confident_joint_only_and_given_joint_work():
    labels, pred_probs = make_pred_probs(300, 4, seed=3)
    confident_joint = count.compute_confident_joint(labels, pred_probs)
    # Without labels the confident joint's total is the number of examples.
    ranked = dataset.rank_classes_by_label_quality(confident_joint=confident_joint)
    expected = dataset.rank_classes_by_label_quality(labels, confident_joint=confident_joint)
    np.testing.assert_allclose(
        ranked["Label Noise"].to_numpy(),
        dataset.rank_classes_by_label_quality(
            confident_joint=confident_joint, num_examples=int(confident_joint.sum())
        )["Label Noise"].to_numpy(),
    )
    assert len(ranked) == len(expected) == 4
    joint = count.estimate_joint(labels, pred_probs)
    summary = dataset.health_summary(joint=joint, num_examples=300, verbose=False)
    assert summary["overall_label_health_score"] == pytest.approx(np.trace(joint))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({}, ValueError, "labels and pred_probs"),
        ({"joint": np.eye(2) / 3, "num_examples": 10}, ValueError, "sum"),
        ({"joint": np.eye(2) / 2}, ValueError, "num_examples"),
        ({"joint": np.eye(2) / 2, "num_examples": 0}, ValueError, "num_examples"),
        ({"joint": np.eye(2) / 2, "num_examples": 10, "class_names": ["a"]}, ValueError, "class_names"),
        ({"joint": np.eye(2) / 2, "num_examples": 10, "multi_label": True}, ValueError, "multilabel_classification"),
        ({"joint": np.ones((2, 3)) / 6, "num_examples": 10}, ValueError, "square"),
    ],
)
def test_bad_input_raises_named_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        dataset.rank_classes_by_label_quality(**kwargs)
    with pytest.raises(error, match=match):
        dataset.find_overlapping_classes(**kwargs)
