"""Synthetic label noise: noise matrices with a given trace, and noisy labels drawn from them.

A drop-in for ``cleanlab.benchmarking.noise_generation``: same function names, parameters and
defaults, and the reference's draws in the reference's order. Where the randomness comes from
is set by ``seed``:

* ``None`` (the default of every function but ``generate_noise_matrix_from_trace``): numpy's
  global random state, as the reference draws. ``np.random.seed(s)`` followed by the call gives
  the reference's output bit for bit (for ``generate_noise_matrix_from_trace``, the reference's
  output with ``seed=s``). These functions only draw from the global state; they never seed
  or reset it.
* an int >= 0 or a ``numpy.random.Generator``: a Generator, and the global state is never
  touched. The constructions are the reference's (the same trace, the same count of flipped
  labels per (true class, noisy class) pair, the same validity rule), the random numbers
  are the Generator's.
* a ``numpy.random.RandomState``: used as is (the reference's numbers for its seed, without
  the global state).

Notation: ``noise_matrix[j, k] = P(label = j | true_label = k)``, so each column sums to 1;
``py[k] = P(true_label = k)``.
"""

from __future__ import annotations

import logging
import warnings
from numbers import Integral, Real

import numpy as np

from cleanlearn._core.constants import FLOATING_POINT_COMPARISON
from cleanlearn._core.progress import report
from cleanlearn._core.validation import (
    Interval,
    check_labels,
    check_noise_matrix,
    check_square_matrix,
    validate_params,
)

__all__ = [
    "generate_n_rand_probabilities_that_sum_to_m",
    "generate_noise_matrix_from_trace",
    "generate_noisy_labels",
    "noise_matrix_is_valid",
    "randomly_distribute_N_balls_into_K_bins",
]

logger = logging.getLogger(__name__)


_SEED_CONSTRAINT = [None, Integral, np.random.Generator, np.random.RandomState]


class _GlobalRandomState:
    """numpy's global random state behind the three draws used here (``dirichlet``,
    ``random``, ``choice``), looked up at each call so that ``np.random.seed`` and
    ``np.random.set_state`` by the caller take effect."""

    @staticmethod
    def dirichlet(alpha):
        return np.random.dirichlet(alpha)  # noqa: NPY002 - seed=None means the global state

    @staticmethod
    def random():
        return np.random.random_sample()  # noqa: NPY002

    @staticmethod
    def choice(values, size, *, replace):
        return np.random.choice(values, size, replace=replace)  # noqa: NPY002


def _rng(seed):
    """What to draw from for ``seed``: the global state (None), a RandomState or Generator as
    is, or a new Generator (an int >= 0). All three have the same ``dirichlet``, ``random`` and
    ``choice`` calls, so each function below is written once."""
    validate_params({"seed": seed}, {"seed": _SEED_CONSTRAINT}, caller="cleanlearn.noise")
    if isinstance(seed, bool):
        raise TypeError(f"seed must be None, a Generator, a RandomState or an int >= 0; got {seed!r}.")
    if isinstance(seed, Integral) and seed < 0:
        raise ValueError(f"seed must be None, a Generator, a RandomState or an int >= 0; got {seed!r}.")
    if seed is None:
        return _GlobalRandomState()
    if isinstance(seed, (np.random.Generator, np.random.RandomState)):
        return seed
    return np.random.default_rng(seed)


def _check_class_prior(py, *, n_classes: int) -> np.ndarray:
    """``py`` as a (K,) float array of non-negative probabilities summing to 1."""
    class_prior = np.asarray(py, dtype=np.float64).ravel()
    if class_prior.shape != (n_classes,):
        raise ValueError(f"py must have shape ({n_classes},) for K={n_classes}; got shape {np.shape(py)}.")
    if not np.all(np.isfinite(class_prior)) or np.any(class_prior < 0):
        raise ValueError(f"py must hold finite, non-negative probabilities; got {class_prior!r}.")
    if abs(class_prior.sum() - 1.0) > 1e-6:
        raise ValueError(f"py must sum to 1; it sums to {class_prior.sum()!r}.")
    return class_prior


# ---------------------------------------------------------------------------------------
# Validity of a noise matrix
# ---------------------------------------------------------------------------------------


