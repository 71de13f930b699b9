"""pred_probs out of core: a memory-mapped .npy, an np.memmap or a Zarr array gives the same
masks, ranked indices, confident joints, noise estimates and scores, bit for bit, as the
in-memory array and as cleanlab 2.9.0, with every block size (tiny blocks here, so that every
block boundary, column group and thread range is crossed); the memory the library
allocates stays within a per-example bound whatever the number of classes; and the passes
over pred_probs are those the docstrings state (counted by an ndarray subclass).
"""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest
import zarr  # the [zarr] extra: installed in CI, so this test never skips
from _data import make_classification_data, make_pred_probs
from sklearn.linear_model import LogisticRegression

import cleanlearn._core.blocks as blocks
import cleanlearn._core.validation as validation
import cleanlearn.count as count
import cleanlearn.filter as label_filter
import cleanlearn.rank as rank
from cleanlearn import CleanLearning

ref_filter = pytest.importorskip("cleanlab.filter")
ref_count = pytest.importorskip("cleanlab.count")
ref_rank = pytest.importorskip("cleanlab.rank")

FILTERS = list(label_filter.FILTERS)
RANKINGS = [None, "self_confidence", "normalized_margin", "confidence_weighted_entropy"]


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Every block-wise pass reads a few rows at a time; margins in groups of few columns."""
    monkeypatch.setattr(blocks, "BLOCK_ENTRIES", 97)
    monkeypatch.setattr(blocks, "SPOOL_ENTRIES", 53)
    monkeypatch.setattr(blocks, "CHUNK_ENTRIES", 29)
    monkeypatch.setattr(label_filter, "_CONTESTED_BLOCK_ENTRIES", 31)
    monkeypatch.setattr(label_filter, "_POST_FILTER_BLOCK_ENTRIES", 41)
    monkeypatch.setattr(label_filter, "_MARGIN_BUDGET_ENTRIES", 97)
    monkeypatch.setattr(validation, "_CHECK_BLOCK_ENTRIES", 23)
    monkeypatch.setattr(validation, "THREADED_MIN_ENTRIES", 1000)  # threads on small arrays too


def on_disk(tmp_path, labels, pred_probs, kind):
    """(labels, pred_probs) as ``kind``: "npy" (np.load mmap_mode="r", labels too),
    "memmap" (np.memmap) or "zarr" (a zarr array in a directory store, small chunks)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    if kind == "npy":
        np.save(tmp_path / "pred_probs.npy", pred_probs)
        np.save(tmp_path / "labels.npy", labels)
        return np.load(tmp_path / "labels.npy", mmap_mode="r"), np.load(tmp_path / "pred_probs.npy", mmap_mode="r")
    if kind == "memmap":
        mapped = np.memmap(tmp_path / "pred_probs.bin", dtype=pred_probs.dtype, mode="w+", shape=pred_probs.shape)
        mapped[:] = pred_probs
        mapped.flush()
        del mapped
        return labels, np.memmap(tmp_path / "pred_probs.bin", dtype=pred_probs.dtype, mode="r", shape=pred_probs.shape)
    array = zarr.open_array(
        str(tmp_path / "pred_probs.zarr"), mode="w", shape=pred_probs.shape, chunks=(64, pred_probs.shape[1]),
        dtype=pred_probs.dtype,
    )
    array[:] = pred_probs
    return labels, zarr.open_array(str(tmp_path / "pred_probs.zarr"), mode="r")


def quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


