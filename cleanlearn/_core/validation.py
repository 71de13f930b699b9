"""Input checks shared by every public function of cleanlearn (re-exported as cleanlearn.validation).

Each check raises ``ValueError`` for a bad value and ``TypeError`` for a bad type, and its
message names the argument, what was expected and what was given. The checks are cheap: a
few vectorised passes, never a per-example Python loop and never a copy of ``pred_probs``
that the caller did not ask for.

Parameter rules are declared once per function as a dict of constraints and checked with
:func:`validate_params` (the pattern of scikit-learn's private ``_param_validation``)::

    validate_params(
        {"filter_by": filter_by, "frac_noise": frac_noise},
        {"filter_by": [Options(FILTERS)], "frac_noise": [Interval(Real, 0, 1, closed="right")]},
        caller="find_label_issues",
    )
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np

from cleanlearn._core import blocks

__all__ = [
    "Interval",
    "Options",
    "check_callable_methods",
    "check_labels",
    "check_labels_and_pred_probs",
    "check_n_jobs",
    "check_noise_matrix",
    "check_pred_probs",
    "check_pred_probs_shape",
    "check_square_matrix",
    "check_thresholds",
    "map_row_ranges",
    "per_class_threads",
    "resolve_n_threads",
    "validate_params",
]

# Rows of pred_probs must sum to 1 within this tolerance: loose enough for float32 softmax
# outputs of a deep net, tight enough to catch logits or unnormalised scores.
ROW_SUM_ATOL = 1e-3


# ---------------------------------------------------------------------------------------
# Declarative parameter constraints
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """A number of type ``kind`` (``Integral`` or ``Real``) between ``low`` and ``high``.

    ``closed`` is one of "both", "left", "right", "neither"; ``None`` bounds are open-ended.
    """

    kind: type
    low: float | None
    high: float | None
    closed: str = "both"

    def is_satisfied_by(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, self.kind):
            return False
        if isinstance(value, numbers.Real) and np.isnan(value):
            return False
        left_ok = self.low is None or (
            value >= self.low if self.closed in ("both", "left") else value > self.low
        )
        right_ok = self.high is None or (
            value <= self.high if self.closed in ("both", "right") else value < self.high
        )
        return left_ok and right_ok

    def __str__(self) -> str:
        kind = "an int" if self.kind is Integral else "a float"
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        low = "-inf" if self.low is None else self.low
        high = "inf" if self.high is None else self.high
        return f"{kind} in the range {left}{low}, {high}{right}"


@dataclass(frozen=True)
class Options:
    """One of a fixed set of values (typically strings)."""

    options: frozenset

    def __init__(self, options: Iterable) -> None:
        object.__setattr__(self, "options", frozenset(options))

    def is_satisfied_by(self, value: Any) -> bool:
        try:
            return value in self.options
        except TypeError:  # unhashable value
            return False

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(o) for o in sorted(self.options, key=str))


def _constraint_str(constraint: Any) -> str:
    if constraint is None:
        return "None"
    if constraint == "boolean":
        return "a bool"
    if constraint == "verbose":
        return "a bool or an int >= 0"
    if constraint is callable:
        return "a callable"
    if isinstance(constraint, type):
        return f"an instance of {constraint.__name__!r}"
    return str(constraint)


def _is_satisfied(constraint: Any, value: Any) -> bool:
    if constraint is None:
        return value is None
    if constraint == "boolean":
        # The reference only tests truthiness; 0 and 1 are the ints its callers pass.
        return isinstance(value, (bool, np.bool_)) or (
            isinstance(value, Integral) and value in (0, 1)
        )
    if constraint == "verbose":
        return isinstance(value, (bool, np.bool_)) or (isinstance(value, Integral) and value >= 0)
    if constraint is callable:
        return callable(value)
    if isinstance(constraint, type):
        return isinstance(value, constraint)
    return constraint.is_satisfied_by(value)


def validate_params(params: dict, constraints: dict, *, caller: str) -> None:
    """Check each ``params[name]`` against ``constraints[name]`` (a list: any one may hold).

    Constraints are ``None`` (the value None), ``"boolean"`` (a bool, or the int 0 or 1),
    ``"verbose"`` (a bool or an int >= 0, a verbosity level), ``callable``, a type
    (``isinstance``), an :class:`Interval` or an :class:`Options`. A value that fits none
    raises ``ValueError`` naming the parameter, the caller, the allowed values and the value
    given (``TypeError`` when no constraint of the list even has the right type).
    """
    for name, value in params.items():
        allowed = constraints[name]
        if any(_is_satisfied(c, value) for c in allowed):
            continue
        descriptions = [_constraint_str(c) for c in allowed]
        if len(descriptions) > 1:
            allowed_str = ", ".join(descriptions[:-1]) + " or " + descriptions[-1]
        else:
            allowed_str = descriptions[0]
        message = f"The {name!r} parameter of {caller} must be {allowed_str}. Got {value!r} instead."
        # A number out of range or an unknown option is a bad value; anything else a bad type.
        value_like = any(
            (isinstance(c, Interval) and isinstance(value, c.kind) and not isinstance(value, bool))
            or (isinstance(c, Options) and isinstance(value, (str, numbers.Number)))
            or (isinstance(c, str) and c in ("boolean", "verbose") and isinstance(value, Integral))
            for c in allowed
        )
        raise (ValueError if value_like else TypeError)(message)


# ---------------------------------------------------------------------------------------
# Array checks
# ---------------------------------------------------------------------------------------


def check_labels(labels: Any, *, n_classes: int | None = None, name: str = "labels") -> np.ndarray:
    """Return ``labels`` as a 1-D int64 array of class indices 0..n_classes-1.

    The functional API (count, filter, rank) takes integer class indices only. Labels of any
    other type (strings, non-contiguous ids) belong in ``CleanLearning``, which encodes them.
    """
    if labels is None:
        raise TypeError(f"{name} is required; got None.")
    if hasattr(labels, "to_numpy"):  # pandas Series / Index
        labels = labels.to_numpy()
    array = np.asarray(labels)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class indices; got an array of shape {array.shape}.")
    if array.size == 0:
        raise ValueError(f"{name} is empty; at least one example is needed.")
    if array.dtype.kind == "b":
        array = array.astype(np.int64)
    elif array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise ValueError(
                f"{name} must hold integer class indices 0..K-1; got non-integer values "
                f"such as {array[~np.isfinite(array) | (array != np.round(array))][0].item()!r}."
            )
        array = array.astype(np.int64)
    elif array.dtype.kind in "iu":
        array = array.astype(np.int64, copy=False)
    else:
        raise TypeError(
            f"{name} must hold integer class indices 0..K-1; got dtype {array.dtype} "
            f"(e.g. {np.asarray(array.flat[0]).item()!r}). Encode them first (sklearn.preprocessing.LabelEncoder), "
            "or use cleanlearn.CleanLearning, which accepts labels of any type."
        )
    low = array.min()
    if low < 0:
        raise ValueError(f"{name} must be class indices 0..K-1; got a negative label {low}.")
    if n_classes is not None:
        high = array.max()
        if high >= n_classes:
            raise ValueError(
                f"{name} must be class indices 0..{n_classes - 1} (K={n_classes} classes); "
                f"got label {high}."
            )
    return array


def check_pred_probs(
    pred_probs: Any,
    *,
    n_examples: int | None = None,
    name: str = "pred_probs",
    min_classes: int = 2,
    n_jobs: int | None = None,
) -> np.ndarray:
    """Return ``pred_probs`` as a 2-D float array (no copy when it already is one).

    Checks: 2-D, at least ``min_classes`` columns, ``n_examples`` rows when given, finite,
    non-negative, rows summing to 1 (within ``ROW_SUM_ATOL``). Large arrays are checked in
    ``n_jobs`` threads (see :func:`resolve_n_threads`).
    """
    pred_probs = check_pred_probs_shape(pred_probs, n_examples=n_examples, name=name, min_classes=min_classes)
    # One pass computes the row sums and the minimum. The row sums double as the finiteness
    # check: a NaN or inf anywhere in a row makes its sum non-finite, without allocating an
    # (N, K) boolean mask.
    row_sums, lowest = _row_sums_and_min(pred_probs, n_jobs=n_jobs)
    _check_pred_probs_values(row_sums, lowest, name=name)
    return pred_probs


def check_pred_probs_shape(pred_probs: Any, *, n_examples: int | None, name: str, min_classes: int) -> np.ndarray:
    """The checks of :func:`check_pred_probs` that do not read the values (type, shape)."""
    if pred_probs is None:
        raise TypeError(f"{name} is required; got None.")
    pred_probs = blocks.as_array(pred_probs)  # a Zarr array: copied block by block to a memory map
    if hasattr(pred_probs, "to_numpy"):
        pred_probs = pred_probs.to_numpy()
    if not isinstance(pred_probs, np.ndarray):
        pred_probs = np.asarray(pred_probs)
    if pred_probs.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a numeric array; got dtype {pred_probs.dtype}.")
    if pred_probs.dtype.kind != "f":
        pred_probs = pred_probs.astype(np.float64)
    if pred_probs.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_examples, n_classes); got shape {pred_probs.shape}."
        )
    n_rows, n_cols = pred_probs.shape
    if n_rows == 0:
        raise ValueError(f"{name} is empty; at least one example is needed.")
    if n_examples is not None and n_rows != n_examples:
        raise ValueError(f"{name} has {n_rows} rows but labels has {n_examples} entries; they must match.")
    if n_cols < min_classes:
        raise ValueError(f"{name} must have at least {min_classes} columns (classes); got {n_cols}.")
    return pred_probs


def _check_pred_probs_values(row_sums: np.ndarray, lowest: Any, *, name: str = "pred_probs") -> None:
    """The value checks of :func:`check_pred_probs`, in its order, from the row sums and the
    minimum entry (a NaN or inf anywhere in a row makes its sum non-finite)."""
    # The usual case from the extremes alone, with no (N,) temporary (a NaN fails both tests).
    if row_sums.max() - 1.0 <= ROW_SUM_ATOL and 1.0 - row_sums.min() <= ROW_SUM_ATOL and lowest >= 0:
        return
    if not np.all(np.isfinite(row_sums)):
        bad_row = int(np.flatnonzero(~np.isfinite(row_sums))[0])
        raise ValueError(f"{name} must be finite; row {bad_row} contains NaN or inf.")
    if lowest < 0:
        raise ValueError(f"{name} must be probabilities in [0, 1]; got a negative value {lowest.item()!r}.")
    off = np.abs(row_sums - 1.0)
    if off.max() > ROW_SUM_ATOL:
        bad_row = int(off.argmax())
        raise ValueError(
            f"{name} rows must sum to 1 (probabilities over classes); row {bad_row} sums to "
            f"{row_sums[bad_row].item()!r}. Pass probabilities (e.g. softmax outputs), not logits or scores."
        )


# Rows per block of the threaded check: ~64k entries (512 KB in float64) stay in the core's
# cache between the row sums and the minimum.
_CHECK_BLOCK_ENTRIES = 1 << 16


def _row_sums_and_min(pred_probs: np.ndarray, *, n_jobs: int | None = None) -> tuple[np.ndarray, Any]:
    """Row sums (as matrix-vector products: BLAS is 2-5x faster than np.sum(axis=1) over
    short rows, and NaN or inf still propagate into the sums) and the minimum entry.

    Large arrays are walked in cache-sized blocks (sums then minimum of a block while it is
    in cache: one pass over memory instead of two), in contiguous row ranges, one per thread. The minimum is
    exact whatever the split; the sums only feed a tolerance check.
    """
    n_rows, n_cols = pred_probs.shape
    ones = np.ones(n_cols, dtype=pred_probs.dtype)
    if pred_probs.size < THREADED_MIN_ENTRIES:
        return pred_probs @ ones, pred_probs.min()
    n_threads = resolve_n_threads(n_jobs, n_entries=pred_probs.size)
    row_sums = np.empty(n_rows, dtype=np.result_type(pred_probs.dtype, ones.dtype))
    step = max(1, _CHECK_BLOCK_ENTRIES // n_cols)

    def sums_and_min(start: int, stop: int):
        lowest = None
        for block_start in range(start, stop, step):
            rows = slice(block_start, min(block_start + step, stop))
            block = pred_probs[rows]
            np.matmul(block, ones, out=row_sums[rows])
            block_min = block.min()
            lowest = block_min if lowest is None or block_min < lowest else lowest
        return lowest

    lowest = min(map_row_ranges(sums_and_min, n_rows, n_threads))
    return row_sums, lowest


def check_labels_and_pred_probs(
    labels: Any, pred_probs: Any, *, n_jobs: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Check ``labels`` and ``pred_probs`` together: same length, labels < n_classes."""
    labels = check_labels(labels)
    pred_probs = check_pred_probs(pred_probs, n_jobs=n_jobs)
    if pred_probs.shape[0] != labels.shape[0]:
        raise ValueError(
            f"labels has {labels.shape[0]} entries but pred_probs has {pred_probs.shape[0]} rows; "
            "they must match."
        )
    n_classes = pred_probs.shape[1]
    high = labels.max()
    if high >= n_classes:
        raise ValueError(
            f"labels must be class indices 0..{n_classes - 1} because pred_probs has {n_classes} "
            f"columns; got label {high}. pred_probs has too few columns for these labels."
        )
    return labels, pred_probs