def noise_matrix_is_valid(noise_matrix, py, *, verbose=False) -> bool:
    """Whether learning with ``noise_matrix`` is possible under the true-class prior ``py``.

    Valid means the joint ``P(label, true_label) = noise_matrix * py`` sums to 1 and, for every
    class k, ``P(label=k) * P(true_label=k) < P(label=k, true_label=k)``: a given label k is
    more likely than chance to be a true k. ``verbose`` logs the per-class comparison at INFO
    level (the reference prints it; on stderr when the application configured no logging).

    Parameters
    ----------
    noise_matrix : array_like of shape (n_classes, n_classes)
        ``P(label=j | true_label=k)``, columns summing to 1.
    py : array_like of shape (n_classes,)
        Prior of the true labels ``P(true_label=k)``.
    verbose : bool, default False
        Log the per-class comparison at INFO level (logger ``cleanlearn.noise``).

    Returns
    -------
    bool
        True when the noise matrix is valid under ``py``.

    Notes
    -----
    Same answer as cleanlab 2.9's
    ``cleanlab.benchmarking.noise_generation.noise_matrix_is_valid``; with ``verbose`` it
    logs instead of printing (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> from cleanlearn.noise import noise_matrix_is_valid
    >>> noise_matrix = np.array([[0.8, 0.1], [0.2, 0.9]])  # columns: true class
    >>> noise_matrix_is_valid(noise_matrix, py=np.array([0.5, 0.5]))
    True
    >>> noise_matrix_is_valid(np.array([[0.4, 0.6], [0.6, 0.4]]), py=np.array([0.5, 0.5]))
    False
    """
    class_prior = np.asarray(py, dtype=np.float64).ravel()
    noise_matrix = check_square_matrix(noise_matrix, n_classes=class_prior.shape[0], name="noise_matrix")
    validate_params({"verbose": verbose}, {"verbose": ["verbose"]}, caller="noise_matrix_is_valid")

    noisy_prior = noise_matrix @ class_prior  # P(label = k), shape (K,)
    joint = noise_matrix * class_prior  # P(label = j, true_label = k), column k scaled by py[k]
    if not abs(joint.sum() - 1.0) < FLOATING_POINT_COMPARISON:
        report(logger, verbose, "noise_matrix * py sums to %r, not 1: not a valid joint distribution.", joint.sum())
        return False
    chance = noisy_prior * class_prior  # P(label=k) P(true_label=k): independence
    agreement = np.diagonal(joint)  # P(label=k, true_label=k)
    if verbose:
        for k in range(class_prior.shape[0]):
            report(logger, verbose, "class %d: P(label=k)P(true=k) = %.6f < P(label=k, true=k) = %.6f: %s",
                   k, chance[k], agreement[k], bool(chance[k] < agreement[k]))
    return bool(np.all(chance < agreement))


# ---------------------------------------------------------------------------------------
# Random building blocks
# ---------------------------------------------------------------------------------------


def _rand_probabilities_summing_to(
    rng, n: int, total: float, *, max_prob: float = 1.0, min_prob: float = 0.0
) -> np.ndarray:
    """``n`` random values in [min_prob, max_prob] that sum to ``total`` (the reference's method).

    A uniform draw on the simplex (Dirichlet(1, ..., 1)) scaled to ``total``, then the largest
    value is pulled down to ``max_prob`` (and the smallest up to ``min_prob``) one pair at a
    time, moving the excess to the other end by a random share. n is a number of classes, so
    the loops are short.
    """
    if n == 0:
        return np.array([])
    if max_prob + FLOATING_POINT_COMPARISON < total / n:
        raise ValueError(
            f"max_prob must be >= m / n so that n values can sum to m; got max_prob={max_prob}, "
            f"m={total}, n={n} (m / n = {total / n})."
        )
    if min_prob > (total + FLOATING_POINT_COMPARISON) / n:
        raise ValueError(
            f"min_prob must be <= m / n so that n values can sum to m; got min_prob={min_prob}, "
            f"m={total}, n={n} (m / n = {total / n})."
        )
    result = rng.dirichlet(np.ones(n)) * total
    while result.max() > max_prob + FLOATING_POINT_COMPARISON:
        # 1) the largest value gives its excess over max_prob to the smallest, 2) a random
        # share of the remaining room is moved back, keeping the sum.
        low, high = result.min(), result.max()
        new_low = low + (high - max_prob)
        adjustment = (max_prob - new_low) * rng.random()
        result[np.argmin(result)] = new_low + adjustment
        result[np.argmax(result)] = max_prob - adjustment
    while result.min() < min_prob - FLOATING_POINT_COMPARISON:
        low, high = result.min(), result.max()
        new_high = high - (min_prob - low)
        adjustment = (new_high - min_prob) * rng.random()
        result[np.argmax(result)] = new_high - adjustment
        result[np.argmin(result)] = min_prob + adjustment
    return result