CASES = [  # (n, K, options of make_pred_probs)
    (700, 3, {"noise": 0.3, "ties": True, "levels": 20}),
    (900, 12, {"noise": 0.4, "imbalance": 0.3}),
    (800, 40, {"noise": 0.3, "ties": True, "levels": 50}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_find_label_issues_bit_identical_out_of_core(tmp_path, tiny_blocks, case, dtype):
    n, n_classes, options = CASES[case]
    labels, pred_probs = make_pred_probs(n, n_classes, seed=case, dtype=dtype, **options)
    # every filter, each with a ranking (all rankings and None covered), and the options
    option_sets = [
        {"filter_by": filter_by, "return_indices_ranked_by": RANKINGS[(i + case) % len(RANKINGS)]}
        for i, filter_by in enumerate(FILTERS)
    ]
    option_sets += [
        {"frac_noise": 0.5},
        {"filter_by": "both", "min_examples_per_class": 30},
        {"num_to_remove_per_class": list(range(n_classes))},
        {"return_indices_ranked_by": "self_confidence", "rank_by_kwargs": {"adjust_pred_probs": True}},
        {"n_jobs": 2, "filter_by": "both"},
    ]
    expected = [quiet(ref_filter.find_label_issues, labels, pred_probs, **{"n_jobs": 1, **o}) for o in option_sets]
    for kind in ["npy", "memmap", "zarr"]:
        mapped_labels, mapped = on_disk(tmp_path / kind, labels, pred_probs, kind)
        for options, reference in zip(option_sets, expected, strict=True):
            got = quiet(label_filter.find_label_issues, mapped_labels, mapped, **options)
            np.testing.assert_array_equal(got, reference, err_msg=f"{kind} {options}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["npy", "zarr"])
def test_count_and_rank_bit_identical_out_of_core(tmp_path, tiny_blocks, kind, dtype):
    labels, pred_probs = make_pred_probs(1000, 15, noise=0.35, seed=7, dtype=dtype, ties=True, levels=40)
    mapped_labels, mapped = on_disk(tmp_path, labels, pred_probs, kind)
    for calibrate in (True, False):
        np.testing.assert_array_equal(
            count.compute_confident_joint(mapped_labels, mapped, calibrate=calibrate),
            ref_count.compute_confident_joint(labels, pred_probs, calibrate=calibrate),
        )
    ours_estimates = count.estimate_py_and_noise_matrices_from_probabilities(mapped_labels, mapped)
    reference_estimates = quiet(ref_count.estimate_py_and_noise_matrices_from_probabilities, labels, pred_probs)
    for got, expected in zip(ours_estimates, reference_estimates, strict=True):
        np.testing.assert_array_equal(got, expected)
    for method in ["self_confidence", "normalized_margin", "confidence_weighted_entropy"]:
        for adjust in [False, True] if method != "confidence_weighted_entropy" else [False]:
            got = rank.get_label_quality_scores(mapped_labels, mapped, method=method, adjust_pred_probs=adjust)
            expected = ref_rank.get_label_quality_scores(labels, pred_probs, method=method, adjust_pred_probs=adjust)
            assert got.dtype == expected.dtype, (method, adjust)
            np.testing.assert_array_equal(got, expected, err_msg=f"{method} adjust={adjust}")


@pytest.mark.parametrize("low_memory", [False, True])
def test_cleanlearning_with_memory_mapped_pred_probs(tmp_path, tiny_blocks, low_memory):
    X, labels = make_classification_data(400, 4, noise=0.2, seed=3)
    pred_probs = count.estimate_cv_predicted_probabilities(X, labels, LogisticRegression(), seed=0)
    mapped_labels, mapped = on_disk(tmp_path, labels, pred_probs.astype(np.float32), "npy")
    in_memory = CleanLearning(seed=0).find_label_issues(labels=labels, pred_probs=pred_probs.astype(np.float32))
    got = CleanLearning(seed=0, low_memory=low_memory).find_label_issues(labels=mapped_labels, pred_probs=mapped)
    for column in ["is_label_issue", "label_quality", "given_label", "predicted_label"]:
        np.testing.assert_array_equal(got[column].to_numpy(), in_memory[column].to_numpy(), err_msg=column)
    fitted = CleanLearning(seed=0, low_memory=low_memory).fit(X, mapped_labels, pred_probs=mapped)
    reference = CleanLearning(seed=0).fit(X, labels, pred_probs=pred_probs.astype(np.float32))
    np.testing.assert_array_equal(fitted.label_issues_df_["is_label_issue"], reference.label_issues_df_["is_label_issue"])
    np.testing.assert_array_equal(fitted.predict_proba(X), reference.predict_proba(X))


def test_zarr_pred_probs_errors_name_the_argument(tmp_path):
    labels, pred_probs = make_pred_probs(50, 3, seed=1)
    _, mapped = on_disk(tmp_path, labels, pred_probs * 2, "zarr")
    with pytest.raises(ValueError, match="pred_probs rows must sum to 1"):
        label_filter.find_label_issues(labels, mapped)
    flat = zarr.open_array(str(tmp_path / "flat.zarr"), mode="w", shape=(50,), dtype="f8")
    with pytest.raises(ValueError, match="pred_probs must be a 2-D array"):
        label_filter.find_label_issues(labels, flat)


# ---------------------------------------------------------------------------------------
# Memory: the library's own allocations (tracemalloc) per example, whatever K
# ---------------------------------------------------------------------------------------

BYTES_PER_EXAMPLE = 24
# With the blocks below, what the passes allocate whatever N is (the 64 MB of the default
# block sizes, scaled down with them).
FIXED_ALLOWANCE = 2 << 20


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(blocks, "BLOCK_ENTRIES", 1 << 12)
    monkeypatch.setattr(blocks, "SPOOL_ENTRIES", 1 << 14)
    monkeypatch.setattr(blocks, "CHUNK_ENTRIES", 1 << 12)
    monkeypatch.setattr(label_filter, "_CONTESTED_BLOCK_ENTRIES", 1 << 12)
    monkeypatch.setattr(label_filter, "_POST_FILTER_BLOCK_ENTRIES", 1 << 12)
    monkeypatch.setattr(label_filter, "_MARGIN_BUDGET_ENTRIES", 1 << 15)
    monkeypatch.setattr(validation, "_CHECK_BLOCK_ENTRIES", 1 << 12)


@pytest.mark.slow
@pytest.mark.parametrize(
    "n_classes, dtype, options",
    [
        (3, np.float32, {}),
        (3, np.float64, {}),
        (50, np.float32, {}),
        (50, np.float64, {}),
        (3, np.float64, {"imbalance": 3.0, "ties": True, "levels": 20}),  # one class: 67% of the rows
    ],
    ids=["3-float32", "3-float64", "50-float32", "50-float64", "3-float64-imbalanced-ties"],
)
def test_peak_memory_per_example_on_a_memory_map(tmp_path, small_blocks, n_classes, dtype, options):
    n = 150_000 if n_classes == 3 else 40_000
    labels, pred_probs = make_pred_probs(n, n_classes, noise=0.3, seed=11, dtype=dtype, **options)
    mapped_labels, mapped = on_disk(tmp_path, labels, pred_probs, "npy")
    del pred_probs
    quiet(label_filter.find_label_issues, mapped_labels, mapped)  # one-time allocations (imports, caches)
    bound = BYTES_PER_EXAMPLE * n + FIXED_ALLOWANCE
    for i, filter_by in enumerate(FILTERS):
        ranked = "normalized_margin" if i % 2 else None
        tracemalloc.start()
        try:
            quiet(label_filter.find_label_issues, mapped_labels, mapped, filter_by=filter_by, return_indices_ranked_by=ranked)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak <= bound, (filter_by, ranked, round(peak / n, 1), "bytes per example")


def test_noise_rate_selection_in_a_class_without_contested_rows():
    """A class none of whose rows is contested, asked to flag some: every count is then
    selected over all rows of the class (the reference's helper on the same rows)."""
    pred_probs = np.array([[0.9, 0.1]] * 5 + [[0.2, 0.8]] * 5 + [[0.45, 0.55]] * 2)
    labels = np.array([0] * 5 + [1] * 7)
    rows = np.flatnonzero(labels == 1)
    counts = np.array([2, 0])
    got = label_filter._flag_by_noise_rate(pred_probs, rows, np.zeros(rows.size, dtype=bool), counts, 1)
    np.testing.assert_array_equal(got, ref_filter._prune_by_count([1, 1, [pred_probs[rows], counts]]))
    assert got.sum() == 2


# ---------------------------------------------------------------------------------------
# Passes over pred_probs, as stated in find_label_issues' docstring
# ---------------------------------------------------------------------------------------


class CountingArray(np.ndarray):
    """pred_probs that counts how it is read: rows read by slices (sequential passes), rows
    read by index arrays (gathers), and whole-array operations (each a pass too). What it
    hands out (blocks, gathered rows) are plain arrays, so only reads of it are counted."""

    def __array_finalize__(self, obj):
        self.log = getattr(obj, "log", None)

    def __getitem__(self, key):
        result = super().__getitem__(key)
        rows = key[0] if isinstance(key, tuple) else key
        if isinstance(rows, slice):
            self.log["sliced"] += len(range(*rows.indices(self.shape[0])))
        elif isinstance(rows, np.ndarray | list):
            self.log["gathered"] += np.size(rows) if not isinstance(key, tuple) or np.ndim(rows) else 0
        else:
            self.log["other"] += 1
        return result.view(np.ndarray) if isinstance(result, np.ndarray) else result

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        self.log["whole"] += 1
        inputs = [x.view(np.ndarray) if isinstance(x, CountingArray) else x for x in inputs]
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        self.log["whole"] += 1
        args = [x.view(np.ndarray) if isinstance(x, CountingArray) else x for x in args]
        return func(*args, **kwargs)


@pytest.mark.parametrize(
    "filter_by, passes",
    [("prune_by_noise_rate", 2), ("prune_by_class", 2), ("both", 2), ("confident_learning", 2),
     ("predicted_neq_given", 1), ("low_normalized_margin", 2), ("low_self_confidence", 2)],
)
def test_passes_over_pred_probs_are_as_documented(monkeypatch, filter_by, passes):
    monkeypatch.setattr(validation, "THREADED_MIN_ENTRIES", 1)  # the block-wise check, as on large inputs
    # (12 classes: more than MASKED_GROUPING_MAX_CLASSES, so the joint's passes keep the
    # self-confidences, their grouping by class and the scores for the filters)
    labels, pred_probs = make_pred_probs(3000, 12, noise=0.3, seed=21)
    counting = pred_probs.view(CountingArray)
    counting.log = {"sliced": 0, "gathered": 0, "whole": 0, "other": 0}
    got = quiet(label_filter.find_label_issues, labels, counting, filter_by=filter_by)
    np.testing.assert_array_equal(got, quiet(label_filter.find_label_issues, labels, pred_probs, filter_by=filter_by))
    log = counting.log
    assert log["whole"] == 0 and log["other"] == 0, log  # never read whole, only by rows
    assert log["sliced"] == passes * labels.size, (log["sliced"] / labels.size, log)
    # the rows read out of order: flagged and contested rows (a few times each), not passes
    assert log["gathered"] <= 3 * labels.size, log


@pytest.mark.parametrize(
    "filter_by, passes",
    [("prune_by_noise_rate", 2), ("prune_by_class", 3), ("both", 3), ("confident_learning", 2),
     ("predicted_neq_given", 1), ("low_normalized_margin", 3), ("low_self_confidence", 3)],
)
def test_passes_with_few_classes(monkeypatch, filter_by, passes):
    """With few classes the self-confidences and scores are not held through the joint's
    pass (they would weigh as much as pred_probs): one more pass computes them."""
    monkeypatch.setattr(validation, "THREADED_MIN_ENTRIES", 1)
    labels, pred_probs = make_pred_probs(3000, 4, noise=0.3, seed=21)
    counting = pred_probs.view(CountingArray)
    counting.log = {"sliced": 0, "gathered": 0, "whole": 0, "other": 0}
    got = quiet(label_filter.find_label_issues, labels, counting, filter_by=filter_by)
    np.testing.assert_array_equal(got, quiet(label_filter.find_label_issues, labels, pred_probs, filter_by=filter_by))
    assert counting.log["sliced"] == passes * labels.size, (counting.log["sliced"] / labels.size, counting.log)


@pytest.mark.parametrize(
    "function, passes",
    [
        (lambda labels, p: count.compute_confident_joint(labels, p), 3),
        (lambda labels, p: count.estimate_py_and_noise_matrices_from_probabilities(labels, p), 3),
        (lambda labels, p: rank.get_label_quality_scores(labels, p, method="normalized_margin"), 2),
        (lambda labels, p: rank.get_label_quality_scores(labels, p, adjust_pred_probs=True), 3),
        (lambda labels, p: label_filter.find_label_issues(labels, p, confident_joint=np.eye(12) * 250), 2),
    ],
    ids=["compute_confident_joint", "estimate_py_and_noise_matrices", "scores", "adjusted_scores", "given_joint"],
)
def test_passes_of_count_and_rank_are_as_documented(monkeypatch, function, passes):
    monkeypatch.setattr(validation, "THREADED_MIN_ENTRIES", 1)
    labels, pred_probs = make_pred_probs(3000, 12, noise=0.3, seed=22)
    counting = pred_probs.view(CountingArray)
    counting.log = {"sliced": 0, "gathered": 0, "whole": 0, "other": 0}
    quiet(function, labels, counting)
    assert counting.log["whole"] == 0 and counting.log["other"] == 0, counting.log
    assert counting.log["sliced"] == passes * labels.size, counting.log["sliced"] / labels.size
