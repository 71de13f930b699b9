"""CleanLearning: parity with cleanlab 2.9.0, label encoding, sklearn behaviour, bad input.

Parity: on the same data, classifier and seed, cleanlearn.CleanLearning and
cleanlab.classification.CleanLearning give the same label-issue DataFrame (mask identical,
scores and sample weights to 1e-9, given/predicted labels identical) and the same final
model (predict / predict_proba). The reference seeds and consumes numpy's global random
state and mutates its own kwargs, so every reference run gets fresh arguments and the
global state is restored afterwards.
"""

from __future__ import annotations

import contextlib
import copy
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from cleanlab.classification import CleanLearning as ReferenceCleanLearning
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils.validation import check_is_fitted

from cleanlearn import CleanLearning
from cleanlearn.count import estimate_cv_predicted_probabilities


@pytest.fixture(autouse=True)
def _restore_global_random_state():
    state = np.random.get_state()  # noqa: NPY002 - the reference calls np.random.seed
    yield
    np.random.set_state(state)  # noqa: NPY002


@contextlib.contextmanager
def _quiet():
    """Tiny/rare-class data makes both implementations warn; the tests check numbers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _inject_noise(labels, n_classes, fraction, seed):
    rng = np.random.default_rng(seed)
    noisy = labels.copy()
    flip = rng.choice(labels.size, int(fraction * labels.size), replace=False)
    noisy[flip] = (noisy[flip] + rng.integers(1, n_classes, flip.size)) % n_classes
    return noisy


def _classification(n_samples, n_classes, seed, noise=0.2, n_features=8, weights=None):
    X, labels = make_classification(
        n_samples=n_samples, n_features=n_features, n_informative=min(n_features, 6),
        n_redundant=0, n_classes=n_classes, n_clusters_per_class=1, weights=weights,
        class_sep=1.2, random_state=seed,
    )
    return X, _inject_noise(labels, n_classes, noise, seed)


_DATA_CACHE: dict = {}


def _dataset(name):
    if name not in _DATA_CACHE:
        if name == "digits":
            digits = load_digits()
            X, labels = digits.data[:300] / 16.0, digits.target[:300]
            _DATA_CACHE[name] = (X, _inject_noise(labels, 10, 0.15, 0))
        elif name == "binary":
            _DATA_CACHE[name] = _classification(240, 2, seed=1, noise=0.25)
        elif name == "three":
            _DATA_CACHE[name] = _classification(300, 3, seed=2)
        elif name == "ten":
            _DATA_CACHE[name] = _classification(500, 10, seed=3, noise=0.15, n_features=12)
        elif name == "rare":
            # Class 2 has a single example: the training fold of the fold holding it misses
            # the class, and both implementations copy that example into it (one-hot holdout).
            X, labels = _classification(200, 3, seed=4, noise=0.1)
            rare = np.flatnonzero(labels == 2)
            labels[rare[1:]] = 0
            _DATA_CACHE[name] = (X, labels)
    return _DATA_CACHE[name]


def _clf():
    # newton-cg: the same model class, but several times faster than lbfgs on these small
    # multi-class problems (the default solver is covered by the default-classifier test).
    return LogisticRegression(solver="newton-cg", max_iter=300)


def _fit_both(X, labels, *, clf=None, fit_kwargs=None, **params):
    """Fit ours and the reference on fresh copies of everything; return both."""
    clf = _clf() if clf is None else clf
    fit_kwargs = fit_kwargs or {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = CleanLearning(clone(clf), **copy.deepcopy(params)).fit(X, labels, **copy.deepcopy(fit_kwargs))
        reference_params = copy.deepcopy(params)
        for key in ("find_label_issues_kwargs", "label_quality_scores_kwargs"):
            reference_params.setdefault(key, {})
        # The reference's per-class process pools only cost time (same numbers with one job).
        reference_params["find_label_issues_kwargs"].setdefault("n_jobs", 1)
        reference = ReferenceCleanLearning(clone(clf), **reference_params).fit(
            X, labels, **copy.deepcopy(fit_kwargs)
        )
    return ours, reference


def _assert_same_issues(ours: pd.DataFrame, reference: pd.DataFrame):
    assert list(ours.columns) == list(reference.columns)
    np.testing.assert_array_equal(ours["is_label_issue"].to_numpy(), reference["is_label_issue"].to_numpy())
    for column in ("label_quality", "sample_weight"):
        if column in reference.columns:
            np.testing.assert_allclose(ours[column].to_numpy(), reference[column].to_numpy(), rtol=0, atol=1e-9)
    for column in ("given_label", "predicted_label"):
        if column in reference.columns:
            np.testing.assert_array_equal(ours[column].to_numpy(), reference[column].to_numpy())


def _assert_same_model(ours, reference, X):
    np.testing.assert_array_equal(ours.predict(X), reference.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), reference.predict_proba(X), rtol=0, atol=1e-9)


def _assert_parity(ours, reference, X):
    _assert_same_issues(ours.label_issues_df_, reference.label_issues_df)
    _assert_same_model(ours, reference, X)
    for name in ("noise_matrix", "inverse_noise_matrix", "confident_joint", "py"):
        if getattr(reference, name) is not None:
            np.testing.assert_allclose(getattr(ours, name + "_"), getattr(reference, name), atol=1e-12)


# ---------------------------------------------------------------------------------------
# Parity with cleanlab 2.9.0
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dataset, params",
    [
        ("digits", {"seed": 0}),
        ("binary", {"seed": 1}),
        ("three", {"seed": 2}),
        ("ten", {"seed": 3}),
        ("rare", {"seed": 4}),
        ("binary", {"seed": 5, "pulearning": 0}),
        ("binary", {"seed": 5, "pulearning": 1}),
        ("three", {"seed": 6, "converge_latent_estimates": True}),
        ("three", {"seed": 7, "cv_n_folds": 3}),
    ],
)
def test_parity_cross_validated(dataset, params):
    X, labels = _dataset(dataset)
    ours, reference = _fit_both(X, labels, **params)
    assert ours.label_issues_df_["is_label_issue"].sum() > 0  # the case exercises pruning
    _assert_parity(ours, reference, X)


@pytest.fixture(scope="module")
def three_class_pred_probs():
    """Out-of-sample pred_probs of the 'three' dataset, computed once."""
    X, labels = _dataset("three")
    return estimate_cv_predicted_probabilities(X, labels, _clf(), cv_n_folds=5, seed=0)


@pytest.mark.parametrize(
    "find_label_issues_kwargs, label_quality_scores_kwargs",
    [
        ({"filter_by": "prune_by_class"}, None),
        ({"filter_by": "both", "frac_noise": 0.5}, None),
        ({"filter_by": "confident_learning"}, {"method": "normalized_margin"}),
        ({"filter_by": "predicted_neq_given"}, {"method": "confidence_weighted_entropy"}),
        ({"filter_by": "low_normalized_margin"}, None),
        ({"filter_by": "low_self_confidence", "min_examples_per_class": 2}, {"adjust_pred_probs": True}),
        ({"min_examples_per_class": 3, "num_to_remove_per_class": [3, 5, 4]}, None),
    ],
)
def test_parity_filter_and_rank_options(three_class_pred_probs, find_label_issues_kwargs, label_quality_scores_kwargs):
    X, labels = _dataset("three")
    params = {"seed": 0, "find_label_issues_kwargs": find_label_issues_kwargs}
    if label_quality_scores_kwargs is not None:
        params["label_quality_scores_kwargs"] = label_quality_scores_kwargs
    ours, reference = _fit_both(X, labels, fit_kwargs={"pred_probs": three_class_pred_probs}, **params)
    _assert_parity(ours, reference, X)


def test_parity_pred_probs_given_and_thresholds(three_class_pred_probs):
    X, labels = _dataset("three")
    thresholds = np.array([0.4, 0.5, 0.45])
    ours, reference = _fit_both(
        X, labels, fit_kwargs={"pred_probs": three_class_pred_probs, "thresholds": thresholds}, seed=3
    )
    _assert_parity(ours, reference, X)


@pytest.mark.parametrize("which", ["noise_matrix", "inverse_noise_matrix", "both"])
def test_parity_noise_matrix_given(which, three_class_pred_probs):
    X, labels = _dataset("three")
    noise_matrix = np.array([[0.8, 0.1, 0.15], [0.1, 0.75, 0.05], [0.1, 0.15, 0.8]])
    inverse = np.array([[0.85, 0.1, 0.1], [0.05, 0.8, 0.15], [0.1, 0.1, 0.75]])
    fit_kwargs = {"pred_probs": three_class_pred_probs}
    if which in ("noise_matrix", "both"):
        fit_kwargs["noise_matrix"] = noise_matrix
    if which in ("inverse_noise_matrix", "both"):
        fit_kwargs["inverse_noise_matrix"] = inverse
    ours, reference = _fit_both(X, labels, fit_kwargs=fit_kwargs, seed=0)
    _assert_parity(ours, reference, X)


def test_parity_noise_matrix_given_with_cross_validation_and_pulearning():
    X, labels = _dataset("binary")
    noise_matrix = np.array([[0.8, 0.3], [0.2, 0.7]])
    ours, reference = _fit_both(X, labels, fit_kwargs={"noise_matrix": noise_matrix}, seed=2, pulearning=1)
    _assert_parity(ours, reference, X)


def test_parity_confident_joint_in_kwargs(three_class_pred_probs):
    X, labels = _dataset("three")
    confident_joint = np.array([[80, 10, 8], [12, 75, 9], [7, 11, 88]])
    ours, reference = _fit_both(
        X, labels, fit_kwargs={"pred_probs": three_class_pred_probs}, seed=0,
        find_label_issues_kwargs={"confident_joint": confident_joint},
    )
    _assert_parity(ours, reference, X)


def test_parity_sample_weight_given():
    X, labels = _dataset("three")
    weights = np.random.default_rng(0).uniform(0.5, 2.0, labels.size)
    ours, reference = _fit_both(X, labels, fit_kwargs={"sample_weight": weights}, seed=1)
    assert "sample_weight" not in ours.label_issues_df_.columns  # user weights, no auto column
    _assert_parity(ours, reference, X)


@pytest.mark.parametrize("form", ["mask", "indices", "frame"])
def test_parity_label_issues_given(form):
    X, labels = _dataset("three")
    mask = np.zeros(labels.size, dtype=bool)
    mask[::7] = True
    label_issues = {
        "mask": mask,
        "indices": np.flatnonzero(mask),
        "frame": pd.DataFrame({"is_label_issue": mask}),
    }[form]
    ours, reference = _fit_both(X, labels, fit_kwargs={"label_issues": label_issues}, seed=0)
    _assert_same_issues(ours.label_issues_df_, reference.label_issues_df)
    _assert_same_model(ours, reference, X)
    assert "sample_weight" not in ours.label_issues_df_.columns  # no noise matrix known


def test_parity_find_label_issues_then_fit_with_label_issues():
    """The reference's documented two-step workflow, including the automatic sample weights."""
    X, labels = _dataset("three")
    with _quiet():
        ours = CleanLearning(_clf(), seed=3)
        reference = ReferenceCleanLearning(_clf(), seed=3)
        ours_issues = ours.find_label_issues(X, labels)
        reference_issues = reference.find_label_issues(X, labels)
        _assert_same_issues(ours_issues, reference_issues)
        ours.fit(X, labels, label_issues=ours.get_label_issues())
        reference.fit(X, labels, label_issues=reference.get_label_issues())
    assert "sample_weight" in ours.label_issues_df_.columns
    _assert_parity(ours, reference, X)


