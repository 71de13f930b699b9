"""Datasets (splits, encodings, files) and label noise (only where and how much it should be)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf
from sklearn.datasets import load_iris, load_wine

from runner.data import FeatureData, PrecomputedData, inject_noise, load_dataset


def dataset_node(**values):
    return OmegaConf.create({"test_size": 0.25, "standardize": True, **values})


@pytest.mark.parametrize(("name", "n_examples", "n_classes"),
                         [("digits", 1797, 10), ("iris", 150, 3), ("wine", 178, 3), ("breast_cancer", 569, 2)])
def test_sklearn_datasets_split_stratified_and_disjoint(name, n_examples, n_classes):
    data = load_dataset(dataset_node(name=name), data_seed=0, split_seed=1)
    assert isinstance(data, FeatureData)
    n_train, n_test = len(data.labels_train), len(data.labels_test)
    assert n_train + n_test == n_examples
    assert n_test == pytest.approx(0.25 * n_examples, abs=1)
    assert data.n_classes == n_classes
    assert list(data.classes) == list(range(n_classes))
    # Stratified: each class keeps its share in the training part (within one example).
    all_labels = np.concatenate([data.labels_train, data.labels_test])
    expected = np.bincount(all_labels) * n_train / n_examples
    assert np.all(np.abs(np.bincount(data.labels_train) - expected) <= 1)
    # Standardised with training statistics.
    assert np.allclose(data.X_train.mean(axis=0), 0, atol=1e-9)


def test_training_index_points_at_the_original_rows():
    iris = load_iris()
    data = load_dataset(dataset_node(name="iris", standardize=False), data_seed=0, split_seed=3)
    assert len(set(data.index_train.tolist())) == len(data.index_train)
    np.testing.assert_array_equal(data.X_train, iris.data[data.index_train])
    np.testing.assert_array_equal(data.labels_train, iris.target[data.index_train])
    test_rows = np.setdiff1d(np.arange(150), data.index_train)
    # The test part holds exactly the other rows, with their original labels.
    assert sorted(map(tuple, data.X_test.tolist())) == sorted(map(tuple, iris.data[test_rows].tolist()))
    assert np.array_equal(np.sort(data.labels_test), np.sort(iris.target[test_rows]))


def test_split_is_seeded():
    first = load_dataset(dataset_node(name="wine"), data_seed=0, split_seed=5)
    again = load_dataset(dataset_node(name="wine"), data_seed=0, split_seed=5)
    other = load_dataset(dataset_node(name="wine"), data_seed=0, split_seed=6)
    np.testing.assert_array_equal(first.index_train, again.index_train)
    np.testing.assert_array_equal(first.X_train, again.X_train)
    assert not np.array_equal(first.index_train, other.index_train)


def test_no_test_split_when_test_size_is_zero():
    data = load_dataset(dataset_node(name="wine", test_size=0.0, standardize=False), data_seed=0, split_seed=0)
    assert data.X_test is None and data.labels_test is None
    np.testing.assert_array_equal(data.X_train, load_wine().data)


def test_synthetic_dataset_follows_its_config_and_seed():
    node = dataset_node(name="synthetic", n_samples=200, n_features=6, n_informative=3, n_classes=3,
                        n_clusters_per_class=1, class_sep=1.0, test_size=0.2)
    data = load_dataset(node, data_seed=4, split_seed=0)
    assert data.X_train.shape == (160, 6) and data.X_test.shape == (40, 6)
    assert data.n_classes == 3
    again = load_dataset(node, data_seed=4, split_seed=0)
    other = load_dataset(node, data_seed=5, split_seed=0)
    np.testing.assert_array_equal(data.X_train, again.X_train)
    assert not np.allclose(data.X_train, other.X_train)


def test_csv_with_string_labels_and_chosen_columns(tmp_path):
    iris = load_iris()
    frame = pd.DataFrame(iris.data, columns=["sl", "sw", "pl", "pw"])
    frame["species"] = iris.target_names[iris.target]
    frame["note"] = "text, ignored"
    path = tmp_path / "iris.csv"
    frame.to_csv(path, index=False)
    node = dataset_node(name="csv", path=str(path), label_column="species", feature_columns=["pl", "pw"],
                        standardize=False)
    data = load_dataset(node, data_seed=0, split_seed=0)
    assert list(data.classes) == ["setosa", "versicolor", "virginica"]
    np.testing.assert_array_equal(data.classes[data.labels_train], iris.target_names[iris.target[data.index_train]])
    np.testing.assert_array_equal(data.X_train, iris.data[data.index_train][:, 2:])


def test_csv_errors_name_the_problem(tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": ["x", "y", "x", "y"], "y": [0, 1, 0, 1]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="label_column='label'"):
        load_dataset(dataset_node(name="csv", path=str(path), label_column="label", feature_columns=None),
                     data_seed=0, split_seed=0)
    with pytest.raises(ValueError, match=r"non-numeric columns \['b'\]"):
        load_dataset(dataset_node(name="csv", path=str(path), label_column="y", feature_columns=None),
                     data_seed=0, split_seed=0)
    with pytest.raises(ValueError, match=r"not in .*\['c'\]"):
        load_dataset(dataset_node(name="csv", path=str(path), label_column="y", feature_columns=["a", "c"]),
                     data_seed=0, split_seed=0)


def _precomputed_node(tmp_path, pred_probs, labels, true_labels=None):
    np.save(tmp_path / "p.npy", pred_probs)
    np.save(tmp_path / "l.npy", labels)
    node = {"name": "precomputed", "pred_probs": str(tmp_path / "p.npy"), "labels": str(tmp_path / "l.npy"),
            "true_labels": None}
    if true_labels is not None:
        np.save(tmp_path / "t.npy", true_labels)
        node["true_labels"] = str(tmp_path / "t.npy")
    return OmegaConf.create(node)


def test_precomputed_integer_labels_index_the_columns(tmp_path):
    pred_probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.6, 0.3, 0.1]])
    data = load_dataset(_precomputed_node(tmp_path, pred_probs, np.array([0, 1, 1]), np.array([0, 1, 0])),
                        data_seed=0, split_seed=0)
    assert isinstance(data, PrecomputedData)
    assert list(data.classes) == [0, 1, 2]  # class 2 has no label but keeps its column
    np.testing.assert_array_equal(data.labels, [0, 1, 1])
    np.testing.assert_array_equal(data.true_labels, [0, 1, 0])
    np.testing.assert_array_equal(data.pred_probs, pred_probs)


def test_precomputed_string_labels_are_encoded_in_sorted_order(tmp_path):
    pred_probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]])
    data = load_dataset(_precomputed_node(tmp_path, pred_probs, np.array(["dog", "cat", "dog"])),
                        data_seed=0, split_seed=0)
    assert list(data.classes) == ["cat", "dog"]
    np.testing.assert_array_equal(data.labels, [1, 0, 1])
    assert data.true_labels is None


@pytest.mark.parametrize(
    ("labels", "message"),
    [(np.array([0, 1]), "must hold 3 labels"), (np.array([0, 1, 5]), r"0\.\.1"),
     (np.array(["a", "b", "c"]), "3 distinct labels")],
)
def test_precomputed_inconsistent_inputs_fail(tmp_path, labels, message):
    pred_probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]])
    with pytest.raises(ValueError, match=message):
        load_dataset(_precomputed_node(tmp_path, pred_probs, labels), data_seed=0, split_seed=0)


def test_precomputed_refuses_pickled_arrays(tmp_path):
    pred_probs = np.array([[0.9, 0.1], [0.2, 0.8]])
    node = _precomputed_node(tmp_path, pred_probs, np.array([0, 1]))
    np.save(tmp_path / "l.npy", np.array([0, "x"], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="without pickle"):
        load_dataset(node, data_seed=0, split_seed=0)


# ---------------------------------------------------------------------------------------
# Noise
# ---------------------------------------------------------------------------------------

TRUE_LABELS = np.repeat(np.arange(4), 2500)  # 10 000 examples, 4 balanced classes


def test_no_noise_keeps_labels():
    noisy, matrix = inject_noise(TRUE_LABELS, 4, OmegaConf.create({"name": "none"}), seed=0)
    np.testing.assert_array_equal(noisy, TRUE_LABELS)
    np.testing.assert_array_equal(matrix, np.eye(4))


def test_uniform_noise_flips_at_the_rate_to_other_classes_uniformly():
    noisy, matrix = inject_noise(TRUE_LABELS, 4, OmegaConf.create({"name": "uniform", "rate": 0.3}), seed=1)
    flipped = noisy != TRUE_LABELS
    # Binomial(10000, 0.3): standard deviation 0.0046, so 0.02 is over 4 sigma.
    assert abs(flipped.mean() - 0.3) < 0.02
    transitions = pd.crosstab(noisy, TRUE_LABELS, normalize="columns").to_numpy()
    np.testing.assert_allclose(transitions, matrix, atol=0.03)
    np.testing.assert_allclose(matrix.sum(axis=0), 1)
    np.testing.assert_allclose(np.diag(matrix), 0.7)
    np.testing.assert_allclose(matrix[0, 1:], 0.1)


def test_asymmetric_noise_has_the_trace_and_realises_its_matrix():
    node = OmegaConf.create({"name": "asymmetric", "rate": 0.25, "sparsity": 0.5})
    noisy, matrix = inject_noise(TRUE_LABELS, 4, node, seed=2)
    assert np.trace(matrix) == pytest.approx(4 * 0.75)
    np.testing.assert_allclose(matrix.sum(axis=0), 1)
    assert np.sum(matrix[~np.eye(4, dtype=bool)] == 0) >= 6  # half the 12 noise rates are zero
    transitions = pd.crosstab(noisy, TRUE_LABELS, normalize="columns").reindex(range(4), fill_value=0).to_numpy()
    # Each of the K - 1 noisy cells of a column truncates below one example (1/2500).
    np.testing.assert_allclose(transitions, matrix, atol=3 / 2500 + 1e-12)


def test_noise_is_seeded():
    node = OmegaConf.create({"name": "asymmetric", "rate": 0.2, "sparsity": 0.0})
    first, first_matrix = inject_noise(TRUE_LABELS, 4, node, seed=9)
    again, again_matrix = inject_noise(TRUE_LABELS, 4, node, seed=9)
    other, _ = inject_noise(TRUE_LABELS, 4, node, seed=10)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first_matrix, again_matrix)
    assert not np.array_equal(first, other)


def test_asymmetric_rate_too_high_for_the_class_count_is_explained():
    node = OmegaConf.create({"name": "asymmetric", "rate": 0.6, "sparsity": 0.0})
    with pytest.raises(ValueError, match=r"noise.rate=0.6 .* rate < 0.5"):
        inject_noise(np.array([0, 1] * 50), 2, node, seed=0)
