"""cleanlearn.rank against cleanlab 2.9.0 (the reference) on many shapes, plus input checks."""

from __future__ import annotations

import numpy as np
import pytest
from _api import assert_drop_in_signatures
from _data import BAD_LABELS_AND_PRED_PROBS, GOOD_LABELS, GOOD_PROBS, make_pred_probs
from cleanlab import rank as ref_rank

from cleanlearn import rank

CASES = {
    "n20_k2": (20, 2, {"noise": 0.1}),
    "n300_k3_heavy_noise": (300, 3, {"noise": 0.6}),
    "n1000_k10": (1000, 10, {"noise": 0.2}),
    "n2000_k10_ties_2dec": (2000, 10, {"ties": True, "levels": 100}),
    "n600_k10_ties_1dec": (600, 10, {"ties": True, "levels": 10}),
    "n3000_k100": (3000, 100, {"noise": 0.3}),
    "n2000_k100_ties": (2000, 100, {"ties": True, "levels": 100}),
    "n20000_k3": (20000, 3, {"noise": 0.2, "imbalance": 0.7}),
    "n5000_k2_ties_float32": (5000, 2, {"ties": True, "levels": 100, "dtype": np.float32}),
    "n1000_k10_float32": (1000, 10, {"dtype": np.float32}),
    "n400_k5_rare_class": (400, 5, {"rare_class": 2, "rare_count": 1}),
    "n500_k6_never_predicted": (500, 6, {"never_predicted": 1}),
}
METHODS = ["self_confidence", "normalized_margin", "confidence_weighted_entropy"]


def test_public_api_is_a_drop_in_for_the_reference():
    assert_drop_in_signatures(rank, ref_rank)


@pytest.fixture(params=sorted(CASES), scope="module")
def case(request):
    n, k, kwargs = CASES[request.param]
    return make_pred_probs(n, k, seed=sum(map(ord, request.param)), **kwargs)


# adjust_pred_probs is not available with confidence_weighted_entropy (tested below).
METHOD_ADJUST = [(method, False) for method in METHODS] + [("self_confidence", True), ("normalized_margin", True)]


@pytest.mark.parametrize("method, adjust", METHOD_ADJUST)
def test_label_quality_scores_match_reference(case, method, adjust):
    labels, pred_probs = case
    expected = ref_rank.get_label_quality_scores(labels, pred_probs, method=method, adjust_pred_probs=adjust)
    actual = rank.get_label_quality_scores(labels, pred_probs, method=method, adjust_pred_probs=adjust)
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-9)


def test_per_label_score_functions_match_reference(case):
    labels, pred_probs = case
    for name in (
        "get_self_confidence_for_each_label",
        "get_normalized_margin_for_each_label",
        "get_confidence_weighted_entropy_for_each_label",
    ):
        expected = getattr(ref_rank, name)(labels, pred_probs)
        np.testing.assert_allclose(getattr(rank, name)(labels, pred_probs), expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("rank_by, adjust", METHOD_ADJUST)
def test_order_label_issues_matches_reference(case, rank_by, adjust):
    """Same indices in the same order, including the order among tied scores."""
    labels, pred_probs = case
    rank_by_kwargs = {"adjust_pred_probs": True} if adjust else None
    rng = np.random.default_rng(len(labels))
    mask = rng.random(len(labels)) < 0.4
    expected = ref_rank.order_label_issues(mask, labels, pred_probs, rank_by=rank_by, rank_by_kwargs=rank_by_kwargs or {})
    actual = rank.order_label_issues(mask, labels, pred_probs, rank_by=rank_by, rank_by_kwargs=rank_by_kwargs)
    assert np.array_equal(actual, expected)


def test_find_top_issues_matches_reference(case):
    labels, pred_probs = case
    scores = ref_rank.get_label_quality_scores(labels, pred_probs)
    for top in (0, 1, 10, len(labels) + 5, None):
        assert np.array_equal(rank.find_top_issues(scores, top=top), ref_rank.find_top_issues(scores, top=top))


def test_scores_hand_computed():
    labels = np.array([0, 1, 2])
    pred_probs = np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.0, 0.0, 1.0]])
    assert np.allclose(rank.get_label_quality_scores(labels, pred_probs), [0.7, 0.3, 1.0])
    margin = rank.get_label_quality_scores(labels, pred_probs, method="normalized_margin")
    assert np.allclose(margin, [(0.7 - 0.2 + 1) / 2, (0.3 - 0.5 + 1) / 2, 1.0])
    entropy = rank.get_label_quality_scores(labels, pred_probs, method="confidence_weighted_entropy")
    s = -(0.7 * np.log(0.7) + 0.2 * np.log(0.2) + 0.1 * np.log(0.1)) / np.log(3) / 0.7
    assert np.isclose(entropy[0], np.log(s + 1) / s)
    # a certain, correct prediction has entropy 0: score log(1) / 1e-6 = 0
    assert entropy[2] == 0.0
    # lowest quality first
    assert np.array_equal(rank.order_label_issues(np.array([True, True, True]), labels, pred_probs), [1, 0, 2])