def test_find_label_issues_from_pred_probs_without_X(three_class_pred_probs):
    _, labels = _dataset("three")
    with _quiet():
        ours = CleanLearning(seed=0).find_label_issues(labels=labels, pred_probs=three_class_pred_probs)
        reference = ReferenceCleanLearning(seed=0).find_label_issues(
            labels=labels, pred_probs=three_class_pred_probs
        )
    _assert_same_issues(ours, reference)


def test_parity_default_classifier_flattens_images():
    digits = load_digits()
    keep = np.flatnonzero(digits.target < 3)[:180]  # three classes keep lbfgs quick
    X = digits.images[keep] / 16.0  # (N, 8, 8): the default LogisticRegression needs 2-D
    labels = _inject_noise(digits.target[keep], 3, 0.1, 5)
    with _quiet():
        ours = CleanLearning(seed=0).fit(X, labels)
        reference = ReferenceCleanLearning(seed=0).fit(X, labels)
    _assert_parity(ours, reference, X)


# ---------------------------------------------------------------------------------------
# Labels of any type, call forms, data containers
# ---------------------------------------------------------------------------------------


def _fit(X, labels, **params):
    with _quiet():
        return CleanLearning(_clf(), **{"seed": 0, **params}).fit(X, labels)


def test_string_and_noncontiguous_labels_match_integer_encoding():
    X, labels = _dataset("three")
    integer = _fit(X, labels)
    names = np.array(["cat", "dog", "eel"])
    for encoded, classes in ((names[labels], names), (labels * 10 + 3, np.array([3, 13, 23]))):
        model = _fit(X, encoded)
        np.testing.assert_array_equal(model.classes_, classes)
        frame, expected = model.label_issues_df_, integer.label_issues_df_
        np.testing.assert_array_equal(frame["is_label_issue"], expected["is_label_issue"])
        np.testing.assert_allclose(frame["label_quality"], expected["label_quality"], atol=1e-12)
        np.testing.assert_array_equal(frame["given_label"], classes[expected["given_label"]])
        np.testing.assert_array_equal(frame["predicted_label"], classes[expected["predicted_label"]])
        np.testing.assert_allclose(frame["sample_weight"], expected["sample_weight"], atol=1e-12)
        np.testing.assert_array_equal(model.predict(X), classes[integer.predict(X)])
        np.testing.assert_allclose(model.predict_proba(X), integer.predict_proba(X))
        assert model.score(X, encoded) == pytest.approx(integer.score(X, labels))


