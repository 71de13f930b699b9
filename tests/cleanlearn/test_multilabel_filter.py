"""Multi-label find_label_issues and count functions: identical to cleanlab 2.9.0, plus
independent recomputations and the checks of bad input.

The reference runs with n_jobs=1 (its process pool per class only costs time; results do
not depend on it).
"""

from __future__ import annotations

import warnings

import _api
import numpy as np
import pytest
from _multilabel_data import make_multilabel, to_lists

import cleanlearn.count as our_count
import cleanlearn.filter as our_filter
import cleanlearn.multilabel_classification.filter as ours

ref = pytest.importorskip("cleanlab.multilabel_classification.filter")
ref_count = pytest.importorskip("cleanlab.count")
ref_filter = pytest.importorskip("cleanlab.filter")
ref_rank = pytest.importorskip("cleanlab.multilabel_classification.rank")

FILTERS = list(our_filter.FILTERS)
PRUNING = ["prune_by_noise_rate", "prune_by_class", "both"]
RANKINGS = ["self_confidence", "normalized_margin", "confidence_weighted_entropy"]
SIZES = {2: 300, 3: 400, 10: 600, 100: 800}


def quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def assert_same_issues(labels, pred_probs, **kwargs):
    expected = quiet(ref.find_label_issues, labels, pred_probs, n_jobs=1, **kwargs)
    got = quiet(ours.find_label_issues, labels, pred_probs, **kwargs)
    assert got.dtype == expected.dtype, kwargs
    np.testing.assert_array_equal(got, expected, err_msg=str(kwargs))
    return got


# ---------------------------------------------------------------------------------------
# find_label_issues: parity with cleanlab 2.9.0
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 3, 10, 100])
@pytest.mark.parametrize("filter_by", FILTERS)
def test_parity_over_options(n_classes, filter_by):
    labels, pred_probs = make_multilabel(SIZES[n_classes], n_classes, seed=n_classes)
    option_sets = [{}]
    if filter_by in PRUNING and n_classes < 100:
        option_sets += [
            {"min_examples_per_class": 30},
            {"frac_noise": 0.5},
            {"min_examples_per_class": 0},
        ]
    for options in option_sets:
        mask = assert_same_issues(labels, pred_probs, filter_by=filter_by, **options)
        assert 0 < mask.sum() < mask.size  # the comparison is not between two trivial answers


@pytest.mark.parametrize("filter_by", FILTERS)
@pytest.mark.parametrize(
    "case", ["ties", "heavy_noise", "missing_class", "rare_class", "float32", "no_labels"]
)
def test_parity_hard_inputs(filter_by, case):
    kwargs = {
        "ties": {"levels": 10},
        "heavy_noise": {"noise": 0.8},
        "missing_class": {"missing_class": 2},
        "rare_class": {"rare_class": 1},
        "float32": {"dtype": np.float32},
        "no_labels": {},
    }[case]
    labels, pred_probs = make_multilabel(400, 5, seed=7, **kwargs)
    if case == "no_labels":  # a third of the examples have no class at all
        labels = [[] if i % 3 == 0 else row for i, row in enumerate(labels)]
    if case == "missing_class" and filter_by == "predicted_neq_given":
        # The reference raises "Labels must contain at least 2 classes" (a class annotated
        # for no example); the answer is that of each class's binary problem.
        per_class = [
            our_filter.find_label_issues(y, p, filter_by=filter_by)
            for y, p in _binary_problems(labels, pred_probs)
        ]
        np.testing.assert_array_equal(
            ours.find_label_issues(labels, pred_probs, filter_by=filter_by),
            np.any(per_class, axis=0),
        )
        return
    assert_same_issues(labels, pred_probs, filter_by=filter_by)
    if filter_by in PRUNING:
        assert_same_issues(
            labels, pred_probs, filter_by=filter_by, min_examples_per_class=40, frac_noise=0.7
        )