def test_normalized_margin_with_row_ties():
    """The label's own value may equal the best other class; the margin is then 0.5."""
    labels = np.array([0, 1, 2, 1])
    pred_probs = np.array([[0.4, 0.4, 0.2], [0.4, 0.4, 0.2], [0.25, 0.25, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    expected = ref_rank.get_normalized_margin_for_each_label(labels, pred_probs)
    actual = rank.get_normalized_margin_for_each_label(labels, pred_probs)
    assert np.array_equal(actual, expected)
    assert np.allclose(actual, [0.5, 0.5, 0.625, 0.5])


def test_inputs_are_not_mutated(case):
    labels, pred_probs = case
    pred_probs_copy = pred_probs.copy()
    for method in METHODS:
        rank.get_label_quality_scores(labels, pred_probs, method=method)
    rank.get_label_quality_scores(labels, pred_probs, adjust_pred_probs=True)
    assert np.array_equal(pred_probs, pred_probs_copy)


@pytest.mark.parametrize("labels, pred_probs, error, match", BAD_LABELS_AND_PRED_PROBS)
def test_bad_inputs_are_rejected(labels, pred_probs, error, match):
    for method in METHODS:
        with pytest.raises(error, match=match):
            rank.get_label_quality_scores(labels, pred_probs, method=method)
    with pytest.raises(error, match=match):
        rank.get_normalized_margin_for_each_label(labels, pred_probs)
    with pytest.raises(error, match=match):
        rank.order_label_issues(np.ones(6, dtype=bool), labels, pred_probs)


def test_bad_options_are_rejected():
    with pytest.raises(ValueError, match="'method' parameter of get_label_quality_scores must be one of"):
        rank.get_label_quality_scores(GOOD_LABELS, GOOD_PROBS, method="margin")
    with pytest.raises(ValueError, match="adjust_pred_probs=True is not supported"):
        rank.get_label_quality_scores(GOOD_LABELS, GOOD_PROBS, method="confidence_weighted_entropy", adjust_pred_probs=True)
    with pytest.raises(TypeError, match="adjust_pred_probs"):
        rank.get_label_quality_scores(GOOD_LABELS, GOOD_PROBS, adjust_pred_probs="yes")
    with pytest.raises(ValueError, match="'rank_by' parameter of order_label_issues"):
        rank.order_label_issues(np.ones(6, dtype=bool), GOOD_LABELS, GOOD_PROBS, rank_by="entropy")
    with pytest.raises(TypeError, match="unknown keys"):
        rank.order_label_issues(np.ones(6, dtype=bool), GOOD_LABELS, GOOD_PROBS, rank_by_kwargs={"method": "x"})
    with pytest.raises(ValueError, match="label_issues_mask must be a boolean array of shape"):
        rank.order_label_issues(np.array([0, 2]), GOOD_LABELS, GOOD_PROBS)
    with pytest.raises(ValueError, match="'top' parameter of find_top_issues"):
        rank.find_top_issues(np.array([0.1, 0.2]), top=-1)


@pytest.mark.parametrize("weighting", ["uniform", "accuracy", "log_loss_search", "custom"])
@pytest.mark.parametrize("method", METHODS)
def test_ensemble_scores_match_reference(method, weighting):
    labels, pred_probs = make_pred_probs(400, 4, noise=0.2, seed=21)
    members = [pred_probs] + [make_pred_probs(400, 4, noise=0.2, seed=s)[1] for s in (22, 23)]
    kwargs = {"method": method, "weight_ensemble_members_by": weighting}
    if weighting == "custom":
        kwargs["custom_weights"] = np.array([0.5, 0.3, 0.2])
    expected = ref_rank.get_label_quality_ensemble_scores(labels, members, verbose=False, **kwargs)
    actual = rank.get_label_quality_ensemble_scores(labels, members, verbose=False, **kwargs)
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-9)


def test_ensemble_bad_inputs():
    members = [GOOD_PROBS, GOOD_PROBS]
    with pytest.raises(TypeError, match="pred_probs_list must be a list"):
        rank.get_label_quality_ensemble_scores(GOOD_LABELS, GOOD_PROBS)
    with pytest.raises(ValueError, match="pred_probs_list is empty"):
        rank.get_label_quality_ensemble_scores(GOOD_LABELS, [])
    with pytest.raises(ValueError, match="'weight_ensemble_members_by' parameter"):
        rank.get_label_quality_ensemble_scores(GOOD_LABELS, members, weight_ensemble_members_by="vote")
    with pytest.raises(ValueError, match="set weight_ensemble_members_by='custom'"):
        rank.get_label_quality_ensemble_scores(GOOD_LABELS, members, custom_weights=[1, 1])
    with pytest.raises(ValueError, match=r"one weight per model, shape \(2,\)"):
        rank.get_label_quality_ensemble_scores(
            GOOD_LABELS, members, weight_ensemble_members_by="custom", custom_weights=[1, 1, 1]
        )
    with pytest.warns(UserWarning, match="only has one element"):
        rank.get_label_quality_ensemble_scores(GOOD_LABELS, [GOOD_PROBS], verbose=False)
