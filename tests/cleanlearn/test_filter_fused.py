"""The filters' fast paths at 1e6 x 100, on small inputs: the per-example quantities computed
in the confident joint's passes (RowQuantities), predicted_neq_given in the check's pass,
and prune_by_noise_rate's selection within bounds from group minima.

Each is compared with an independent recomputation (plain numpy on the whole array) or with
cleanlab 2.9.0's own helper, bit for bit, on continuous data and on tie-heavy data.
"""

from __future__ import annotations

import numpy as np
import pytest
from _data import make_pred_probs
from cleanlab import filter as ref_filter

import cleanlearn.filter as ours
from cleanlearn._core import blocks, selection, validation
from cleanlearn._core import confident_joint as joint_core
from cleanlearn._core.predicted import check_and_flag_predicted_neq_given

pytestmark = pytest.mark.filterwarnings("ignore:May not flag all label issues")

CASES = {
    "k40": (3000, 40, {"noise": 0.3}),
    "k40_ties": (3000, 40, {"noise": 0.3, "ties": True, "levels": 20}),
    "k12_float32": (2000, 12, {"noise": 0.4, "dtype": np.float32}),
    "k300": (900, 300, {"noise": 0.2}),
}


@pytest.fixture(params=sorted(CASES), scope="module")
def case(request):
    n, k, kwargs = CASES[request.param]
    return make_pred_probs(n, k, seed=sum(map(ord, request.param)), **kwargs)


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Threads from the smallest inputs on, and blocks of a few rows (ragged last blocks)."""
    monkeypatch.setattr(validation, "THREADED_MIN_ENTRIES", 0)
    monkeypatch.setattr(blocks, "CHUNK_ENTRIES", 70 * 13)


# ---------------------------------------------------------------------------------------
# RowQuantities: computed in the joint's passes, equal to their definitions
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_row_quantities_equal_their_definitions(case, tiny_blocks, n_jobs):
    labels, pred_probs = case
    n, k = pred_probs.shape
    rows = joint_core.RowQuantities(
        want_self_confidence=True, want_grouped=True, want_contested=True, want_normalized_margin=True
    )
    joint = joint_core.compute_confident_joint(labels, pred_probs, n_jobs=n_jobs, rows=rows)
    np.testing.assert_array_equal(joint, joint_core.compute_confident_joint(labels, pred_probs))

    self_confidence = pred_probs[np.arange(n), labels]
    others = pred_probs.copy()
    others[np.arange(n), labels] = -np.inf
    max_other = others.max(axis=1)
    order = np.argsort(labels, kind="stable")
    np.testing.assert_array_equal(rows.self_confidence, self_confidence)
    np.testing.assert_array_equal(rows.class_order, order)
    np.testing.assert_array_equal(rows.grouped_self_confidence, self_confidence[order])
    np.testing.assert_array_equal(rows.contested, max_other >= self_confidence)
    # bit for bit the score of rank (the reference's operations in its order)
    expected_margin = (self_confidence - max_other + 1) / 2
    np.testing.assert_array_equal(rows.normalized_margin, expected_margin)
    assert rows.normalized_margin.dtype == pred_probs.dtype
    assert rows.contested.any() and not rows.contested.all()


def test_few_classes_keep_only_the_contested_flags():
    """With few classes the per-example arrays would weigh as much as pred_probs: only the
    contested flags (one byte) come from the joint's pass; the filters compute the rest."""
    labels, pred_probs = make_pred_probs(500, 4, noise=0.3, seed=3)
    rows = joint_core.RowQuantities(
        want_self_confidence=True, want_grouped=True, want_contested=True, want_normalized_margin=True
    )
    joint_core.compute_confident_joint(labels, pred_probs, rows=rows)
    assert rows.contested is not None
    assert rows.self_confidence is None and rows.grouped_self_confidence is None and rows.normalized_margin is None


