"""Latent structures of confident learning: thresholds, confident joint, noise matrices, priors.

A drop-in for ``cleanlab.count`` (2.9.0) for single-label classification: the same function
names, parameters and defaults, and the same numbers on the same inputs. Terms used below:

* ``labels``: the given (possibly noisy) class index of each example, shape (n_samples,).
* ``pred_probs``: out-of-sample predicted probabilities, shape (n_samples, n_classes).
* confident joint ``C[i, j]``: number of examples with given label i confidently counted as
  true class j (rows = given label, columns = guessed true label).
* noise matrix ``P(given=i | true=j)`` (columns sum to 1), inverse noise matrix
  ``P(true=i | given=j)`` (columns sum to 1), ``py`` = ``P(true=k)``, ``ps`` = ``P(given=k)``.

Differences from the reference, on purpose: inputs are validated (``ValueError``/``TypeError``
naming the argument), no mutable default arguments, no Python loop over examples, and the
cross-validation folds can run in parallel (``n_jobs``) with results identical to serial.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np

from cleanlearn._core import confident_joint as joint_core
from cleanlearn._core import cross_validation, latent_algebra
from cleanlearn._core.constants import TINY_VALUE
from cleanlearn._core.latent_algebra import PY_METHODS
from cleanlearn._core.multilabel import count as multilabel_count
from cleanlearn._core.validation import (
    Options,
    check_labels,
    check_labels_and_pred_probs,
    check_square_matrix,
    validate_params,
)

__all__ = [
    "calibrate_confident_joint",
    "compute_confident_joint",
    "compute_inv_noise_matrix",
    "compute_noise_matrix_from_inverse",
    "compute_py",
    "estimate_confident_joint_and_cv_pred_proba",
    "estimate_cv_predicted_probabilities",
    "estimate_joint",
    "estimate_latent",
    "estimate_noise_matrices",
    "estimate_py_and_noise_matrices_from_probabilities",
    "estimate_py_noise_matrices_and_cv_pred_proba",
    "get_confident_thresholds",
    "num_label_issues",
    "round_preserving_row_totals",
]

logger = logging.getLogger(__name__)

ESTIMATION_METHODS = ("off_diagonal", "off_diagonal_calibrated", "off_diagonal_custom")


def _is_multi_label(multi_label: Any, caller: str) -> bool:
    """Check multi_label; when True the caller delegates to the multi-label joint
    (:mod:`cleanlearn._core.multilabel.count`)."""
    validate_params({"multi_label": multi_label}, {"multi_label": ["boolean"]}, caller=caller)
    return bool(multi_label)


# ---------------------------------------------------------------------------------------
# Thresholds, confident joint, calibration
# ---------------------------------------------------------------------------------------


def get_confident_thresholds(labels, pred_probs, multi_label: bool = False) -> np.ndarray:
    """Per-class threshold: the mean of ``pred_probs[:, k]`` over the examples labelled ``k``.

    A class without examples gets threshold 2 (never reached); all thresholds are clipped
    below at 2e-6. Returns a float64 array of shape (n_classes,).

    Parameters
    ----------
    labels : array_like of shape (n_samples,)
        Given (possibly noisy) class index of each example, integers 0..K-1.
    pred_probs : array_like of shape (n_samples, n_classes)
        Out-of-sample predicted class probabilities; each row sums to 1.
    multi_label : bool, default False
        True: ``labels`` is a list of per-example label lists and ``pred_probs`` holds
        per-class probabilities; computed one-vs-rest per class (multi-label counts).

    Returns
    -------
    np.ndarray of shape (n_classes,)
        Float64 per-class thresholds.

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.count.get_confident_thresholds``. Differs only
    in its errors: bad input raises ValueError or TypeError naming the argument and the
    value (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pred_probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
    ...                        [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3],
    ...                        [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])
    >>> from cleanlearn.count import get_confident_thresholds
    >>> get_confident_thresholds(labels, pred_probs).round(3)
    array([0.567, 0.7  , 0.733])
    """
    if _is_multi_label(multi_label, "get_confident_thresholds"):
        return multilabel_count.get_confident_thresholds(labels, pred_probs)
    labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs)
    return joint_core.confident_thresholds(labels, pred_probs)


def compute_confident_joint(
    labels,
    pred_probs,
    *,
    thresholds=None,
    calibrate: bool = True,
    multi_label: bool = False,
    return_indices_of_off_diagonals: bool = False,
):
    """Count examples by (given label, confidently guessed true label): a (K, K) int matrix.

    An entry ``pred_probs[i, k]`` is confident when ``>= thresholds[k] - 1e-6``. Rows with no
    confident class are skipped; with one, that class is the guess; with several, the guess is
    the argmax over all classes (first maximum). The diagonal is raised to at least 1. With
    ``calibrate`` the matrix is rescaled to the label counts (:func:`calibrate_confident_joint`).
    With ``return_indices_of_off_diagonals`` also returns the (ascending) indices of the
    examples counted off the diagonal: ``(confident_joint, indices)``. Large inputs are
    processed in threads, one per available core (see
    :func:`cleanlearn.validation.resolve_n_threads`); the result does not depend on it.

    pred_probs may be memory-mapped or a Zarr array, larger than RAM (see
    :func:`cleanlearn.filter.find_label_issues`, Notes): 3 sequential passes (checks,
    thresholds, confident joint; 2 with ``thresholds``), a few bytes per example kept.

    Parameters
    ----------
    labels : array_like of shape (n_samples,)
        Given (possibly noisy) class index of each example, integers 0..K-1.
    pred_probs : array_like of shape (n_samples, n_classes)
        Out-of-sample predicted class probabilities; each row sums to 1.
    thresholds : array_like of shape (n_classes,), optional
        Per-class confidence thresholds; default :func:`get_confident_thresholds`.
    calibrate : bool, default True
        Rescale the counts to the label counts (:func:`calibrate_confident_joint`).
    multi_label : bool, default False
        True: ``labels`` is a list of per-example label lists and ``pred_probs`` holds
        per-class probabilities; computed one-vs-rest per class (multi-label counts).
    return_indices_of_off_diagonals : bool, default False
        Also return the indices of the examples counted off the diagonal.

    Returns
    -------
    confident_joint : np.ndarray of shape (n_classes, n_classes)
        Integer counts (multi-label: shape (n_classes, 2, 2), one 2x2 joint per class).
    indices : np.ndarray
        Only with ``return_indices_of_off_diagonals``: ascending indices of the examples
        counted off the diagonal (multi-label: a list of such arrays, one per class).

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.count.compute_confident_joint``. Differs only
    in its errors: bad input raises ValueError or TypeError naming the argument and the
    value (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pred_probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
    ...                        [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3],
    ...                        [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])
    >>> from cleanlearn.count import compute_confident_joint
    >>> compute_confident_joint(labels, pred_probs)
    array([[2, 1, 0],
           [0, 3, 0],
           [0, 0, 3]])
    >>> compute_confident_joint(labels, pred_probs, calibrate=False, return_indices_of_off_diagonals=True)
    (array([[2, 1, 0],
           [0, 2, 0],
           [0, 0, 1]]), array([2]))
    """
    if _is_multi_label(multi_label, "compute_confident_joint"):
        return multilabel_count.compute_confident_joint(
            labels,
            pred_probs,
            thresholds=thresholds,
            calibrate=calibrate,
            return_indices_of_off_diagonals=return_indices_of_off_diagonals,
        )
    validate_params(
        {"calibrate": calibrate, "return_indices_of_off_diagonals": return_indices_of_off_diagonals},
        {"calibrate": ["boolean"], "return_indices_of_off_diagonals": ["boolean"]},
        caller="compute_confident_joint",
    )
    labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs)
    n_classes = pred_probs.shape[1]
    if thresholds is not None:
        thresholds = joint_core.checked_thresholds(thresholds, n_classes)
    return joint_core.compute_confident_joint(
        labels,
        pred_probs,
        thresholds=thresholds,
        calibrate=calibrate,
        return_indices_of_off_diagonals=return_indices_of_off_diagonals,
    )


def calibrate_confident_joint(confident_joint, labels, *, multi_label: bool = False) -> np.ndarray:
    """Rescale ``confident_joint`` so row i sums to the count of label i and the total to N.

    Rows are scaled to the label counts, the matrix to ``len(labels)``, then rounded to ints
    preserving the row totals (:func:`round_preserving_row_totals`).

    Parameters
    ----------
    confident_joint : array_like of shape (n_classes, n_classes)
        Confident joint counts, rows = given label, columns = guessed true label.
    labels : array_like of shape (n_samples,)
        Given (possibly noisy) class index of each example, integers 0..K-1.
    multi_label : bool, default False
        True: ``labels`` is a list of per-example label lists and ``confident_joint`` the
        one-vs-rest joint of shape (n_classes, 2, 2), calibrated class by class.

    Returns
    -------
    np.ndarray of shape (n_classes, n_classes)
        Calibrated integer joint: row i sums to the count of label i, the total to n_samples
        (multi-label: shape (n_classes, 2, 2)).

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.count.calibrate_confident_joint``. Differs only
    in its errors: bad input raises ValueError or TypeError naming the argument and the
    value (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> from cleanlearn.count import calibrate_confident_joint
    >>> confident_joint = np.array([[2, 1], [0, 3]])
    >>> labels = np.array([0, 0, 0, 0, 1, 1])
    >>> calibrate_confident_joint(confident_joint, labels)
    array([[3, 1],
           [0, 2]])
    """
    if _is_multi_label(multi_label, "calibrate_confident_joint"):
        return multilabel_count.calibrate_confident_joint(confident_joint, labels)
    confident_joint = check_square_matrix(confident_joint, n_classes=None, name="confident_joint")
    n_classes = confident_joint.shape[0]
    labels = check_labels(labels, n_classes=n_classes)
    return joint_core.calibrate_confident_joint(confident_joint, np.bincount(labels, minlength=n_classes))


def round_preserving_row_totals(confident_joint) -> np.ndarray:
    """Round a float (K, K) matrix to ints so that each row keeps its (rounded) total.

    The reference's result (``np.round`` half to even, then 1 added to the entries with the
    largest ``float - int`` residual, or subtracted from those with the smallest, in
    ``np.argsort`` order, until the row total matches), computed in closed form.

    Parameters
    ----------
    confident_joint : array_like of shape (n_classes, n_classes)
        Float matrix to round.

    Returns
    -------
    np.ndarray of shape (n_classes, n_classes)
        Integer matrix whose row sums are the rounded row sums of the input.

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.count.round_preserving_row_totals``. Differs
    only in its errors: bad input raises ValueError or TypeError naming the argument and the
    value (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> from cleanlearn.count import round_preserving_row_totals
    >>> round_preserving_row_totals(np.array([[1.5, 1.5, 1.0], [0.4, 0.4, 2.2]]))
    array([[1, 2, 1],
           [0, 1, 2]])
    """
    return joint_core.round_preserving_row_totals(confident_joint)


# ---------------------------------------------------------------------------------------
# Joint, priors and noise matrices
# ---------------------------------------------------------------------------------------


def estimate_joint(labels, pred_probs=None, *, confident_joint=None, multi_label: bool = False) -> np.ndarray:
    """Estimate the joint ``P(given=i, true=j)``: the calibrated confident joint over its sum.

    If ``confident_joint`` is given it is (re)calibrated with ``labels`` (used as-is when
    ``labels`` is None) and ``pred_probs`` is not used; otherwise it is computed from
    ``labels`` and ``pred_probs``.

    Parameters
    ----------
    labels : array_like of shape (n_samples,) or None
        Given class index of each example, integers 0..K-1.
    pred_probs : array_like of shape (n_samples, n_classes), optional
        Out-of-sample predicted probabilities; needed unless ``confident_joint`` is given.
    confident_joint : array_like of shape (n_classes, n_classes), optional
        A precomputed confident joint, calibrated to the ``labels`` counts here (used as is
        when ``labels`` is None); computed from ``pred_probs`` when None.
    multi_label : bool, default False
        True: ``labels`` is a list of per-example label lists and ``pred_probs`` holds
        per-class probabilities; computed one-vs-rest per class (multi-label counts).

    Returns
    -------
    np.ndarray of shape (n_classes, n_classes)
        Estimated joint ``P(given=i, true=j)``, summing to 1 (multi-label: shape
        (n_classes, 2, 2), each 2x2 joint summing to 1).

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.count.estimate_joint``. Differs only in its
    errors: bad input raises ValueError or TypeError naming the argument and the value (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pred_probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
    ...                        [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3],
    ...                        [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])
    >>> from cleanlearn.count import estimate_joint
    >>> joint = estimate_joint(labels, pred_probs)
    >>> joint.round(3)
    array([[0.222, 0.111, 0.   ],
           [0.   , 0.333, 0.   ],
           [0.   , 0.   , 0.333]])
    >>> print(round(float(joint.sum()), 6))
    1.0
    """
    if _is_multi_label(multi_label, "estimate_joint"):
        return multilabel_count.estimate_joint(labels, pred_probs, confident_joint=confident_joint)
    if confident_joint is None:
        labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs)
        calibrated = joint_core.compute_confident_joint(labels, pred_probs, calibrate=True)
    else:
        confident_joint = check_square_matrix(confident_joint, n_classes=None, name="confident_joint")
        if labels is not None:
            n_classes = confident_joint.shape[0]
            labels = check_labels(labels, n_classes=n_classes)
            calibrated = joint_core.calibrate_confident_joint(confident_joint, np.bincount(labels, minlength=n_classes))
        else:
            calibrated = confident_joint
    return calibrated / np.clip(float(np.sum(calibrated)), a_min=TINY_VALUE, a_max=None)


def estimate_latent(
    confident_joint,
    labels,
    *,
    py_method: str = "cnt",
    converge_latent_estimates: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From a confident joint, estimate ``(py, noise_matrix, inverse_noise_matrix)``.

    ``noise_matrix = C / column sums`` (P(given | true)), ``inverse_noise_matrix = C.T / row
    sums`` (P(true | given)); ``py`` by ``py_method`` ("cnt", "eqn", "marginal",
    "marginal_ps") before the noise rates are clipped. ``converge_latent_estimates`` iterates
    the identities between them (3 x 5 times), then clips py at 1e-5.

    Parameters
    ----------
    confident_joint : array_like of shape (n_classes, n_classes)
        Confident joint counts, rows = given label, columns = guessed true label.
    labels : array_like of shape (n_samples,)
        Given (possibly noisy) class index of each example, integers 0..K-1.
    py_method : {"cnt", "eqn", "marginal", "marginal_ps"}, default "cnt"
        How ``py = P(true=k)`` is computed from the noise matrices (see :func:`compute_py`).
    converge_latent_estimates : bool, default False
        Iterate the identities between ``py`` and the noise matrices until they agree.

    Returns
    -------
    py : np.ndarray of shape (n_classes,)
        Estimated prior of the true labels ``P(true=k)``.
    noise_matrix : np.ndarray of shape (n_classes, n_classes)
        ``P(given=i | true=j)``, columns summing to 1.
    inverse_noise_matrix : np.ndarray of shape (n_classes, n_classes)
        ``P(true=i | given=j)``, columns summing to 1.

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.count.estimate_latent``. Differs only in its
    errors: bad input raises ValueError or TypeError naming the argument and the value (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pred_probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
    ...                        [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3],
    ...                        [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])
    >>> from cleanlearn.count import compute_confident_joint, estimate_latent
    >>> py, noise_matrix, inverse_noise_matrix = estimate_latent(compute_confident_joint(labels, pred_probs), labels)
    >>> py.round(3)
    array([0.222, 0.444, 0.333])
    >>> noise_matrix.round(3)  # P(given label = i | true label = j); columns sum to 1
    array([[1.  , 0.25, 0.  ],
           [0.  , 0.75, 0.  ],
           [0.  , 0.  , 1.  ]])
    """
    validate_params(
        {"py_method": py_method, "converge_latent_estimates": converge_latent_estimates},
        {"py_method": [Options(PY_METHODS)], "converge_latent_estimates": ["boolean"]},
        caller="estimate_latent",
    )
    confident_joint = check_square_matrix(confident_joint, n_classes=None, name="confident_joint")
    labels = check_labels(labels, n_classes=confident_joint.shape[0])
    return latent_algebra.estimate_latent(confident_joint, labels, py_method=py_method, converge_latent_estimates=converge_latent_estimates)


def estimate_py_and_noise_matrices_from_probabilities(
    labels,
    pred_probs,
    *,
    thresholds=None,
    converge_latent_estimates: bool = True,
    py_method: str = "cnt",
    calibrate: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Confident joint then latent estimates: ``(py, noise_matrix, inverse_noise_matrix,
    confident_joint)``. Note the default ``converge_latent_estimates=True`` (as the reference).
    pred_probs may be memory-mapped or a Zarr array: the passes of
    :func:`compute_confident_joint`.

    Parameters
    ----------
    labels : array_like of shape (n_samples,)
        Given (possibly noisy) class index of each example, integers 0..K-1.
    pred_probs : array_like of shape (n_samples, n_classes)
        Out-of-sample predicted class probabilities; each row sums to 1.
    thresholds : array_like of shape (n_classes,), optional
        Per-class confidence thresholds; default :func:`get_confident_thresholds`.
    converge_latent_estimates : bool, default True
        Iterate the identities between ``py`` and the noise matrices until they agree.
    py_method : {"cnt", "eqn", "marginal", "marginal_ps"}, default "cnt"
        How ``py = P(true=k)`` is computed from the noise matrices (see :func:`compute_py`).
    calibrate : bool, default True
        Calibrate the confident joint before the estimates.

    Returns
    -------
    py : np.ndarray of shape (n_classes,)
        Estimated ``P(true=k)``.
    noise_matrix : np.ndarray of shape (n_classes, n_classes)
        ``P(given=i | true=j)``.
    inverse_noise_matrix : np.ndarray of shape (n_classes, n_classes)
        ``P(true=i | given=j)``.
    confident_joint : np.ndarray of shape (n_classes, n_classes)
        The confident joint the estimates come from.

    Notes
    -----
    Same result as cleanlab 2.9's
    ``cleanlab.count.estimate_py_and_noise_matrices_from_probabilities``. Differs only in
    its errors: bad input raises ValueError or TypeError naming the argument and the value
    (see :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pred_probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
    ...                        [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3],
    ...                        [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])
    >>> from cleanlearn.count import estimate_py_and_noise_matrices_from_probabilities
    >>> py, noise_matrix, inverse_noise_matrix, confident_joint = estimate_py_and_noise_matrices_from_probabilities(labels, pred_probs)
    >>> inverse_noise_matrix.round(3)  # P(true label = j | given label = i); columns sum to 1
    array([[0.667, 0.   , 0.   ],
           [0.333, 1.   , 0.   ],
           [0.   , 0.   , 1.   ]])
    >>> confident_joint
    array([[2, 1, 0],
           [0, 3, 0],
           [0, 0, 3]])
    """
    validate_params(
        {"py_method": py_method, "converge_latent_estimates": converge_latent_estimates, "calibrate": calibrate},
        {"py_method": [Options(PY_METHODS)], "converge_latent_estimates": ["boolean"], "calibrate": ["boolean"]},
        caller="estimate_py_and_noise_matrices_from_probabilities",
    )
    labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs)
    if thresholds is not None:
        thresholds = joint_core.checked_thresholds(thresholds, pred_probs.shape[1])
    confident_joint = joint_core.compute_confident_joint(labels, pred_probs, thresholds=thresholds, calibrate=calibrate)
    py, noise_matrix, inverse_noise_matrix = latent_algebra.estimate_latent(
        confident_joint, labels, py_method=py_method, converge_latent_estimates=converge_latent_estimates
    )
    return py, noise_matrix, inverse_noise_matrix, confident_joint


# ---------------------------------------------------------------------------------------
# Cross-validated predicted probabilities
# ---------------------------------------------------------------------------------------


def estimate_confident_joint_and_cv_pred_proba(
    X,
    labels,
    clf=None,
    *,
    cv_n_folds: int = 5,
    thresholds=None,
    seed=None,
    calibrate: bool = True,
    clf_kwargs: dict | None = None,
    validation_func=None,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Cross-validated ``pred_probs`` (StratifiedKFold, shuffled with ``seed``) and their
    confident joint: ``(confident_joint, pred_probs)``.

    ``clf`` defaults to ``LogisticRegression()``; each fold fits ``sklearn.base.clone(clf)``
    (``clf`` itself is never fitted) with ``clf.fit(X_train, y_train, **clf_kwargs,
    **validation_func(X_holdout, y_holdout))``. ``n_jobs`` (None/1 serial, -1 all cores) runs
    the folds in parallel with joblib; the result is identical to serial.

    Parameters
    ----------
    X : array_like of shape (n_samples, ...)
        Features, indexed by row (``X[train_idx]``) for each fold.
    labels : array_like of shape (n_samples,)
        Given (possibly noisy) class index of each example, integers 0..K-1.
    clf : scikit-learn compatible classifier, optional
        Estimator with ``fit`` and ``predict_proba``; cloned for each fold, never fitted
        itself. Default ``LogisticRegression()``.
    cv_n_folds : int >= 2, default 5
        Number of stratified cross-validation folds.
    thresholds : array_like of shape (n_classes,), optional
        Per-class confidence thresholds; default :func:`get_confident_thresholds`.
    seed : int >= 0 or np.random.RandomState, optional
        ``random_state`` of the shuffled StratifiedKFold split (None: not reproducible).
    calibrate : bool, default True
        Calibrate the confident joint (:func:`calibrate_confident_joint`).
    clf_kwargs : dict, optional
        Extra keyword arguments passed to ``clf.fit`` in every fold.
    validation_func : callable, optional
        ``validation_func(X_holdout, y_holdout)`` returns a dict of extra ``clf.fit`` keyword
        arguments for the fold (e.g. an early-stopping validation set).
    n_jobs : int, optional
        Folds fitted in parallel with joblib: None or 1 serial, -1 all cores. The result is
        identical to serial.

    Returns
    -------
    confident_joint : np.ndarray of shape (n_classes, n_classes)
        Confident joint of the cross-validated probabilities.
    pred_probs : np.ndarray of shape (n_samples, n_classes)
        Out-of-sample predicted probabilities, each from the fold that held the example out.

    Notes
    -----
    Same result as cleanlab 2.9's
    ``cleanlab.count.estimate_confident_joint_and_cv_pred_proba``. Differs only in its
    errors: bad input raises ValueError or TypeError naming the argument and the value (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> X, labels = load_iris(return_X_y=True)
    >>> labels = labels.copy(); labels[[0, 60, 120]] = [1, 2, 0]  # three wrong labels
    >>> from cleanlearn.count import estimate_confident_joint_and_cv_pred_proba
    >>> confident_joint, pred_probs = estimate_confident_joint_and_cv_pred_proba(X, labels, GaussianNB(), cv_n_folds=3, seed=0)
    >>> confident_joint
    array([[49,  0,  1],
           [ 1, 48,  1],
           [ 0,  3, 47]])
    """
    caller = "estimate_confident_joint_and_cv_pred_proba"
    validate_params({"calibrate": calibrate}, {"calibrate": ["boolean"]}, caller=caller)
    labels, n_classes, clf, clf_kwargs, n_jobs = cross_validation.check_cv_inputs(
        X, labels, clf, cv_n_folds, seed, clf_kwargs, validation_func, n_jobs, caller
    )
    if thresholds is not None:
        thresholds = joint_core.checked_thresholds(thresholds, n_classes)
    pred_probs = cross_validation.cv_pred_probs(X, labels, n_classes, clf, cv_n_folds, seed, clf_kwargs, validation_func, n_jobs)
    confident_joint = joint_core.compute_confident_joint(labels, pred_probs, thresholds=thresholds, calibrate=calibrate)
    return confident_joint, pred_probs


def estimate_py_noise_matrices_and_cv_pred_proba(
    X,
    labels,
    clf=None,
    *,
    cv_n_folds: int = 5,
    thresholds=None,
    converge_latent_estimates: bool = False,
    py_method: str = "cnt",
    seed=None,
    clf_kwargs: dict | None = None,
    validation_func=None,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cross-validated pred_probs and everything estimated from them:
    ``(py, noise_matrix, inverse_noise_matrix, confident_joint, pred_probs)``.

    Parameters
    ----------
    X : array_like of shape (n_samples, ...)
        Features, indexed by row (``X[train_idx]``) for each fold.
    labels : array_like of shape (n_samples,)
        Given (possibly noisy) class index of each example, integers 0..K-1.
    clf : scikit-learn compatible classifier, optional
        Estimator with ``fit`` and ``predict_proba``; cloned for each fold, never fitted
        itself. Default ``LogisticRegression()``.
    cv_n_folds : int >= 2, default 5
        Number of stratified cross-validation folds.
    thresholds : array_like of shape (n_classes,), optional
        Per-class confidence thresholds; default :func:`get_confident_thresholds`.
    converge_latent_estimates : bool, default False
        Iterate the identities between ``py`` and the noise matrices until they agree.
    py_method : {"cnt", "eqn", "marginal", "marginal_ps"}, default "cnt"
        How ``py = P(true=k)`` is computed from the noise matrices (see :func:`compute_py`).
    seed : int >= 0 or np.random.RandomState, optional
        ``random_state`` of the shuffled StratifiedKFold split (None: not reproducible).
    clf_kwargs : dict, optional
        Extra keyword arguments passed to ``clf.fit`` in every fold.
    validation_func : callable, optional
        ``validation_func(X_holdout, y_holdout)`` returns a dict of extra ``clf.fit`` keyword
        arguments for the fold (e.g. an early-stopping validation set).
    n_jobs : int, optional
        Folds fitted in parallel with joblib: None or 1 serial, -1 all cores. The result is
        identical to serial.

    Returns
    -------
    py : np.ndarray of shape (n_classes,)
        Estimated ``P(true=k)``.
    noise_matrix : np.ndarray of shape (n_classes, n_classes)
        ``P(given=i | true=j)``.
    inverse_noise_matrix : np.ndarray of shape (n_classes, n_classes)
        ``P(true=i | given=j)``.
    confident_joint : np.ndarray of shape (n_classes, n_classes)
        Calibrated confident joint.
    pred_probs : np.ndarray of shape (n_samples, n_classes)
        Out-of-sample predicted probabilities.

    Notes
    -----
    Same result as cleanlab 2.9's
    ``cleanlab.count.estimate_py_noise_matrices_and_cv_pred_proba``. Differs only in its
    errors: bad input raises ValueError or TypeError naming the argument and the value (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> X, labels = load_iris(return_X_y=True)
    >>> labels = labels.copy(); labels[[0, 60, 120]] = [1, 2, 0]  # three wrong labels
    >>> from cleanlearn.count import estimate_py_noise_matrices_and_cv_pred_proba
    >>> py, noise_matrix, inverse_noise_matrix, confident_joint, pred_probs = estimate_py_noise_matrices_and_cv_pred_proba(
    ...     X, labels, GaussianNB(), cv_n_folds=3, seed=0)
    >>> py.round(3)
    array([0.333, 0.34 , 0.327])
    >>> pred_probs.shape
    (150, 3)
    """
    validate_params(
        {"py_method": py_method, "converge_latent_estimates": converge_latent_estimates},
        {"py_method": [Options(PY_METHODS)], "converge_latent_estimates": ["boolean"]},
        caller="estimate_py_noise_matrices_and_cv_pred_proba",
    )
    confident_joint, pred_probs = estimate_confident_joint_and_cv_pred_proba(
        X,
        labels,
        clf,
        cv_n_folds=cv_n_folds,
        thresholds=thresholds,
        seed=seed,
        clf_kwargs=clf_kwargs,
        validation_func=validation_func,
        n_jobs=n_jobs,
    )
    labels = check_labels(labels)
    py, noise_matrix, inverse_noise_matrix = latent_algebra.estimate_latent(
        confident_joint, labels, py_method=py_method, converge_latent_estimates=converge_latent_estimates
    )
    return py, noise_matrix, inverse_noise_matrix, confident_joint, pred_probs


def estimate_cv_predicted_probabilities(
    X,
    labels,
    clf=None,
    *,
    cv_n_folds: int = 5,
    seed=None,
    clf_kwargs: dict | None = None,
    validation_func=None,
    n_jobs: int | None = None,
) -> np.ndarray:
    """Out-of-sample predicted probabilities of every example by cross-validation, (N, K).

    Parameters
    ----------
    X : array_like of shape (n_samples, ...)
        Features, indexed by row (``X[train_idx]``) for each fold.
    labels : array_like of shape (n_samples,)
        Given (possibly noisy) class index of each example, integers 0..K-1.
    clf : scikit-learn compatible classifier, optional
        Estimator with ``fit`` and ``predict_proba``; cloned for each fold, never fitted
        itself. Default ``LogisticRegression()``.
    cv_n_folds : int >= 2, default 5
        Number of stratified cross-validation folds.
    seed : int >= 0 or np.random.RandomState, optional
        ``random_state`` of the shuffled StratifiedKFold split (None: not reproducible).
    clf_kwargs : dict, optional
        Extra keyword arguments passed to ``clf.fit`` in every fold.
    validation_func : callable, optional
        ``validation_func(X_holdout, y_holdout)`` returns a dict of extra ``clf.fit`` keyword
        arguments for the fold (e.g. an early-stopping validation set).
    n_jobs : int, optional
        Folds fitted in parallel with joblib: None or 1 serial, -1 all cores. The result is
        identical to serial.

    Returns
    -------
    np.ndarray of shape (n_samples, n_classes)
        Out-of-sample predicted probabilities, each from the fold that held the example out.

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.count.estimate_cv_predicted_probabilities``.
    Differs only in its errors: bad input raises ValueError or TypeError naming the argument
    and the value (see :doc:`/reference/differences`).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> X, labels = load_iris(return_X_y=True)
    >>> labels = labels.copy(); labels[[0, 60, 120]] = [1, 2, 0]  # three wrong labels
    >>> from cleanlearn.count import estimate_cv_predicted_probabilities
    >>> pred_probs = estimate_cv_predicted_probabilities(X, labels, GaussianNB(), cv_n_folds=3, seed=0)
    >>> pred_probs.shape
    (150, 3)
    >>> pred_probs[[0, 60, 120]].round(3)  # out of sample: the wrong labels get little probability
    array([[1., 0., 0.],
           [0., 1., 0.],
           [0., 0., 1.]])
    """
    labels, n_classes, clf, clf_kwargs, n_jobs = cross_validation.check_cv_inputs(
        X, labels, clf, cv_n_folds, seed, clf_kwargs, validation_func, n_jobs, "estimate_cv_predicted_probabilities"
    )
    return cross_validation.cv_pred_probs(X, labels, n_classes, clf, cv_n_folds, seed, clf_kwargs, validation_func, n_jobs)


def estimate_noise_matrices(
    X,
    labels,
    clf=None,
    *,
    cv_n_folds: int = 5,
    thresholds=None,
    converge_latent_estimates: bool = True,
    seed=None,
    clf_kwargs: dict | None = None,
    validation_func=None,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(noise_matrix, inverse_noise_matrix)`` estimated with cross-validated pred_probs.

    Parameters
    ----------
    X : array_like of shape (n_samples, ...)
        Features, indexed by row (``X[train_idx]``) for each fold.
    labels : array_like of shape (n_samples,)
        Given (possibly noisy) class index of each example, integers 0..K-1.
    clf : scikit-learn compatible classifier, optional
        Estimator with ``fit`` and ``predict_proba``; cloned for each fold, never fitted
        itself. Default ``LogisticRegression()``.
    cv_n_folds : int >= 2, default 5
        Number of stratified cross-validation folds.
    thresholds : array_like of shape (n_classes,), optional
        Per-class confidence thresholds; default :func:`get_confident_thresholds`.
    converge_latent_estimates : bool, default True
        Iterate the identities between ``py`` and the noise matrices until they agree.
    seed : int >= 0 or np.random.RandomState, optional
        ``random_state`` of the shuffled StratifiedKFold split (None: not reproducible).
    clf_kwargs : dict, optional
        Extra keyword arguments passed to ``clf.fit`` in every fold.
    validation_func : callable, optional
        ``validation_func(X_holdout, y_holdout)`` returns a dict of extra ``clf.fit`` keyword
        arguments for the fold (e.g. an early-stopping validation set).
    n_jobs : int, optional
        Folds fitted in parallel with joblib: None or 1 serial, -1 all cores. The result is
        identical to serial.

    Returns
    -------
    noise_matrix : np.ndarray of shape (n_classes, n_classes)
        ``P(given=i | true=j)``.
    inverse_noise_matrix : np.ndarray of shape (n_classes, n_classes)
        ``P(true=i | given=j)``.

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.count.estimate_noise_matrices``. Differs only
    in its errors: bad input raises ValueError or TypeError naming the argument and the
    value (see :doc:`/reference/differences`).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> X, labels = load_iris(return_X_y=True)
    >>> labels = labels.copy(); labels[[0, 60, 120]] = [1, 2, 0]  # three wrong labels
    >>> from cleanlearn.count import estimate_noise_matrices
    >>> noise_matrix, inverse_noise_matrix = estimate_noise_matrices(X, labels, GaussianNB(), cv_n_folds=3, seed=0)
    >>> noise_matrix.round(3)
    array([[0.98 , 0.   , 0.02 ],
           [0.02 , 0.941, 0.02 ],
           [0.   , 0.059, 0.959]])
    """
    return estimate_py_noise_matrices_and_cv_pred_proba(
        X,
        labels,
        clf,
        cv_n_folds=cv_n_folds,
        thresholds=thresholds,
        converge_latent_estimates=converge_latent_estimates,
        seed=seed,
        clf_kwargs=clf_kwargs,
        validation_func=validation_func,
        n_jobs=n_jobs,
    )[1:-2]


# ---------------------------------------------------------------------------------------
# Number of label issues
# ---------------------------------------------------------------------------------------


def num_label_issues(
    labels,
    pred_probs,
    *,
    confident_joint=None,
    estimation_method: str = "off_diagonal",
    multi_label: bool = False,
) -> int:
    """Estimate how many examples have label issues.

    * "off_diagonal": examples counted off the diagonal of the (uncalibrated) confident
      joint, minus those whose label is the model's prediction up to 1e-6 (the post-filter);
      equals ``find_label_issues(filter_by="confident_learning").sum()``.
    * "off_diagonal_calibrated": ``rint((1 - trace(joint)) * N)`` with the calibrated joint.
    * "off_diagonal_custom": the same with the given ``confident_joint``.

    Parameters
    ----------
    labels : array_like of shape (n_samples,)
        Given (possibly noisy) class index of each example, integers 0..K-1.
    pred_probs : array_like of shape (n_samples, n_classes)
        Out-of-sample predicted class probabilities; each row sums to 1.
    confident_joint : array_like of shape (n_classes, n_classes), optional
        Used (and required) by "off_diagonal_custom" only.
    estimation_method : {"off_diagonal", "off_diagonal_calibrated", "off_diagonal_custom"}, default "off_diagonal"
        How the count is estimated (see above).
    multi_label : bool, default False
        True: ``labels`` is a list of per-example label lists and ``pred_probs`` holds
        per-class probabilities; computed one-vs-rest per class (multi-label counts).

    Returns
    -------
    int
        Estimated number of examples with label issues.

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.count.num_label_issues``. Differs only in its
    errors: bad input raises ValueError or TypeError naming the argument and the value (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pred_probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
    ...                        [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3],
    ...                        [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.1, 0.2, 0.7]])
    >>> from cleanlearn.count import num_label_issues
    >>> num_label_issues(labels, pred_probs)
    1
    >>> num_label_issues(labels, pred_probs, estimation_method='off_diagonal_calibrated')
    1
    """
    multi_label = _is_multi_label(multi_label, "num_label_issues")
    validate_params(
        {"estimation_method": estimation_method},
        {"estimation_method": [Options(ESTIMATION_METHODS)]},
        caller="num_label_issues",
    )
    if confident_joint is not None and estimation_method != "off_diagonal_custom":
        warnings.warn(
            "The supplied `confident_joint` is ignored as `confident_joint` is recomputed internally using "
            "the supplied `labels` and `pred_probs`. If you still want to use custom `confident_joint` call "
            "function with `estimation_method='off_diagonal_custom'`.",
            stacklevel=2,
        )
    if multi_label:  # as the reference: the confident_learning count, whatever the method
        return multilabel_count.num_label_issues(labels, pred_probs)
    labels, pred_probs = check_labels_and_pred_probs(labels, pred_probs)
    n_samples, n_classes = pred_probs.shape
    if np.all(labels == labels[0]):  # as the reference: no issues to count within one class
        raise ValueError(f"labels must contain at least 2 classes; all {n_samples} labels are {labels[0]}.")

    if estimation_method == "off_diagonal":
        _, off_diagonal_indices = joint_core.compute_confident_joint(
            labels, pred_probs, calibrate=False, return_indices_of_off_diagonals=True
        )
        is_issue = np.zeros(n_samples, dtype=bool)
        is_issue[off_diagonal_indices] = True
        is_issue[joint_core.reduce_issues(pred_probs, labels)] = False
        return int(np.sum(is_issue))

    if estimation_method == "off_diagonal_calibrated":
        confident_joint = joint_core.compute_confident_joint(labels, pred_probs, calibrate=True)
    elif confident_joint is None:
        raise ValueError(
            "estimation_method='off_diagonal_custom' needs a pre-computed confident_joint "
            "(e.g. from compute_confident_joint); got confident_joint=None."
        )
    else:
        confident_joint = check_square_matrix(confident_joint, n_classes=n_classes, name="confident_joint")
    # estimate_joint recalibrates to the label counts, as the reference does.
    calibrated = joint_core.calibrate_confident_joint(confident_joint, np.bincount(labels, minlength=n_classes))
    joint = calibrated / np.clip(float(np.sum(calibrated)), a_min=TINY_VALUE, a_max=None)
    fraction_of_issues = 1.0 - joint.trace()
    return int(np.rint(fraction_of_issues * n_samples))


# ---------------------------------------------------------------------------------------
# The latent algebra, as cleanlab.count re-exports it from cleanlab.internal.latent_algebra
# (the same expressions: cleanlearn._core.latent_algebra). Notation: ps = P(given=k),
# py = P(true=k), noise matrix P(given=i | true=j), inverse noise matrix P(true=i | given=j).


def _prior(values: Any, n_classes: int, name: str) -> np.ndarray:
    """A (K,) prior; cleanlab also takes (1, K)."""
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if array.shape != (n_classes,):
        raise ValueError(f"{name} must have shape ({n_classes},) for a ({n_classes}, {n_classes}) matrix; "
                         f"got shape {np.shape(values)}.")
    return array


def compute_py(
    ps: Any,
    noise_matrix: Any,
    inverse_noise_matrix: Any,
    *,
    py_method: str = "cnt",
    true_labels_class_counts: Any = None,
) -> np.ndarray:
    """``py = P(true=k)`` from ``ps = P(given=k)`` and the two noise matrices (cleanlab's
    ``compute_py``): ``py_method`` cnt (ratio of the diagonals, robust), eqn, marginal (needs
    ``true_labels_class_counts``) or marginal_ps; clipped to (0, 1] and normalised.

    Parameters
    ----------
    ps : array_like of shape (n_classes,)
        Prior of the given labels ``P(given=k)`` (shape (1, n_classes) also accepted).
    noise_matrix : array_like of shape (n_classes, n_classes)
        ``P(given=i | true=j)``, columns summing to 1.
    inverse_noise_matrix : array_like of shape (n_classes, n_classes)
        ``P(true=i | given=j)``, columns summing to 1.
    py_method : {"cnt", "eqn", "marginal", "marginal_ps"}, default "cnt"
        Estimation method.
    true_labels_class_counts : array_like of shape (n_classes,), optional
        Count of each true class; required by "marginal".

    Returns
    -------
    np.ndarray of shape (n_classes,)
        ``py = P(true=k)``, clipped to (0, 1] and summing to 1.

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.count.compute_py`` (re-exported there from
    ``cleanlab.internal.latent_algebra``). Differs only in its errors: bad input raises
    ValueError or TypeError naming the argument and the value (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> noise_matrix = np.array([[0.8, 0.1, 0.2], [0.1, 0.8, 0.1], [0.1, 0.1, 0.7]])  # P(given | true)
    >>> py = np.array([0.5, 0.3, 0.2])                                          # P(true)
    >>> from cleanlearn.count import compute_inv_noise_matrix, compute_py
    >>> inverse = compute_inv_noise_matrix(py, noise_matrix)
    >>> ps = (noise_matrix * py).sum(axis=1)                                    # P(given)
    >>> compute_py(ps, noise_matrix, inverse).round(3)
    array([0.5, 0.3, 0.2])
    """
    validate_params({"py_method": py_method}, {"py_method": [Options(PY_METHODS)]}, caller="compute_py")
    noise_matrix = check_square_matrix(noise_matrix, n_classes=None, name="noise_matrix")
    n_classes = noise_matrix.shape[0]
    inverse_noise_matrix = check_square_matrix(inverse_noise_matrix, n_classes=n_classes,
                                               name="inverse_noise_matrix")
    if py_method == "marginal" and true_labels_class_counts is None:
        raise ValueError("py_method='marginal' needs true_labels_class_counts; got None.")
    counts = None if true_labels_class_counts is None else _prior(true_labels_class_counts, n_classes,
                                                                  "true_labels_class_counts")
    return latent_algebra.compute_py(_prior(ps, n_classes, "ps"), noise_matrix, inverse_noise_matrix,
                                     py_method=py_method, true_labels_class_counts=counts)


def compute_inv_noise_matrix(py: Any, noise_matrix: Any, *, ps: Any = None) -> np.ndarray:
    """The inverse noise matrix ``P(true | given)`` from ``py`` and the noise matrix
    ``P(given | true)`` (cleanlab's ``compute_inv_noise_matrix``); ``ps`` defaults to the
    rows of ``noise_matrix * py`` summed.

    Parameters
    ----------
    py : array_like of shape (n_classes,)
        Prior of the true labels ``P(true=k)``.
    noise_matrix : array_like of shape (n_classes, n_classes)
        ``P(given=i | true=j)``, columns summing to 1.
    ps : array_like of shape (n_classes,), optional
        Prior of the given labels; computed as ``noise_matrix @ py`` when None.

    Returns
    -------
    np.ndarray of shape (n_classes, n_classes)
        Inverse noise matrix ``P(true=i | given=j)``.

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.count.compute_inv_noise_matrix`` (re-exported there from
    ``cleanlab.internal.latent_algebra``). Differs only in its errors: bad input raises
    ValueError or TypeError naming the argument and the value (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> noise_matrix = np.array([[0.8, 0.1, 0.2], [0.1, 0.8, 0.1], [0.1, 0.1, 0.7]])  # P(given | true)
    >>> py = np.array([0.5, 0.3, 0.2])                                          # P(true)
    >>> from cleanlearn.count import compute_inv_noise_matrix
    >>> compute_inv_noise_matrix(py, noise_matrix).round(3)
    array([[0.851, 0.161, 0.227],
           [0.064, 0.774, 0.136],
           [0.085, 0.065, 0.636]])
    """
    noise_matrix = check_square_matrix(noise_matrix, n_classes=None, name="noise_matrix")
    py = _prior(py, noise_matrix.shape[0], "py")
    ps = (noise_matrix * py).sum(axis=1) if ps is None else _prior(ps, noise_matrix.shape[0], "ps")
    return latent_algebra.compute_inverse_noise_matrix(py, noise_matrix, ps)


def compute_noise_matrix_from_inverse(ps: Any, inverse_noise_matrix: Any, *, py: Any = None) -> np.ndarray:
    """The noise matrix ``P(given | true)`` from ``ps`` and the inverse noise matrix
    (cleanlab's ``compute_noise_matrix_from_inverse``); ``py`` defaults to the columns of
    ``(inverse_noise_matrix * ps).T`` summed.

    Parameters
    ----------
    ps : array_like of shape (n_classes,)
        Prior of the given labels ``P(given=k)``.
    inverse_noise_matrix : array_like of shape (n_classes, n_classes)
        ``P(true=i | given=j)``, columns summing to 1.
    py : array_like of shape (n_classes,), optional
        Prior of the true labels; computed as ``inverse_noise_matrix @ ps`` when None.

    Returns
    -------
    np.ndarray of shape (n_classes, n_classes)
        Noise matrix ``P(given=i | true=j)``.

    Notes
    -----
    Same result as cleanlab 2.9's ``cleanlab.count.compute_noise_matrix_from_inverse`` (re-exported there from
    ``cleanlab.internal.latent_algebra``). Differs only in its errors: bad input raises
    ValueError or TypeError naming the argument and the value (see
    :doc:`/reference/differences`).

    Examples
    --------
    >>> import numpy as np
    >>> noise_matrix = np.array([[0.8, 0.1, 0.2], [0.1, 0.8, 0.1], [0.1, 0.1, 0.7]])  # P(given | true)
    >>> py = np.array([0.5, 0.3, 0.2])                                          # P(true)
    >>> from cleanlearn.count import compute_inv_noise_matrix, compute_noise_matrix_from_inverse
    >>> inverse = compute_inv_noise_matrix(py, noise_matrix)
    >>> ps = (noise_matrix * py).sum(axis=1)
    >>> np.allclose(compute_noise_matrix_from_inverse(ps, inverse), noise_matrix)  # the round trip
    True
    """
    inverse_noise_matrix = check_square_matrix(inverse_noise_matrix, n_classes=None, name="inverse_noise_matrix")
    ps = _prior(ps, inverse_noise_matrix.shape[0], "ps")
    py = (inverse_noise_matrix * ps).T.sum(axis=0) if py is None else _prior(py, inverse_noise_matrix.shape[0], "py")
    return latent_algebra.compute_noise_matrix_from_inverse(ps, inverse_noise_matrix, py)