@pytest.mark.parametrize("filter_by", [f for f in FILTERS if not f.startswith("low_")])
@pytest.mark.parametrize("rank_by", RANKINGS)
def test_parity_ranked_indices(filter_by, rank_by):
    labels, pred_probs = make_multilabel(400, 6, seed=3, levels=20)  # ties in the scores
    adjust_options = [False] if rank_by == "confidence_weighted_entropy" else [False, True]
    for adjust in adjust_options:
        ranked = assert_same_issues(
            labels,
            pred_probs,
            filter_by=filter_by,
            return_indices_ranked_by=rank_by,
            rank_by_kwargs={"adjust_pred_probs": adjust},
        )
        assert ranked.dtype.kind == "i" and ranked.size > 1


@pytest.mark.parametrize("filter_by", ["low_self_confidence", "low_normalized_margin"])
@pytest.mark.parametrize("rank_by", ["self_confidence", "normalized_margin"])
def test_low_score_filters_ranked_by_their_score(filter_by, rank_by):
    """Different on purpose: the reference reorders these by positions of another order
    (its flagged rows in index order vs in score order); here the flagged examples are
    ordered by the ranking score, as for every other filter. Same set of examples."""
    labels, pred_probs = make_multilabel(400, 6, seed=4)
    expected_set = quiet(ref.find_label_issues, labels, pred_probs, filter_by=filter_by, n_jobs=1)
    for adjust in (False, True):
        got = quiet(
            ours.find_label_issues,
            labels,
            pred_probs,
            filter_by=filter_by,
            return_indices_ranked_by=rank_by,
            rank_by_kwargs={"adjust_pred_probs": adjust},
        )
        flagged = np.flatnonzero(expected_set)
        np.testing.assert_array_equal(np.sort(got), flagged)
        scores = ref_rank.get_label_quality_scores(
            labels, pred_probs, method=rank_by, adjust_pred_probs=adjust
        )
        np.testing.assert_array_equal(got, flagged[np.argsort(scores[flagged])])


@pytest.mark.parametrize("filter_by", PRUNING)
def test_parity_num_to_remove_per_class(filter_by):
    labels, pred_probs = make_multilabel(400, 4, seed=5)
    for num_to_remove in ([3, 3, 3, 3], [0, 1, 5, 20], [0, 0, 0, 0]):
        assert_same_issues(
            labels, pred_probs, filter_by=filter_by, num_to_remove_per_class=num_to_remove
        )
    # A scalar applies to every class (the reference needs the list).
    np.testing.assert_array_equal(
        quiet(
            ours.find_label_issues,
            labels,
            pred_probs,
            filter_by=filter_by,
            num_to_remove_per_class=4,
        ),
        quiet(
            ref.find_label_issues,
            labels,
            pred_probs,
            filter_by=filter_by,
            num_to_remove_per_class=[4] * 4,
            n_jobs=1,
        ),
    )


@pytest.mark.parametrize("filter_by", PRUNING)
def test_parity_given_confident_joint(filter_by):
    labels, pred_probs = make_multilabel(400, 4, seed=6)
    confident_joint = ref_count.compute_confident_joint(labels, pred_probs, multi_label=True)
    skewed = confident_joint.copy()
    skewed[:, 1, 0] += 7  # more "annotated but absent" noise than estimated
    for joint in (confident_joint, skewed):
        assert_same_issues(labels, pred_probs, filter_by=filter_by, confident_joint=joint)
    # A single-label (K, K) joint is ignored with a warning, as in the reference.
    with pytest.warns(UserWarning, match="old format is being ignored"):
        got = ours.find_label_issues(
            labels, pred_probs, filter_by=filter_by, confident_joint=np.ones((4, 4))
        )
    np.testing.assert_array_equal(
        got, quiet(ours.find_label_issues, labels, pred_probs, filter_by=filter_by)
    )


