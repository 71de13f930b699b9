"""The fast paths of the confident joint and of the pred_probs checks, forced on small inputs.

Large inputs take paths that small tests never reach: threads over row ranges, many
blocks per range, the value checks of pred_probs fused into the confident joint's pass.
Here the size thresholds are lowered so that every path runs on small data, and each result
is compared with cleanlab 2.9.0 (or with the unfused path for error messages).
"""

from __future__ import annotations

import joblib
import numpy as np
import pytest
from _data import make_pred_probs
from cleanlab import count as ref_count
from cleanlab import filter as ref_filter
from threadpoolctl import threadpool_limits

from cleanlearn import filter
from cleanlearn._core import blocks, validation
from cleanlearn._core import confident_joint as joint_core

pytestmark = pytest.mark.filterwarnings("ignore:May not flag all label issues")

CASES = {
    "n3000_k7": (3000, 7, {"noise": 0.3}),
    "n2000_k10_ties_1dec": (2000, 10, {"ties": True, "levels": 10}),  # many rows with several confident
    "n1500_k100_ties": (1500, 100, {"ties": True, "levels": 100}),
    "n900_k300": (900, 300, {"noise": 0.2}),  # > 255 classes: int64 counts
    "n2000_k5_float32": (2000, 5, {"dtype": np.float32, "noise": 0.4}),
    "n800_k6_never_predicted": (800, 6, {"never_predicted": 1}),  # a class never confident
}