def check_square_matrix(matrix: Any, *, n_classes: int | None, name: str) -> np.ndarray:
    """Return ``matrix`` as a finite, non-negative (K, K) float array."""
    if matrix is None:
        raise TypeError(f"{name} is required; got None.")
    array = np.asarray(matrix)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a numeric array; got dtype {array.dtype}.")
    array = array.astype(np.float64, copy=False)
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise ValueError(f"{name} must be a square (K, K) matrix; got shape {array.shape}.")
    if n_classes is not None and array.shape[0] != n_classes:
        raise ValueError(
            f"{name} must have shape ({n_classes}, {n_classes}) for {n_classes} classes; "
            f"got shape {array.shape}."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite; it contains NaN or inf.")
    if np.any(array < 0):
        raise ValueError(f"{name} must be non-negative; got a value {array.min().item()!r}.")
    return array


def check_noise_matrix(
    matrix: Any, *, n_classes: int | None, name: str = "noise_matrix", require_trace_above_one: bool = True
) -> np.ndarray:
    """Return a column-stochastic (K, K) noise matrix, checking its trace exceeds 1.

    A noise matrix with trace <= 1 means labels carry no information about the true class;
    confident learning's estimates are undefined there.
    """
    array = check_square_matrix(matrix, n_classes=n_classes, name=name)
    if np.any(array > 1):
        raise ValueError(f"{name} entries are probabilities and must be <= 1; got {array.max().item()!r}.")
    column_sums = array.sum(axis=0)
    if not np.allclose(column_sums, 1.0, atol=1e-6):
        bad = int(np.abs(column_sums - 1).argmax())
        raise ValueError(f"{name} columns must each sum to 1; column {bad} sums to {column_sums[bad].item()!r}.")
    if require_trace_above_one and np.trace(array) <= 1:
        raise ValueError(f"{name} must have trace > 1 (labels informative about the true class); "
                         f"got trace {np.trace(array).item()!r}.")
    return array


def check_thresholds(thresholds: Any, *, n_classes: int, name: str = "thresholds") -> np.ndarray:
    """Return per-class thresholds as a finite (K,) float array; (K, 1) is accepted too."""
    array = np.asarray(thresholds, dtype=np.float64)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.shape != (n_classes,):
        raise ValueError(f"{name} must have shape ({n_classes},) or ({n_classes}, 1); got {np.shape(thresholds)}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite; got {array!r}.")
    return array


def check_n_jobs(n_jobs: Any, *, name: str = "n_jobs") -> int | None:
    """Accept None, -1 (all cores) or an int >= 1; return it unchanged."""
    if n_jobs is None:
        return None
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, Integral):
        raise TypeError(f"{name} must be None, -1 or an int >= 1; got {n_jobs!r}.")
    if n_jobs == -1 or n_jobs >= 1:
        return int(n_jobs)
    raise ValueError(f"{name} must be None, -1 (all cores) or an int >= 1; got {n_jobs!r}.")