def test_parity_per_class_masks_and_ranked_lists():
    labels, pred_probs = make_multilabel(400, 5, seed=8, levels=20)
    for filter_by in FILTERS:
        expected = quiet(
            ref.find_multilabel_issues_per_class, labels, pred_probs, filter_by=filter_by, n_jobs=1
        )
        got = quiet(ours.find_multilabel_issues_per_class, labels, pred_probs, filter_by=filter_by)
        assert got.shape == expected.shape == (400, 5)
        np.testing.assert_array_equal(got, expected, err_msg=filter_by)
    for rank_by, adjust in [
        ("self_confidence", True),
        ("normalized_margin", False),
        ("confidence_weighted_entropy", False),
    ]:
        kwargs = {
            "return_indices_ranked_by": rank_by,
            "rank_by_kwargs": {"adjust_pred_probs": adjust},
        }
        expected = quiet(
            ref.find_multilabel_issues_per_class, labels, pred_probs, n_jobs=1, **kwargs
        )
        got = quiet(ours.find_multilabel_issues_per_class, labels, pred_probs, **kwargs)
        for expected_list, got_list in zip(expected, got, strict=True):
            assert len(got_list) == 5
            for expected_array, got_array in zip(expected_list, got_list, strict=True):
                assert (
                    got_array.dtype == expected_array.dtype
                    and got_array.shape == expected_array.shape
                )
                np.testing.assert_array_equal(got_array, expected_array)


def test_top_level_multi_label_is_the_multilabel_filter():
    labels, pred_probs = make_multilabel(300, 4, seed=9)
    for kwargs in ({}, {"filter_by": "both", "return_indices_ranked_by": "normalized_margin"}):
        with pytest.warns(DeprecationWarning, match="multilabel_classification.filter.find_label_issues"):
            ours = our_filter.find_label_issues(labels, pred_probs, multi_label=True, **kwargs)
        np.testing.assert_array_equal(
            ours,
            quiet(
                ref_filter.find_label_issues,
                labels,
                pred_probs,
                multi_label=True,
                n_jobs=1,
                **kwargs,
            ),
        )
    np.testing.assert_array_equal(
        our_filter.find_predicted_neq_given(labels, pred_probs, multi_label=True),
        ref_filter.find_predicted_neq_given(labels, pred_probs, multi_label=True),
    )


# ---------------------------------------------------------------------------------------
# Independent recomputation: each class is the single-label filter on a binary problem
# ---------------------------------------------------------------------------------------


def _binary_problems(labels, pred_probs):
    n_classes = pred_probs.shape[1]
    binary = np.zeros((len(labels), n_classes), dtype=np.int64)
    for row, classes in enumerate(labels):
        binary[row, classes] = 1
    for k in range(n_classes):
        yield binary[:, k], np.column_stack([1 - pred_probs[:, k], pred_probs[:, k]])


@pytest.mark.parametrize(
    "filter_by", ["prune_by_noise_rate", "both", "confident_learning", "low_self_confidence"]
)
def test_each_class_is_the_single_label_filter_on_its_binary_problem(filter_by):
    """Also where the reference fails: a class annotated for every example (its binary
    problem has one label only; cleanlab raises "Labels must contain at least 2 classes")."""
    labels, pred_probs = make_multilabel(300, 4, seed=10, everywhere_class=1)
    per_class = quiet(
        ours.find_multilabel_issues_per_class, labels, pred_probs, filter_by=filter_by
    )
    for k, (binary_labels, binary_probs) in enumerate(_binary_problems(labels, pred_probs)):
        expected = quiet(
            our_filter.find_label_issues, binary_labels, binary_probs, filter_by=filter_by
        )
        np.testing.assert_array_equal(per_class[:, k], expected, err_msg=f"class {k}")
    if not filter_by.startswith("low_"):  # (those rank examples by an aggregate score instead)
        np.testing.assert_array_equal(
            quiet(ours.find_label_issues, labels, pred_probs, filter_by=filter_by),
            per_class.any(axis=1),
        )


def test_label_formats_give_the_same_answer():
    labels, pred_probs = make_multilabel(200, 4, seed=11)
    expected = ours.find_label_issues(labels, pred_probs)
    variants = [
        tuple(tuple(row) for row in labels),
        [np.array(row, dtype=np.int32) for row in labels],
        [row + row for row in labels],  # repeated classes count once
        [[float(c) for c in row] for row in labels],
    ]
    for variant in variants:
        np.testing.assert_array_equal(ours.find_label_issues(variant, pred_probs), expected)