def test_call_forms_are_equivalent():
    X, labels = _dataset("binary")
    expected = _fit(X, labels).label_issues_df_
    with _quiet():
        for fitted in (
            CleanLearning(_clf(), seed=0).fit(X, labels=labels),
            CleanLearning(_clf(), seed=0).fit(X, y=labels),
            CleanLearning(_clf(), seed=0).fit(X, pd.Series(labels)),
            CleanLearning(_clf(), seed=0).fit(X, list(labels)),
        ):
            pd.testing.assert_frame_equal(fitted.label_issues_df_, expected)


def test_kwargs_from_a_hydra_config_are_accepted():
    from omegaconf import OmegaConf

    X, labels = _dataset("binary")
    options = OmegaConf.create({"filter_by": "both", "min_examples_per_class": 10})
    expected = _fit(X, labels, find_label_issues_kwargs={"filter_by": "both"}).label_issues_df_
    model = _fit(X, labels, find_label_issues_kwargs=options)
    pd.testing.assert_frame_equal(model.label_issues_df_, expected)


@pytest.mark.parametrize("container", ["dataframe", "csr", "list"])
def test_data_containers_give_same_issues(container):
    X, labels = _dataset("three")
    expected = _fit(X, labels)
    converted = {
        "dataframe": pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])]),
        "csr": scipy.sparse.csr_matrix(X),
        "list": [list(row) for row in X],
    }[container]
    model = _fit(converted, labels)
    pd.testing.assert_frame_equal(model.label_issues_df_, expected.label_issues_df_)
    np.testing.assert_array_equal(model.predict(converted), expected.predict(X))
    if container == "dataframe":
        assert list(model.feature_names_in_) == list(converted.columns)
    if container != "list":
        assert model.n_features_in_ == X.shape[1]