@pytest.mark.parametrize("filter_by", ["low_normalized_margin", "low_self_confidence"])
def test_lowest_score_filters_standalone_equal_fused(case, filter_by):
    """The low-score filters give the same mask whether their scores come from the joint's
    passes (find_label_issues) or are computed on their own (the helper called alone)."""
    labels, pred_probs = case
    fused = ours.find_label_issues(labels, pred_probs, filter_by=filter_by)
    alone = ours._OTHER_FILTER_FUNCTIONS[filter_by](labels, pred_probs)
    np.testing.assert_array_equal(fused, alone)
    np.testing.assert_array_equal(fused, ref_filter.find_label_issues(labels, pred_probs, filter_by=filter_by))


# ---------------------------------------------------------------------------------------
# predicted_neq_given in the check's pass
# ---------------------------------------------------------------------------------------


def reference_predicted_neq_given(labels, pred_probs):
    """cleanlab's filter: argmax != label, minus its post-filter (_reduce_issues)."""
    mask = ref_filter.find_predicted_neq_given(labels, pred_probs)
    mask[ref_filter._reduce_issues(pred_probs, labels)] = False
    return mask


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_predicted_neq_given_pass_matches_reference(case, tiny_blocks, n_jobs):
    labels, pred_probs = case
    _, _, mask = check_and_flag_predicted_neq_given(labels, pred_probs, n_jobs=n_jobs)
    np.testing.assert_array_equal(mask, reference_predicted_neq_given(labels, pred_probs))


def test_predicted_neq_given_post_filter_ties():
    """Rows whose boosted self-confidence p_y + 1e-6 equals the row maximum exactly: the
    post-filter then depends on the columns before the label (the rows read again)."""
    rows = []
    for label, other in [(0, 1), (1, 0), (2, 3), (3, 2), (1, 3)]:
        row = np.full(4, 0.15)
        row[label] = 0.35
        row[other] = row[label] + 1e-6  # == the label's boosted value, bit for bit: the maximum
        rows.append((label, row))
    labels = np.array([label for label, _ in rows] * 3)
    pred_probs = np.array([row for _, row in rows] * 3)
    _, _, mask = check_and_flag_predicted_neq_given(labels, pred_probs)
    np.testing.assert_array_equal(mask, reference_predicted_neq_given(labels, pred_probs))
    assert (pred_probs[np.arange(labels.size), labels] + 1e-6 == pred_probs.max(axis=1)).all()


@pytest.mark.parametrize(
    "pred_probs, match",
    [
        ([[0.5, 0.5], [np.nan, 1.0]], "finite; row 1"),
        ([[0.5, 0.5], [-0.1, 1.1]], "negative value"),
        ([[0.5, 0.5], [0.6, 0.4011]], "row 1 sums to"),
    ],
)
def test_fused_passes_raise_the_checks_errors(tiny_blocks, pred_probs, match):
    labels = [0, 1]
    pred_probs = np.array(pred_probs)
    with pytest.raises(ValueError, match=match):
        check_and_flag_predicted_neq_given(labels, pred_probs)
    for filter_by in ours.FILTERS:
        with pytest.raises(ValueError, match=match):
            ours.find_label_issues(labels, pred_probs, filter_by=filter_by)


def test_fused_passes_accept_rows_within_the_tolerance(tiny_blocks):
    """Rows summing to 1 +- 0.0009 pass (ROW_SUM_ATOL is 1e-3), as with the plain check."""
    labels = np.array([0, 1, 0])
    pred_probs = np.array([[0.6, 0.4009], [0.3, 0.6991], [0.9, 0.1]])
    validation.check_pred_probs(pred_probs)
    for filter_by in ours.FILTERS:
        ours.find_label_issues(labels, pred_probs, filter_by=filter_by)
    check_and_flag_predicted_neq_given(labels, pred_probs)


# ---------------------------------------------------------------------------------------
# prune_by_noise_rate: selection within bounds from group minima
# ---------------------------------------------------------------------------------------