# ---------------------------------------------------------------------------------------
# count with multi_label=True
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["plain", "ties", "float32", "missing_class", "k100"])
def test_count_parity(case):
    n_classes = 100 if case == "k100" else 5
    labels, pred_probs = make_multilabel(
        600 if case == "k100" else 400,
        n_classes,
        seed=12,
        levels=10 if case == "ties" else None,
        dtype=np.float32 if case == "float32" else np.float64,
        missing_class=3 if case == "missing_class" else None,
    )
    np.testing.assert_array_equal(
        our_count.get_confident_thresholds(labels, pred_probs, multi_label=True),
        ref_count.get_confident_thresholds(labels, pred_probs, multi_label=True),
    )
    for calibrate in (True, False):
        expected, expected_indices = ref_count.compute_confident_joint(
            labels,
            pred_probs,
            multi_label=True,
            calibrate=calibrate,
            return_indices_of_off_diagonals=True,
        )
        got, got_indices = our_count.compute_confident_joint(
            labels,
            pred_probs,
            multi_label=True,
            calibrate=calibrate,
            return_indices_of_off_diagonals=True,
        )
        assert got.dtype == expected.dtype and got.shape == (n_classes, 2, 2)
        np.testing.assert_array_equal(got, expected)
        assert len(got_indices) == n_classes
        for expected_rows, got_rows in zip(expected_indices, got_indices, strict=True):
            np.testing.assert_array_equal(got_rows, expected_rows)
    uncalibrated = ref_count.compute_confident_joint(
        labels, pred_probs, multi_label=True, calibrate=False
    )
    np.testing.assert_array_equal(
        our_count.estimate_joint(labels, pred_probs, multi_label=True),
        ref_count.estimate_joint(labels, pred_probs, multi_label=True),
    )
    np.testing.assert_array_equal(
        our_count.estimate_joint(
            labels, pred_probs, confident_joint=uncalibrated, multi_label=True
        ),
        quiet(
            ref_count.estimate_joint,
            labels,
            pred_probs,
            confident_joint=uncalibrated,
            multi_label=True,
        ),
    )
    # pred_probs is not needed when the joint is given (the reference needs it for K only).
    np.testing.assert_array_equal(
        our_count.estimate_joint(labels, confident_joint=uncalibrated, multi_label=True),
        our_count.estimate_joint(
            labels, pred_probs, confident_joint=uncalibrated, multi_label=True
        ),
    )
    for method in ("off_diagonal", "off_diagonal_calibrated"):
        expected = quiet(
            ref_count.num_label_issues,
            labels,
            pred_probs,
            multi_label=True,
            estimation_method=method,
        )
        assert (
            our_count.num_label_issues(
                labels, pred_probs, multi_label=True, estimation_method=method
            )
            == expected
        )
    if case != "missing_class":  # the reference counts K from the classes present in labels
        np.testing.assert_array_equal(
            our_count.calibrate_confident_joint(uncalibrated, labels, multi_label=True),
            ref_count.calibrate_confident_joint(uncalibrated, labels, multi_label=True),
        )


def test_calibrate_with_a_missing_class_is_per_class_calibration():
    """The reference takes K from the distinct classes in labels, so a class never annotated
    shifts the others' joints; here class k's joint is calibrated to class k's counts."""
    labels, pred_probs = make_multilabel(300, 4, seed=13, missing_class=1)
    uncalibrated = our_count.compute_confident_joint(
        labels, pred_probs, multi_label=True, calibrate=False
    )
    got = our_count.calibrate_confident_joint(uncalibrated, labels, multi_label=True)
    for k, (binary_labels, _) in enumerate(_binary_problems(labels, pred_probs)):
        np.testing.assert_array_equal(
            got[k], our_count.calibrate_confident_joint(uncalibrated[k], binary_labels)
        )
        np.testing.assert_array_equal(got[k].sum(axis=1), np.bincount(binary_labels, minlength=2))


