"""cleanlearn.count against cleanlab 2.9.0 (the reference) on many shapes, plus input checks."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from _api import assert_drop_in_signatures
from _data import (
    BAD_LABELS_AND_PRED_PROBS,
    GOOD_LABELS,
    GOOD_PROBS,
    make_classification_data,
    make_pred_probs,
)
from cleanlab import count as ref_count
from cleanlab.internal.util import round_preserving_row_totals as ref_round_preserving_row_totals
from sklearn.linear_model import LogisticRegression

from cleanlearn import count
from cleanlearn._core import confident_joint as joint_core

# (n, k, kwargs of make_pred_probs): small to large, ties, float32, rare and unpredicted
# classes, heavy noise, class imbalance.
CASES = {
    "n20_k2": (20, 2, {"noise": 0.1}),
    "n50_k3": (50, 3, {"noise": 0.2}),
    "n300_k3_heavy_noise": (300, 3, {"noise": 0.6}),
    "n1000_k10": (1000, 10, {"noise": 0.2}),
    "n800_k10_labels_random": (800, 10, {"noise": 0.9}),
    "n2000_k10_ties_2dec": (2000, 10, {"ties": True, "levels": 100}),
    "n600_k10_ties_1dec": (600, 10, {"ties": True, "levels": 10}),
    "n3000_k100": (3000, 100, {"noise": 0.3}),
    "n2000_k100_ties": (2000, 100, {"ties": True, "levels": 100}),
    "n1500_k300": (1500, 300, {"noise": 0.2}),  # > 255 classes: confident counts in int64
    "n20000_k3": (20000, 3, {"noise": 0.2, "imbalance": 0.7}),
    "n5000_k2_ties_float32": (5000, 2, {"ties": True, "levels": 100, "dtype": np.float32}),
    "n1000_k10_float32": (1000, 10, {"dtype": np.float32}),
    "n400_k5_rare_class": (400, 5, {"rare_class": 2, "rare_count": 1}),
    "n400_k5_rare_class3": (400, 5, {"rare_class": 4, "rare_count": 3, "noise": 0.3}),
    "n500_k6_never_predicted": (500, 6, {"never_predicted": 1}),
    "n1000_k10_imbalanced": (1000, 10, {"imbalance": 0.5, "noise": 0.3}),
}


@pytest.fixture(params=sorted(CASES), scope="module")
def case(request):
    n, k, kwargs = CASES[request.param]
    return make_pred_probs(n, k, seed=sum(map(ord, request.param)), **kwargs)


def test_public_api_is_a_drop_in_for_the_reference():
    assert_drop_in_signatures(count, ref_count)


def assert_same_float(actual, expected, atol=1e-9):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=0, atol=atol)


# ---------------------------------------------------------------------------------------
# Parity with the reference on pred_probs
# ---------------------------------------------------------------------------------------


def test_confident_thresholds_match_reference(case):
    labels, pred_probs = case
    expected = ref_count.get_confident_thresholds(labels, pred_probs)
    actual = count.get_confident_thresholds(labels, pred_probs)
    assert np.array_equal(actual, expected)


@pytest.mark.parametrize("calibrate", [False, True])
def test_confident_joint_and_off_diagonal_indices_match_reference(case, calibrate):
    labels, pred_probs = case
    expected_joint, expected_indices = ref_count.compute_confident_joint(
        labels, pred_probs, calibrate=calibrate, return_indices_of_off_diagonals=True
    )
    actual_joint, actual_indices = count.compute_confident_joint(
        labels, pred_probs, calibrate=calibrate, return_indices_of_off_diagonals=True
    )
    assert np.array_equal(actual_joint, expected_joint)
    assert actual_joint.dtype.kind == "i"
    assert np.array_equal(actual_indices, expected_indices)
    assert np.array_equal(count.compute_confident_joint(labels, pred_probs, calibrate=calibrate), expected_joint)


def test_confident_joint_with_given_thresholds_matches_reference(case):
    labels, pred_probs = case
    k = pred_probs.shape[1]
    thresholds = np.linspace(0.2, 0.6, k)
    expected = ref_count.compute_confident_joint(labels, pred_probs, thresholds=thresholds)
    assert np.array_equal(count.compute_confident_joint(labels, pred_probs, thresholds=thresholds), expected)
    assert np.array_equal(
        count.compute_confident_joint(labels, pred_probs, thresholds=thresholds.reshape(k, 1)), expected
    )


def test_float32_thresholds_keep_their_precision():
    """The reference subtracts the 1e-6 slack in the thresholds' dtype: with float32
    thresholds, a probability between the float32 and float64 cutoffs is confident."""
    thresholds = np.array([0.5, 0.9, 0.9], dtype=np.float32)
    cutoff32, cutoff64 = float((thresholds - 1e-6)[0]), 0.5 - 1e-6
    between = (cutoff32 + cutoff64) / 2
    pred_probs = np.array([[between, 0.3, 0.7 - between], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]])
    labels = np.array([1, 1, 2])
    expected = ref_count.compute_confident_joint(labels, pred_probs, thresholds=thresholds, calibrate=False)
    actual = count.compute_confident_joint(labels, pred_probs, thresholds=thresholds, calibrate=False)
    assert np.array_equal(actual, expected)
    assert expected[1, 0] == 1  # the first row is counted (as true class 0)


def test_estimate_joint_matches_reference(case):
    labels, pred_probs = case
    assert_same_float(count.estimate_joint(labels, pred_probs), ref_count.estimate_joint(labels, pred_probs))
    confident_joint = ref_count.compute_confident_joint(labels, pred_probs, calibrate=False)
    assert_same_float(
        count.estimate_joint(labels, pred_probs, confident_joint=confident_joint),
        ref_count.estimate_joint(labels, pred_probs, confident_joint=confident_joint),
    )


def test_num_label_issues_matches_reference(case):
    labels, pred_probs = case
    for method in ("off_diagonal", "off_diagonal_calibrated"):
        expected = ref_count.num_label_issues(labels, pred_probs, estimation_method=method)
        assert count.num_label_issues(labels, pred_probs, estimation_method=method) == expected
    confident_joint = ref_count.compute_confident_joint(labels, pred_probs, calibrate=False)
    expected = ref_count.num_label_issues(
        labels, pred_probs, confident_joint=confident_joint, estimation_method="off_diagonal_custom"
    )
    actual = count.num_label_issues(
        labels, pred_probs, confident_joint=confident_joint, estimation_method="off_diagonal_custom"
    )
    assert actual == expected


def test_post_filter_mask_matches_reference(case):
    labels, pred_probs = case
    assert np.array_equal(joint_core.reduce_issues(pred_probs, labels), ref_count._reduce_issues(pred_probs, labels))


@pytest.mark.parametrize("converge", [False, True])
@pytest.mark.parametrize("py_method", ["cnt", "eqn", "marginal", "marginal_ps"])
def test_estimate_latent_matches_reference(case, py_method, converge):
    labels, pred_probs = case
    confident_joint = ref_count.compute_confident_joint(labels, pred_probs)
    try:
        expected = ref_count.estimate_latent(
            confident_joint, labels, py_method=py_method, converge_latent_estimates=converge
        )
    except np.linalg.LinAlgError:  # "eqn" on a singular noise matrix
        with pytest.raises(np.linalg.LinAlgError):
            count.estimate_latent(confident_joint, labels, py_method=py_method, converge_latent_estimates=converge)
        return
    actual = count.estimate_latent(confident_joint, labels, py_method=py_method, converge_latent_estimates=converge)
    for actual_array, expected_array in zip(actual, expected, strict=True):
        assert_same_float(actual_array, expected_array, atol=1e-6 if converge else 1e-9)


def test_estimate_py_and_noise_matrices_from_probabilities_matches_reference(case):
    labels, pred_probs = case
    expected = ref_count.estimate_py_and_noise_matrices_from_probabilities(labels, pred_probs)
    actual = count.estimate_py_and_noise_matrices_from_probabilities(labels, pred_probs)
    for actual_array, expected_array in zip(actual[:3], expected[:3], strict=True):
        assert_same_float(actual_array, expected_array, atol=1e-6)  # converged by default
    assert np.array_equal(actual[3], expected[3])
    expected = ref_count.estimate_py_and_noise_matrices_from_probabilities(
        labels, pred_probs, converge_latent_estimates=False, calibrate=False, py_method="marginal"
    )
    actual = count.estimate_py_and_noise_matrices_from_probabilities(
        labels, pred_probs, converge_latent_estimates=False, calibrate=False, py_method="marginal"
    )
    for actual_array, expected_array in zip(actual, expected, strict=True):
        assert_same_float(actual_array, expected_array)


def test_inputs_are_not_mutated(case):
    labels, pred_probs = case
    labels_copy, pred_probs_copy = labels.copy(), pred_probs.copy()
    count.compute_confident_joint(labels, pred_probs)
    count.num_label_issues(labels, pred_probs)
    joint_core.reduce_issues(pred_probs, labels)
    assert np.array_equal(labels, labels_copy)
    assert np.array_equal(pred_probs, pred_probs_copy)


# ---------------------------------------------------------------------------------------
# Hand-computed and property cases
# ---------------------------------------------------------------------------------------


def test_confident_joint_hand_computed():
    labels = np.array([0, 0, 1, 1, 2, 2])
    pred_probs = np.array(
        [
            [0.8, 0.1, 0.1],  # confident 0 only -> (0, 0)
            [0.2, 0.7, 0.1],  # confident 1 only -> (0, 1)
            [0.1, 0.8, 0.1],  # -> (1, 1)
            [0.5, 0.4, 0.1],  # confident 0 only (t1 = 0.6) -> (1, 0)
            [0.1, 0.1, 0.8],  # -> (2, 2)
            [0.4, 0.0, 0.6],  # 0 (t0=0.65: no), 2 (t2=0.7: no) -> no confident class
        ]
    )
    # thresholds: t0 = mean(0.8, 0.2) = 0.5, t1 = mean(0.8, 0.4) = 0.6, t2 = mean(0.8, 0.6) = 0.7
    assert np.allclose(count.get_confident_thresholds(labels, pred_probs), [0.5, 0.6, 0.7])
    joint, indices = count.compute_confident_joint(
        labels, pred_probs, calibrate=False, return_indices_of_off_diagonals=True
    )
    assert np.array_equal(joint, [[1, 1, 0], [1, 1, 0], [0, 0, 1]])
    assert np.array_equal(indices, [1, 3])


def test_missing_class_gets_threshold_two_and_diagonal_one():
    labels = np.array([0, 0, 1, 1])
    pred_probs = np.array([[0.9, 0.05, 0.05], [0.8, 0.1, 0.1], [0.1, 0.85, 0.05], [0.2, 0.7, 0.1]])
    thresholds = count.get_confident_thresholds(labels, pred_probs)
    assert thresholds[2] == 2
    joint = count.compute_confident_joint(labels, pred_probs, calibrate=False)
    assert joint[2, 2] == 1  # clipped up to 1 although no example is counted there
    assert np.array_equal(joint, ref_count.compute_confident_joint(labels, pred_probs, calibrate=False))


def test_calibrated_joint_rows_sum_to_label_counts(case):
    labels, pred_probs = case
    joint = count.compute_confident_joint(labels, pred_probs)
    k = pred_probs.shape[1]
    assert np.array_equal(joint.sum(axis=1), np.bincount(labels, minlength=k))
    assert joint.sum() == len(labels)


def test_calibrate_confident_joint_matches_reference():
    rng = np.random.default_rng(3)
    for k in (2, 3, 7, 20):
        labels = rng.integers(0, k, size=200)
        labels[:k] = np.arange(k)
        joint = rng.integers(0, 30, size=(k, k))
        np.fill_diagonal(joint, joint.diagonal() + 1)
        assert np.array_equal(
            count.calibrate_confident_joint(joint, labels), ref_count.calibrate_confident_joint(joint, labels)
        )


def _random_float_matrices(rng):
    """Matrices the reference's rounding loop must handle: continuous, half-integers (ties
    in np.round and in the residual order), quarter steps, big rows, calibrated joints."""
    for k in (1, 2, 3, 5, 8, 16, 17, 33, 64, 150):
        yield rng.random((k, k)) * 10
        yield rng.integers(0, 21, size=(k, k)) / 2.0
        yield rng.integers(0, 41, size=(k, k)) / 4.0
        yield rng.exponential(50.0, size=(k, k))
        yield rng.integers(0, 3, size=(k, k)) * 0.5 + rng.integers(0, 2, size=(k, 1)) * 0.25
    for k in (4, 10, 40):
        labels = rng.integers(0, k, 1000)
        joint = rng.integers(0, 50, size=(k, k)).astype(float)
        joint = (joint.T / joint.sum(axis=1) * np.bincount(labels, minlength=k)).T
        yield joint / joint.sum() * 1000


def test_round_preserving_row_totals_matches_reference():
    rng = np.random.default_rng(11)
    n_checked = 0
    for _ in range(6):
        for matrix in _random_float_matrices(rng):
            actual = count.round_preserving_row_totals(matrix)
            expected = ref_round_preserving_row_totals(matrix)
            assert np.array_equal(actual, expected), matrix
            assert np.array_equal(actual.sum(axis=1), np.round(matrix.sum(axis=1)))
            n_checked += 1
    assert n_checked > 300


def test_round_preserving_row_totals_hand_computed():
    # Row 0: round -> [0, 2, 2] (half to even) sums to 4, total 4.5 rounds to 4 -> unchanged.
    # Row 1: [0.4, 0.4, 0.4] rounds to 0s, total 1.2 -> 1: add 1 where the residual is
    # largest; all tie, the reversed argsort picks the last index.
    actual = count.round_preserving_row_totals(np.array([[0.5, 1.5, 2.5], [0.4, 0.4, 0.4]]))
    assert np.array_equal(actual, [[0, 2, 2], [0, 0, 1]])


@pytest.mark.parametrize("label", [0, 2, 4])
def test_post_filter_exact_ties(label):
    """The boosted label ties exactly with another column: argmax takes the first maximum."""
    rows, labels = [], []
    for other in range(5):
        if other == label:
            continue
        row = np.full(5, 0.06)
        row[label] = 0.4
        row[other] = row[label] + 1e-6  # exactly the boosted value, the row maximum
        rows.append(row)
        labels.append(label)
    pred_probs = np.array(rows)
    labels = np.array(labels)
    expected = ref_count._reduce_issues(pred_probs, labels)
    assert np.array_equal(joint_core.reduce_issues(pred_probs, labels), expected)
    others = [o for o in range(5) if o != label]
    assert np.array_equal(expected, [o > label for o in others])


def test_converged_estimates_are_consistent(case):
    labels, pred_probs = case
    py, noise_matrix, inverse_noise_matrix = count.estimate_latent(
        count.compute_confident_joint(labels, pred_probs), labels, converge_latent_estimates=True
    )
    assert np.isclose(py.sum(), 1)
    assert np.all(py >= 1e-5 * 0.99)
    assert np.allclose(noise_matrix.sum(axis=0), 1)
    assert np.allclose(inverse_noise_matrix.sum(axis=0), 1)


# ---------------------------------------------------------------------------------------
# Cross-validation
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cv_data():
    return make_classification_data(150, 3, n_features=4, noise=0.15, seed=5)


def test_cv_pred_probs_match_reference(cv_data):
    X, labels = cv_data
    expected = ref_count.estimate_cv_predicted_probabilities(X, labels, LogisticRegression(), cv_n_folds=3, seed=7)
    actual = count.estimate_cv_predicted_probabilities(X, labels, cv_n_folds=3, seed=7)
    assert np.array_equal(actual, expected)  # the same fits on the same rows, bit for bit
    assert np.allclose(actual.sum(axis=1), 1)


def test_cv_accepts_dataframe_sparse_and_lists(cv_data):
    X, labels = cv_data
    expected = count.estimate_cv_predicted_probabilities(X, labels, cv_n_folds=3, seed=2)
    reference = ref_count.estimate_cv_predicted_probabilities(
        pd.DataFrame(X), labels, LogisticRegression(), cv_n_folds=3, seed=2
    )
    assert_same_float(count.estimate_cv_predicted_probabilities(pd.DataFrame(X), labels, cv_n_folds=3, seed=2), reference)
    sparse = count.estimate_cv_predicted_probabilities(scipy.sparse.csr_matrix(X), labels, cv_n_folds=3, seed=2)
    assert_same_float(sparse, expected, atol=1e-6)  # sparse and dense solvers differ in rounding only
    as_list = count.estimate_cv_predicted_probabilities(list(X), labels, cv_n_folds=3, seed=2)
    assert_same_float(as_list, expected, atol=1e-12)


def _data_with_singleton_class():
    X, labels = make_classification_data(90, 3, n_features=4, noise=0.2, seed=9)
    X = np.vstack([X, np.full((1, 4), 5.0)])
    labels = np.append(labels, 3)  # class 3 has a single example: one training fold lacks it
    return X, labels


@pytest.mark.parametrize("container", [np.asarray, pd.DataFrame, scipy.sparse.csr_matrix])
def test_cv_fold_missing_a_class_matches_reference(container):
    X, labels = _data_with_singleton_class()
    X = container(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reference and sklearn warn too
        expected = ref_count.estimate_cv_predicted_probabilities(X, labels, LogisticRegression(), cv_n_folds=3, seed=1)
    with pytest.warns(UserWarning, match="Duplicated some data"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class")  # sklearn's
        actual = count.estimate_cv_predicted_probabilities(X, labels, cv_n_folds=3, seed=1)
    assert np.array_equal(actual, expected)
    # the singleton was trained on, so its holdout prediction is one-hot on its label
    assert np.array_equal(actual[-1], [0, 0, 0, 1])


def test_cv_several_missing_classes_are_appended_in_reference_order():
    """Classes 2, 16 and 17 have one example each; with 2 folds one training fold lacks
    {17, 2}, which Python's set iterates as 17 then 2: the duplicated rows must be appended
    in that order for bit-identical fits."""
    X, labels = make_classification_data(160, 16, n_features=4, noise=0.2, seed=3)
    X = np.vstack([X, np.full((1, 4), 4.0), np.full((1, 4), -4.0)])
    labels = np.append(labels, [16, 17])
    extra_twos = np.flatnonzero(labels == 2)[1:]
    X, labels = np.delete(X, extra_twos, axis=0), np.delete(labels, extra_twos)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = ref_count.estimate_cv_predicted_probabilities(X, labels, LogisticRegression(), cv_n_folds=2, seed=0)
        actual = count.estimate_cv_predicted_probabilities(X, labels, cv_n_folds=2, seed=0)
    assert np.array_equal(actual, expected)


@pytest.mark.slow
def test_cv_parallel_equals_serial():
    X, labels = _data_with_singleton_class()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        serial = count.estimate_cv_predicted_probabilities(X, labels, cv_n_folds=3, seed=4)
        parallel = count.estimate_cv_predicted_probabilities(X, labels, cv_n_folds=3, seed=4, n_jobs=2)
    assert np.array_equal(serial, parallel)


def test_cv_estimators_match_reference(cv_data):
    X, labels = cv_data
    expected = ref_count.estimate_confident_joint_and_cv_pred_proba(X, labels, LogisticRegression(), cv_n_folds=3, seed=3)
    actual = count.estimate_confident_joint_and_cv_pred_proba(X, labels, cv_n_folds=3, seed=3)
    assert np.array_equal(actual[0], expected[0])
    assert_same_float(actual[1], expected[1], atol=1e-12)
    expected = ref_count.estimate_py_noise_matrices_and_cv_pred_proba(
        X, labels, LogisticRegression(), cv_n_folds=3, seed=3, converge_latent_estimates=True
    )
    actual = count.estimate_py_noise_matrices_and_cv_pred_proba(
        X, labels, cv_n_folds=3, seed=3, converge_latent_estimates=True
    )
    for actual_array, expected_array in zip(actual, expected, strict=True):
        assert_same_float(actual_array, expected_array, atol=1e-6)
    expected = ref_count.estimate_noise_matrices(X, labels, LogisticRegression(), cv_n_folds=3, seed=3)
    actual = count.estimate_noise_matrices(X, labels, cv_n_folds=3, seed=3)
    assert len(actual) == 2
    for actual_array, expected_array in zip(actual, expected, strict=True):
        assert_same_float(actual_array, expected_array, atol=1e-6)


def test_cv_does_not_mutate_clf_or_kwargs_and_passes_validation_func(cv_data):
    X, labels = cv_data
    clf = LogisticRegression(C=0.5)
    clf_kwargs = {"sample_weight": None}
    seen = []

    def validation_func(X_val, y_val):
        seen.append(len(y_val))
        return {}

    count.estimate_cv_predicted_probabilities(
        X, labels, clf, cv_n_folds=3, seed=0, clf_kwargs=clf_kwargs, validation_func=validation_func
    )
    assert not hasattr(clf, "coef_")  # only clones were fitted
    assert clf.get_params()["C"] == 0.5
    assert clf_kwargs == {"sample_weight": None}
    assert sorted(seen) == [50, 50, 50]


# ---------------------------------------------------------------------------------------
# Bad inputs
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("labels, pred_probs, error, match", BAD_LABELS_AND_PRED_PROBS)
def test_bad_labels_and_pred_probs_are_rejected(labels, pred_probs, error, match):
    for function in (
        count.compute_confident_joint,
        count.get_confident_thresholds,
        count.num_label_issues,
        count.estimate_joint,
        count.estimate_py_and_noise_matrices_from_probabilities,
    ):
        with pytest.raises(error, match=match):
            function(labels, pred_probs)


def test_bad_options_are_rejected():
    joint = count.compute_confident_joint(GOOD_LABELS, GOOD_PROBS)
    with pytest.raises(ValueError, match="'py_method' parameter of estimate_latent must be one of"):
        count.estimate_latent(joint, GOOD_LABELS, py_method="magic")
    with pytest.raises(TypeError, match="converge_latent_estimates"):
        count.estimate_latent(joint, GOOD_LABELS, converge_latent_estimates="yes")
    with pytest.raises(ValueError, match="'estimation_method' parameter of num_label_issues"):
        count.num_label_issues(GOOD_LABELS, GOOD_PROBS, estimation_method="diagonal")
    with pytest.raises(ValueError, match="off_diagonal_custom' needs a pre-computed confident_joint"):
        count.num_label_issues(GOOD_LABELS, GOOD_PROBS, estimation_method="off_diagonal_custom")
    with pytest.raises(TypeError, match="calibrate"):
        count.compute_confident_joint(GOOD_LABELS, GOOD_PROBS, calibrate="no")
    with pytest.raises(TypeError, match="list with one list of class indices"):  # single-label labels
        count.compute_confident_joint(GOOD_LABELS, GOOD_PROBS, multi_label=True)
    with pytest.raises(ValueError, match=r"thresholds must have shape \(3,\)"):
        count.compute_confident_joint(GOOD_LABELS, GOOD_PROBS, thresholds=[0.5, 0.5])
    with pytest.raises(ValueError, match="square"):
        count.estimate_latent(np.ones((3, 2)), GOOD_LABELS)
    with pytest.raises(ValueError, match=r"confident_joint must have shape \(3, 3\)"):
        count.num_label_issues(
            GOOD_LABELS, GOOD_PROBS, confident_joint=np.ones((2, 2)), estimation_method="off_diagonal_custom"
        )
    with pytest.raises(ValueError, match="at least 2 classes"):
        count.num_label_issues(np.zeros(6, dtype=int), GOOD_PROBS)
    with pytest.warns(UserWarning, match="ignored"):
        count.num_label_issues(GOOD_LABELS, GOOD_PROBS, confident_joint=joint)


def test_bad_cv_inputs_are_rejected(cv_data):
    X, labels = cv_data
    with pytest.raises(ValueError, match="'cv_n_folds' parameter of estimate_cv_predicted_probabilities"):
        count.estimate_cv_predicted_probabilities(X, labels, cv_n_folds=1)
    with pytest.raises(TypeError, match="cv_n_folds"):
        count.estimate_cv_predicted_probabilities(X, labels, cv_n_folds=2.5)
    with pytest.raises(ValueError, match="X has 149 rows but labels has 150"):
        count.estimate_cv_predicted_probabilities(X[:-1], labels)
    with pytest.raises(ValueError, match=r"every class 0..3.*\[2\]"):
        count.estimate_cv_predicted_probabilities(X, np.where(labels == 2, 3, labels))
    with pytest.raises(TypeError, match="fit and predict_proba"):
        count.estimate_cv_predicted_probabilities(X, labels, clf=object())
    with pytest.raises(TypeError, match="validation_func"):
        count.estimate_cv_predicted_probabilities(X, labels, validation_func=3)
    with pytest.raises(ValueError, match="n_jobs"):
        count.estimate_cv_predicted_probabilities(X, labels, n_jobs=0)