def generate_n_rand_probabilities_that_sum_to_m(n, m, *, max_prob=1.0, min_prob=0.0, seed=None) -> np.ndarray:
    """``n`` random probabilities in [min_prob, max_prob] summing to ``m``; seeded by ``seed``.

    Parameters
    ----------
    n : int >= 0
        Number of probabilities.
    m : float >= 0
        Their sum.
    max_prob : float in [0, 1], default 1.0
        Upper bound of each value; must be >= m / n.
    min_prob : float in [0, 1], default 0.0
        Lower bound of each value; must be <= m / n.
    seed : None, int >= 0, np.random.Generator or np.random.RandomState, default None
        Source of randomness (see the module's documentation): None draws from numpy's global
        random state as cleanlab does; an int or a Generator uses a private Generator; a
        RandomState is used as is.

    Returns
    -------
    np.ndarray of shape (n,)
        Float values in [min_prob, max_prob] summing to ``m``.

    Notes
    -----
    With ``seed=None`` it draws from numpy's global random state as cleanlab 2.9 does; an
    int or Generator ``seed`` leaves the global state alone (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> from cleanlearn.noise import generate_n_rand_probabilities_that_sum_to_m
    >>> probabilities = generate_n_rand_probabilities_that_sum_to_m(4, 1.5, seed=0)
    >>> print(len(probabilities), round(float(probabilities.sum()), 6))
    4 1.5
    """
    validate_params(
        {"n": n, "m": m, "max_prob": max_prob, "min_prob": min_prob},
        {"n": [Interval(Integral, 0, None)], "m": [Interval(Real, 0, None)],
         "max_prob": [Interval(Real, 0, 1)], "min_prob": [Interval(Real, 0, 1)]},
        caller="generate_n_rand_probabilities_that_sum_to_m",
    )
    return _rand_probabilities_summing_to(_rng(seed), int(n), float(m), max_prob=max_prob, min_prob=min_prob)


def _distribute_balls(
    rng, n_balls: int, n_bins: int, *, max_per_bin: int | None, min_per_bin: int | None
) -> np.ndarray:
    """Split ``n_balls`` into ``n_bins`` random integer counts within the per-bin bounds."""
    if n_balls == 0:
        return np.zeros(n_bins, dtype=int)
    max_per_bin = n_balls if max_per_bin is None else min(max_per_bin, n_balls)
    min_per_bin = 0 if min_per_bin is None else min(min_per_bin, n_balls / n_bins)
    if n_balls / n_bins > max_per_bin:  # more balls than the bins can hold: fill them all
        n_balls = max_per_bin * n_bins
    shares = _rand_probabilities_summing_to(
        rng, n_bins, 1.0, max_prob=max_per_bin / n_balls, min_prob=min_per_bin / n_balls
    )
    counts = np.round(shares * n_balls)
    # Rounding can miss the total by a few balls: move them one at a time (n_bins is small).
    while counts.sum() > n_balls:
        counts[np.argmax(counts)] -= 1
    while counts.sum() < n_balls:
        counts[np.argmin(counts)] += 1
    return counts.astype(int)