def test_thresholds_given():
    labels, pred_probs = make_multilabel(300, 4, seed=14)
    for thresholds in (
        np.array([0.7, 0.3]),
        np.array([0.7, 0.3], dtype=np.float32),
    ):  # the reference's (2,)
        np.testing.assert_array_equal(
            our_count.compute_confident_joint(
                labels, pred_probs, thresholds=thresholds, multi_label=True
            ),
            ref_count.compute_confident_joint(
                labels, pred_probs, thresholds=thresholds, multi_label=True
            ),
        )
    # (K, 2): one pair per class, as get_confident_thresholds returns them (the reference
    # cannot take this shape); each class then counts as its binary problem does.
    per_class = np.array([[0.6, 0.4], [0.5, 0.5], [0.8, 0.2], [0.9, 0.55]])
    got = our_count.compute_confident_joint(
        labels, pred_probs, thresholds=per_class, multi_label=True, calibrate=False
    )
    for k, (binary_labels, binary_probs) in enumerate(_binary_problems(labels, pred_probs)):
        expected = our_count.compute_confident_joint(
            binary_labels, binary_probs, thresholds=per_class[k], calibrate=False
        )
        np.testing.assert_array_equal(got[k], expected)
    default = our_count.get_confident_thresholds(labels, pred_probs, multi_label=True)
    np.testing.assert_array_equal(
        our_count.compute_confident_joint(labels, pred_probs, thresholds=default, multi_label=True),
        our_count.compute_confident_joint(labels, pred_probs, multi_label=True),
    )


def test_hand_computed_case():
    """Two classes, six examples. Class 0: annotated for examples 0-2, whose p are high
    except example 2 (p=0.1); example 3 is not annotated but p=0.95. Class 1: consistent."""
    labels = [[0], [0, 1], [0], [], [1], []]
    pred_probs = np.array([[0.9, 0.1], [0.8, 0.9], [0.1, 0.2], [0.95, 0.1], [0.2, 0.8], [0.1, 0.2]])
    # class 0 thresholds: mean(1 - p) over 3, 4, 5 = (0.05 + 0.8 + 0.9) / 3; mean(p) over 0-2 = 0.6
    thresholds = our_count.get_confident_thresholds(labels, pred_probs, multi_label=True)
    np.testing.assert_allclose(thresholds[0], [(0.05 + 0.8 + 0.9) / 3, 0.6])
    per_class = ours.find_multilabel_issues_per_class(
        labels, pred_probs, filter_by="confident_learning"
    )
    np.testing.assert_array_equal(np.flatnonzero(per_class[:, 0]), [2, 3])
    assert not per_class[:, 1].any()
    np.testing.assert_array_equal(
        ours.find_label_issues(labels, pred_probs, filter_by="confident_learning"),
        [False, False, True, True, False, False],
    )
    joint = our_count.compute_confident_joint(labels, pred_probs, multi_label=True, calibrate=False)
    # class 0: given in (0, 1 counted in; 2 counted out), given out (3 counted in; 4, 5 out)
    np.testing.assert_array_equal(joint[0], [[2, 1], [1, 2]])


# ---------------------------------------------------------------------------------------
# Signatures and bad input
# ---------------------------------------------------------------------------------------


def test_drop_in_signatures():
    _api.assert_drop_in_signatures(ours, ref, extra_allowed=())


@pytest.mark.parametrize(
    ("labels", "error", "match"),
    [
        (np.array([0, 1, 1]), TypeError, "list with one list of class indices"),
        (np.eye(3, dtype=int), TypeError, "flatnonzero"),
        ([0, 1, 1], TypeError, r"labels\[0\] is 0"),
        ([[0], [1, 5], []], ValueError, r"labels\[1\] = \[1, 5\] contains 5"),
        ([[0], [], [-1]], ValueError, r"labels\[2\]"),
        ([[0], ["a"], []], TypeError, r"labels\[1\]"),
        ([[0], [1.5], []], ValueError, r"labels\[1\]"),
        ([[0], [1, [2]], []], TypeError, r"labels\[1\]"),
        ([[0], None, []], TypeError, r"labels\[1\] is None"),
        ([], ValueError, "empty"),
    ],
)
def test_bad_labels(labels, error, match):
    with pytest.raises(error, match=match):
        ours.find_label_issues(labels, np.full((max(len(labels), 1), 3), 0.5))


