"""CleanLearning: train any scikit-learn classifier as if its noisy labels had been clean.

A drop-in for ``cleanlab.classification.CleanLearning`` (cleanlab 2.9.0): same constructor,
same ``fit`` / ``find_label_issues`` call forms, and on the same inputs the same label issues,
quality scores, sample weights and final model. It is also a well-behaved scikit-learn
meta-estimator (``check_estimator`` passes), which the reference is not:

* ``__init__`` only stores its arguments; ``fit`` clones ``clf`` (the user's object is never
  fitted) and stores everything it learns in attributes ending in ``_`` (``clf_``,
  ``classes_``, ``label_issues_df_``, ``confident_joint_``, ``py_``, ``noise_matrix_``,
  ``inverse_noise_matrix_``). Read-only properties with the reference's names
  (``label_issues_df``, ``confident_joint``, ...) keep cleanlab code working.
* Constructor parameters are never mutated, so a refit equals a fresh fit (the reference
  writes its confident joint into ``find_label_issues_kwargs`` and reuses it on refit).
* Labels may be of any type (strings, non-contiguous ids): they are encoded to 0..K-1
  internally and decoded in every output. For labels already 0..K-1 nothing changes.
* Too little data for ``cv_n_folds`` folds shrinks the folds (with a warning) where the
  reference raises; no global ``np.random.seed``; the library never prints (``verbose``
  routes progress messages to ``logging`` at INFO level, shown on stderr when the
  application configured no logging).
* ``clf`` needs only ``fit``, ``predict`` and ``predict_proba``: it is cloned when it can be
  (``get_params``/``set_params``, BaseEstimator or not), deep-copied when no cross-validation
  is needed, and ``fit`` may return anything (the fitted object is kept).

The work itself (cross-validation, confident joint, latent estimates, filtering, ranking) is
done by :mod:`cleanlearn.count`, :mod:`cleanlearn.filter` and :mod:`cleanlearn.rank`; a noise
matrix (or its inverse) given by the user is completed by :mod:`cleanlearn._core.latent_algebra`.
"""

from __future__ import annotations

import copy
import inspect
import logging
import warnings
from collections.abc import Mapping
from numbers import Integral

import numpy as np
import pandas as pd
import scipy.sparse
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.exceptions import DataConversionWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _assert_all_finite, check_is_fitted

try:  # scikit-learn >= 1.6
    from sklearn.utils import get_tags
    from sklearn.utils.validation import validate_data

    _safe_tags = None  # the tags of scikit-learn < 1.6 (_more_tags below) are never read
except ImportError:  # scikit-learn 1.4 and 1.5: the same two checks as BaseEstimator methods
    from sklearn.utils._tags import _safe_tags

    get_tags = None

    def validate_data(estimator, X, *, reset: bool, skip_check_array: bool):
        estimator._check_feature_names(X, reset=reset)
        estimator._check_n_features(X, reset=reset)

from cleanlearn import count, rank
from cleanlearn import filter as label_filter
from cleanlearn._core import blocks, rows, workers
from cleanlearn._core.latent_algebra import (
    py_and_inverse_from_noise_matrix,
    py_and_noise_matrix_from_inverse,
)
from cleanlearn._core.progress import report
from cleanlearn._core.validation import (
    Interval,
    Options,
    check_callable_methods,
    check_n_jobs,
    check_noise_matrix,
    check_pred_probs,
    validate_params,
)

__all__ = ["CleanLearning"]

logger = logging.getLogger(__name__)

# CleanLearning's default for filter.find_label_issues (the reference's
# DEFAULT_FIND_LABEL_ISSUES_KWARGS); the user's find_label_issues_kwargs override it.
DEFAULT_FIND_LABEL_ISSUES_KWARGS = {"min_examples_per_class": 10}
# filter.find_label_issues options that make no sense inside CleanLearning (it needs a mask).
UNSUPPORTED_FIND_LABEL_ISSUES_KWARGS = ("return_indices_ranked_by", "multi_label")
# Floor of a class's noise_matrix diagonal when turned into a sample weight 1 / P(label=k|true=k).
MIN_DIAGONAL_FOR_SAMPLE_WEIGHT = 1e-3
# Fold seed when seed=None. The reference then shuffles with numpy's global random state, so
# its folds are irreproducible; a fixed seed makes refits identical (scikit-learn's
# check_fit_idempotent requires it) and leaves the global state alone.
DEFAULT_SEED = 0


# ---------------------------------------------------------------------------------------
# Small input helpers
# ---------------------------------------------------------------------------------------


def _label_array(labels, *, name: str = "labels") -> np.ndarray:
    """``labels`` as a 1-D array of classification targets (any dtype), checked."""
    if isinstance(labels, pd.DataFrame):
        labels = labels.to_numpy()
    elif hasattr(labels, "to_numpy"):
        labels = labels.to_numpy()
    array = np.asarray(labels)
    if array.ndim == 2 and array.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected; it is raveled.",
            DataConversionWarning,
            stacklevel=3,
        )
        array = array.ravel()
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class labels; got an array of shape {array.shape}.")
    if array.size == 0:
        raise ValueError(f"{name} is empty; at least one example is needed.")
    if array.dtype.kind in "fc":
        _assert_all_finite(array, input_name="y")
    check_classification_targets(array)
    return array