def randomly_distribute_N_balls_into_K_bins(  # noqa: N802 - the reference's public name
    N, K, *, max_balls_per_bin=None, min_balls_per_bin=None, seed=None  # noqa: N803
) -> np.ndarray:
    """Randomly split ``N`` balls into ``K`` bins, each holding between the given bounds.

    Parameters
    ----------
    N : int >= 0
        Number of balls.
    K : int >= 1
        Number of bins.
    max_balls_per_bin : int >= 0, optional
        Upper bound per bin (default ``N``); when the bins cannot hold N balls, every bin gets
        this many.
    min_balls_per_bin : int >= 0, optional
        Lower bound per bin (default 0, capped at ``N / K``).
    seed : None, int >= 0, np.random.Generator or np.random.RandomState, default None
        Source of randomness (see the module's documentation): None draws from numpy's global
        random state as cleanlab does; an int or a Generator uses a private Generator; a
        RandomState is used as is.

    Returns
    -------
    np.ndarray of int, shape (K,)
        Number of balls in each bin.

    Notes
    -----
    With ``seed=None`` it draws from numpy's global random state as cleanlab 2.9 does; an
    int or Generator ``seed`` leaves the global state alone (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> from cleanlearn.noise import randomly_distribute_N_balls_into_K_bins
    >>> bins = randomly_distribute_N_balls_into_K_bins(10, 3, min_balls_per_bin=2, seed=0)
    >>> print(int(bins.sum()), bool(bins.min() >= 2))
    10 True
    """
    validate_params(
        {"N": N, "K": K, "max_balls_per_bin": max_balls_per_bin, "min_balls_per_bin": min_balls_per_bin},
        {"N": [Interval(Integral, 0, None)], "K": [Interval(Integral, 1, None)],
         "max_balls_per_bin": [None, Interval(Integral, 0, None)],
         "min_balls_per_bin": [None, Interval(Integral, 0, None)]},
        caller="randomly_distribute_N_balls_into_K_bins",
    )
    return _distribute_balls(
        _rng(seed), int(N), int(K), max_per_bin=max_balls_per_bin, min_per_bin=min_balls_per_bin
    )


# ---------------------------------------------------------------------------------------
# Noise matrices and noisy labels
# ---------------------------------------------------------------------------------------


