"""Issue 19, case 9: what cleanlab 2.9 callers rely on beyond the numbers.

The multi_label DeprecationWarning (cleanlab's words, pointing at the caller), the latent
algebra cleanlab.count re-exports, every public name of each cleanlab module we mirror, a
cv_n_folds larger than a class named as such, and sample weights that cannot be weights.
"""

from __future__ import annotations

import importlib
import inspect
import warnings

import numpy as np
import pytest
from _data import make_pred_probs
from cleanlab import filter as reference_filter
from cleanlab.internal import latent_algebra as reference_algebra
from sklearn.linear_model import LogisticRegression

from cleanlearn import CleanLearning, count
from cleanlearn import filter as label_filter

# ---------------------------------------------------------------------------------------
# The multi_label DeprecationWarning


def _multilabel(n=60, k=3, seed=0):
    rng = np.random.default_rng(seed)
    pred_probs = rng.random((n, k))
    labels = [list(np.flatnonzero(row > 0.5)) for row in pred_probs]
    return labels, pred_probs


def test_multi_label_warns_as_cleanlab_does_and_points_at_the_caller():
    labels, pred_probs = _multilabel()
    with warnings.catch_warnings(record=True) as reference:
        warnings.simplefilter("always")
        reference_filter.find_label_issues(labels, pred_probs, multi_label=True, n_jobs=1)
    (expected,) = [w for w in reference if issubclass(w.category, DeprecationWarning)]
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        label_filter.find_label_issues(labels, pred_probs, multi_label=True)
    (got,) = [w for w in ours if issubclass(w.category, DeprecationWarning)]
    assert str(got.message) == str(expected.message)
    assert got.filename == __file__  # stacklevel=2: the caller's line, so -W filters by module work


def test_multi_label_warning_is_an_error_under_w_error_as_with_cleanlab():
    labels, pred_probs = _multilabel()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        with pytest.raises(DeprecationWarning, match=r"use `multilabel_classification\.filter"):
            label_filter.find_label_issues(labels, pred_probs, multi_label=True)


