"""dataset.validation_size: a validation part of the noisy training part, scored by the run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from runner.config import ConfigError, register_configs, validate_config
from runner.experiment.data import load_dataset, run_settings
from runner.experiment.pipeline import _model, run
from runner.experiment.seeds import derive_seeds
from runner.experiment.validation_split import carve_validation
from runner.noise import inject_noise

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
SMALL = ["cache_dir=null", "dataset=iris", "cleanlearning.cv_n_folds=3"]

register_configs()


def make_config(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=[*SMALL, *overrides])


def noisy_training_part(cfg):
    seeds = derive_seeds(cfg.seed)
    data = load_dataset(cfg.dataset, data_seed=seeds.data, split_seed=seeds.split)
    noisy, _ = inject_noise(cfg.noise, data.labels_train, n_classes=data.n_classes, seed=seeds.noise)
    return data, noisy, seeds


def test_validation_part_is_a_stratified_disjoint_share_with_the_given_labels():
    cfg = make_config("dataset.validation_size=0.3")
    data, noisy, seeds = noisy_training_part(cfg)
    reduced, kept_labels, validation = carve_validation(data, noisy, cfg.dataset, seed=seeds.split)

    n_train, n_validation = len(noisy), len(validation.labels)
    assert n_validation == int(np.ceil(0.3 * n_train)) and len(kept_labels) == n_train - n_validation
    # Each training row ends in exactly one part, with its features and its given label.
    position_of = {row: i for i, row in enumerate(data.index_train)}  # original row -> position
    kept_rows = [position_of[row] for row in reduced.index_train]
    validation_rows = [position_of[row] for row in validation.index]
    assert sorted(kept_rows + validation_rows) == list(range(n_train))
    np.testing.assert_array_equal(reduced.X_train, data.X_train[kept_rows])
    np.testing.assert_array_equal(validation.features, data.X_train[validation_rows])
    assert kept_rows == sorted(kept_rows)  # training order kept
    np.testing.assert_array_equal(kept_labels, noisy[kept_rows])
    np.testing.assert_array_equal(validation.labels, noisy[validation_rows])
    np.testing.assert_array_equal(reduced.labels_train, data.labels_train[kept_rows])
    # stratified on the given labels
    expected = 0.3 * np.bincount(noisy, minlength=3)
    assert np.all(np.abs(np.bincount(validation.labels, minlength=3) - expected) <= 1)
    # the test part is untouched
    assert reduced.X_test is data.X_test


def test_no_validation_part_by_default():
    cfg = make_config()
    assert cfg.dataset.validation_size == 0
    data, noisy, seeds = noisy_training_part(cfg)
    assert carve_validation(data, noisy, cfg.dataset, seed=seeds.split) == (data, noisy, None)


def test_run_scores_the_final_model_on_the_validation_part(tmp_path):
    cfg = make_config("dataset.validation_size=0.25")
    validate_config(cfg)
    metrics = run(cfg, tmp_path)

    data, noisy, seeds = noisy_training_part(cfg)
    reduced, kept_labels, validation = carve_validation(data, noisy, cfg.dataset, seed=seeds.split)
    # The model the run trains (the classifier behind its per-fold preprocessing), fitted here
    # on the reduced training part alone.
    clf, X_train, X_test = _model(cfg, reduced, run_settings(cfg.dataset))
    model = instantiate(cfg.cleanlearning, clf=clf, seed=seeds.cv, _convert_="all")
    model.fit(X_train, kept_labels)
    assert metrics["val_accuracy_cleanlearning"] == pytest.approx(model.score(validation.features, validation.labels))
    assert metrics["test_accuracy_cleanlearning"] == pytest.approx(model.score(X_test, data.labels_test))
    assert metrics["n_examples"] == len(kept_labels)
    frame = pd.read_csv(tmp_path / "label_issues.csv")  # most likely wrong first
    np.testing.assert_array_equal(np.sort(frame["index"]), np.sort(reduced.index_train))

    without = run(make_config(), tmp_path / "without")
    assert "val_accuracy_cleanlearning" not in without
    assert without["n_test_examples"] == metrics["n_test_examples"]


@pytest.mark.parametrize("value", [-0.1, 1.0, 1.5])
def test_out_of_range_validation_size_fails_fast(value):
    with pytest.raises(ConfigError, match=r"dataset.validation_size must be a float in \[0, 1\); got"):
        validate_config(make_config(f"dataset.validation_size={value}"))
