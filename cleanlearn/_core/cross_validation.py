"""Cross-validated predicted probabilities with scikit-learn, as ``cleanlab.count`` 2.9.0 computes them.

StratifiedKFold (shuffled with the seed) splits the examples; a class missing from a
training fold gets its first holdout example copied into it (its holdout prediction is then
one-hot), as the reference does. Each fold fits ``sklearn.base.clone(clf)``; folds run in
joblib workers when ``n_jobs`` asks for it, and idle workers of a last, partial round are
lent to the folds' fits (:mod:`cleanlearn._core.workers`). Results equal the serial ones.

The public entry points are :mod:`cleanlearn.count`'s ``estimate_cv_predicted_probabilities``
and the functions built on it.
"""

from __future__ import annotations

import itertools
import logging
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
import scipy.sparse
import sklearn.base
from joblib import Parallel, delayed
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from cleanlearn._core import rows, workers
from cleanlearn._core.validation import Interval, check_labels, check_n_jobs, validate_params

# The progress of the folds is logged under cleanlearn.count, where the public functions
# that run them live (and where it was logged before this module existed).
logger = logging.getLogger("cleanlearn.count")


def append_rows(X_train, X_holdout, positions: list[int]):
    """X_train with rows ``positions`` of X_holdout appended (the reference's duplication)."""
    if not positions:
        return X_train
    extra = rows.take_rows(X_holdout, np.asarray(positions))
    if isinstance(X_train, np.ndarray):
        return np.concatenate([X_train, extra])
    if hasattr(X_train, "iloc"):
        return pd.concat([X_train, extra]).reset_index(drop=True)
    if scipy.sparse.issparse(X_train):
        return scipy.sparse.vstack([X_train, extra], format=X_train.format)
    if isinstance(X_train, list):
        return X_train + list(extra)
    raise TypeError(f"Cannot append rows to X of type {type(X_train).__name__} (a class is missing from a fold).")