@pytest.mark.filterwarnings("ignore:May not flag all label issues")
def test_tiny_data_shrinks_folds_with_a_warning():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 2))
    labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2])
    with pytest.warns(UserWarning, match="using 3 folds"):
        model = CleanLearning(LogisticRegression(), cv_n_folds=5).fit(X, labels)
    assert model.cv_n_folds_ == 3
    assert model.predict(X).shape == (10,)


def test_class_pruned_entirely_gets_a_zero_probability_column():
    X, labels = _dataset("three")
    with _quiet():
        model = CleanLearning(_clf()).fit(X, labels, label_issues=labels == 2)
    probabilities = model.predict_proba(X)
    assert probabilities.shape == (labels.size, 3)
    np.testing.assert_array_equal(probabilities[:, 2], 0.0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)


# ---------------------------------------------------------------------------------------
# Estimator hygiene: refits, parameters, the user's clf, random state, parallel folds
# ---------------------------------------------------------------------------------------


def test_refit_equals_fresh_fit_and_params_unchanged():
    X, labels = _dataset("three")
    params = {"find_label_issues_kwargs": {"filter_by": "both"}, "label_quality_scores_kwargs": {}}
    model = CleanLearning(_clf(), seed=2, **params)
    before = copy.deepcopy(model.get_params(deep=True))
    with _quiet():
        model.fit(X, labels)
        first = model.label_issues_df_.copy()
        model.fit(X, labels)
        fresh = CleanLearning(_clf(), seed=2, **copy.deepcopy(params)).fit(X, labels)
    pd.testing.assert_frame_equal(model.label_issues_df_, first)
    pd.testing.assert_frame_equal(model.label_issues_df_, fresh.label_issues_df_)
    after = model.get_params(deep=True)
    assert after.keys() == before.keys()
    for key, value in before.items():
        if key == "clf":
            assert after[key].get_params() == value.get_params()
        else:
            assert after[key] == value, key
    assert params["find_label_issues_kwargs"] == {"filter_by": "both"}  # not written into


