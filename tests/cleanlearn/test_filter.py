"""cleanlearn.filter: identical masks and ranked indices to cleanlab 2.9.0, plus properties.

The reference runs with n_jobs=1 (its process pool only costs time here; results do not
depend on it).
"""

from __future__ import annotations

import logging
import tracemalloc
import warnings

import numpy as np
import pytest
from _data import make_pred_probs

import cleanlearn.filter as ours
from cleanlearn._core import selection
from cleanlearn._core import validation as core_validation

ref_filter = pytest.importorskip("cleanlab.filter")
ref_count = pytest.importorskip("cleanlab.count")

FILTERS = list(ours.FILTERS)
PRUNING = ["prune_by_noise_rate", "prune_by_class", "both"]
RANKINGS = ["self_confidence", "normalized_margin", "confidence_weighted_entropy"]


def reference(labels, pred_probs, **kwargs):
    """cleanlab's find_label_issues, its warnings silenced (we compare results only)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ref_filter.find_label_issues(labels, pred_probs, n_jobs=1, **kwargs)


def cleanlearn_(labels, pred_probs, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ours.find_label_issues(labels, pred_probs, **kwargs)


def assert_same(labels, pred_probs, **kwargs):
    expected = reference(labels, pred_probs, **kwargs)
    got = cleanlearn_(labels, pred_probs, **kwargs)
    assert got.dtype == expected.dtype, kwargs
    np.testing.assert_array_equal(got, expected, err_msg=str(kwargs))
    return got


# ---------------------------------------------------------------------------------------
# Parity with cleanlab 2.9.0
# ---------------------------------------------------------------------------------------

SIZES = {2: 300, 3: 500, 10: 1500, 100: 4000}


@pytest.mark.parametrize("n_classes", [2, 3, 10, 100])
@pytest.mark.parametrize("filter_by", FILTERS)
def test_parity_over_options(n_classes, filter_by):
    labels, pred_probs = make_pred_probs(SIZES[n_classes], n_classes, noise=0.25, seed=n_classes)
    rarest = int(np.bincount(labels, minlength=n_classes).min())
    option_sets = [{}, {"min_examples_per_class": 10}, {"min_examples_per_class": rarest + 1}]
    if filter_by in PRUNING:
        option_sets += [{"frac_noise": 0.5}, {"frac_noise": 0.5, "min_examples_per_class": 10}]
    for options in option_sets:
        assert_same(labels, pred_probs, filter_by=filter_by, **options)


@pytest.mark.parametrize("filter_by", FILTERS)
@pytest.mark.parametrize(
    "case",
    ["ties", "heavy_noise", "never_predicted", "one_example_class", "missing_class", "float32", "imbalanced"],
)
def test_parity_hard_inputs(filter_by, case):
    n_classes = 5
    kwargs = {"noise": 0.25, "seed": 7}
    if case == "ties":
        kwargs.update(ties=True, levels=20)
    elif case == "heavy_noise":
        kwargs.update(noise=0.6)
    elif case == "never_predicted":
        kwargs.update(never_predicted=2)
    elif case == "one_example_class":
        kwargs.update(rare_class=4, rare_count=1)
    elif case == "missing_class":
        kwargs.update(rare_class=1, rare_count=0)
    elif case == "float32":
        kwargs.update(dtype=np.float32)
    elif case == "imbalanced":
        kwargs.update(imbalance=0.8)
    labels, pred_probs = make_pred_probs(800, n_classes, **kwargs)
    for options in [{}, {"frac_noise": 0.7}, {"min_examples_per_class": 0}, {"min_examples_per_class": 30}]:
        if filter_by not in PRUNING and "frac_noise" in options:
            continue
        assert_same(labels, pred_probs, filter_by=filter_by, **options)


@pytest.mark.parametrize("n_examples", [6, 12, 16, 17, 20, 33, 60, 100, 250, 1000])
@pytest.mark.parametrize("levels", [5, 20, 100])
def test_parity_tie_heavy_at_many_sizes(n_examples, levels):
    """Rounded probabilities tie everywhere; per-class subsets straddle numpy's switch from
    insertion sort to quick/SIMD sort at 16 elements."""
    labels, pred_probs = make_pred_probs(n_examples, 3, noise=0.4, seed=n_examples + levels, ties=True, levels=levels)
    for filter_by in FILTERS:
        for options in [{}, {"frac_noise": 0.5}, {"min_examples_per_class": 0}]:
            if filter_by not in PRUNING and options:
                continue
            assert_same(labels, pred_probs, filter_by=filter_by, **options)


@pytest.mark.parametrize("seed", range(3))
def test_parity_tie_heavy_many_classes(seed):
    labels, pred_probs = make_pred_probs(3000, 30, noise=0.3, seed=seed, ties=True, levels=100)
    for filter_by in PRUNING + ["low_self_confidence", "low_normalized_margin"]:
        assert_same(labels, pred_probs, filter_by=filter_by)


@pytest.mark.parametrize("filter_by", PRUNING)
@pytest.mark.parametrize("n_classes", [2, 3, 10])
def test_parity_num_to_remove_per_class(filter_by, n_classes):
    labels, pred_probs = make_pred_probs(600, n_classes, noise=0.3, seed=3)
    rng = np.random.default_rng(n_classes)
    counts = np.bincount(labels, minlength=n_classes)
    for to_remove in [
        rng.integers(0, 20, size=n_classes).tolist(),
        [0] * n_classes,
        list(counts // 3),
        np.full(n_classes, 5),
    ]:
        for options in [{}, {"frac_noise": 0.5}, {"min_examples_per_class": 20}]:
            assert_same(labels, pred_probs, filter_by=filter_by, num_to_remove_per_class=to_remove, **options)


@pytest.mark.parametrize("filter_by", FILTERS)
def test_parity_with_confident_joint_given(filter_by):
    labels, pred_probs = make_pred_probs(900, 4, noise=0.3, seed=11)
    calibrated = ref_count.compute_confident_joint(labels, pred_probs)
    uncalibrated = ref_count.compute_confident_joint(labels, pred_probs, calibrate=False)
    # A made-up joint: float, with a zero diagonal entry (the reference's "raise the
    # diagonal" step then divides fractional amounts).
    custom = uncalibrated * 0.7 + 1.5
    custom[2, 2] = 0.0
    for confident_joint in [calibrated, uncalibrated, custom, np.asfortranarray(custom)]:
        for options in [{}, {"min_examples_per_class": 25}, {"frac_noise": 0.3}]:
            if filter_by not in PRUNING and "frac_noise" in options:
                continue
            assert_same(labels, pred_probs, filter_by=filter_by, confident_joint=confident_joint, **options)


@pytest.mark.parametrize("filter_by", FILTERS)
@pytest.mark.parametrize("rank_by", RANKINGS)
def test_parity_ranked_indices(filter_by, rank_by):
    labels, pred_probs = make_pred_probs(700, 4, noise=0.3, seed=5, ties=True, levels=50)
    got = assert_same(labels, pred_probs, filter_by=filter_by, return_indices_ranked_by=rank_by)
    assert got.dtype.kind == "i"
    if rank_by != "confidence_weighted_entropy":
        assert_same(
            labels,
            pred_probs,
            filter_by=filter_by,
            return_indices_ranked_by=rank_by,
            rank_by_kwargs={"adjust_pred_probs": True},
        )


def test_parity_find_predicted_neq_given():
    labels, pred_probs = make_pred_probs(500, 6, noise=0.3, seed=2, ties=True, levels=10)
    np.testing.assert_array_equal(
        ours.find_predicted_neq_given(labels, pred_probs),
        ref_filter.find_predicted_neq_given(labels, pred_probs),
    )


@pytest.mark.parametrize("filter_by", PRUNING + ["predicted_neq_given"])
@pytest.mark.parametrize("calibrate", [True, False])
def test_parity_argmax_confusion_matrix(filter_by, calibrate):
    labels, pred_probs = make_pred_probs(800, 5, noise=0.3, seed=9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = ref_filter.find_label_issues_using_argmax_confusion_matrix(
            labels, pred_probs, calibrate=calibrate, filter_by=filter_by
        )
        got = ours.find_label_issues_using_argmax_confusion_matrix(
            labels, pred_probs, calibrate=calibrate, filter_by=filter_by
        )
    np.testing.assert_array_equal(got, expected)


# ---------------------------------------------------------------------------------------
# The selection helpers against the reference's argsort, directly
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 7, 15, 16, 17, 18, 31, 64, 65, 200, 513, 3000])
def test_take_smallest_is_argsort_prefix(size):
    rng = np.random.default_rng(size)
    for values in [
        rng.integers(0, 4, size=size).astype(float),  # ties everywhere
        np.round(rng.random(size), 1),
        rng.random(size),
        np.zeros(size),
    ]:
        for count in {0, 1, size // 3, size // 2, size - 1, size, size + 5}:
            expected = np.zeros(size, dtype=bool)
            expected[np.argsort(values)[:count]] = True
            np.testing.assert_array_equal(selection.take_smallest(values, count), expected)


@pytest.mark.parametrize("n_rows", [3, 16, 17, 40, 300])
def test_flag_by_noise_rate_matches_reference_helper(n_rows):
    """Against cleanlab.filter._prune_by_count on one class's rows, counts of every size."""
    rng = np.random.default_rng(n_rows)
    n_classes = 6
    pred_probs = np.round(rng.dirichlet(np.ones(n_classes), size=2 * n_rows), 1)
    rows = np.sort(rng.choice(2 * n_rows, size=n_rows, replace=False))
    class_probs = pred_probs[rows]
    for counts in [rng.integers(0, 4, size=n_classes), rng.integers(0, n_rows, size=n_classes)]:
        for k in range(n_classes):
            expected = ref_filter._prune_by_count([k, 1, [class_probs, counts]])
            max_other = np.delete(class_probs, k, axis=1).max(axis=1)
            got = ours._flag_by_noise_rate(pred_probs, rows, max_other >= class_probs[:, k], counts, k)
            np.testing.assert_array_equal(got, expected, err_msg=f"k={k} counts={counts}")


