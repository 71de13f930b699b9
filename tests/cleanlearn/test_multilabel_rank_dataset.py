"""cleanlearn.multilabel_classification.rank and .dataset: identical to cleanlab 2.9.0."""

from __future__ import annotations

import contextlib
import io
import logging
import warnings

import _api
import numpy as np
import pandas as pd
import pytest
from _multilabel_data import make_multilabel

import cleanlearn.multilabel_classification as package
import cleanlearn.multilabel_classification.dataset as our_dataset
import cleanlearn.multilabel_classification.rank as our_rank
from cleanlearn import count as our_count
from cleanlearn import rank as single_label_rank

ref_rank = pytest.importorskip("cleanlab.multilabel_classification.rank")
ref_dataset = pytest.importorskip("cleanlab.multilabel_classification.dataset")
ref_count = pytest.importorskip("cleanlab.count")

METHODS = ["self_confidence", "normalized_margin", "confidence_weighted_entropy"]
AGGREGATORS = [
    {"method": "exponential_moving_average", "alpha": 0.8},
    {"method": "exponential_moving_average", "alpha": None},  # 2 / (K + 1)
    {"method": "exponential_moving_average", "alpha": 0.3},
    {"method": "softmin"},
    {"method": "softmin", "temperature": 0.5},
    {"method": np.min},
    {"method": np.mean},
    {},  # empty: the default
]


# ---------------------------------------------------------------------------------------
# rank
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 3, 10, 100])
@pytest.mark.parametrize("method", METHODS)
def test_scores_parity(n_classes, method):
    labels, pred_probs = make_multilabel(300, n_classes, seed=n_classes)
    for adjust in [False] if method == "confidence_weighted_entropy" else [False, True]:
        for aggregator_kwargs in AGGREGATORS:
            kwargs = {
                "method": method,
                "adjust_pred_probs": adjust,
                "aggregator_kwargs": aggregator_kwargs,
            }
            expected = ref_rank.get_label_quality_scores(labels, pred_probs, **kwargs)
            got = our_rank.get_label_quality_scores(labels, pred_probs, **kwargs)
            assert got.dtype == expected.dtype and got.shape == (300,)
            np.testing.assert_array_equal(got, expected, err_msg=str(kwargs))
        expected = ref_rank.get_label_quality_scores_per_class(
            labels, pred_probs, method=method, adjust_pred_probs=adjust
        )
        got = our_rank.get_label_quality_scores_per_class(
            labels, pred_probs, method=method, adjust_pred_probs=adjust
        )
        assert got.shape == (300, n_classes)
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("case", ["ties", "float32", "missing_class", "no_labels"])
def test_scores_parity_hard_inputs(case):
    labels, pred_probs = make_multilabel(
        300,
        5,
        seed=1,
        levels=10 if case == "ties" else None,
        dtype=np.float32 if case == "float32" else np.float64,
        missing_class=0 if case == "missing_class" else None,
    )
    if case == "no_labels":
        labels = [[] if i % 4 == 0 else row for i, row in enumerate(labels)]
    for method in METHODS:
        for adjust in [False] if method == "confidence_weighted_entropy" else [False, True]:
            for aggregator_kwargs in AGGREGATORS[:4]:
                kwargs = {
                    "method": method,
                    "adjust_pred_probs": adjust,
                    "aggregator_kwargs": aggregator_kwargs,
                }
                np.testing.assert_array_equal(
                    our_rank.get_label_quality_scores(labels, pred_probs, **kwargs),
                    ref_rank.get_label_quality_scores(labels, pred_probs, **kwargs),
                    err_msg=str(kwargs),
                )


def test_class_scores_are_the_single_label_scores_of_each_binary_problem():
    labels, pred_probs = make_multilabel(200, 4, seed=2)
    binary = np.zeros(pred_probs.shape, dtype=np.int64)
    for row, classes in enumerate(labels):
        binary[row, classes] = 1
    for method in ("self_confidence", "normalized_margin"):
        per_class = our_rank.get_label_quality_scores_per_class(
            labels, pred_probs, method=method, adjust_pred_probs=True
        )
        for k in range(4):
            two_columns = np.column_stack([1 - pred_probs[:, k], pred_probs[:, k]])
            expected = single_label_rank.get_label_quality_scores(
                binary[:, k], two_columns, method=method, adjust_pred_probs=True
            )
            np.testing.assert_allclose(per_class[:, k], expected, rtol=0, atol=1e-12)