def check_callable_methods(obj: Any, methods: Iterable[str], *, name: str) -> None:
    """Raise TypeError unless ``obj`` has every method in ``methods``."""
    missing = [m for m in methods if not callable(getattr(obj, m, None))]
    if missing:
        raise TypeError(
            f"{name} must implement {', '.join(methods)}; {type(obj).__name__} lacks {', '.join(missing)}."
        )



# ---------------------------------------------------------------------------------------
# Threads for the passes over pred_probs
# ---------------------------------------------------------------------------------------

# Below this many pred_probs entries a pass runs in the calling thread only: starting
# threads would cost more than they save.
THREADED_MIN_ENTRIES = 1 << 22


def resolve_n_threads(n_jobs: int | None, *, n_entries: int) -> int:
    """Threads for one pass over ``n_entries`` entries of pred_probs.

    ``n_jobs``: 1 one thread, k >= 2 k threads, -1 all cores, None (the reference's default,
    "all cores") the cores available: ``joblib.cpu_count()``, capped by an enclosing
    ``joblib.parallel_config(n_jobs=...)`` and by threadpoolctl limits on the BLAS (as set
    by ``threadpool_limits`` or ``OPENBLAS_NUM_THREADS``). Small inputs use one thread.
    """
    if n_jobs == 1 or n_entries < THREADED_MIN_ENTRIES:
        return 1
    import joblib  # here, not at import time: small inputs never need it

    n_cores = joblib.cpu_count()
    if n_jobs is not None:
        return n_cores if n_jobs == -1 else int(n_jobs)
    n_threads = n_cores
    try:
        _, config_n_jobs = joblib.parallel.get_active_backend()
    except Exception:  # private-ish joblib API: no cap if it ever changes
        config_n_jobs = None
    if isinstance(config_n_jobs, Integral) and config_n_jobs != 0:
        n_threads = min(n_threads, config_n_jobs if config_n_jobs > 0 else max(1, n_cores + 1 + config_n_jobs))
    import threadpoolctl

    blas_threads = [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]
    if blas_threads:
        n_threads = min(n_threads, min(blas_threads))
    return max(1, n_threads)