def test_large_counts_with_ties():
    """Prune counts in the hundreds per (class, class) cell, with many ties: same result."""
    labels, pred_probs = make_pred_probs(3072, 3, noise=0.5, seed=1, ties=True, levels=50)
    for filter_by in PRUNING:
        assert_same(labels, pred_probs, filter_by=filter_by)


# ---------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("filter_by", PRUNING)
def test_smaller_frac_noise_flags_a_subset(filter_by):
    labels, pred_probs = make_pred_probs(2000, 8, noise=0.3, seed=4, ties=True, levels=50)
    previous = None
    for frac_noise in [1.0, 0.8, 0.5, 0.2, 0.05]:
        mask = cleanlearn_(labels, pred_probs, filter_by=filter_by, frac_noise=frac_noise)
        if previous is not None:
            assert not np.any(mask & ~previous), frac_noise
            assert mask.sum() <= previous.sum()
        previous = mask
    assert previous.sum() < cleanlearn_(labels, pred_probs, filter_by=filter_by).sum()


@pytest.mark.parametrize("seed", range(3))
def test_both_is_and_of_the_two_prunings(seed):
    labels, pred_probs = make_pred_probs(1500, 7, noise=0.3, seed=seed)
    by_class = cleanlearn_(labels, pred_probs, filter_by="prune_by_class")
    by_noise_rate = cleanlearn_(labels, pred_probs, filter_by="prune_by_noise_rate")
    both = cleanlearn_(labels, pred_probs, filter_by="both")
    np.testing.assert_array_equal(both, by_class & by_noise_rate)