def test_hand_computed_scores():
    # The reference's docstring example: per-class self-confidences [0.9, 0.9, 0.9] and
    # [0.4, 0.9, 0.9]; EMA(alpha 0.8) of the scores sorted descending.
    labels = [[1], [0, 2]]
    pred_probs = np.array([[0.1, 0.9, 0.1], [0.4, 0.1, 0.9]])
    scores = package.get_label_quality_scores(labels, pred_probs)
    second = 0.8 * 0.4 + 0.2 * (0.8 * 0.9 + 0.2 * 0.9)
    np.testing.assert_allclose(scores, [0.9, second])
    worst = our_rank.get_label_quality_scores(
        labels, pred_probs, aggregator_kwargs={"method": np.min}
    )
    np.testing.assert_allclose(worst, [0.9, 0.4])
    # Method names are looked up case-insensitively, as in the reference.
    np.testing.assert_array_equal(
        our_rank.get_label_quality_scores(labels, pred_probs, method="SELF_CONFIDENCE"), scores
    )


def test_default_aggregator_kwargs_is_read_only():
    default = our_rank.get_label_quality_scores.__kwdefaults__["aggregator_kwargs"]
    assert default == {"method": "exponential_moving_average", "alpha": 0.8}
    with pytest.raises(TypeError):
        default["alpha"] = 0.1


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "nope"}, ValueError, "'method' parameter"),
        (
            {"method": "confidence_weighted_entropy", "adjust_pred_probs": True},
            ValueError,
            "not supported",
        ),
        ({"aggregator_kwargs": {"method": "median"}}, ValueError, "softmin"),
        ({"aggregator_kwargs": {"method": 3}}, TypeError, "str or a callable"),
        ({"aggregator_kwargs": {"alpha": 0.5}}, TypeError, "'method'"),
        (
            {"aggregator_kwargs": {"method": "exponential_moving_average", "alpha": 2}},
            ValueError,
            "alpha",
        ),
        ({"aggregator_kwargs": [1]}, TypeError, "dict"),
    ],
)
def test_bad_rank_arguments(kwargs, error, match):
    labels, pred_probs = make_multilabel(30, 3, seed=0)
    with pytest.raises(error, match=match):
        our_rank.get_label_quality_scores(labels, pred_probs, **kwargs)


def test_drop_in_signatures(monkeypatch):
    # common_multilabel_issues' reference default labels=list (the type) is taken as None.
    monkeypatch.setattr(_api, "INTENDED_DEFAULTS", _api.INTENDED_DEFAULTS | {"labels"})
    _api.assert_drop_in_signatures(our_rank, ref_rank, extra_allowed=())
    _api.assert_drop_in_signatures(our_dataset, ref_dataset, extra_allowed=())
    import cleanlab.multilabel_classification as ref_package

    assert set(package.__all__) >= {name for name in dir(ref_package) if not name.startswith("_")}


# ---------------------------------------------------------------------------------------
# dataset
# ---------------------------------------------------------------------------------------


@pytest.fixture
def reference_in_one_process(monkeypatch):
    """The reference's dataset functions take no n_jobs and start a process pool per class
    (seconds per call); make its default n_jobs 1. Results do not depend on it."""
    import cleanlab.filter

    monkeypatch.setattr(cleanlab.filter, "psutil_exists", False)
    monkeypatch.setattr(cleanlab.filter.multiprocessing, "cpu_count", lambda: 1)


def _reference_summary(*args, **kwargs):
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return ref_dataset.multilabel_health_summary(*args, **kwargs)