# Below this many pred_probs entries a per-class loop (the pruning filters', the multi-label
# filters') runs in one thread.
PER_CLASS_THREADS_MIN_SIZE = 1 << 20


def per_class_threads(n_jobs: int | None, *, n_tasks: int, size: int) -> int:
    """Threads for a per-class loop: n_jobs (-1: all cores), one by default and for small
    inputs, where starting threads costs more than it saves.

    None means one thread, unlike the reference's "all cores": the loop is a minor part of
    the work (validation and the confident joint are single passes over pred_probs) and on
    a 2-core machine threads were measured no faster.
    """
    if n_jobs is None or n_tasks < 2 or size < PER_CLASS_THREADS_MIN_SIZE:
        return 1
    from joblib import cpu_count  # here, not at import time: small inputs never need it

    n_threads = cpu_count() if n_jobs == -1 else n_jobs
    return max(1, min(n_threads, n_tasks))


def map_row_ranges(function, n_rows: int, n_threads: int) -> list:
    """``[function(start, stop), ...]`` over ``n_threads`` contiguous ranges covering
    ``range(n_rows)``, run in threads (numpy releases the GIL in its loops); in order."""
    bounds = np.linspace(0, n_rows, max(1, min(n_threads, n_rows)) + 1).astype(int)
    ranges = list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))
    if len(ranges) == 1:
        return [function(*ranges[0])]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(ranges)) as executor:
        futures = [executor.submit(function, start, stop) for start, stop in ranges]
        return [future.result() for future in futures]