def test_num_to_remove_per_class_prune_by_class_removes_exactly():
    labels, pred_probs = make_pred_probs(1000, 4, noise=0.3, seed=8)
    to_remove = [7, 0, 3, 12]
    ranked_mask = cleanlearn_(labels, pred_probs, filter_by="prune_by_class", num_to_remove_per_class=to_remove)
    # The post-filter may unflag a few, never add: at most the asked number per class.
    per_class = np.bincount(labels[ranked_mask], minlength=4)
    assert np.all(per_class <= to_remove)
    assert per_class[1] == 0


def test_confident_learning_count_equals_num_label_issues():
    labels, pred_probs = make_pred_probs(1200, 6, noise=0.3, seed=6)
    mask = cleanlearn_(labels, pred_probs, filter_by="confident_learning")
    assert mask.sum() == ref_count.num_label_issues(labels, pred_probs)
    for method in ["low_self_confidence", "low_normalized_margin"]:
        assert cleanlearn_(labels, pred_probs, filter_by=method).sum() == mask.sum()


def test_ranked_indices_are_the_mask_sorted_by_score():
    labels, pred_probs = make_pred_probs(800, 5, noise=0.3, seed=12)
    mask = cleanlearn_(labels, pred_probs)
    ranked = cleanlearn_(labels, pred_probs, return_indices_ranked_by="self_confidence")
    np.testing.assert_array_equal(np.sort(ranked), np.flatnonzero(mask))
    self_confidence = pred_probs[ranked, labels[ranked]]
    assert np.all(np.diff(self_confidence) >= 0)