def test_smallest_among_marked_is_argsort_prefix_per_column():
    """Decided columns take exactly argsort(column)[:count]; the others are reported."""
    rng = np.random.default_rng(0)
    for values in [rng.random((400, 30)), np.round(rng.random((400, 30)), 2)]:
        counts = rng.integers(0, 12, size=30)
        # each column's bound: its value of rank count + (-3..7): too few marked entries for some
        ranks = np.clip(counts + rng.integers(-3, 8, size=30), 0, 399)
        bounds = np.sort(values, axis=0)[ranks, np.arange(30)]
        marked = values <= bounds
        positions, columns = np.nonzero(marked)
        taken, undecided = selection.smallest_among_marked(values[positions, columns], columns, counts)
        for column in range(30):
            if counts[column] == 0:
                assert not taken[columns == column].any()
                continue
            expected = np.zeros(400, dtype=bool)
            expected[np.argsort(values[:, column])[: counts[column]]] = True
            at_or_below = values[:, column] <= np.sort(values[:, column])[counts[column] - 1]
            decidable = marked[:, column].sum() >= counts[column] and at_or_below.sum() == counts[column]
            assert (column not in undecided) == decidable, column
            if decidable:
                got = np.zeros(400, dtype=bool)
                got[positions[taken & (columns == column)]] = True
                np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("n_classes, levels", [(30, None), (30, 40), (100, None), (100, 25)])
def test_group_bounds_selection_matches_reference_helper(monkeypatch, n_classes, levels):
    """Against cleanlab.filter._prune_by_count on one class's rows; the group-bounds path
    is taken (with ties it may give up, too many entries within the bounds, or leave tied
    columns to the exact selection over all rows)."""
    calls = {"group_bounds": 0, "decided": 0}
    original = ours._select_within_group_bounds

    def counting(*args):
        calls["group_bounds"] += 1
        result = original(*args)
        calls["decided"] += result is not None
        return result

    monkeypatch.setattr(ours, "_select_within_group_bounds", counting)
    labels, pred_probs = make_pred_probs(
        6000, n_classes, noise=0.5, seed=n_classes, ties=levels is not None, levels=levels or 100
    )
    rng = np.random.default_rng(n_classes)
    for k in range(0, n_classes, 7):
        rows = np.flatnonzero(labels == k)
        class_probs = pred_probs[rows]
        counts = rng.integers(0, 6, size=n_classes)
        expected = ref_filter._prune_by_count([k, 1, [class_probs, counts]])
        max_other = np.delete(class_probs, k, axis=1).max(axis=1)
        got = ours._flag_by_noise_rate(pred_probs, rows, max_other >= class_probs[:, k], counts, k)
        np.testing.assert_array_equal(got, expected, err_msg=f"k={k} counts={counts}")
    assert calls["group_bounds"] > 0, calls
    if levels is None:  # continuous: the bounds decide (with heavy ties they may mark too much)
        assert calls["decided"] > 0, calls


def test_group_bounds_fall_back_when_too_many_entries_tie(monkeypatch):
    """All margins tied: the bounds mark every entry, so the selection goes back to the
    per-column partition (and, the ties at the cutoffs, to argsort over all rows)."""
    n_classes = 20
    pred_probs = np.full((400, n_classes), 1 / n_classes)
    labels = np.arange(400) % n_classes
    rows = np.flatnonzero(labels == 3)
    counts = np.ones(n_classes, dtype=int)
    got = ours._flag_by_noise_rate(pred_probs, rows, np.ones(rows.size, dtype=bool), counts, 3)
    expected = ref_filter._prune_by_count([3, 1, [pred_probs[rows], counts]])
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("filter_by", ours.FILTERS)
def test_every_filter_matches_reference_with_many_classes(filter_by):
    """End to end where the fast paths apply (K > 8, many contested rows per class)."""
    labels, pred_probs = make_pred_probs(8000, 50, noise=0.3, seed=31)
    np.testing.assert_array_equal(
        ours.find_label_issues(labels, pred_probs, filter_by=filter_by),
        ref_filter.find_label_issues(labels, pred_probs, filter_by=filter_by),
    )
    for rank_by in ["self_confidence", "normalized_margin"]:
        np.testing.assert_array_equal(
            ours.find_label_issues(labels, pred_probs, filter_by=filter_by, return_indices_ranked_by=rank_by),
            ref_filter.find_label_issues(labels, pred_probs, filter_by=filter_by, return_indices_ranked_by=rank_by),
        )