@pytest.mark.parametrize(
    ("pred_probs", "match"),
    [
        (np.full((2, 3), 0.5), "2 rows but labels has 3"),
        (np.array([[0.5, np.nan, 0.1]] * 3), "finite"),
        (np.array([[0.5, 1.2, 0.1]] * 3), r"\[0, 1\]"),
        (np.full(3, 0.5), "2-D"),
    ],
)
def test_bad_pred_probs(pred_probs, match):
    with pytest.raises(ValueError, match=match):
        ours.find_label_issues([[0], [1], [2]], pred_probs)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"filter_by": "nope"}, ValueError, "filter_by"),
        ({"low_memory": True}, ValueError, "low_memory"),
        ({"frac_noise": 0}, ValueError, "frac_noise"),
        ({"return_indices_ranked_by": "x"}, ValueError, "return_indices_ranked_by"),
        (
            {"return_indices_ranked_by": "self_confidence", "rank_by_kwargs": {"foo": 1}},
            TypeError,
            "unknown keys",
        ),
        (
            {
                "return_indices_ranked_by": "confidence_weighted_entropy",
                "rank_by_kwargs": {"adjust_pred_probs": True},
            },
            ValueError,
            "not supported",
        ),
        ({"num_to_remove_per_class": [1, 2]}, ValueError, "one entry per class"),
        ({"num_to_remove_per_class": [1, 2, -1]}, ValueError, "non-negative"),
        (
            {"filter_by": "confident_learning", "num_to_remove_per_class": [1, 1, 1]},
            ValueError,
            "not supported",
        ),
        ({"confident_joint": np.ones((3, 2))}, ValueError, r"\(3, 2, 2\)"),
        ({"n_jobs": 0}, ValueError, "n_jobs"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    labels, pred_probs = make_multilabel(30, 3, seed=0)
    with pytest.raises(error, match=match):
        ours.find_label_issues(labels, pred_probs, **kwargs)


def test_bad_count_arguments():
    labels, pred_probs = make_multilabel(30, 3, seed=0)
    with pytest.raises(ValueError, match=r"\(3, 2\)"):
        our_count.compute_confident_joint(
            labels, pred_probs, thresholds=[0.5, 0.5, 0.5], multi_label=True
        )
    with pytest.raises(ValueError, match=r"\(K, 2, 2\)"):
        our_count.calibrate_confident_joint(np.ones((3, 3)), labels, multi_label=True)
    with pytest.raises(ValueError, match=r"contains 3"):
        our_count.calibrate_confident_joint(np.ones((3, 2, 2)), labels + [[3]], multi_label=True)
    with pytest.raises(TypeError, match="multi_label"):
        our_count.compute_confident_joint(labels, pred_probs, multi_label="yes")
    assert to_lists(np.array([[1, 0, 1], [0, 0, 0]])) == [[0, 2], []]


def test_results_do_not_depend_on_n_jobs(monkeypatch):
    from cleanlearn._core import validation

    monkeypatch.setattr(validation, "PER_CLASS_THREADS_MIN_SIZE", 0)  # threads even on small inputs
    labels, pred_probs = make_multilabel(300, 6, seed=15)
    for filter_by in FILTERS:
        serial = quiet(
            ours.find_multilabel_issues_per_class, labels, pred_probs, filter_by=filter_by
        )
        for n_jobs in (2, -1):
            threaded = quiet(
                ours.find_multilabel_issues_per_class,
                labels,
                pred_probs,
                filter_by=filter_by,
                n_jobs=n_jobs,
            )
            np.testing.assert_array_equal(threaded, serial, err_msg=f"{filter_by} n_jobs={n_jobs}")
        np.testing.assert_array_equal(
            quiet(ours.find_label_issues, labels, pred_probs, filter_by=filter_by, n_jobs=2),
            quiet(ours.find_label_issues, labels, pred_probs, filter_by=filter_by),
        )