def test_inputs_not_mutated_and_n_jobs_irrelevant():
    labels, pred_probs = make_pred_probs(600, 5, noise=0.3, seed=13)
    confident_joint = ref_count.compute_confident_joint(labels, pred_probs)
    copies = labels.copy(), pred_probs.copy(), confident_joint.copy()
    results = [
        cleanlearn_(labels, pred_probs, filter_by="both", confident_joint=confident_joint, n_jobs=n_jobs)
        for n_jobs in [None, 1, 2, -1]
    ]
    for result in results[1:]:
        np.testing.assert_array_equal(result, results[0])
    for original, copy in zip((labels, pred_probs, confident_joint), copies, strict=True):
        np.testing.assert_array_equal(original, copy)


def test_lists_are_accepted():
    labels, pred_probs = make_pred_probs(200, 3, noise=0.3, seed=14)
    np.testing.assert_array_equal(
        ours.find_label_issues(labels.tolist(), pred_probs.tolist()), ours.find_label_issues(labels, pred_probs)
    )


def assert_peak_memory_within_one_copy(labels, pred_probs):
    """Every filter_by, ranked, allocates at most pred_probs.nbytes (tracemalloc's peak)."""
    for filter_by in FILTERS:
        tracemalloc.start()
        try:
            cleanlearn_(labels, pred_probs, filter_by=filter_by, return_indices_ranked_by="normalized_margin")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak <= pred_probs.nbytes, (filter_by, peak / pred_probs.nbytes)


def test_peak_memory_with_few_classes_at_most_one_copy_of_pred_probs():
    # Few classes are the hard case: per-example index arrays weigh almost as much as a row.
    labels, pred_probs = make_pred_probs(20000, 3, noise=0.3, seed=15)
    cleanlearn_(labels, pred_probs)  # one-time allocations (imports, caches) are not the filter's
    assert_peak_memory_within_one_copy(labels, pred_probs)


def test_peak_memory_at_most_one_copy_of_pred_probs():
    # Large enough that count's and rank's cache-sized blocks (8 MB) are a small part.
    assert_peak_memory_within_one_copy(*make_pred_probs(80000, 30, noise=0.3, seed=15))


# ---------------------------------------------------------------------------------------
# Warnings, logging, validation
# ---------------------------------------------------------------------------------------


def test_warns_for_classes_with_too_few_examples():
    labels, pred_probs = make_pred_probs(300, 4, noise=0.2, seed=1, rare_class=3, rare_count=2)
    with pytest.warns(UserWarning, match=r"too few examples.*min_examples_per_class"):
        ours.find_label_issues(labels, pred_probs, min_examples_per_class=5)


