"""Datasets (splits, encodings, files). The noise models are tested in tests/runner/test_noise_models.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf
from sklearn.datasets import load_iris, load_wine

from runner.experiment.data import FeatureData, PrecomputedData, load_dataset


def dataset_node(name, **values):
    return OmegaConf.create({"_target_": f"runner.datasets.{name}", "name": name, "test_size": 0.25,
                             "standardize": True, **values})


@pytest.mark.parametrize(("name", "n_examples", "n_classes"),
                         [("digits", 1797, 10), ("iris", 150, 3), ("wine", 178, 3), ("breast_cancer", 569, 2)])
def test_sklearn_datasets_split_stratified_and_disjoint(name, n_examples, n_classes):
    data = load_dataset(dataset_node(name), data_seed=0, split_seed=1)
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
    # The features stay as loaded: standardisation is fitted inside each CV fold (the run's
    # pipeline), never on the whole training part.
    raw = getattr(__import__("sklearn.datasets", fromlist=["x"]), f"load_{name}")().data
    np.testing.assert_array_equal(data.X_train, raw[data.index_train])


def test_training_index_points_at_the_original_rows():
    iris = load_iris()
    data = load_dataset(dataset_node("iris", standardize=False), data_seed=0, split_seed=3)
    assert len(set(data.index_train.tolist())) == len(data.index_train)
    np.testing.assert_array_equal(data.X_train, iris.data[data.index_train])
    np.testing.assert_array_equal(data.labels_train, iris.target[data.index_train])
    test_rows = np.setdiff1d(np.arange(150), data.index_train)
    # The test part holds exactly the other rows, with their original labels.
    assert sorted(map(tuple, data.X_test.tolist())) == sorted(map(tuple, iris.data[test_rows].tolist()))
    assert np.array_equal(np.sort(data.labels_test), np.sort(iris.target[test_rows]))


def test_split_is_seeded():
    first = load_dataset(dataset_node("wine"), data_seed=0, split_seed=5)
    again = load_dataset(dataset_node("wine"), data_seed=0, split_seed=5)
    other = load_dataset(dataset_node("wine"), data_seed=0, split_seed=6)
    np.testing.assert_array_equal(first.index_train, again.index_train)
    np.testing.assert_array_equal(first.X_train, again.X_train)
    assert not np.array_equal(first.index_train, other.index_train)


def test_no_test_split_when_test_size_is_zero():
    data = load_dataset(dataset_node("wine", test_size=0.0, standardize=False), data_seed=0, split_seed=0)
    assert data.X_test is None and data.labels_test is None
    np.testing.assert_array_equal(data.X_train, load_wine().data)


def test_synthetic_dataset_follows_its_config_and_seed():
    node = dataset_node("synthetic", n_samples=200, n_features=6, n_informative=3, n_classes=3,
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
    node = dataset_node("csv", path=str(path), label_column="species", feature_columns=["pl", "pw"],
                        standardize=False)
    data = load_dataset(node, data_seed=0, split_seed=0)
    assert list(data.classes) == ["setosa", "versicolor", "virginica"]
    np.testing.assert_array_equal(data.classes[data.labels_train], iris.target_names[iris.target[data.index_train]])
    assert list(data.X_train.columns) == ["pl", "pw"]
    np.testing.assert_array_equal(data.X_train.to_numpy(), iris.data[data.index_train][:, 2:])


def test_csv_errors_name_the_problem(tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": ["x", "y", "x", "y"], "y": [0, 1, 0, 1]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"bad.csv: dataset.label_column names columns not in the file: \['label'\]"):
        load_dataset(dataset_node("csv", path=str(path), label_column="label", feature_columns=None),
                     data_seed=0, split_seed=0)
    with pytest.raises(ValueError, match=r"dataset.feature_columns names columns not in the file: \['c'\]"):
        load_dataset(dataset_node("csv", path=str(path), label_column="y", feature_columns=["a", "c"]),
                     data_seed=0, split_seed=0)


def _precomputed_node(tmp_path, pred_probs, labels, true_labels=None):
    np.save(tmp_path / "p.npy", pred_probs)
    np.save(tmp_path / "l.npy", labels)
    node = {"_target_": "runner.datasets.precomputed", "name": "precomputed", "pred_probs": str(tmp_path / "p.npy"), "labels": str(tmp_path / "l.npy"),
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