def test_user_clf_is_not_fitted_and_global_state_untouched():
    X, labels = _dataset("binary")
    clf = _clf()
    state = np.random.get_state()[1].copy()  # noqa: NPY002
    with _quiet():
        model = CleanLearning(clf, seed=3).fit(X, labels)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)
    assert model.clf_ is not clf
    check_is_fitted(model.clf_)


def test_seed_none_is_reproducible_and_seed_changes_folds():
    X, labels = _dataset("three")
    default_a, default_b = _fit(X, labels, seed=None), _fit(X, labels, seed=None)
    pd.testing.assert_frame_equal(default_a.label_issues_df_, default_b.label_issues_df_)
    other = _fit(X, labels, seed=11)
    assert not np.allclose(other.label_issues_df_["label_quality"], default_a.label_issues_df_["label_quality"])


@pytest.mark.slow
def test_parallel_folds_equal_serial():
    X, labels = _dataset("three")
    serial = _fit(X, labels, n_jobs=1)
    parallel = _fit(X, labels, n_jobs=2)
    pd.testing.assert_frame_equal(serial.label_issues_df_, parallel.label_issues_df_)
    np.testing.assert_array_equal(serial.predict_proba(X), parallel.predict_proba(X))


def test_reference_attribute_aliases_and_accessors():
    X, labels = _dataset("three")
    model = _fit(X, labels)
    assert model.label_issues_df is model.label_issues_df_
    assert model.get_label_issues() is model.label_issues_df_
    np.testing.assert_array_equal(model.label_issues_mask, model.label_issues_df_["is_label_issue"])
    for name in ("confident_joint", "py", "noise_matrix", "inverse_noise_matrix"):
        assert getattr(model, name) is getattr(model, name + "_")
    np.testing.assert_allclose(model.noise_matrix_.sum(axis=0), 1.0)
    model.save_space()
    assert model.label_issues_df is None and model.noise_matrix is None
    with pytest.warns(UserWarning, match="not been computed"):
        assert model.get_label_issues() is None
    model.predict(X)  # the final model survives save_space


def test_find_label_issues_save_space_and_not_fitted():
    X, labels = _dataset("binary")
    model = CleanLearning(_clf(), seed=0)
    with _quiet():
        frame = model.find_label_issues(X, labels, save_space=True)
    assert list(frame.columns) == ["is_label_issue", "label_quality", "given_label", "predicted_label"]
    assert model.label_issues_df is None and model.noise_matrix is not None
    with pytest.raises(NotFittedError):
        model.predict(X)


def test_no_automatic_weights_when_clf_fit_lacks_sample_weight():
    X, labels = _dataset("three")
    with _quiet():
        model = CleanLearning(KNeighborsClassifier(), seed=0).fit(X, labels)
    assert "sample_weight" not in model.label_issues_df_.columns
    with pytest.raises(ValueError, match="does not accept sample_weight"), _quiet():
        CleanLearning(KNeighborsClassifier()).fit(X, labels, sample_weight=np.ones(labels.size))


class _RecordingLogisticRegression(LogisticRegression):
    """Records the ``note`` passed to each fit (class-level: clones share the list)."""

    notes: list = []

    def fit(self, X, y, sample_weight=None, note=None):
        type(self).notes.append(note)
        return super().fit(X, y, sample_weight=sample_weight)


def test_clf_kwargs_final_kwargs_and_validation_func_reach_the_right_fits():
    X, labels = _dataset("binary")
    _RecordingLogisticRegression.notes = []
    with _quiet():
        CleanLearning(_RecordingLogisticRegression(), cv_n_folds=4).fit(
            X, labels, clf_kwargs={"note": "cv"}, clf_final_kwargs={"note": "final"}
        )
    assert _RecordingLogisticRegression.notes == ["cv"] * 4 + ["final"]

    _RecordingLogisticRegression.notes = []
    with _quiet():
        CleanLearning(_RecordingLogisticRegression(), cv_n_folds=4).fit(
            X, labels, validation_func=lambda X_val, y_val: {"note": len(y_val)}
        )
    fold_sizes, final_note = _RecordingLogisticRegression.notes[:4], _RecordingLogisticRegression.notes[4:]
    assert sum(fold_sizes) == labels.size and final_note == [None]  # holdout folds; not in the final fit