def test_warns_for_ignored_arguments():
    labels, pred_probs = make_pred_probs(300, 3, noise=0.2, seed=1)
    with pytest.warns(UserWarning, match="frac_noise and num_to_remove_per_class"):
        ours.find_label_issues(labels, pred_probs, filter_by="confident_learning", frac_noise=0.5)
    confident_joint = ref_count.compute_confident_joint(labels, pred_probs)
    with pytest.warns(UserWarning, match="confident_joint is ignored"):
        ours.find_label_issues(labels, pred_probs, filter_by="confident_learning", confident_joint=confident_joint)


def test_verbose_logs_instead_of_printing(caplog, capsys):
    labels, pred_probs = make_pred_probs(300, 3, noise=0.2, seed=1)
    with caplog.at_level(logging.INFO, logger="cleanlearn.filter"):
        mask = ours.find_label_issues(labels, pred_probs, verbose=True)
    assert f"Number of label issues found: {mask.sum()}" in caplog.text
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"filter_by": "prune_by_magic"}, ValueError, "'filter_by' parameter.*prune_by_magic"),
        ({"frac_noise": 0.0}, ValueError, "'frac_noise' parameter.*Got 0.0"),
        ({"frac_noise": 1.5}, ValueError, "'frac_noise' parameter.*Got 1.5"),
        ({"frac_noise": float("nan")}, ValueError, "'frac_noise' parameter"),
        ({"n_jobs": 0}, ValueError, "n_jobs must be None, -1.*got 0"),
        ({"n_jobs": -2}, ValueError, "n_jobs must be None, -1.*got -2"),
        ({"n_jobs": 1.5}, TypeError, "n_jobs"),
        ({"min_examples_per_class": -1}, ValueError, "'min_examples_per_class' parameter.*Got -1"),
        ({"return_indices_ranked_by": "margin"}, ValueError, "'return_indices_ranked_by' parameter.*'margin'"),
        ({"num_to_remove_per_class": [1, 2]}, ValueError, "num_to_remove_per_class must have one entry per class \\(3\\); got 2"),
        ({"num_to_remove_per_class": [1, -2, 0]}, ValueError, "num_to_remove_per_class must be non-negative"),
        ({"num_to_remove_per_class": [1, 2.5, 0]}, ValueError, "whole numbers"),
        ({"num_to_remove_per_class": ["a", "b", "c"]}, TypeError, "num_to_remove_per_class"),
        (
            {"num_to_remove_per_class": [1, 1, 1], "filter_by": "confident_learning"},
            ValueError,
            "num_to_remove_per_class is not supported with filter_by='confident_learning'",
        ),
        ({"confident_joint": np.ones((2, 2))}, ValueError, r"confident_joint must have shape \(3, 3\)"),
        ({"confident_joint": np.ones((3, 2))}, ValueError, "confident_joint must be a square"),
        ({"confident_joint": -np.ones((3, 3))}, ValueError, "confident_joint must be non-negative"),
        # single-label labels with multi_label=True (multi-label: tests/cleanlearn/test_multilabel_filter.py)
        ({"multi_label": True}, TypeError, "list with one list of class indices"),
        ({"rank_by_kwargs": [1]}, TypeError, "'rank_by_kwargs' parameter"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, match):
    labels, pred_probs = make_pred_probs(60, 3, noise=0.2, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error, match=match):
            ours.find_label_issues(labels, pred_probs, **kwargs)


@pytest.mark.parametrize(
    ("labels", "pred_probs", "error", "match"),
    [
        ([0, 1, 2], [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]], ValueError, "label 2"),
        ([0, 1], [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]], ValueError, "must match"),
        ([0, -1, 1], [[0.5, 0.5]] * 3, ValueError, "negative label"),
        ([0, 1, 1], [[0.5, 0.5], [np.nan, 0.5], [0.5, 0.5]], ValueError, "finite"),
        ([0, 1, 1], [[0.9, 0.9], [0.5, 0.5], [0.5, 0.5]], ValueError, "sum to 1"),
        (["a", "b", "a"], [[0.5, 0.5]] * 3, TypeError, "integer class indices"),
        ([0, 1, 0], [0.5, 0.5, 0.5], ValueError, "2-D"),
    ],
)
def test_bad_labels_or_pred_probs(labels, pred_probs, error, match):
    with pytest.raises(error, match=match):
        ours.find_label_issues(labels, pred_probs)