def _as_two_dimensional(X):
    """Flatten (N, ...) arrays to (N, -1), as the reference does for its default classifier."""
    if X is not None and hasattr(X, "shape") and len(X.shape) > 2:
        return X.reshape((X.shape[0], -1))
    return X


def _as_indexable(X):
    """X in a form whose rows can be selected: sparse formats without row indexing become CSR,
    array-likes known only through ``__array__`` become ndarrays; anything else is unchanged."""
    if scipy.sparse.issparse(X) and X.format not in ("csr", "csc"):
        return X.tocsr()
    if X is not None and not hasattr(X, "shape") and not hasattr(X, "__len__") and hasattr(X, "__array__"):
        return np.asarray(X)
    return X


def _fit_accepts(clf, argument: str) -> bool:
    return argument in inspect.signature(clf.fit).parameters


def _cloned(clf, *, allow_copy: bool):
    """An unfitted copy of ``clf`` to fit (the user's object is never fitted).

    ``sklearn.base.clone`` when it works (any object with ``get_params``/``set_params``,
    BaseEstimator or not). Without cross-validation one copy is enough, so an object clone
    refuses is deep-copied instead (``allow_copy``); cross-validation needs fresh unfitted
    models, hence clone.
    """
    try:
        return clone(clf)
    except Exception as clone_error:
        if not allow_copy:
            raise TypeError(
                f"clf ({type(clf).__name__}) cannot be cloned with sklearn.base.clone ({clone_error}), "
                "which cross-validation needs for a fresh model per fold. Give it get_params() and "
                "set_params() (or inherit sklearn.base.BaseEstimator), or compute out-of-sample "
                "pred_probs yourself and pass fit(..., pred_probs=...)."
            ) from clone_error
        try:
            return copy.deepcopy(clf)
        except Exception as copy_error:
            raise TypeError(
                f"clf ({type(clf).__name__}) can be neither cloned with sklearn.base.clone "
                f"({clone_error}) nor deep-copied ({copy_error}); CleanLearning fits a copy, "
                "never your own object. Give it get_params() and set_params() (or inherit "
                "sklearn.base.BaseEstimator)."
            ) from copy_error


def _clf_has(method: str):
    """available_if check: the fitted clf_ (or, before fit, the clf to be used) has ``method``."""

    def check(self) -> bool:
        delegate = self.clf_ if hasattr(self, "clf_") else self._template_clf()
        getattr(delegate, method)  # AttributeError hides the method
        return True

    return check


class _LabelEncoding:
    """Maps labels of any type to class indices 0..K-1 and back (``classes`` sorted)."""

    def __init__(self, labels: np.ndarray, n_classes: int | None, source: str = ""):
        classes, codes = np.unique(labels, return_inverse=True)
        if n_classes is not None and classes.size != n_classes:
            # pred_probs / a noise matrix fix K: integer labels 0..K-1 index columns directly
            # (some classes may be absent from labels); other labels must number exactly K.
            integral = labels.dtype.kind in "iub" or (
                labels.dtype.kind == "f" and np.all(labels == np.round(labels))
            )
            if not integral or classes.min() < 0 or classes.max() >= n_classes:
                raise ValueError(
                    f"labels hold {classes.size} distinct classes but {source} describes "
                    f"{n_classes}; integer labels must lie in 0..{n_classes - 1}."
                )
            classes = np.arange(n_classes).astype(labels.dtype)
            codes = labels.astype(np.int64)
        self.classes = classes
        self.codes = codes.astype(np.int64).ravel()

    def decode(self, codes: np.ndarray) -> np.ndarray:
        return self.classes[codes]


# ---------------------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------------------


