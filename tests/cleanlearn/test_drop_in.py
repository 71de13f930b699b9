"""cleanlab 2.9 callers keep working: duck-typed classifiers, the reference's argument forms,
and cleanlearn.noise drawing from numpy's global random state exactly as the reference does.

Each case is a call that works with cleanlab 2.9.0; where the reference computes something,
the numbers are compared with it (or with the equivalent call both accept).
"""

from __future__ import annotations

import copy
import logging

import numpy as np
import pytest
from _data import make_pred_probs
from cleanlab import filter as reference_filter
from cleanlab.benchmarking import noise_generation as reference_noise
from cleanlab.classification import CleanLearning as ReferenceCleanLearning
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from cleanlearn import CleanLearning, count, noise, rank
from cleanlearn import filter as label_filter
from cleanlearn.count import estimate_cv_predicted_probabilities


@pytest.fixture(autouse=True)
def _restore_global_random_state():
    state = np.random.get_state()  # noqa: NPY002 - the reference and seed=None use it
    yield
    np.random.set_state(state)  # noqa: NPY002


def _data(n_classes=3, n_samples=240, seed=0):
    X, labels = make_classification(
        n_samples=n_samples, n_features=6, n_informative=4, n_redundant=0, n_classes=n_classes,
        n_clusters_per_class=1, class_sep=1.0, random_state=seed, flip_y=0.15,
    )
    return X, labels


def _logreg():
    return LogisticRegression(solver="newton-cg", max_iter=300)


# ---------------------------------------------------------------------------------------
# Duck-typed classifiers, as cleanlab users write them
# ---------------------------------------------------------------------------------------


class _Wrapper:
    """Not a BaseEstimator: fit/predict/predict_proba around a logistic regression."""

    def __init__(self, C=1.0):  # noqa: N803 - sklearn's name
        self.C = C

    def _model(self):
        return LogisticRegression(C=self.C, solver="newton-cg", max_iter=300)

    def fit(self, X, y, sample_weight=None):
        self.model = self._model().fit(X, y, sample_weight=sample_weight)
        return self

    def predict(self, X):
        return self.model.predict(X)

    def predict_proba(self, X):
        return self.model.predict_proba(X)


class _FitReturnsNone(_Wrapper):
    """Cloneable (get_params/set_params), and fit returns None as several wrappers do."""

    def get_params(self, deep=True):
        return {"C": self.C}

    def set_params(self, **params):
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def fit(self, X, y, sample_weight=None):
        super().fit(X, y, sample_weight=sample_weight)


class _Cloneable(_FitReturnsNone):
    """get_params/set_params but no BaseEstimator (no __sklearn_tags__), fit returns self."""

    def fit(self, X, y, sample_weight=None):
        return _Wrapper.fit(self, X, y, sample_weight=sample_weight)

    def score(self, X, y):
        return float(np.mean(self.predict(X) == y))


class _WithPredictOptions(_Cloneable):
    """predict / predict_proba take an option (e.g. a batch size), passed through by cleanlab."""

    def predict(self, X, temperature=1.0):
        return self.predict_proba(X, temperature=temperature).argmax(axis=1)

    def predict_proba(self, X, temperature=1.0):
        probabilities = self.model.predict_proba(X) ** (1 / temperature)
        return probabilities / probabilities.sum(axis=1, keepdims=True)


class _Uncopyable(_Wrapper):
    """Neither cloneable nor deep-copyable (holds, say, a live handle)."""

    def __deepcopy__(self, memo):
        raise TypeError("cannot deep-copy a live handle")


@pytest.mark.filterwarnings("error::DeprecationWarning", "error::FutureWarning")  # no tag warnings
@pytest.mark.parametrize("classifier", [_FitReturnsNone, _Cloneable])
def test_duck_typed_cloneable_classifier_gives_the_numbers_of_the_sklearn_one(classifier):
    X, labels = _data()
    expected = CleanLearning(_logreg(), seed=0).fit(X, labels)
    user_clf = classifier(C=1.0)
    fitted = CleanLearning(user_clf, seed=0).fit(X, labels)
    assert not hasattr(user_clf, "model")  # the user's object is never fitted
    assert fitted.clf_ is not None and fitted.clf_ is not user_clf
    np.testing.assert_array_equal(
        fitted.label_issues_df_["is_label_issue"], expected.label_issues_df_["is_label_issue"]
    )
    np.testing.assert_array_equal(fitted.predict(X), expected.predict(X))
    np.testing.assert_allclose(fitted.predict_proba(X), expected.predict_proba(X), rtol=0, atol=1e-12)
    assert fitted.score(X, labels) == pytest.approx(expected.score(X, labels))


