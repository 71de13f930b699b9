"""The shared input checks: each bad input gives a ValueError/TypeError naming the problem."""

from numbers import Integral, Real

import numpy as np
import pandas as pd
import pytest

from cleanlearn.validation import (
    Interval,
    Options,
    check_labels,
    check_labels_and_pred_probs,
    check_n_jobs,
    check_noise_matrix,
    check_pred_probs,
    check_thresholds,
    validate_params,
)

GOOD_PROBS = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])


@pytest.mark.parametrize(
    "labels, error, pattern",
    [
        ([[0, 1], [1, 0]], ValueError, r"labels must be a 1-D array.*shape \(2, 2\)"),
        ([], ValueError, "labels is empty"),
        ([0, -1, 1], ValueError, "negative label -1"),
        ([0.0, 1.5], ValueError, "non-integer values such as 1.5"),
        ([0.0, np.nan], ValueError, "non-integer values"),
        (["cat", "dog"], TypeError, "CleanLearning"),
        (None, TypeError, "labels is required"),
    ],
)
def test_check_labels_rejects(labels, error, pattern):
    with pytest.raises(error, match=pattern):
        check_labels(labels)


def test_check_labels_accepts_lists_series_bools_and_integral_floats():
    assert check_labels([0, 1, 1]).dtype == np.int64
    assert check_labels(pd.Series([2, 0])).tolist() == [2, 0]
    assert check_labels(np.array([True, False])).tolist() == [1, 0]
    assert check_labels(np.array([1.0, 0.0])).tolist() == [1, 0]
    with pytest.raises(ValueError, match=r"class indices 0..2 \(K=3 classes\); got label 3"):
        check_labels([0, 3], n_classes=3)


@pytest.mark.parametrize(
    "pred_probs, error, pattern",
    [
        (np.array([0.5, 0.5]), ValueError, r"2-D array.*shape \(2,\)"),
        (np.empty((0, 2)), ValueError, "pred_probs is empty"),
        (np.array([[1.0], [1.0]]), ValueError, "at least 2 columns"),
        (np.array([[np.nan, 0.5], [0.5, 0.5]]), ValueError, "row 0 contains NaN or inf"),
        (np.array([[0.5, 0.5], [np.inf, 0.0]]), ValueError, "row 1 contains NaN or inf"),
        (np.array([[1.2, -0.2], [0.5, 0.5]]), ValueError, "negative value -0.2"),
        (np.array([[0.5, 0.5], [2.0, 3.0]]), ValueError, "row 1 sums to 5.0"),
        (np.array([["a", "b"]]), TypeError, "numeric array"),
    ],
)
def test_check_pred_probs_rejects(pred_probs, error, pattern):
    with pytest.raises(error, match=pattern):
        check_pred_probs(pred_probs)


def test_check_pred_probs_returns_input_without_copy():
    assert check_pred_probs(GOOD_PROBS) is GOOD_PROBS
    float32 = GOOD_PROBS.astype(np.float32)
    assert check_pred_probs(float32) is float32


def test_labels_and_pred_probs_must_agree():
    with pytest.raises(ValueError, match="labels has 2 entries but pred_probs has 3 rows"):
        check_labels_and_pred_probs([0, 1], GOOD_PROBS)
    with pytest.raises(ValueError, match="pred_probs has 2 columns; got label 2. pred_probs has too few columns"):
        check_labels_and_pred_probs([0, 1, 2], GOOD_PROBS)
    labels, probs = check_labels_and_pred_probs([0, 1, 1], GOOD_PROBS)
    assert labels.tolist() == [0, 1, 1] and probs is GOOD_PROBS


def test_noise_matrix_checks():
    good = np.array([[0.8, 0.3], [0.2, 0.7]])
    np.testing.assert_array_equal(check_noise_matrix(good, n_classes=2), good)
    with pytest.raises(ValueError, match=r"shape \(3, 3\) for 3 classes; got shape \(2, 2\)"):
        check_noise_matrix(good, n_classes=3)
    with pytest.raises(ValueError, match="trace > 1"):
        check_noise_matrix(np.array([[0.5, 0.6], [0.5, 0.4]]), n_classes=2)
    with pytest.raises(ValueError, match="column 0 sums to"):
        check_noise_matrix(np.array([[0.9, 0.3], [0.3, 0.7]]), n_classes=2)
    with pytest.raises(ValueError, match="square"):
        check_noise_matrix(np.ones((2, 3)) / 2, n_classes=None)


def test_thresholds_accept_column_vectors_and_check_shape():
    assert check_thresholds([[0.5], [0.4]], n_classes=2).tolist() == [0.5, 0.4]
    with pytest.raises(ValueError, match=r"shape \(3,\) or \(3, 1\)"):
        check_thresholds([0.5, 0.4], n_classes=3)


@pytest.mark.parametrize("n_jobs", [None, -1, 1, 4])
def test_n_jobs_accepts(n_jobs):
    assert check_n_jobs(n_jobs) == n_jobs


@pytest.mark.parametrize("n_jobs, error", [(0, ValueError), (-2, ValueError), (1.5, TypeError), (True, TypeError)])
def test_n_jobs_rejects(n_jobs, error):
    with pytest.raises(error, match="n_jobs must be None, -1"):
        check_n_jobs(n_jobs)


def test_validate_params_messages_name_parameter_caller_and_value():
    constraints = {
        "filter_by": [Options({"prune_by_class", "both"})],
        "frac_noise": [Interval(Real, 0, 1, closed="right")],
        "n": [Interval(Integral, 2, None), None],
        "flag": ["boolean"],
    }
    validate_params({"filter_by": "both", "frac_noise": 1.0, "n": None, "flag": True}, constraints, caller="f")
    with pytest.raises(ValueError, match=r"'filter_by' parameter of f must be one of 'both', 'prune_by_class'. Got 'nope'"):
        validate_params({"filter_by": "nope"}, constraints, caller="f")
    with pytest.raises(ValueError, match=r"'frac_noise' parameter of f must be a float in the range \(0, 1\]. Got 0"):
        validate_params({"frac_noise": 0}, constraints, caller="f")
    with pytest.raises(ValueError, match=r"an int in the range \[2, inf\] or None. Got 1"):
        validate_params({"n": 1}, constraints, caller="f")
    with pytest.raises(TypeError, match=r"'flag' parameter of f must be a bool. Got 'yes'"):
        validate_params({"flag": "yes"}, constraints, caller="f")
    with pytest.raises(TypeError, match="Got 2.5"):
        validate_params({"n": 2.5}, {"n": [Interval(Integral, 2, None)]}, caller="f")