def generate_noise_matrix_from_trace(
    K,  # noqa: N803 - the reference's public name
    trace,
    *,
    max_trace_prob=1.0,
    min_trace_prob=1e-5,
    max_noise_rate=1 - 1e-5,
    min_noise_rate=0.0,
    valid_noise_matrix=True,
    py=None,
    frac_zero_noise_rates=0.0,
    seed=0,
    max_iter=10000,
) -> np.ndarray | None:
    """A random (K, K) noise matrix ``P(label=j | true_label=k)`` whose diagonal sums to ``trace``.

    Columns sum to 1. The diagonal is drawn within [min_trace_prob, max_trace_prob], noise rates
    within [min_noise_rate, max_noise_rate]; about ``frac_zero_noise_rates`` of the K(K-1)
    off-diagonal entries are zero (more when a diagonal entry is 1). With
    ``valid_noise_matrix=True`` (needs ``trace > 1`` and, for K > 2, the true-class prior
    ``py``), draws repeat until :func:`noise_matrix_is_valid` holds, at most ``max_iter`` times;
    ``None`` is returned (with a warning) when none was found. ``seed``: an int or a
    ``numpy.random.Generator`` (a private Generator), a ``numpy.random.RandomState`` (the
    reference's numbers for its seed), or None (numpy's global state, drawn from, never reset).

    Parameters
    ----------
    K : int >= 2
        Number of classes.
    trace : float in [0, K]
        Sum of the diagonal; must be > 1 with ``valid_noise_matrix``.
    max_trace_prob : float in [0, 1], default 1.0
        Upper bound of each diagonal entry.
    min_trace_prob : float in [0, 1], default 1e-5
        Lower bound of each diagonal entry.
    max_noise_rate : float in [0, 1], default 1 - 1e-5
        Upper bound of each off-diagonal entry.
    min_noise_rate : float in [0, 1], default 0.0
        Lower bound of each non-zero off-diagonal entry.
    valid_noise_matrix : bool, default True
        Redraw until :func:`noise_matrix_is_valid` holds under ``py``.
    py : array_like of shape (K,), optional
        Prior of the true labels; required with ``valid_noise_matrix`` when K > 2.
    frac_zero_noise_rates : float in [0, 1], default 0.0
        Fraction of the off-diagonal entries set to zero.
    seed : None, int >= 0, np.random.Generator or np.random.RandomState, default 0
        Source of randomness (see the module's documentation): None draws from numpy's global
        random state as cleanlab does; an int or a Generator uses a private Generator; a
        RandomState is used as is.
    max_iter : int, default 10000
        Maximum number of draws with ``valid_noise_matrix`` (< 1 returns None).

    Returns
    -------
    np.ndarray of shape (K, K) or None
        The noise matrix, columns summing to 1; None when no valid matrix was found.

    Notes
    -----
    cleanlab 2.9's construction and properties. Different on purpose: the int ``seed`` seeds
    a private Generator and never touches numpy's global random state, so ``seed=s`` gives
    other numbers than cleanlab's ``seed=s`` (a ``numpy.random.RandomState(s)`` gives
    cleanlab's); with K = 2 ``max_trace_prob``/``min_trace_prob`` are honoured (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> from cleanlearn.noise import generate_noise_matrix_from_trace
    >>> noise_matrix = generate_noise_matrix_from_trace(3, trace=2.4, py=np.array([0.3, 0.3, 0.4]), seed=0)
    >>> noise_matrix.round(3)
    array([[0.949, 0.007, 0.   ],
           [0.038, 0.991, 0.54 ],
           [0.013, 0.002, 0.46 ]])
    >>> print(round(float(np.trace(noise_matrix)), 6), noise_matrix.sum(axis=0).round(6))
    2.4 [1. 1. 1.]
    """
    validate_params(
        {"K": K, "trace": trace, "max_trace_prob": max_trace_prob, "min_trace_prob": min_trace_prob,
         "max_noise_rate": max_noise_rate, "min_noise_rate": min_noise_rate,
         "valid_noise_matrix": valid_noise_matrix, "frac_zero_noise_rates": frac_zero_noise_rates,
         "max_iter": max_iter},
        {"K": [Interval(Integral, 2, None)], "trace": [Interval(Real, 0, None)],
         "max_trace_prob": [Interval(Real, 0, 1)], "min_trace_prob": [Interval(Real, 0, 1)],
         "max_noise_rate": [Interval(Real, 0, 1)], "min_noise_rate": [Interval(Real, 0, 1)],
         "valid_noise_matrix": ["boolean"], "frac_zero_noise_rates": [Interval(Real, 0, 1)],
         "max_iter": [Interval(Integral, None, None)]},
        caller="generate_noise_matrix_from_trace",
    )
    n_classes = int(K)
    if trace > n_classes:
        raise ValueError(f"trace must be <= K (each diagonal entry is at most 1); got trace={trace} for K={K}.")
    if valid_noise_matrix and trace <= 1:
        raise ValueError(
            f"trace must be > 1 for a valid noise matrix (valid_noise_matrix=True); got trace={trace}."
        )
    if valid_noise_matrix and py is None and n_classes > 2:
        raise ValueError("py (the true-class prior) is required when valid_noise_matrix=True and K > 2.")
    class_prior = None if py is None else _check_class_prior(py, n_classes=n_classes)
    rng = _rng(seed)
    if max_iter < 1:
        return None

    if n_classes == 2:
        # Any two-class matrix with trace > 1 is valid, so one draw suffices.
        if frac_zero_noise_rates >= 0.5:  # one class is noise-free
            noise_matrix = np.array([[1.0, 1 - (trace - 1.0)], [0.0, trace - 1.0]])
            return noise_matrix if rng.random() > 0.5 else np.rot90(noise_matrix, k=2)
        diagonal = _rand_probabilities_summing_to(rng, 2, trace, max_prob=max_trace_prob, min_prob=min_trace_prob)
        return np.array([[diagonal[0], 1 - diagonal[1]], [1 - diagonal[0], diagonal[1]]])

    off_diagonal_per_column = n_classes - 1
    for _ in range(max_iter):
        # 1) the diagonal: K probabilities summing to trace.
        diagonal = _rand_probabilities_summing_to(
            rng, n_classes, trace, max_prob=max_trace_prob, min_prob=min_trace_prob
        )
        noise_matrix = np.diag(diagonal)
        noisy_columns = np.flatnonzero(diagonal != 1)  # a column with diagonal 1 has no noise
        # 2) how many zero noise rates each noisy column gets (columns with diagonal 1 already
        #    hold K-1 zeros); each keeps at least one non-zero rate.
        n_zero_rates = int(n_classes * off_diagonal_per_column * frac_zero_noise_rates)
        n_zero_rates -= (n_classes - noisy_columns.size) * off_diagonal_per_column
        n_zero_rates = max(n_zero_rates, 0)
        zeros_per_column = _distribute_balls(
            rng, n_zero_rates, noisy_columns.size, max_per_bin=n_classes - 2, min_per_bin=0
        )
        # 3) each noisy column spreads 1 - diagonal over randomly chosen rows.
        for column, n_zeros in zip(noisy_columns, zeros_per_column, strict=True):
            n_noisy_rows = off_diagonal_per_column - int(n_zeros)
            rates = _rand_probabilities_summing_to(
                rng, n_noisy_rows, 1 - diagonal[column], max_prob=max_noise_rate, min_prob=min_noise_rate
            )
            other_rows = np.delete(np.arange(n_classes), column)
            rows = rng.choice(other_rows, n_noisy_rows, replace=False)
            noise_matrix[rows, column] = rates[::-1]  # the reference pops its rates from the end
        if not valid_noise_matrix or noise_matrix_is_valid(noise_matrix, class_prior):
            return noise_matrix
    warnings.warn(
        f"generate_noise_matrix_from_trace found no valid noise matrix in max_iter={max_iter} "
        "draws; returning None. Raise trace or max_iter, or loosen the bounds.",
        stacklevel=2,
    )
    return None