def test_fit_returning_none_works_as_in_the_reference():
    X, labels = _data(seed=1)
    ours = CleanLearning(_FitReturnsNone(), seed=3).fit(X, labels)
    reference_clf = _FitReturnsNone()
    ReferenceCleanLearning(reference_clf, seed=3).fit(X, labels)  # fits reference_clf in place
    np.testing.assert_array_equal(ours.predict(X), reference_clf.predict(X))


def test_predict_options_reach_the_classifier_as_in_the_reference():
    X, labels = _data()
    ours = CleanLearning(_WithPredictOptions(), seed=0).fit(X, labels)
    reference = ReferenceCleanLearning(_WithPredictOptions(), seed=0).fit(X, labels)
    sharp = ours.predict_proba(X, temperature=0.5)
    assert not np.allclose(sharp, ours.predict_proba(X))  # the option had an effect
    np.testing.assert_allclose(sharp, reference.predict_proba(X, temperature=0.5), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(ours.predict(X, temperature=0.5), reference.predict(X, temperature=0.5))


def test_uncloneable_classifier_gets_a_clear_error_before_cross_validation():
    X, labels = _data()
    with pytest.raises(TypeError, match=r"clf \(_Wrapper\) cannot be cloned.*pred_probs"):
        CleanLearning(_Wrapper(), seed=0).fit(X, labels)
    with pytest.raises(TypeError, match="cannot be cloned"):
        CleanLearning(_Wrapper(), seed=0).find_label_issues(X, labels)


def test_uncloneable_classifier_with_pred_probs_fits_a_deep_copy():
    X, labels = _data()
    pred_probs = estimate_cv_predicted_probabilities(X, labels, _logreg(), seed=0)
    user_clf = _Wrapper()
    fitted = CleanLearning(user_clf).fit(X, labels, pred_probs=pred_probs)
    assert not hasattr(user_clf, "model") and fitted.clf_ is not user_clf
    expected = CleanLearning(_logreg()).fit(X, labels, pred_probs=pred_probs)
    np.testing.assert_array_equal(fitted.predict(X), expected.predict(X))
    np.testing.assert_array_equal(fitted.label_issues_mask, expected.label_issues_mask)
    # The reference's find_label_issues -> fit(label_issues=...) flow needs no clone either.
    issues = fitted.get_label_issues()
    refit = CleanLearning(_Wrapper()).fit(X, labels, label_issues=issues)
    np.testing.assert_array_equal(
        refit.predict(X), CleanLearning(_logreg()).fit(X, labels, label_issues=issues).predict(X)
    )


def test_classifier_neither_cloneable_nor_copyable_gets_a_clear_error():
    X, labels = _data()
    pred_probs = np.full((labels.size, 3), 1 / 3)
    pred_probs[np.arange(labels.size), labels] += 0.3
    pred_probs /= pred_probs.sum(axis=1, keepdims=True)
    user_clf = _Uncopyable()
    with pytest.raises(TypeError, match="neither cloned.*nor deep-copied"):
        CleanLearning(user_clf).fit(X, labels, pred_probs=pred_probs)
    assert not hasattr(user_clf, "model")
    with pytest.raises(TypeError):
        copy.deepcopy(user_clf)  # the premise of the case


# ---------------------------------------------------------------------------------------
# The reference's argument forms
# ---------------------------------------------------------------------------------------


def test_verbose_ints_are_accepted_everywhere_and_equal_the_bools():
    labels, pred_probs = make_pred_probs(200, 4, seed=1)
    for as_int, as_bool in ((0, False), (1, True)):
        np.testing.assert_array_equal(
            label_filter.find_label_issues(labels, pred_probs, verbose=as_int),
            label_filter.find_label_issues(labels, pred_probs, verbose=as_bool),
        )
        np.testing.assert_array_equal(
            rank.get_label_quality_ensemble_scores(labels, [pred_probs, pred_probs], verbose=as_int),
            rank.get_label_quality_ensemble_scores(labels, [pred_probs, pred_probs], verbose=as_bool),
        )
        assert noise.noise_matrix_is_valid(np.eye(2), [0.5, 0.5], verbose=as_int)
    X, y = _data()
    first = CleanLearning(_logreg(), verbose=1).fit(X, y).label_issues_df_
    second = CleanLearning(_logreg(), verbose=0).fit(X, y).label_issues_df_
    assert first.equals(second)
    with pytest.raises(ValueError, match="'verbose' parameter of CleanLearning"):
        CleanLearning(verbose=-1).fit(X, y)
    with pytest.raises(TypeError, match="'verbose'"):
        label_filter.find_label_issues(labels, pred_probs, verbose="yes")
    np.testing.assert_array_equal(
        count.compute_confident_joint(labels, pred_probs, calibrate=0),
        count.compute_confident_joint(labels, pred_probs, calibrate=False),
    )
    with pytest.raises(ValueError, match="'calibrate'"):  # a bool flag takes 0 / 1, not 2
        count.compute_confident_joint(labels, pred_probs, calibrate=2)


def test_verbose_progress_reaches_stderr_only_when_logging_is_unconfigured(monkeypatch, capsys):
    X, y = _data()
    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # an application that set up none
    CleanLearning(_logreg(), verbose=True).fit(X, y)
    captured = capsys.readouterr()
    assert "label issues" in captured.err and captured.out == ""
    CleanLearning(_logreg(), verbose=False).fit(X, y)
    assert capsys.readouterr().err == ""
    # An application with logging configured gets the messages through it, once, not on stderr.
    records = []

    class _Collect(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [_Collect(level=logging.INFO)])
    level = root.level
    root.setLevel(logging.INFO)  # setLevel, not the attribute: it clears the loggers' caches
    try:
        CleanLearning(_logreg(), verbose=True).fit(X, y)
    finally:
        root.setLevel(level)
    assert capsys.readouterr().err == ""
    assert any("label issues" in message for message in records)


def test_fit_refuses_labels_and_y_together_as_the_reference():
    X, labels = _data()
    with pytest.raises(ValueError, match="both y and labels"):
        CleanLearning(_logreg()).fit(X, labels, labels=labels)
    with pytest.raises(ValueError, match="both"):
        ReferenceCleanLearning(_logreg()).fit(X, y=labels, labels=labels)
    with pytest.raises(ValueError, match="both y and labels"):
        CleanLearning(_logreg()).fit(X, y=labels, labels=labels)


@pytest.mark.parametrize("n_classes", [2, 3, 7])
@pytest.mark.parametrize("filter_by", ["prune_by_noise_rate", "prune_by_class", "both"])
def test_scalar_num_to_remove_per_class_is_every_class(n_classes, filter_by):
    labels, pred_probs = make_pred_probs(400, n_classes, noise=0.3, seed=n_classes)
    for k in (0, 3, 10):
        ours = label_filter.find_label_issues(labels, pred_probs, filter_by=filter_by, num_to_remove_per_class=k)
        as_list = label_filter.find_label_issues(
            labels, pred_probs, filter_by=filter_by, num_to_remove_per_class=[k] * n_classes
        )
        reference = reference_filter.find_label_issues(
            labels, pred_probs, filter_by=filter_by, num_to_remove_per_class=k
        )
        np.testing.assert_array_equal(ours, as_list)
        np.testing.assert_array_equal(ours, reference)
    ranked = label_filter.find_label_issues(
        labels, pred_probs, num_to_remove_per_class=5, return_indices_ranked_by="self_confidence"
    )
    np.testing.assert_array_equal(
        ranked,
        reference_filter.find_label_issues(
            labels, pred_probs, num_to_remove_per_class=5, return_indices_ranked_by="self_confidence"
        ),
    )
    with pytest.raises(ValueError, match="non-negative"):
        label_filter.find_label_issues(labels, pred_probs, num_to_remove_per_class=-1)


# ---------------------------------------------------------------------------------------
# cleanlearn.noise with seed=None: numpy's global random state, as the reference
# ---------------------------------------------------------------------------------------


def _state():
    """numpy's global MT19937 state: its key and its position in the key."""
    _, key, position, *_ = np.random.get_state()  # noqa: NPY002
    return np.append(key, position)


@pytest.mark.parametrize("n_classes", [2, 3, 4, 6, 10])
@pytest.mark.parametrize("frac_zero_noise_rates", [0.0, 0.5, 0.8])
def test_seed_none_noise_matrix_is_the_reference_bit_for_bit(n_classes, frac_zero_noise_rates):
    for seed in range(4):
        py = np.random.default_rng(seed).dirichlet(np.ones(n_classes) * 3)
        trace = 1.3 + 0.6 * (n_classes - 1.3)
        kwargs = {"py": py, "frac_zero_noise_rates": frac_zero_noise_rates}
        expected = reference_noise.generate_noise_matrix_from_trace(n_classes, trace, seed=seed, **kwargs)
        state_after_reference = _state()
        np.random.seed(seed)  # noqa: NPY002 - the caller seeds; the library never does
        ours = noise.generate_noise_matrix_from_trace(n_classes, trace, seed=None, **kwargs)
        np.testing.assert_array_equal(ours, expected)
        np.testing.assert_array_equal(_state(), state_after_reference)  # the same draws consumed
        # A RandomState gives the same numbers without the global state.
        before = _state()
        from_random_state = noise.generate_noise_matrix_from_trace(
            n_classes, trace, seed=np.random.RandomState(seed), **kwargs
        )
        np.testing.assert_array_equal(from_random_state, expected)
        np.testing.assert_array_equal(_state(), before)


@pytest.mark.parametrize("n_classes", [2, 4, 9])
def test_seed_none_noisy_labels_and_helpers_are_the_reference_bit_for_bit(n_classes):
    for seed in range(5):
        rng = np.random.default_rng(seed)
        true_labels = np.concatenate([np.arange(n_classes), rng.integers(0, n_classes, 600)])
        noise_matrix = noise.generate_noise_matrix_from_trace(
            n_classes, 0.7 * n_classes, py=np.bincount(true_labels) / true_labels.size, seed=seed
        )
        np.random.seed(seed)  # noqa: NPY002
        expected = reference_noise.generate_noisy_labels(true_labels, noise_matrix)
        np.random.seed(seed)  # noqa: NPY002
        np.testing.assert_array_equal(noise.generate_noisy_labels(true_labels, noise_matrix), expected)

        np.random.seed(seed)  # noqa: NPY002
        expected = reference_noise.generate_n_rand_probabilities_that_sum_to_m(
            n_classes, 1.5, max_prob=0.8, min_prob=0.05
        )
        np.random.seed(seed)  # noqa: NPY002
        ours = noise.generate_n_rand_probabilities_that_sum_to_m(n_classes, 1.5, max_prob=0.8, min_prob=0.05)
        np.testing.assert_array_equal(ours, expected)

        np.random.seed(seed)  # noqa: NPY002
        expected = reference_noise.randomly_distribute_N_balls_into_K_bins(
            N=17, K=n_classes, max_balls_per_bin=9, min_balls_per_bin=1
        )
        np.random.seed(seed)  # noqa: NPY002
        ours = noise.randomly_distribute_N_balls_into_K_bins(17, n_classes, max_balls_per_bin=9, min_balls_per_bin=1)
        np.testing.assert_array_equal(ours, expected)


def test_explicit_seeds_and_generators_never_touch_the_global_state():
    true_labels = np.repeat(np.arange(3), 50)
    before = _state()
    matrix = noise.generate_noise_matrix_from_trace(3, 2.1, py=np.ones(3) / 3, seed=4)
    noise.generate_noisy_labels(true_labels, matrix, seed=5)
    noise.generate_noisy_labels(true_labels, matrix, seed=np.random.default_rng(5))
    noise.generate_n_rand_probabilities_that_sum_to_m(4, 1.0, seed=6)
    noise.randomly_distribute_N_balls_into_K_bins(10, 3, seed=7)
    np.testing.assert_array_equal(_state(), before)
    # seed=None draws from the global state: it advances, and a second call differs.
    first = noise.generate_noisy_labels(true_labels, matrix)
    assert not np.array_equal(_state(), before)
    assert not np.array_equal(first, noise.generate_noisy_labels(true_labels, matrix))
    with pytest.raises(TypeError, match="seed"):
        noise.generate_noisy_labels(true_labels, matrix, seed=True)