@pytest.mark.usefixtures("reference_in_one_process")
@pytest.mark.parametrize("n_classes", [2, 5, 30])
@pytest.mark.parametrize("with_names", [False, True])
@pytest.mark.parametrize("with_joint", [False, True])
def test_dataset_parity(n_classes, with_names, with_joint):
    labels, pred_probs = make_multilabel(400, n_classes, seed=n_classes, noise=0.4)
    class_names = [f"class {k}" for k in range(n_classes)] if with_names else None
    joint = None
    if with_joint:
        joint = ref_count.compute_confident_joint(labels, pred_probs, multi_label=True)
        joint[:, 1, 0] += 5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pd.testing.assert_frame_equal(
            our_dataset.common_multilabel_issues(
                labels, pred_probs, class_names=class_names, confident_joint=joint
            ),
            ref_dataset.common_multilabel_issues(
                labels, pred_probs, class_names=class_names, confident_joint=joint
            ),
        )
        pd.testing.assert_frame_equal(
            our_dataset.rank_classes_by_multilabel_quality(
                labels, pred_probs, class_names=class_names, joint=joint
            ),
            ref_dataset.rank_classes_by_multilabel_quality(
                labels, pred_probs, class_names=class_names, joint=joint
            ),
        )
        assert our_dataset.overall_multilabel_health_score(
            labels, pred_probs, confident_joint=joint
        ) == ref_dataset.overall_multilabel_health_score(labels, pred_probs, confident_joint=joint)
        got = our_dataset.multilabel_health_summary(
            labels, pred_probs, class_names=class_names, confident_joint=joint, verbose=False
        )
    expected = _reference_summary(
        labels, pred_probs, class_names=class_names, confident_joint=joint
    )
    assert got.keys() == expected.keys()
    assert got["overall_multilabel_health_score"] == expected["overall_multilabel_health_score"]
    assert 0 < got["overall_multilabel_health_score"] < 1
    for key in ("classes_by_multilabel_quality", "common_multilabel_issues"):
        pd.testing.assert_frame_equal(got[key], expected[key])


def test_common_issues_recomputed_from_the_per_class_flags():
    labels, pred_probs = make_multilabel(300, 4, seed=3, noise=0.4)
    table = our_dataset.common_multilabel_issues(labels, pred_probs)
    per_class = package.filter.find_multilabel_issues_per_class(labels, pred_probs)
    annotated = np.zeros(pred_probs.shape, dtype=bool)
    for row, classes in enumerate(labels):
        annotated[row, classes] = True
    for _, row in table.iterrows():
        k = row["Class Index"]
        expected = np.count_nonzero(per_class[:, k] & (annotated[:, k] == row["In Given Label"]))
        assert (
            row["Num Examples"] == expected and row["In Suggested Label"] != row["In Given Label"]
        )
    assert table["Issue Probability"].is_monotonic_decreasing
    ranking = our_dataset.rank_classes_by_multilabel_quality(labels, pred_probs)
    np.testing.assert_allclose(ranking["Label Quality Score"], 1 - ranking["Label Noise"])
    assert ranking["Label Quality Score"].is_monotonic_increasing


def test_summary_logs_and_never_prints(capsys, caplog):
    labels, pred_probs = make_multilabel(200, 3, seed=4)
    with caplog.at_level(logging.INFO, logger="cleanlearn.multilabel_classification.dataset"):
        summary = our_dataset.multilabel_health_summary(labels, pred_probs)
    assert capsys.readouterr().out == ""
    text = caplog.text
    assert (
        "200 examples" in text
        and "Common multilabel issues" in text
        and "Label Quality Score" in text
    )
    caplog.clear()
    with caplog.at_level(logging.INFO):
        our_dataset.multilabel_health_summary(labels, pred_probs, verbose=False)
    assert caplog.text == ""
    assert set(summary) == {
        "overall_multilabel_health_score",
        "classes_by_multilabel_quality",
        "common_multilabel_issues",
    }


def test_dataset_bad_input():
    with pytest.raises(ValueError, match="labels is required"):
        our_dataset.common_multilabel_issues(None, np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match="labels is required"):
        our_dataset.overall_multilabel_health_score(None, np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match=r"contains 2"):
        our_dataset.common_multilabel_issues([[0], [2], []], np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match=r"\(2, 2, 2\)"):
        our_dataset.common_multilabel_issues(
            [[0], [1], []], np.full((3, 2), 0.5), confident_joint=np.ones((3, 2, 2))
        )
    # the count module's estimate_joint shapes agree with the confident joint's
    labels, pred_probs = make_multilabel(50, 3, seed=0)
    assert our_count.estimate_joint(labels, pred_probs, multi_label=True).shape == (3, 2, 2)