def plan_folds(labels: np.ndarray, n_classes: int, cv_n_folds: int, seed) -> list[tuple]:
    """Fold splits plus, per fold, the holdout positions duplicated into training.

    A class missing from a training fold gets its first holdout example copied into it
    (that example's holdout prediction is later set to one-hot), as the reference does.
    """
    _check_folds(labels, n_classes, cv_n_folds)
    splitter = StratifiedKFold(n_splits=cv_n_folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():  # said below, naming cv_n_folds
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        splits = list(splitter.split(X=labels, y=labels))
    folds = []
    for train_index, holdout_index in splits:
        train_classes = np.flatnonzero(np.bincount(labels[train_index], minlength=n_classes))
        duplicated = {}  # missing class -> its first position in the holdout fold
        if train_classes.size < n_classes:
            # The same set operation as the reference: the examples are appended in this set's
            # iteration order (not always ascending), and row order changes a fit's last bits.
            missing_classes = set(range(n_classes)).difference(set(train_classes.tolist()))
            warnings.warn(
                "Duplicated some data across multiple folds to ensure training does not fail "
                f"because these classes do not have enough data for proper cross-validation: "
                f"{missing_classes}.",
                stacklevel=4,  # the caller of estimate_cv_predicted_probabilities & co.
            )
            holdout_labels = labels[holdout_index]
            for missing_class in missing_classes:
                duplicated[missing_class] = int(np.flatnonzero(holdout_labels == missing_class)[0])
        folds.append((train_index, holdout_index, duplicated))
    return folds


def _check_folds(labels: np.ndarray, n_classes: int, cv_n_folds: int) -> None:
    """Refuse (every class smaller) or warn (the smallest class smaller) about ``cv_n_folds``."""
    counts = np.bincount(labels, minlength=n_classes)
    present = np.flatnonzero(counts)
    largest = int(counts.max())
    if largest < cv_n_folds:
        raise ValueError(f"cv_n_folds={cv_n_folds} is larger than every class (the largest has {largest} "
                         f"examples); set cv_n_folds <= {largest}.")
    smallest = present[np.argmin(counts[present])]
    if counts[smallest] < cv_n_folds:
        advice = (f"Set cv_n_folds <= {counts[smallest]} for every fold to see every class."
                  if counts[smallest] >= 2 else "Its examples are copied into the training folds that lack it.")
        warnings.warn(
            f"cv_n_folds={cv_n_folds} is larger than the smallest class (class {smallest} has "
            f"{counts[smallest]} examples): some folds hold none of it. {advice}",
            UserWarning,
            stacklevel=5,  # _check_folds < plan_folds < cv_pred_probs < count's function < its caller
        )


def fit_predict_fold(
    X, labels, clf, train_index, holdout_index, duplicated, clf_kwargs, validation_func, n_classes, fit_workers=1
):
    """Fit a clone of clf on one training fold; return its predicted probabilities on the holdout.

    ``fit_workers`` > 1 lends that many workers to the clone's fit (see ``_workers``)."""
    try:
        model = sklearn.base.clone(clf)
    except Exception as error:
        raise ValueError(
            "clf must be clonable via sklearn.base.clone(clf) (implement get_params()), or compute "
            "out-of-sample pred_probs yourself and pass them in."
        ) from error
    X_train, X_holdout = rows.take_rows(X, train_index), rows.take_rows(X, holdout_index)
    labels_train, labels_holdout = labels[train_index], labels[holdout_index]
    positions = list(duplicated.values())
    if positions:
        labels_train = np.append(labels_train, labels_holdout[positions])
        X_train = append_rows(X_train, X_holdout, positions)
    validation_kwargs = {} if validation_func is None else validation_func(X_holdout, labels_holdout)
    with workers.fitting_with(model, fit_workers):
        model.fit(X_train, labels_train, **clf_kwargs, **validation_kwargs)
    fold_pred_probs = np.array(model.predict_proba(X_holdout))  # a copy: rows are edited below
    if fold_pred_probs.ndim != 2 or fold_pred_probs.shape != (len(holdout_index), n_classes):
        raise ValueError(
            f"clf.predict_proba returned shape {fold_pred_probs.shape} on a holdout fold of "
            f"{len(holdout_index)} examples; expected ({len(holdout_index)}, {n_classes})."
        )
    for missing_class, position in duplicated.items():
        # The duplicated example was trained on: predict its given label with full confidence.
        fold_pred_probs[position] = 0.0
        fold_pred_probs[position, missing_class] = 1.0
    return fold_pred_probs


def check_cv_inputs(X, labels, clf, cv_n_folds, seed, clf_kwargs, validation_func, n_jobs, caller):
    """Check the arguments shared by count's cross-validating functions; return
    ``(labels, n_classes, clf, clf_kwargs, n_jobs)`` with the defaults filled in."""
    validate_params(
        {"cv_n_folds": cv_n_folds, "seed": seed},
        {"cv_n_folds": [Interval(Integral, 2, None)], "seed": [None, Interval(Integral, 0, None), np.random.RandomState]},
        caller=caller,
    )
    n_jobs = check_n_jobs(n_jobs)
    if X is None:
        raise TypeError(f"X is required by {caller}; got None.")
    labels = check_labels(labels)
    n_classes = int(labels.max()) + 1
    present = np.bincount(labels, minlength=n_classes) > 0
    if not present.all():
        raise ValueError(
            f"labels must contain every class 0..{n_classes - 1} for cross-validation; "
            f"classes {np.flatnonzero(~present).tolist()} have no examples."
        )
    if n_classes < 2:
        raise ValueError("labels must contain at least 2 classes for cross-validation.")
    n_rows = rows.n_samples(X)
    if n_rows != labels.shape[0]:
        raise ValueError(f"X has {n_rows} rows but labels has {labels.shape[0]} entries; they must match.")
    if clf is None:
        clf = LogisticRegression(solver="lbfgs")
    else:
        for method in ("fit", "predict_proba"):
            if not callable(getattr(clf, method, None)):
                raise TypeError(f"clf must implement fit and predict_proba; {type(clf).__name__} lacks {method}.")
    if clf_kwargs is None:
        clf_kwargs = {}
    elif not isinstance(clf_kwargs, dict):
        raise TypeError(f"clf_kwargs must be a dict of keyword arguments for clf.fit; got {type(clf_kwargs).__name__}.")
    if validation_func is not None and not callable(validation_func):
        raise TypeError("validation_func must be a callable with arguments (X_val, y_val).")
    return labels, n_classes, clf, clf_kwargs, n_jobs


def cv_pred_probs(X, labels, n_classes, clf, cv_n_folds, seed, clf_kwargs, validation_func, n_jobs) -> np.ndarray:
    """Out-of-sample pred_probs (N, K) of checked inputs: one clone of clf per fold, folds in
    ``n_jobs`` joblib workers (results in fold order, identical to serial)."""
    folds = plan_folds(labels, n_classes, cv_n_folds, seed)
    n_workers = workers.n_workers(n_jobs)
    # Full rounds of `n_workers` folds side by side; the folds of a last, partial round get the
    # idle workers lent to their fit instead, when the classifier can use them.
    n_tail = len(folds) % n_workers if n_workers > 1 and workers.lendable(clf) else 0
    n_head = len(folds) - n_tail

    def run(fold_plans, n_parallel, fit_workers):
        jobs = (
            delayed(fit_predict_fold)(
                X, labels, clf, train, holdout, dup, clf_kwargs, validation_func, n_classes, fit_workers
            )
            for train, holdout, dup in fold_plans
        )
        if n_parallel <= 1:
            return (function(*args, **kwargs) for function, args, kwargs in jobs)
        # Results arrive in fold order; as a generator, so each fold is logged when it is done.
        return Parallel(n_jobs=n_parallel, return_as="generator")(jobs)

    fold_results = itertools.chain(
        run(folds[:n_head], n_workers, 1), run(folds[n_head:], n_tail, n_workers // max(n_tail, 1))
    )
    pred_probs = np.zeros(shape=(len(labels), n_classes))
    for fold, ((_, holdout_index, _), fold_pred_probs) in enumerate(zip(folds, fold_results, strict=True)):
        pred_probs[holdout_index] = fold_pred_probs
        logger.info("cross-validation fold %d/%d done (%d held out)", fold + 1, len(folds), len(holdout_index))
    return pred_probs