def test_verbose_logs_instead_of_printing(caplog, capsys):
    X, labels = _dataset("binary")
    with caplog.at_level("INFO", logger="cleanlearn.classification"), _quiet():
        CleanLearning(_clf(), seed=0, verbose=True).fit(X, labels)
    assert "label issues" in caplog.text
    assert capsys.readouterr().out == ""


# ---------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------


class _NoPredictProba:
    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


@pytest.mark.parametrize(
    "params, fit_kwargs, error, match",
    [
        ({"clf": _NoPredictProba()}, {}, TypeError, "predict_proba"),
        ({"cv_n_folds": 1}, {}, ValueError, "cv_n_folds"),
        ({"cv_n_folds": 2.5}, {}, TypeError, "cv_n_folds"),
        ({"pulearning": 2}, {}, ValueError, "pulearning"),
        ({"seed": -3}, {}, ValueError, "seed"),
        ({"n_jobs": 0}, {}, ValueError, "n_jobs"),
        ({"low_memory": "yes"}, {}, TypeError, "low_memory"),
        ({"find_label_issues_kwargs": {"filter_by": "magic"}}, {}, ValueError, "filter_by"),
        ({"find_label_issues_kwargs": {"return_indices_ranked_by": "self_confidence"}}, {}, ValueError, "return_indices"),
        ({"find_label_issues_kwargs": {"frac_nosie": 0.5}}, {}, ValueError, "frac_nosie"),
        ({"label_quality_scores_kwargs": {"methd": "x"}}, {}, ValueError, "methd"),
        ({}, {"noise_matrix": np.eye(2)}, ValueError, "noise_matrix"),
        ({}, {"noise_matrix": np.full((3, 3), 1 / 3)}, ValueError, "trace"),
        ({}, {"inverse_noise_matrix": np.full((3, 3), 1 / 3)}, ValueError, "trace"),
        ({}, {"pred_probs": np.full((10, 3), 1 / 3)}, ValueError, "pred_probs"),
        ({}, {"clf_kwargs": {"sample_weight": np.ones(300)}}, ValueError, "sample_weight"),
        ({}, {"sample_weight": np.ones(5)}, ValueError, "sample_weight"),
        ({}, {"label_issues": np.zeros(5, dtype=bool)}, ValueError, "label_issues"),
        ({}, {"label_issues": np.array([0, 0, 1])}, ValueError, "unique"),
        ({}, {"label_issues": pd.DataFrame({"flag": np.zeros(300, bool)})}, ValueError, "is_label_issue"),
        ({}, {"validation_func": 3}, TypeError, "validation_func"),
    ],
)
def test_bad_input_raises_named_errors(params, fit_kwargs, error, match):
    X, labels = _dataset("three")
    with pytest.raises(error, match=match), _quiet():
        CleanLearning(**params).fit(X, labels, **fit_kwargs)


def test_bad_data_raises_named_errors():
    X, labels = _dataset("three")
    binary_X, binary_labels = _dataset("binary")
    with pytest.raises(ValueError, match="pulearning"):
        CleanLearning(pulearning=1).fit(X, labels)  # K = 3
    with pytest.raises(ValueError, match="rows"):
        CleanLearning().fit(X[:-1], labels)
    with pytest.raises(ValueError, match="1-D"):
        CleanLearning().fit(X, np.column_stack([labels, labels]))
    with pytest.raises(ValueError, match="empty"):
        CleanLearning().fit(X[:0], labels[:0])
    with pytest.raises(ValueError, match="at least 2 classes"):
        CleanLearning().fit(X, np.zeros_like(labels))
    with pytest.raises(ValueError, match="both y and labels"):  # as the reference, even if equal
        CleanLearning().fit(binary_X, binary_labels, labels=binary_labels)
    with pytest.raises(ValueError, match="requires y"):
        CleanLearning().fit(X)
    with pytest.raises(ValueError, match="given_label"), _quiet():
        frame = pd.DataFrame({"is_label_issue": np.zeros(labels.size, bool), "given_label": (labels + 1) % 3})
        CleanLearning().fit(X, labels, label_issues=frame)
    with pytest.raises(NotFittedError):
        CleanLearning().predict(X)
