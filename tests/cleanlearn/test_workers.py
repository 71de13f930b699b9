"""Idle workers lent to the classifier's own n_jobs: same results, predictions as in serial."""

from __future__ import annotations

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from cleanlearn import CleanLearning
from cleanlearn._core import workers as _workers
from cleanlearn.count import estimate_cv_predicted_probabilities

FIT_CALLS: list = []
PREDICT_CALLS: list = []


class RecordingForest(RandomForestClassifier):
    """A forest that records its n_jobs at fit and at predict_proba time."""

    def fit(self, X, y, sample_weight=None):
        FIT_CALLS.append(self.n_jobs)
        return super().fit(X, y, sample_weight=sample_weight)

    def predict_proba(self, X):
        PREDICT_CALLS.append(self.n_jobs)
        return super().predict_proba(X)


def noisy_data(n_samples=300, seed=0):
    X, y = make_classification(n_samples=n_samples, n_features=8, n_informative=5, n_classes=3, random_state=seed)
    rng = np.random.default_rng(seed)
    flip = rng.random(n_samples) < 0.2
    y[flip] = (y[flip] + 1) % 3
    return X, y


@pytest.mark.parametrize("n_jobs, expected", [(None, 1), (1, 1), (2, 2)])
def test_n_workers(n_jobs, expected):
    assert _workers.n_workers(n_jobs) == expected


def test_only_an_unset_n_jobs_is_lent():
    assert _workers.lendable(RandomForestClassifier())
    assert not _workers.lendable(RandomForestClassifier(n_jobs=1))  # the user's choice stands
    assert not _workers.lendable(LogisticRegression(n_jobs=3))
    assert not _workers.lendable(object())


def test_tail_fold_and_final_fit_get_the_idle_workers_but_predict_as_serial():
    X, y = noisy_data()
    FIT_CALLS.clear()
    PREDICT_CALLS.clear()
    clf = RecordingForest(n_estimators=10, random_state=0)
    with parallel_config(backend="threading"):  # records stay in this process
        model = CleanLearning(clf, seed=0, n_jobs=2).fit(X, y)
    # 5 folds on 2 workers: 4 folds side by side (own setting), the fifth and the final fit lent 2.
    assert sorted(FIT_CALLS, key=str) == [2, 2, None, None, None, None]
    assert set(PREDICT_CALLS) == {None}
    assert model.clf_.n_jobs is None and clf.n_jobs is None


def test_lent_workers_change_no_number():
    X, y = noisy_data(seed=1)
    clf = RandomForestClassifier(n_estimators=15, random_state=0)
    serial = estimate_cv_predicted_probabilities(X, y, clf, cv_n_folds=3, seed=0, n_jobs=1)
    with parallel_config(backend="threading"):
        lent = estimate_cv_predicted_probabilities(X, y, clf, cv_n_folds=3, seed=0, n_jobs=2)
        fitted = CleanLearning(clf, seed=0, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(serial, lent)
    reference = CleanLearning(clf, seed=0, n_jobs=1).fit(X, y)
    np.testing.assert_array_equal(fitted.predict_proba(X), reference.predict_proba(X))
    assert fitted.get_label_issues().equals(reference.get_label_issues())


def test_a_pipeline_lends_to_its_final_step_only():
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    assert _workers.lendable(Pipeline([("scale", StandardScaler()), ("forest", RandomForestClassifier())]))
    assert not _workers.lendable(Pipeline([("scale", StandardScaler()), ("forest", RandomForestClassifier(n_jobs=1))]))
    assert not _workers.lendable(Pipeline([("scale", StandardScaler()), ("logreg", LogisticRegression(n_jobs=2))]))
    X, y = noisy_data()
    FIT_CALLS.clear()
    PREDICT_CALLS.clear()
    pipeline = Pipeline([("scale", StandardScaler()), ("forest", RecordingForest(n_estimators=10, random_state=0))])
    with parallel_config(backend="threading"):
        model = CleanLearning(pipeline, seed=0, n_jobs=2).fit(X, y)
    assert sorted(FIT_CALLS, key=str) == [2, 2, None, None, None, None]
    assert set(PREDICT_CALLS) == {None}
    assert model.clf_.named_steps["forest"].n_jobs is None and pipeline.named_steps["forest"].n_jobs is None
    with parallel_config(backend="threading"):
        reference = CleanLearning(pipeline, seed=0, n_jobs=1).fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X), reference.predict_proba(X))


def test_no_workers_lent_where_n_jobs_does_nothing():
    """scikit-learn 1.8 deprecated LogisticRegression's n_jobs (no effect; a FutureWarning when
    set): nothing is lent to it there, so CleanLearning(n_jobs=2) warns about nothing."""
    import sklearn

    version = tuple(int(part) for part in sklearn.__version__.split(".")[:2])
    assert _workers.lendable(LogisticRegression()) is (version < (1, 8))
    X, y = noisy_data()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        with parallel_config(backend="threading"):
            CleanLearning(LogisticRegression(max_iter=500), seed=0, n_jobs=2).fit(X, y)