def test_single_label_calls_do_not_warn():
    labels, pred_probs = make_pred_probs(60, 3, noise=0.2, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        label_filter.find_label_issues(labels, pred_probs)


# ---------------------------------------------------------------------------------------
# cleanlab.count's latent algebra


def _matrices(k=4, seed=0):
    rng = np.random.default_rng(seed)
    noise_matrix = rng.random((k, k)) + 3 * np.eye(k)
    noise_matrix /= noise_matrix.sum(axis=0)
    py = rng.dirichlet(np.ones(k))
    ps = noise_matrix @ py
    inverse = (noise_matrix * py).T / ps
    return py, ps, noise_matrix, inverse


@pytest.mark.parametrize("py_method", ["cnt", "eqn", "marginal", "marginal_ps"])
def test_compute_py_equals_cleanlabs(py_method):
    py, ps, noise_matrix, inverse = _matrices()
    counts = np.array([30, 20, 25, 25])
    expected = reference_algebra.compute_py(ps, noise_matrix, inverse, py_method=py_method,
                                            true_labels_class_counts=counts)
    np.testing.assert_array_equal(
        count.compute_py(ps, noise_matrix, inverse, py_method=py_method, true_labels_class_counts=counts), expected)


def test_noise_matrix_conversions_equal_cleanlabs_with_and_without_the_optional_prior():
    py, ps, noise_matrix, inverse = _matrices(seed=3)
    np.testing.assert_array_equal(count.compute_inv_noise_matrix(py, noise_matrix),
                                  reference_algebra.compute_inv_noise_matrix(py, noise_matrix))
    np.testing.assert_array_equal(count.compute_inv_noise_matrix(py, noise_matrix, ps=ps),
                                  reference_algebra.compute_inv_noise_matrix(py, noise_matrix, ps=ps))
    np.testing.assert_array_equal(count.compute_noise_matrix_from_inverse(ps, inverse),
                                  reference_algebra.compute_noise_matrix_from_inverse(ps, inverse))
    np.testing.assert_array_equal(count.compute_noise_matrix_from_inverse(ps, inverse, py=py),
                                  reference_algebra.compute_noise_matrix_from_inverse(ps, inverse, py=py))
    # Bayes' rule both ways: back to the matrix we started from.
    np.testing.assert_allclose(count.compute_noise_matrix_from_inverse(ps, inverse, py=py), noise_matrix)


def test_latent_algebra_arguments_are_named():
    py, ps, noise_matrix, inverse = _matrices()
    with pytest.raises(ValueError, match="py_method"):
        count.compute_py(ps, noise_matrix, inverse, py_method="nope")
    with pytest.raises(ValueError, match="true_labels_class_counts"):
        count.compute_py(ps, noise_matrix, inverse, py_method="marginal")
    with pytest.raises(ValueError, match=r"py must have shape \(4,\)"):
        count.compute_inv_noise_matrix(py[:3], noise_matrix)


# ---------------------------------------------------------------------------------------
# Every public name of each cleanlab module we mirror

MIRRORED = {
    "cleanlab.count": "cleanlearn.count",
    "cleanlab.filter": "cleanlearn.filter",
    "cleanlab.rank": "cleanlearn.rank",
    "cleanlab.dataset": "cleanlearn.dataset",
    "cleanlab.classification": "cleanlearn.classification",
    "cleanlab.benchmarking.noise_generation": "cleanlearn.noise",
    "cleanlab.multilabel_classification.filter": "cleanlearn.multilabel_classification.filter",
    "cleanlab.multilabel_classification.rank": "cleanlearn.multilabel_classification.rank",
    "cleanlab.multilabel_classification.dataset": "cleanlearn.multilabel_classification.dataset",
}
# Re-exports that are part of a module's documented surface (cleanlab's API reference lists
# them under the module), beyond the functions and classes it defines itself.
REEXPORTED_API = {
    "cleanlab.count": {"compute_inv_noise_matrix", "compute_noise_matrix_from_inverse", "compute_py"},
}
# Public functions a cleanlab module defines itself that we do not provide, with the reason.
ALLOWED_MISSING: dict[str, dict[str, str]] = {}


def _public(module) -> dict[str, str]:
    """{name: the module defining it} of a module's public functions and classes."""
    return {name: value.__module__ for name, value in vars(module).items()
            if not name.startswith("_") and (inspect.isfunction(value) or inspect.isclass(value))}


@pytest.mark.parametrize("reference_name", sorted(MIRRORED))
def test_our_module_has_every_public_name_of_cleanlabs(reference_name):
    reference, ours = importlib.import_module(reference_name), importlib.import_module(MIRRORED[reference_name])
    public = _public(reference)
    # Imports of other libraries and of cleanlab's internals (sklearn's LogisticRegression,
    # cleanlab.internal.util helpers) are not its API; its own definitions and the listed
    # re-exports are.
    expected = {name for name, origin in public.items() if origin == reference_name}
    expected |= REEXPORTED_API.get(reference_name, set())
    missing = sorted(expected - set(dir(ours)) - set(ALLOWED_MISSING.get(reference_name, {})))
    assert not missing, f"{MIRRORED[reference_name]} lacks {missing} of {reference_name}"


# ---------------------------------------------------------------------------------------
# cv_n_folds against the class sizes; sample weights


def _small_class_data():
    rng = np.random.default_rng(0)
    labels = np.array([0] * 30 + [1] * 27 + [2] * 3)
    return rng.normal(size=(60, 2)) + labels[:, None], labels


def test_cv_n_folds_larger_than_the_smallest_class_is_named():
    X, labels = _small_class_data()
    with pytest.warns(UserWarning, match=r"cv_n_folds=5 is larger than the smallest class \(class 2 has 3"):
        count.estimate_cv_predicted_probabilities(X, labels, LogisticRegression(), cv_n_folds=5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CleanLearning(LogisticRegression(), cv_n_folds=5).find_label_issues(X, labels)
    messages = [str(w.message) for w in caught]
    assert any("cv_n_folds=5" in m for m in messages)
    assert not any("least populated class" in m for m in messages)  # scikit-learn's raw words


def test_cv_n_folds_larger_than_every_class_is_refused_naming_cv_n_folds():
    X, labels = _small_class_data()
    keep = np.r_[0:3, 30:33, 57:60]
    with pytest.raises(ValueError, match=r"cv_n_folds=5 is larger than every class \(the largest has 3"):
        count.estimate_cv_predicted_probabilities(X[keep], labels[keep], LogisticRegression(), cv_n_folds=5)


@pytest.mark.parametrize("bad, shown", [(-1.0, "-1.0"), (np.nan, "nan"), (np.inf, "inf")])
def test_sample_weights_that_cannot_be_weights_are_refused(bad, shown):
    X, labels = _small_class_data()
    weights = np.ones(len(labels))
    weights[7] = bad
    with pytest.raises(ValueError, match=rf"sample_weight must be finite and >= 0; got .*{shown}.* at index 7"):
        CleanLearning(LogisticRegression(), cv_n_folds=3).fit(X, labels, sample_weight=weights)


def test_rank_classes_with_multi_label_points_to_the_multilabel_ranking():
    """cleanlab 2.9 points to overall_multilabel_health_score here; the ranking of classes is
    rank_classes_by_multilabel_quality."""
    import numpy as np

    from cleanlearn.dataset import rank_classes_by_label_quality

    labels, pred_probs = np.array([0, 1, 1, 0]), np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    with pytest.raises(ValueError, match="rank_classes_by_multilabel_quality"):
        rank_classes_by_label_quality(labels, pred_probs, multi_label=True)