def generate_noisy_labels(true_labels, noise_matrix, *, seed=None) -> np.ndarray:
    """Noisy labels from ``true_labels`` that realise ``noise_matrix`` as closely as counts allow.

    For each true class k with n_k examples, exactly ``int(noise_matrix[j, k] * n_k)`` of them
    (truncated, as in the reference) are relabelled j, for every j != k; which examples is
    random (seeded by ``seed``). ``true_labels`` are class indices 0..K-1 with
    K = ``len(noise_matrix)``; classes absent from ``true_labels`` are allowed.

    Parameters
    ----------
    true_labels : array_like of shape (n_samples,)
        True class index of each example, integers 0..K-1.
    noise_matrix : array_like of shape (K, K)
        ``P(label=j | true_label=k)``, columns summing to 1.
    seed : None, int >= 0, np.random.Generator or np.random.RandomState, default None
        Source of randomness (see the module's documentation): None draws from numpy's global
        random state as cleanlab does; an int or a Generator uses a private Generator; a
        RandomState is used as is.

    Returns
    -------
    np.ndarray of shape (n_samples,)
        The noisy labels.

    Notes
    -----
    With ``seed=None`` (the default) it draws from numpy's global random state exactly as
    cleanlab 2.9 does. Different on purpose: an int or a Generator ``seed`` uses a private
    Generator and leaves the global state alone (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> from cleanlearn.noise import generate_noisy_labels
    >>> true_labels = np.repeat([0, 1], 10)
    >>> noise_matrix = np.array([[0.8, 0.3], [0.2, 0.7]])  # P(given = i | true = j)
    >>> noisy = generate_noisy_labels(true_labels, noise_matrix, seed=0)
    >>> print((noisy != true_labels)[:10].sum(), (noisy != true_labels)[10:].sum())  # exactly 20% and 30% flipped
    2 3
    """
    noise_matrix = check_noise_matrix(noise_matrix, n_classes=None, require_trace_above_one=False)
    n_classes = noise_matrix.shape[0]
    true_labels = check_labels(true_labels, n_classes=n_classes, name="true_labels")
    rng = _rng(seed)
    n_examples = true_labels.shape[0]

    # count_joint[j, k] = number of true-k examples to relabel j. Computed as the reference
    # does (noise_matrix * P(true_label) * N, truncated) so the counts agree exactly.
    class_prior = np.bincount(true_labels, minlength=n_classes) / float(n_examples)
    count_joint = (noise_matrix * class_prior * n_examples).astype(int)
    np.fill_diagonal(count_joint, 0)

    noisy_labels = true_labels.copy()
    for true_class in range(n_classes):
        new_labels = np.repeat(np.arange(n_classes), count_joint[:, true_class])
        members = np.flatnonzero(true_labels == true_class)
        if new_labels.size == 0 or members.size < new_labels.size:
            continue
        noisy_labels[rng.choice(members, new_labels.size, replace=False)] = new_labels
    return noisy_labels