def test_other_public_functions_validate():
    with pytest.raises(TypeError, match=r"labels\[0\] is 0"):  # single-label labels, multi_label=True
        ours.find_predicted_neq_given([0, 1], [[0.5, 0.5], [0.5, 0.5]], multi_label=True)
    with pytest.raises(ValueError, match="'filter_by' parameter"):
        ours.find_label_issues_using_argmax_confusion_matrix([0, 1], [[0.5, 0.5], [0.5, 0.5]], filter_by="x")
    with pytest.raises(ValueError, match="must match"):
        ours.find_predicted_neq_given([0, 1, 1], [[0.5, 0.5], [0.5, 0.5]])


@pytest.mark.parametrize("filter_by", PRUNING)
def test_threads_give_identical_results(filter_by):
    """Large enough for the per-class loop to run in threads."""
    labels, pred_probs = make_pred_probs(30000, 40, noise=0.3, seed=16)
    assert pred_probs.size >= core_validation.PER_CLASS_THREADS_MIN_SIZE
    expected = reference(labels, pred_probs, filter_by=filter_by)
    for n_jobs in [1, 2, 3, None]:
        np.testing.assert_array_equal(cleanlearn_(labels, pred_probs, filter_by=filter_by, n_jobs=n_jobs), expected)


@pytest.mark.parametrize("layout", ["fortran", "strided", "float32"])
def test_parity_array_layouts_and_dtypes(layout):
    labels, pred_probs = make_pred_probs(1200, 12, noise=0.3, seed=17, ties=True, levels=50)
    if layout == "fortran":
        pred_probs = np.asfortranarray(pred_probs)
    elif layout == "strided":
        pred_probs = np.repeat(pred_probs, 2, axis=1)[:, ::2]
    else:
        pred_probs = pred_probs.astype(np.float32)
    for filter_by in FILTERS:
        assert_same(labels, pred_probs, filter_by=filter_by)


@pytest.mark.parametrize("filter_by", PRUNING)
def test_parity_num_to_remove_with_noise_free_classes(filter_by):
    """Classes without off-diagonal counts make the reference divide 0 by 0 (NaN counts,
    i.e. nothing pruned there); the results must still agree."""
    labels, pred_probs = make_pred_probs(400, 4, noise=0.3, seed=3)
    confident_joint = np.array([[80, 5, 0, 3], [4, 90, 0, 6], [7, 2, 100, 1], [0, 0, 0, 102]])
    for joint in [confident_joint, confident_joint.T.copy()]:
        for to_remove in [[5, 5, 5, 5], [0, 3, 0, 7], [10, 0, 10, 0]]:
            for min_examples_per_class in [0, 1, 50]:
                assert_same(
                    labels,
                    pred_probs,
                    filter_by=filter_by,
                    confident_joint=joint,
                    num_to_remove_per_class=to_remove,
                    min_examples_per_class=min_examples_per_class,
                )


@pytest.mark.parametrize("n_classes", [2, 7, 300])
def test_contested_rows_definition(n_classes):
    """A row is contested iff some other class scores >= the given one (ties included)."""
    labels, pred_probs = make_pred_probs(3000, n_classes, noise=0.3, seed=18, ties=True, levels=20)
    self_confidence = pred_probs[np.arange(labels.size), labels]
    others = pred_probs.copy()
    others[np.arange(labels.size), labels] = -np.inf
    expected = others.max(axis=1) >= self_confidence
    contested, grouped = ours._contested_rows(
        pred_probs, labels, contested=True, rows_by_class=np.argsort(labels, kind="stable")
    )
    np.testing.assert_array_equal(contested, expected)
    # the self-confidences come grouped by class, in the order of a stable sort of the labels
    np.testing.assert_array_equal(grouped, self_confidence[np.argsort(labels, kind="stable")])
    assert expected.any() and not expected.all()