@pytest.fixture(params=sorted(CASES), scope="module")
def case(request):
    n, k, kwargs = CASES[request.param]
    return make_pred_probs(n, k, seed=sum(map(ord, request.param)), **kwargs)


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Threads from the smallest inputs on, and blocks of a few rows (ragged last blocks)."""
    monkeypatch.setattr(validation, "THREADED_MIN_ENTRIES", 0)
    monkeypatch.setattr(validation, "_CHECK_BLOCK_ENTRIES", 50)
    monkeypatch.setattr(blocks, "CHUNK_ENTRIES", 70)


@pytest.mark.parametrize("n_jobs", [1, 2, 3])
@pytest.mark.parametrize("calibrate", [False, True])
def test_confident_joint_in_blocks_and_threads_matches_reference(case, tiny_blocks, n_jobs, calibrate):
    labels, pred_probs = case
    expected_joint, expected_indices = ref_count.compute_confident_joint(
        labels, pred_probs, calibrate=calibrate, return_indices_of_off_diagonals=True
    )
    joint, indices = joint_core.compute_confident_joint(
        labels, pred_probs, calibrate=calibrate, return_indices_of_off_diagonals=True, n_jobs=n_jobs
    )
    np.testing.assert_array_equal(joint, expected_joint)
    np.testing.assert_array_equal(indices, np.asarray(expected_indices))


@pytest.mark.parametrize("n_jobs", [None, 1, 2, 3])
def test_confident_learning_filter_in_blocks_and_threads_matches_reference(case, tiny_blocks, n_jobs):
    labels, pred_probs = case
    expected = ref_filter.find_label_issues(labels, pred_probs, filter_by="confident_learning")
    mask = filter.find_label_issues(labels, pred_probs, filter_by="confident_learning", n_jobs=n_jobs)
    np.testing.assert_array_equal(mask, expected)


@pytest.mark.parametrize("filter_by", ["prune_by_noise_rate", "both", "low_self_confidence"])
def test_other_filters_in_blocks_and_threads_match_reference(case, tiny_blocks, filter_by):
    labels, pred_probs = case
    expected = ref_filter.find_label_issues(labels, pred_probs, filter_by=filter_by, n_jobs=1)
    np.testing.assert_array_equal(filter.find_label_issues(labels, pred_probs, filter_by=filter_by, n_jobs=2), expected)


def test_confident_learning_on_non_contiguous_pred_probs_matches_reference(tiny_blocks):
    labels, pred_probs = make_pred_probs(1200, 8, noise=0.3, seed=5)
    fortran = np.asfortranarray(pred_probs)
    strided = np.repeat(pred_probs, 2, axis=1)[:, ::2]  # a view with a column stride
    expected = ref_filter.find_label_issues(labels, pred_probs, filter_by="confident_learning")
    for layout in (fortran, strided):
        np.testing.assert_array_equal(
            filter.find_label_issues(labels, layout, filter_by="confident_learning", n_jobs=2), expected
        )


def test_rows_by_kind_of_confidence_hand_computed(tiny_blocks):
    """Each kind of row the block loop tells apart, in many blocks and two threads.

    With thresholds (0.5, 0.3, 0.3): a row is confident in class k when p_k >= t_k - 1e-6.
    """
    rows = [
        (0, [0.8, 0.1, 0.1]),  # only the label confident -> 0 (diagonal)
        (0, [0.42, 0.29, 0.29]),  # none confident -> not counted
        (1, [0.1, 0.2, 0.7]),  # only another class confident -> 2
        (1, [0.0, 0.6, 0.4]),  # several, argmax is the label -> 1 (diagonal)
        (2, [0.0, 0.55, 0.45]),  # several incl. the label, argmax another -> 1
        (0, [0.1, 0.45, 0.45]),  # several without the label, tied argmax -> first: 1
    ]
    labels = np.tile([label for label, _ in rows], 40)
    pred_probs = np.tile([probs for _, probs in rows], (40, 1))
    thresholds = np.array([0.5, 0.3, 0.3])
    joint, indices = joint_core.compute_confident_joint(
        labels, pred_probs, thresholds=thresholds, calibrate=False, return_indices_of_off_diagonals=True, n_jobs=2
    )
    # rows = given label, columns = guess; the empty diagonal cell (2, 2) is raised to 1
    np.testing.assert_array_equal(joint, [[40, 40, 0], [0, 40, 40], [0, 40, 1]])
    np.testing.assert_array_equal(indices, np.flatnonzero(np.isin(np.arange(240) % 6, [2, 4, 5])))
    expected_joint, expected_indices = ref_count.compute_confident_joint(
        labels, pred_probs, thresholds=thresholds, calibrate=False, return_indices_of_off_diagonals=True
    )
    np.testing.assert_array_equal(joint, expected_joint)
    np.testing.assert_array_equal(indices, expected_indices)


def _bad_inputs():
    """(labels, pred_probs) pairs that the checks must reject, with the faulty row late."""
    labels, pred_probs = make_pred_probs(600, 4, noise=0.2, seed=3)
    cases = {}
    for name, row, value in [("nan", 517, np.nan), ("inf", 433, np.inf), ("negative", 555, -0.25)]:
        bad = pred_probs.copy()
        bad[row, 1] = value
        cases[name] = (labels, bad)
    unnormalised = pred_probs.copy()
    unnormalised[590] *= 1.5
    cases["row sum"] = (labels, unnormalised)
    both = pred_probs.copy()
    both[100, 0] = -0.5  # negative ...
    both[400, 2] = np.nan  # ... and NaN: the NaN is reported first
    cases["nan and negative"] = (labels, both)
    too_few_columns = labels.copy()
    too_few_columns[-1] = 4
    cases["label out of range"] = (too_few_columns, pred_probs)
    nan_and_label = pred_probs.copy()
    nan_and_label[10, 0] = np.nan
    cases["nan and label out of range"] = (too_few_columns, nan_and_label)  # pred_probs first
    cases["length mismatch"] = (labels[:-1], pred_probs)
    return cases


@pytest.mark.parametrize("name", sorted(_bad_inputs()))
@pytest.mark.parametrize("forced", [False, True])
@pytest.mark.parametrize("filter_by", ["confident_learning", "prune_by_noise_rate", "both"])
def test_fused_checks_raise_the_same_errors_as_check_pred_probs(name, forced, filter_by, monkeypatch):
    if forced:
        monkeypatch.setattr(validation, "THREADED_MIN_ENTRIES", 0)
        monkeypatch.setattr(blocks, "CHUNK_ENTRIES", 40)
    labels, pred_probs = _bad_inputs()[name]
    with pytest.raises((ValueError, TypeError)) as unfused:
        validation.check_labels_and_pred_probs(labels, pred_probs)
    with pytest.raises(type(unfused.value)) as fused:
        filter.find_label_issues(labels, pred_probs, filter_by=filter_by, n_jobs=2)
    assert str(fused.value) == str(unfused.value)


def test_row_sums_and_min_in_blocks_and_threads(tiny_blocks):
    rng = np.random.default_rng(0)
    pred_probs = rng.random((1001, 7))
    pred_probs[977, 3] = -1e-300  # the minimum, in the second thread's range
    for n_jobs in (1, 2, 4):
        row_sums, lowest = validation._row_sums_and_min(pred_probs, n_jobs=n_jobs)
        np.testing.assert_allclose(row_sums, pred_probs.sum(axis=1), rtol=1e-14)
        assert lowest == -1e-300
    with pytest.raises(ValueError, match="negative value -1e-300"):
        validation.check_pred_probs(pred_probs, n_jobs=2)


def test_resolve_n_threads_follows_n_jobs_and_the_enclosing_limits():
    big = validation.THREADED_MIN_ENTRIES
    n_cores = joblib.cpu_count()
    assert validation.resolve_n_threads(1, n_entries=big) == 1
    assert validation.resolve_n_threads(3, n_entries=big) == 3
    assert validation.resolve_n_threads(-1, n_entries=big) == n_cores
    assert validation.resolve_n_threads(None, n_entries=big - 1) == 1  # small input
    assert validation.resolve_n_threads(3, n_entries=big - 1) == 1
    with threadpool_limits(limits=1):  # a BLAS limit caps the default
        assert validation.resolve_n_threads(None, n_entries=big) == 1
        assert validation.resolve_n_threads(2, n_entries=big) == 2  # an explicit n_jobs is obeyed
    with threadpool_limits(limits=64):
        assert validation.resolve_n_threads(None, n_entries=big) == n_cores
        with joblib.parallel_config(n_jobs=1):
            assert validation.resolve_n_threads(None, n_entries=big) == 1
        with joblib.parallel_config(n_jobs=-1):
            assert validation.resolve_n_threads(None, n_entries=big) == n_cores


def test_map_row_ranges_covers_the_rows_in_order():
    seen = validation.map_row_ranges(lambda start, stop: (start, stop), 10, 3)
    assert seen == [(0, 3), (3, 6), (6, 10)]
    assert validation.map_row_ranges(lambda start, stop: (start, stop), 2, 5) == [(0, 1), (1, 2)]
    assert validation.map_row_ranges(lambda start, stop: (start, stop), 7, 1) == [(0, 7)]