class CleanLearning(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Find label issues with confident learning, then fit ``clf`` on the remaining data.

    The parameters are ``cleanlab.classification.CleanLearning``'s, plus ``n_jobs``.

    Parameters
    ----------
    clf : classifier, optional
        Any object with ``fit``, ``predict`` and ``predict_proba``; default
        ``LogisticRegression()``. Cloned, never fitted itself; the final model is ``clf_``.
    seed : int or None, optional
        Seeds the shuffled StratifiedKFold of the cross-validation; None means a fixed seed
        (0), so every fit is reproducible (the reference uses numpy's global random state then).
    cv_n_folds : int, default 5
        At least 2. Folds for the out-of-sample ``pred_probs``; shrunk (with a warning) when a
        class has too few examples for them.
    converge_latent_estimates : bool, default False
        Iterate the latent estimates to mutual consistency.
    pulearning : None, 0 or 1, optional
        Two classes only: this class is known to be noise-free.
    find_label_issues_kwargs : dict or None, optional
        Options for ``filter.find_label_issues`` (``filter_by``, ``frac_noise``, ...);
        ``min_examples_per_class`` defaults to 10 here.
    label_quality_scores_kwargs : dict or None, optional
        Options for ``rank.get_label_quality_scores``.
    verbose : bool or int, default False
        Log progress at INFO level (``logging.getLogger("cleanlearn.classification")``); when
        the application configured no logging at all, the messages go to stderr.
    low_memory : bool, default False
        Accepted for cleanlab compatibility; both values run the same exact algorithm, which
        reads ``pred_probs`` in row blocks, so a memory-mapped ``.npy`` or a Zarr array larger
        than RAM works either way (see ``cleanlearn.filter``). cleanlab's ``low_memory=True``
        is a different, approximate algorithm (``find_label_issues_batched``).
    n_jobs : None, -1 or int, optional
        Cross-validation folds run in parallel (joblib); the result is identical to a serial
        run. Workers the folds leave idle (a last, partial round of folds; the final fit) are
        lent to ``clf``'s own ``n_jobs`` for fitting when it has one left at None (random
        forests, k-NN, ...); its predictions are computed as in a serial run.

    Attributes
    ----------
    clf_ : classifier
        The fitted clone (or deep copy) of ``clf``.
    classes_ : ndarray
        The labels' values, in the order of ``predict_proba``'s columns.
    label_issues_df_ : pandas.DataFrame
        One row per training example: ``is_label_issue``, ``label_quality``, ``given_label``,
        ``predicted_label``, ``sample_weight``.
    confident_joint_, py_, noise_matrix_, inverse_noise_matrix_ : ndarray
        The estimates from the cross-validated ``pred_probs``.
    cv_n_folds_ : int or None
        Folds actually used (None without cross-validation). ``n_features_in_`` (and
        ``feature_names_in_`` when X has them) as in scikit-learn.

    Notes
    -----
    Same label issues and predictions as cleanlab 2.9's
    ``cleanlab.classification.CleanLearning`` with the same seed. Different on purpose: a
    scikit-learn meta-estimator (``check_estimator`` passes): your ``clf`` is never fitted,
    the trained model is ``clf_``; fitted attributes end in ``_``; ``seed=None`` means 0 and
    numpy's global random state is never touched; labels may be of any type; ``n_jobs`` runs
    the folds in parallel; progress goes to ``logging`` (see :doc:`/reference/differences`).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> X, labels = load_iris(return_X_y=True)
    >>> labels = labels.copy(); labels[[0, 60, 120]] = [1, 2, 0]  # three wrong labels
    >>> from cleanlearn import CleanLearning
    >>> cl = CleanLearning(GaussianNB(), cv_n_folds=3, seed=0).fit(X, labels)
    >>> issues = cl.get_label_issues()
    >>> issues.loc[[0, 60, 120], ['is_label_issue', 'given_label', 'predicted_label']]
         is_label_issue  given_label  predicted_label
    0              True            1                0
    60             True            2                1
    120            True            0                2
    >>> print(int(issues['is_label_issue'].sum()), cl.classes_)
    6 [0 1 2]
    """

    _parameter_constraints: dict = {
        "seed": [None, Interval(Integral, 0, 2**32 - 1)],
        "cv_n_folds": [Interval(Integral, 2, None)],
        "converge_latent_estimates": ["boolean"],
        "pulearning": [None, Options({0, 1})],
        "find_label_issues_kwargs": [None, Mapping],
        "label_quality_scores_kwargs": [None, Mapping],
        "verbose": ["verbose"],
        "low_memory": ["boolean"],
    }

    def __init__(
        self,
        clf=None,
        *,
        seed=None,
        cv_n_folds=5,
        converge_latent_estimates=False,
        pulearning=None,
        find_label_issues_kwargs=None,
        label_quality_scores_kwargs=None,
        verbose=False,
        low_memory=False,
        n_jobs=None,
    ):
        self.clf = clf
        self.seed = seed
        self.cv_n_folds = cv_n_folds
        self.converge_latent_estimates = converge_latent_estimates
        self.pulearning = pulearning
        self.find_label_issues_kwargs = find_label_issues_kwargs
        self.label_quality_scores_kwargs = label_quality_scores_kwargs
        self.verbose = verbose
        self.low_memory = low_memory
        self.n_jobs = n_jobs

    # -- parameters --------------------------------------------------------------------

    def _template_clf(self):
        """The unfitted classifier that folds and the final fit clone."""
        return LogisticRegression() if self.clf is None else self.clf

    def _validate_constructor_params(self) -> None:
        validate_params(
            {name: getattr(self, name) for name in self._parameter_constraints},
            self._parameter_constraints,
            caller=type(self).__name__,
        )
        check_n_jobs(self.n_jobs)
        check_callable_methods(self._template_clf(), ("fit", "predict", "predict_proba"), name="clf")
        self._find_label_issues_options()  # checks the kwargs' keys
        self._label_quality_options()

    def _find_label_issues_options(self) -> dict:
        """The kwargs for filter.find_label_issues: defaults, then the user's (a new dict)."""
        user = dict(self.find_label_issues_kwargs or {})
        unsupported = [key for key in UNSUPPORTED_FIND_LABEL_ISSUES_KWARGS if key in user]
        if unsupported:
            raise ValueError(
                f"find_label_issues_kwargs may not contain {unsupported}: CleanLearning needs a "
                "boolean mask from filter.find_label_issues."
            )
        allowed = set(inspect.signature(label_filter.find_label_issues).parameters) - {"labels", "pred_probs"}
        unknown = sorted(set(user) - allowed)
        if unknown:
            raise ValueError(
                f"find_label_issues_kwargs has unknown keys {unknown}; allowed: {sorted(allowed)}."
            )
        if "filter_by" in user:  # checked before cross-validation, not after it
            validate_params(
                {"filter_by": user["filter_by"]}, {"filter_by": [Options(label_filter.FILTERS)]},
                caller="CleanLearning (find_label_issues_kwargs)",
            )
        return {**DEFAULT_FIND_LABEL_ISSUES_KWARGS, **user}

    def _label_quality_options(self) -> dict:
        user = dict(self.label_quality_scores_kwargs or {})
        allowed = set(inspect.signature(rank.get_label_quality_scores).parameters) - {"labels", "pred_probs"}
        unknown = sorted(set(user) - allowed)
        if unknown:
            raise ValueError(
                f"label_quality_scores_kwargs has unknown keys {unknown}; allowed: {sorted(allowed)}."
            )
        return user

    def _log(self, message: str, *args) -> None:
        report(logger, self.verbose, message, *args)

    # -- scikit-learn plumbing -----------------------------------------------------------

    def _more_tags(self) -> dict:
        # scikit-learn 1.4 and 1.5 read the tags from here (1.6+ from __sklearn_tags__ below).
        if _safe_tags is None:
            return {}
        tags = {
            "_xfail_checks": {
                "check_sample_weights_invariance": (
                    "zero-weight rows still take part in the cross-validation that finds the label "
                    "issues, so they are not the same as removed rows"
                )
            }
        }
        try:
            template = self._template_clf()
            tags.update(allow_nan=_safe_tags(template, "allow_nan"), X_types=_safe_tags(template, "X_types"))
        except (AttributeError, TypeError):
            pass
        return tags

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        template = self._template_clf()
        if not hasattr(template, "__sklearn_tags__"):
            return tags  # a duck-typed classifier (not a BaseEstimator): the default tags
        try:
            clf_tags = get_tags(template)
        except (AttributeError, TypeError):  # a __sklearn_tags__ that fails (e.g. mixins only)
            return tags
        tags.input_tags.sparse = clf_tags.input_tags.sparse
        tags.input_tags.allow_nan = clf_tags.input_tags.allow_nan
        tags.input_tags.string = clf_tags.input_tags.string
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        # find_label_issues() sets label_issues_df_ etc. without fitting a model.
        return hasattr(self, "clf_")

    def _prepare_X(self, X):
        X = _as_indexable(X)
        return _as_two_dimensional(X) if self.clf is None else X

    # -- input resolution shared by fit and find_label_issues -----------------------------

    def _resolve_inputs(self, X, labels, pred_probs, noise_matrix, inverse_noise_matrix, *, need_X: bool):
        """Check the data; return (X, encoding, pred_probs, noise_matrix, inverse_noise_matrix)."""
        X = self._prepare_X(X)
        labels = _label_array(labels)
        n_examples = labels.shape[0]
        if need_X:
            n_rows = rows.n_samples(X)
            if n_rows != n_examples:
                raise ValueError(f"X has {n_rows} rows but labels has {n_examples} entries; they must match.")
        if pred_probs is not None:
            pred_probs = check_pred_probs(pred_probs, n_examples=n_examples)
        # K comes from pred_probs, else a given matrix, else the labels (the reference's order).
        n_classes, source = (None, "") if pred_probs is None else (pred_probs.shape[1], "pred_probs")
        if noise_matrix is not None:
            noise_matrix = check_noise_matrix(noise_matrix, n_classes=n_classes).copy()
            n_classes, source = noise_matrix.shape[0], source or "noise_matrix"
        if inverse_noise_matrix is not None:
            inverse_noise_matrix = check_noise_matrix(
                inverse_noise_matrix, n_classes=n_classes, name="inverse_noise_matrix"
            ).copy()
            n_classes, source = inverse_noise_matrix.shape[0], source or "inverse_noise_matrix"
        encoding = _LabelEncoding(labels, n_classes, source)
        if np.unique(encoding.codes).size < 2:
            raise ValueError(
                f"CleanLearning needs labels from at least 2 classes; got only one class {encoding.classes[encoding.codes[0]]!r}."
            )
        if self.pulearning is not None and encoding.classes.size != 2:
            raise ValueError(
                f"pulearning={self.pulearning!r} requires exactly 2 classes; got {encoding.classes.size}."
            )
        return X, encoding, pred_probs, noise_matrix, inverse_noise_matrix

    def _effective_folds(self, codes: np.ndarray, n_classes: int) -> int:
        """cv_n_folds, shrunk only where the reference would refuse (N / K < cv_n_folds)."""
        n_examples = codes.shape[0]
        if n_examples / n_classes >= self.cv_n_folds:
            return self.cv_n_folds
        smallest_class = int(np.bincount(codes, minlength=n_classes).min())
        folds = max(2, min(self.cv_n_folds, smallest_class))
        warnings.warn(
            f"Too few examples per class ({n_examples} examples, {n_classes} classes, smallest "
            f"class {smallest_class}) for cv_n_folds={self.cv_n_folds}; using {folds} folds.",
            UserWarning,
            stacklevel=5,  # _effective_folds < cross_validated_pred_probs < _compute_label_issues < fit
        )
        return folds

    # -- confident learning ---------------------------------------------------------------

    def _compute_label_issues(
        self, X, codes, n_classes, pred_probs, thresholds, noise_matrix, inverse_noise_matrix, clf_kwargs, validation_func
    ) -> dict:
        """Mirror of the reference's find_label_issues on encoded labels; returns everything.

        Keys: is_label_issue, label_quality, pred_probs, confident_joint, py, noise_matrix,
        inverse_noise_matrix, cv_n_folds.
        """
        filter_kwargs = self._find_label_issues_options()
        quality_kwargs = self._label_quality_options()
        n_examples = codes.shape[0]
        noisy_prior = np.bincount(codes, minlength=n_classes) / float(n_examples)  # P(label=k)
        folds = None

        def cross_validated_pred_probs():
            nonlocal folds
            _cloned(self._template_clf(), allow_copy=False)  # our error, before any fold
            folds = self._effective_folds(codes, n_classes)
            self._log("Computing out-of-sample predicted probabilities via %d-fold cross-validation.", folds)
            return count.estimate_cv_predicted_probabilities(
                X, codes, self._template_clf(), cv_n_folds=folds,
                seed=DEFAULT_SEED if self.seed is None else self.seed,
                clf_kwargs=clf_kwargs, validation_func=validation_func, n_jobs=self.n_jobs,
            )

        # 1) A confident joint given in find_label_issues_kwargs fixes the noise matrix (the
        #    reference then ignores a noise_matrix argument; so do we, for equal numbers).
        confident_joint = filter_kwargs.get("confident_joint")
        class_prior = None
        if confident_joint is not None:
            confident_joint = np.array(confident_joint, copy=True)
            class_prior, noise_matrix, _ = count.estimate_latent(confident_joint, codes)
        # 2) A known noise matrix (or its inverse) gives the other one and the class prior.
        if noise_matrix is not None and inverse_noise_matrix is None:
            class_prior, inverse_noise_matrix = py_and_inverse_from_noise_matrix(noisy_prior, noise_matrix)
        elif inverse_noise_matrix is not None and noise_matrix is None:
            class_prior, noise_matrix = py_and_noise_matrix_from_inverse(noisy_prior, inverse_noise_matrix)
        # 3) Otherwise everything is estimated from (cross-validated) pred_probs.
        if noise_matrix is None and inverse_noise_matrix is None:
            if pred_probs is None:
                pred_probs = cross_validated_pred_probs()
            class_prior, noise_matrix, inverse_noise_matrix, confident_joint = (
                count.estimate_py_and_noise_matrices_from_probabilities(
                    codes, pred_probs, thresholds=thresholds,
                    converge_latent_estimates=self.converge_latent_estimates,
                )
            )
        if pred_probs is None:
            pred_probs = cross_validated_pred_probs()
        if confident_joint is None:
            confident_joint = count.compute_confident_joint(codes, pred_probs, thresholds=thresholds)
        # 4) PU learning: the class `pulearning` is noise-free.
        if self.pulearning is not None:
            certain, other = self.pulearning, 1 - self.pulearning
            noise_matrix[certain, other] = 0
            noise_matrix[other, other] = 1
            inverse_noise_matrix[other, certain] = 0
            inverse_noise_matrix[certain, certain] = 1
            confident_joint[certain, other] = 0
            confident_joint[other, other] = 1
        # 5) Filter (with our confident joint unless the method computes its own) and rank.
        if "confident_joint" in filter_kwargs or filter_kwargs.get("filter_by") != "confident_learning":
            filter_kwargs["confident_joint"] = confident_joint
        self._log("Using predicted probabilities to identify label issues.")
        is_label_issue = label_filter.find_label_issues(codes, pred_probs, **filter_kwargs)
        label_quality = rank.get_label_quality_scores(codes, pred_probs, **quality_kwargs)
        self._log("Identified %d examples with label issues.", int(np.sum(is_label_issue)))
        return {
            "is_label_issue": np.asarray(is_label_issue, dtype=bool),
            "label_quality": label_quality,
            "pred_probs": pred_probs,
            "confident_joint": confident_joint,
            "py": class_prior,
            "noise_matrix": noise_matrix,
            "inverse_noise_matrix": inverse_noise_matrix,
            "cv_n_folds": folds,
        }

    def _store_estimates(self, result: dict) -> None:
        self.confident_joint_ = result["confident_joint"]
        self.py_ = result["py"]
        self.noise_matrix_ = result["noise_matrix"]
        self.inverse_noise_matrix_ = result["inverse_noise_matrix"]
        self.cv_n_folds_ = result["cv_n_folds"]

    @staticmethod
    def _issues_frame(result: dict, encoding: _LabelEncoding) -> pd.DataFrame:
        predicted = blocks.row_argmax(result["pred_probs"])  # (argmax(axis=1) would copy pred_probs)
        return pd.DataFrame(
            {
                "is_label_issue": result["is_label_issue"],
                "label_quality": result["label_quality"],
                "given_label": encoding.decode(encoding.codes),
                "predicted_label": encoding.decode(predicted),
            }
        )

    def find_label_issues(
        self,
        X=None,
        labels=None,
        *,
        pred_probs=None,
        thresholds=None,
        noise_matrix=None,
        inverse_noise_matrix=None,
        save_space=False,
        clf_kwargs=None,
        validation_func=None,
    ) -> pd.DataFrame:
        """Label issues of (X, labels) as a DataFrame, one row per example.

        Columns: ``is_label_issue`` (bool), ``label_quality`` (lower = more likely wrong),
        ``given_label`` and ``predicted_label`` (in the original label values). Unless
        ``save_space``, the frame is kept as ``label_issues_df_`` (see ``get_label_issues``);
        the estimates ``confident_joint_``, ``py_``, ``noise_matrix_`` and
        ``inverse_noise_matrix_`` are kept either way. ``X`` may be None when ``pred_probs``
        are given.
        """
        self._validate_constructor_params()
        clf_kwargs = self._check_fit_kwargs(clf_kwargs, "clf_kwargs", validation_func=validation_func)
        if labels is None:
            raise ValueError("labels are required.")
        X, encoding, pred_probs, noise_matrix, inverse_noise_matrix = self._resolve_inputs(
            X, labels, pred_probs, noise_matrix, inverse_noise_matrix, need_X=pred_probs is None
        )
        result = self._compute_label_issues(
            X, encoding.codes, encoding.classes.size, pred_probs, thresholds, noise_matrix,
            inverse_noise_matrix, clf_kwargs, validation_func,
        )
        self._store_estimates(result)
        label_issues_df = self._issues_frame(result, encoding)
        if not save_space:
            self.label_issues_df_ = label_issues_df
        return label_issues_df

    @staticmethod
    def _check_fit_kwargs(kwargs, name: str, *, validation_func=None) -> dict:
        if validation_func is not None and not callable(validation_func):
            raise TypeError(
                f"validation_func must be a callable (X_val, y_val) -> dict; got {type(validation_func).__name__}."
            )
        if kwargs is None:
            return {}
        if not isinstance(kwargs, Mapping):
            raise TypeError(f"{name} must be a dict of keyword arguments for clf.fit; got {type(kwargs).__name__}.")
        if name == "clf_kwargs" and "sample_weight" in kwargs:
            raise ValueError(
                "sample_weight must be given to fit() directly or in clf_final_kwargs, not in clf_kwargs."
            )
        return dict(kwargs)

    # -- fit --------------------------------------------------------------------------

    def fit(
        self,
        X,
        y=None,
        *,
        labels=None,
        pred_probs=None,
        thresholds=None,
        noise_matrix=None,
        inverse_noise_matrix=None,
        label_issues=None,
        sample_weight=None,
        clf_kwargs=None,
        clf_final_kwargs=None,
        validation_func=None,
    ):
        """Find label issues (unless ``label_issues`` are given), drop them, fit ``clf_``.

        The labels go in ``y`` (second positional argument, as in scikit-learn) or in
        ``labels=`` (the reference's name); both call forms of cleanlab work. They may be of
        any type. Without user ``sample_weight``, when
        ``clf.fit`` accepts ``sample_weight`` and a noise matrix is known, a kept example with
        given label k is weighted ``1 / max(noise_matrix[k, k], 1e-3)`` (column
        ``sample_weight`` of ``label_issues_df_``). The final fit receives
        ``{**clf_kwargs, **clf_final_kwargs}``; ``validation_func`` is used in the folds only.
        Returns self.
        """
        self._validate_constructor_params()
        if labels is not None and y is not None:
            raise ValueError(
                "fit() got both y and labels; pass the labels once, as y (positional) or as labels=."
            )
        if labels is None:
            labels = y
        if labels is None:
            raise ValueError(
                "CleanLearning requires y to be passed, but the target y is None (pass labels or y)."
            )
        clf_kwargs = self._check_fit_kwargs(clf_kwargs, "clf_kwargs", validation_func=validation_func)
        final_kwargs = {**clf_kwargs, **self._check_fit_kwargs(clf_final_kwargs, "clf_final_kwargs")}
        template = self._template_clf()
        if sample_weight is not None and not _fit_accepts(template, "sample_weight"):
            raise ValueError(
                f"sample_weight was given but {type(template).__name__}.fit does not accept sample_weight."
            )

        X, encoding, pred_probs, noise_matrix, inverse_noise_matrix = self._resolve_inputs(
            X, labels, pred_probs, noise_matrix, inverse_noise_matrix, need_X=True
        )
        validate_data(self, X, reset=True, skip_check_array=True)  # n_features_in_, feature names
        codes = encoding.codes
        n_examples = codes.shape[0]
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
            if sample_weight.shape != (n_examples,):
                raise ValueError(
                    f"sample_weight must have one entry per example ({n_examples}); got shape {np.shape(sample_weight)}."
                )
            bad = np.flatnonzero(~np.isfinite(sample_weight) | (sample_weight < 0))
            if bad.size:
                raise ValueError(
                    f"sample_weight must be finite and >= 0; got {sample_weight[bad[0]]!r} at index {bad[0]} "
                    f"({bad.size} such entries)."
                )

        # 1) Label issues: computed afresh, or given by the user.
        if label_issues is None:
            result = self._compute_label_issues(
                X, codes, encoding.classes.size, pred_probs, thresholds, noise_matrix,
                inverse_noise_matrix, clf_kwargs, validation_func,
            )
            self._store_estimates(result)
            label_issues_df = self._issues_frame(result, encoding)
        else:
            label_issues_df = self._label_issues_frame(label_issues, encoding)
            if "label_quality" not in label_issues_df.columns and pred_probs is not None:
                label_issues_df["label_quality"] = rank.get_label_quality_scores(
                    codes, pred_probs, **self._label_quality_options()
                )
            # Estimates from an earlier find_label_issues() on this instance serve the sample
            # weights (the reference's documented find_label_issues -> fit(label_issues=...)).
            for name in ("confident_joint_", "py_", "noise_matrix_", "inverse_noise_matrix_", "cv_n_folds_"):
                if not hasattr(self, name):
                    setattr(self, name, None)

        # 2) Drop the flagged examples; weight the rest.
        keep = ~label_issues_df["is_label_issue"].to_numpy(dtype=bool)
        kept_index = np.flatnonzero(keep)
        X_clean, codes_clean = rows.take_rows(X, kept_index), codes[kept_index]
        self._log("Pruning %d examples with label issues; %d remain.", n_examples - kept_index.size, kept_index.size)
        noise_matrix_known = self.noise_matrix_ is not None and np.shape(self.noise_matrix_) == (
            encoding.classes.size, encoding.classes.size
        )
        if sample_weight is not None:
            if "sample_weight" not in final_kwargs:
                final_kwargs["sample_weight"] = sample_weight[kept_index]
        elif _fit_accepts(template, "sample_weight") and "sample_weight" not in final_kwargs and noise_matrix_known:
            class_weights = 1.0 / np.maximum(np.diagonal(self.noise_matrix_), MIN_DIAGONAL_FOR_SAMPLE_WEIGHT)
            weights_clean = class_weights[codes_clean]
            weights = np.zeros(n_examples)
            weights[kept_index] = weights_clean
            label_issues_df["sample_weight"] = weights
            final_kwargs["sample_weight"] = weights_clean

        # 3) The final model, on encoded labels 0..K-1.
        self.label_issues_df_ = label_issues_df
        self.classes_ = encoding.classes
        final_model = _cloned(template, allow_copy=True)
        with workers.fitting_with(final_model, workers.n_workers(self.n_jobs)):
            final_model.fit(X_clean, codes_clean, **final_kwargs)  # may return None: keep the model
        self.clf_ = final_model
        return self

    def _label_issues_frame(self, label_issues, encoding: _LabelEncoding) -> pd.DataFrame:
        """The user's label_issues (DataFrame, bool mask or int indices) as a new DataFrame."""
        n_examples = encoding.codes.shape[0]
        if isinstance(label_issues, pd.DataFrame):
            if "is_label_issue" not in label_issues.columns:
                raise ValueError("label_issues DataFrame must have a column 'is_label_issue'.")
            if len(label_issues) != n_examples:
                raise ValueError(
                    f"label_issues has {len(label_issues)} rows but labels has {n_examples} entries."
                )
            if "given_label" in label_issues.columns and np.any(
                label_issues["given_label"].to_numpy() != encoding.decode(encoding.codes)
            ):
                raise ValueError("labels must match label_issues['given_label'].")
            frame = label_issues.copy().reset_index(drop=True)
            frame = frame.drop(columns=["sample_weight"], errors="ignore")  # recomputed below
            frame["is_label_issue"] = frame["is_label_issue"].to_numpy(dtype=bool)
            return frame
        array = np.asarray(label_issues)
        if array.dtype.kind == "b":
            if array.shape != (n_examples,):
                raise ValueError(
                    f"A boolean label_issues mask must have shape ({n_examples},); got {array.shape}."
                )
            return pd.DataFrame({"is_label_issue": array})
        if array.dtype.kind in "iu" and array.ndim == 1:
            if np.unique(array).size != array.size:
                raise ValueError("Integer label_issues must be unique example indices.")
            if array.size and (array.min() < 0 or array.max() >= n_examples):
                raise ValueError(f"Integer label_issues must be indices in 0..{n_examples - 1}.")
            mask = np.zeros(n_examples, dtype=bool)
            mask[array] = True
            return pd.DataFrame({"is_label_issue": mask})
        raise TypeError(
            "label_issues must be a DataFrame with column 'is_label_issue', a boolean mask or an "
            f"array of integer indices; got {type(label_issues).__name__} of dtype {array.dtype}."
        )

    # -- prediction -------------------------------------------------------------------

    def _check_predict_X(self, X):
        check_is_fitted(self)
        X = self._prepare_X(X)
        if hasattr(self, "n_features_in_") and np.ndim(X) == 1:
            raise ValueError(
                f"Expected a 2-D X with {self.n_features_in_} features, got a 1-D array instead. "
                "Reshape your data either using X.reshape(-1, 1) if your data has a single feature "
                "or X.reshape(1, -1) if it contains a single sample."
            )
        validate_data(self, X, reset=False, skip_check_array=True)
        return X

    def predict(self, X, **kwargs):
        """Class predictions of ``clf_``, in the original label values (``kwargs`` are passed
        to ``clf_.predict``, as the reference does)."""
        X = self._check_predict_X(X)
        codes = np.asarray(self.clf_.predict(X, **kwargs)).astype(np.int64)
        return self.classes_[codes]

    def predict_proba(self, X, **kwargs):
        """``(n_samples, K)`` probabilities from ``clf_``; columns follow ``classes_``
        (``kwargs`` are passed to ``clf_.predict_proba``).

        A class pruned entirely from the training data gets a column of zeros.
        """
        X = self._check_predict_X(X)
        probabilities = np.asarray(self.clf_.predict_proba(X, **kwargs))
        fitted_classes = getattr(self.clf_, "classes_", None)
        n_classes = self.classes_.size
        if fitted_classes is not None and probabilities.ndim == 2 and probabilities.shape[1] < n_classes:
            full = np.zeros((probabilities.shape[0], n_classes), dtype=probabilities.dtype)
            full[:, np.asarray(fitted_classes, dtype=np.int64)] = probabilities
            return full
        return probabilities

    @available_if(_clf_has("decision_function"))
    def decision_function(self, X):
        """``clf_.decision_function(X)`` (available when the classifier has it)."""
        X = self._check_predict_X(X)
        return self.clf_.decision_function(X)

    def score(self, X, y, sample_weight=None):
        """``clf_.score`` on (X, y) (with sample_weight when it accepts it), else accuracy."""
        X = self._check_predict_X(X)
        y = _label_array(y, name="y")
        # Encode y with classes_; a label never seen in fit maps to -1, which is never predicted.
        position = np.searchsorted(self.classes_, y).clip(0, self.classes_.size - 1)
        codes = np.where(self.classes_[position] == y, position, -1)
        if hasattr(self.clf_, "score"):
            if "sample_weight" in inspect.signature(self.clf_.score).parameters:
                return self.clf_.score(X, codes, sample_weight=sample_weight)
            return self.clf_.score(X, codes)
        return accuracy_score(codes, self.clf_.predict(X), sample_weight=sample_weight)

    # -- reference accessors ----------------------------------------------------------

    def get_label_issues(self) -> pd.DataFrame | None:
        """The label-issues DataFrame of the last fit / find_label_issues (None, with a warning, if none)."""
        if getattr(self, "label_issues_df_", None) is None:
            warnings.warn(
                "Label issues have not been computed yet; call fit() or find_label_issues() first.",
                stacklevel=2,
            )
            return None
        return self.label_issues_df_

    def save_space(self):
        """Drop the label-issues DataFrame and the noise estimates; keeps clf_ for prediction."""
        for name in ("label_issues_df_", "confident_joint_", "py_", "noise_matrix_", "inverse_noise_matrix_"):
            if hasattr(self, name):
                delattr(self, name)
        return self

    @property
    def label_issues_df(self):
        """Alias of ``label_issues_df_`` (the reference's attribute name)."""
        return getattr(self, "label_issues_df_", None)

    @property
    def label_issues_mask(self):
        """``label_issues_df_['is_label_issue']`` as a boolean array (reference name)."""
        frame = self.label_issues_df
        return None if frame is None else frame["is_label_issue"].to_numpy(dtype=bool)

    @property
    def confident_joint(self):
        """Alias of ``confident_joint_``."""
        return getattr(self, "confident_joint_", None)

    @property
    def py(self):
        """Alias of ``py_``: estimated prior of the true labels P(true_label=k)."""
        return getattr(self, "py_", None)

    @property
    def noise_matrix(self):
        """Alias of ``noise_matrix_``: P(label=j | true_label=k), columns sum to 1."""
        return getattr(self, "noise_matrix_", None)

    @property
    def inverse_noise_matrix(self):
        """Alias of ``inverse_noise_matrix_``: P(true_label=k | label=j)."""
        return getattr(self, "inverse_noise_matrix_", None)
