"""The C kernel of the confident joint's pass (cleanlearn/_core/_joint_kernel.c) against the
numpy path it replaces, bit for bit, and against the definitions of what it computes.

The numpy path is what runs where the kernel is not built (no C compiler at install) or
pred_probs is neither float32 nor float64 in native byte order; each test computes the same
thing both ways (``numpy_path`` sets ``KERNEL`` to None) and compares every output.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from _data import make_pred_probs

import cleanlearn.filter as ours
from cleanlearn._core import blocks, kernel, validation
from cleanlearn._core import confident_joint as joint_core

pytestmark = pytest.mark.filterwarnings("ignore:May not flag all label issues")

# .ci/run installs a C compiler and sets this: there, a missing kernel is a failure, not a skip.
REQUIRED = os.environ.get("CLEANLEARN_REQUIRE_KERNEL") == "1"
needs_kernel = pytest.mark.skipif(
    kernel.KERNEL is None and not REQUIRED,
    reason="the C kernel is not built (no C compiler at install): the numpy path runs alone",
)


def test_kernel_is_built_where_required():
    if REQUIRED:
        assert kernel.KERNEL is not None, "CLEANLEARN_REQUIRE_KERNEL=1 but cleanlearn._core._joint_kernel is missing"
    else:
        pytest.skip("CLEANLEARN_REQUIRE_KERNEL is not set (it is in .ci/run)")


@pytest.fixture
def numpy_path(monkeypatch):
    """A function running its argument with the kernel switched off."""

    def run(function, *args, **kwargs):
        with monkeypatch.context() as patch:
            patch.setattr(kernel, "KERNEL", None)
            return function(*args, **kwargs)

    return run


CASES = {
    "k2": (3000, 2, {"noise": 0.3}),
    "k3_ties": (3000, 3, {"noise": 0.3, "ties": True, "levels": 10}),
    "k40": (3000, 40, {"noise": 0.3}),
    "k40_ties": (3000, 40, {"noise": 0.3, "ties": True, "levels": 20}),
    "k13_float32": (2000, 13, {"noise": 0.4, "dtype": np.float32}),
    "k13_float32_ties": (2000, 13, {"noise": 0.4, "dtype": np.float32, "ties": True, "levels": 8}),
    "k200": (1500, 200, {"noise": 0.2}),  # K * K >= 2**15: the guesses are intp, not int16
}


@pytest.fixture(params=sorted(CASES), scope="module")
def case(request):
    n, k, kwargs = CASES[request.param]
    return make_pred_probs(n, k, seed=sum(map(ord, request.param)), **kwargs)


@pytest.fixture
def small_blocks(monkeypatch):
    """Threads from the smallest inputs on, and blocks of a few rows (ragged last blocks)."""
    monkeypatch.setattr(validation, "THREADED_MIN_ENTRIES", 0)
    monkeypatch.setattr(blocks, "BLOCK_ENTRIES", 37 * 13)


def joint_pass(labels, pred_probs, n_jobs=1, **kwargs):
    rows = joint_core.RowQuantities(
        want_contested=True, want_normalized_margin=True, want_near_given=True, want_self_confidence=True
    )
    joint, off_diagonal = joint_core.check_and_compute_confident_joint(
        labels, pred_probs, return_indices_of_off_diagonals=True, calibrate=False, n_jobs=n_jobs, rows=rows, **kwargs
    )[2]
    return joint, off_diagonal, rows


def definitions(labels, pred_probs):
    """contested, normalized margin and the post-filter from their definitions, on the whole array."""
    n = labels.size
    given = pred_probs[np.arange(n), labels]
    others = pred_probs.copy()
    others[np.arange(n), labels] = -np.inf
    other_max = others.max(axis=1)
    margin = (given - other_max + 1) / 2
    onehot = np.zeros_like(pred_probs)
    onehot[np.arange(n), labels] = 1
    near_given = (pred_probs + 1e-6 * onehot).argmax(axis=1) == labels  # the reference's post-filter
    return other_max >= given, margin.astype(pred_probs.dtype), near_given


@needs_kernel
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_kernel_equals_numpy_path_and_definitions(case, small_blocks, numpy_path, n_jobs):
    labels, pred_probs = case
    joint, off_diagonal, rows = joint_pass(labels, pred_probs, n_jobs=n_jobs)
    numpy_joint, numpy_off_diagonal, numpy_rows = numpy_path(joint_pass, labels, pred_probs, n_jobs=n_jobs)
    np.testing.assert_array_equal(joint, numpy_joint)
    np.testing.assert_array_equal(off_diagonal, numpy_off_diagonal)
    assert off_diagonal.dtype == numpy_off_diagonal.dtype
    np.testing.assert_array_equal(rows.contested, numpy_rows.contested)
    contested, margin, near_given = definitions(labels, pred_probs)
    np.testing.assert_array_equal(rows.contested, contested)
    np.testing.assert_array_equal(rows.near_given, near_given)
    assert numpy_rows.near_given is None  # (the numpy path post-filters flagged rows instead)
    if pred_probs.shape[1] > joint_core.MASKED_GROUPING_MAX_CLASSES:
        assert rows.normalized_margin.tobytes() == numpy_rows.normalized_margin.tobytes()
        assert rows.normalized_margin.tobytes() == margin.tobytes()


@needs_kernel
@pytest.mark.parametrize("filter_by", ours.FILTERS)
def test_every_filter_is_the_same_with_and_without_the_kernel(case, filter_by, numpy_path):
    labels, pred_probs = case
    for ranked in (None, "normalized_margin"):
        found = ours.find_label_issues(labels, pred_probs, filter_by=filter_by, return_indices_ranked_by=ranked)
        expected = numpy_path(
            ours.find_label_issues, labels, pred_probs, filter_by=filter_by, return_indices_ranked_by=ranked
        )
        np.testing.assert_array_equal(found, expected)


@needs_kernel
def test_near_given_ties_hand_made():
    """b = p_y + 1e-6 equal to another entry: the label wins the argmax of the boosted row
    only if that entry comes after it (np.argmax takes the first maximum)."""
    b = np.float64(0.25) + 1e-6
    pred_probs = np.array(
        [
            [b, 0.25, 0.2, 0.15],  # y = 1: an earlier entry equals b -> not near
            [0.2, 0.25, b, 0.15],  # y = 1: a later entry equals b -> near
            [0.25, 0.5, 0.25, 0.0],  # y = 0: 0.25 + 1e-6 < 0.5 -> not near
            [0.5, 0.2, 0.2, 0.1],  # y = 0: the maximum -> near
        ]
    )
    pred_probs /= pred_probs.sum(axis=1, keepdims=True)
    pred_probs[0, 0] = pred_probs[0, 1] + 1e-6  # exact ties again after the normalisation
    pred_probs[1, 2] = pred_probs[1, 1] + 1e-6
    labels = np.array([1, 1, 0, 0])
    _, _, rows = joint_pass(labels, pred_probs)
    np.testing.assert_array_equal(rows.near_given, [False, True, False, True])
    np.testing.assert_array_equal(rows.near_given, joint_core.reduce_issues(pred_probs, labels))


@needs_kernel
@pytest.mark.parametrize(
    "pred_probs, match",
    [
        ([[0.5, 0.5], [np.nan, 1.0]], "finite; row 1"),
        ([[0.5, 0.5], [1.0, np.inf]], "finite; row 1"),
        ([[0.5, 0.5], [-0.1, 1.1]], "negative value"),
        ([[0.5, 0.5], [0.6, 0.4011]], "row 1 sums to"),
        ([[0.5, 0.5], [0.6, 0.3989]], "row 1 sums to"),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernel_pass_raises_the_checks_errors(pred_probs, match, dtype):
    pred_probs = np.array(pred_probs, dtype=dtype)
    assert kernel.uses_kernel(pred_probs)
    with pytest.raises(ValueError, match=match):
        joint_pass(np.array([0, 1]), pred_probs)


@needs_kernel
def test_float32_cutoffs_compare_as_float64():
    """A float32 entry just below a float64 cutoff that rounds up to it in float32 is not
    confident (numpy compares in float64; the kernel rounds each cutoff up to float32)."""
    low, high = np.float32(0.1), np.nextafter(np.float32(0.1), np.float32(1))
    cutoff = float(low) + 1e-12  # between two float32 values
    assert np.float64(low) < cutoff < np.float64(high)  # (in float64: a Python float meets a float32 in float32)
    pred_probs = np.array([[low, 1 - low], [high, 1 - high]], dtype=np.float32)
    thresholds = np.array([cutoff + 1e-6, 2.0])  # (the joint subtracts 1e-6)
    labels = np.array([1, 1])
    found = joint_core.compute_confident_joint(labels, pred_probs, thresholds=thresholds, calibrate=False)
    expected = joint_core.compute_confident_joint(
        labels, pred_probs.astype(np.float64), thresholds=thresholds, calibrate=False
    )
    np.testing.assert_array_equal(found, expected)
    assert found[1, 0] == 1  # only the row at `high` is counted (as class 0)


@needs_kernel
@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p: np.asfortranarray(p), id="fortran-order"),
        pytest.param(lambda p: np.pad(p, ((0, 0), (0, 1)))[:, :-1], id="padded-rows"),
        pytest.param(lambda p: p.astype(">f8"), id="big-endian"),
        pytest.param(lambda p: p.astype(np.float16), id="float16"),
    ],
)
def test_other_layouts_and_dtypes(case, make, numpy_path):
    labels, pred_probs = case
    changed = make(pred_probs)

    def outcome(run):
        try:
            return run(ours.find_label_issues, labels, changed, filter_by="both")
        except ValueError as error:  # (float16 rows may not sum to 1 within the tolerance)
            return str(error)

    found, expected = outcome(lambda f, *a, **k: f(*a, **k)), outcome(numpy_path)
    assert type(found) is type(expected)
    np.testing.assert_array_equal(found, expected)
    assert kernel.uses_kernel(changed) == (changed.dtype in (np.float32, np.float64) and changed.dtype.isnative)


@needs_kernel
def test_kernel_refuses_bad_buffers():
    """The kernel's own argument checks (the library never calls it wrongly; a wrong call must
    raise, never read or write outside an array)."""
    pred_probs = np.full((3, 2), 0.5)
    out = {
        "guess": np.zeros(3, np.int16),
        "counted": np.zeros(3, bool),
        "off": np.zeros(3, np.int64),
    }

    def call(probs=pred_probs, labels=None, cutoffs=None, guess=out["guess"]):
        labels = np.zeros(3, np.int64) if labels is None else labels
        cutoffs = np.zeros(2) if cutoffs is None else cutoffs
        return kernel.KERNEL.joint_rows(
            probs, labels, cutoffs, guess, out["counted"], None, None, None, out["off"], 0, False
        )

    assert call()[0] == 0
    with pytest.raises(ValueError, match="labels: 2 at row 1"):
        call(labels=np.array([0, 2, 0]))
    with pytest.raises(ValueError, match="labels"):
        call(labels=np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="cutoffs"):
        call(cutoffs=np.zeros(3))
    with pytest.raises(TypeError, match="float32 or float64"):
        call(probs=np.full((3, 2), 1, dtype=np.int64))
    with pytest.raises(ValueError, match="guess"):
        call(guess=np.zeros(3, np.int32))
    with pytest.raises((BufferError, ValueError), match="contiguous"):
        call(probs=np.full((3, 4), 0.5)[:, ::2])
