"""The test part: which labels test metrics are scored against, and that a search's trials never score it.

runner.experiment.held_out (label choice, search role) and its use in runner.experiment.pipeline;
hydra_plugins' _final (the jobs after a search: final run and fresh seeds).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _compose import make_config
from omegaconf import OmegaConf, open_dict

from hydra_plugins.cleanlearn_optuna_sweeper._final import final_jobs, fresh_seeds
from runner.config import register_configs
from runner.experiment.data import load_dataset
from runner.experiment.held_out import label_targets, score_test_part, scores_test_part, search_role
from runner.experiment.pipeline import run
from runner.experiment.seeds import derive_seeds
from runner.scoring.metrics import is_held_out

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
register_configs()




# ---------------------------------------------------------------------------------------
# Which labels (hand-computed cases)


def test_true_labels_score_test_metrics_and_the_given_ones_get_their_own_name():
    given = np.array([0, 0, 1, 1, 2])
    true = np.array([0, 1, 1, 1, 2])
    predicted = {"baseline": np.array([0, 1, 1, 0, 2]), "cleanlearning": np.array([0, 1, 1, 1, 2])}
    metrics = score_test_part(predicted, label_targets(given, true_labels_test=true))
    assert metrics == {
        "test_accuracy_baseline": 4 / 5, "test_accuracy_given_baseline": 3 / 5,
        "test_accuracy_cleanlearning": 5 / 5, "test_accuracy_given_cleanlearning": 4 / 5,
    }
    assert all(is_held_out(name) for name in metrics)


def test_an_error_mask_alone_scores_the_examples_known_right():
    given = np.array([0, 1, 1, 2, 2, 0])
    wrong = np.array([False, True, False, False, True, False])
    predicted = {"cleanlearning": np.array([0, 0, 1, 2, 0, 1])}
    metrics = score_test_part(predicted, label_targets(given, label_errors_test=wrong))
    # every row against the given labels: 0,1,1,2,2,0 vs 0,0,1,2,0,1 -> 3 of 6
    # rows known right (0, 2, 3, 5): 0,1,2,0 vs 0,1,2,1 -> 3 of 4
    assert metrics == {"test_accuracy_cleanlearning": 0.5, "test_accuracy_known_correct_cleanlearning": 0.75}
    everything_wrong = score_test_part(predicted, label_targets(given, label_errors_test=np.ones(6, bool)))
    assert list(everything_wrong) == ["test_accuracy_cleanlearning"]  # nothing known right: no such metric


def test_search_roles():
    def cfg(role):
        return OmegaConf.create({"search_role": role})

    assert [scores_test_part(cfg(role)) for role in (None, "trial", "final", "reestimate")] == [
        True, False, True, False]
    assert search_role(OmegaConf.create({})) is None
    with pytest.raises(ValueError, match=r"search_role must be one of .*; got 'best'"):
        search_role(cfg("best"))


def test_a_trial_never_scores_the_test_part(tmp_path):
    cfg = make_config("experiment=quick", "dataset.validation_size=0.2")
    with open_dict(cfg):
        cfg.search_role = "trial"
    metrics = run(cfg, tmp_path / "trial")
    assert "val_accuracy_cleanlearning" in metrics and "issue_f1" in metrics
    assert not [name for name in metrics if is_held_out(name) or name.startswith("n_test")]
    cfg.search_role = "final"
    assert "test_accuracy_cleanlearning" in run(cfg, tmp_path / "final")


# ---------------------------------------------------------------------------------------
# The done-when case: a CSV with true_label_column, 30% wrong given labels


def separable_table(n: int = 300, seed: int = 0, wrong_fraction: float = 0.3):
    """Three far-apart blobs (any linear model recovers the true class), given labels wrong
    in ``wrong_fraction`` of the rows (each moved to one of the other two classes)."""
    rng = np.random.default_rng(seed)
    true = np.repeat(np.array(["a", "b", "c"]), n // 3)
    centres = {"a": (0.0, 0.0), "b": (30.0, 0.0), "c": (0.0, 30.0)}
    xy = np.array([centres[t] for t in true]) + rng.normal(size=(n, 2))
    given = true.copy()
    wrong = rng.permutation(n)[: int(round(wrong_fraction * n))]
    shift = rng.integers(1, 3, size=wrong.size)
    classes = np.array(["a", "b", "c"])
    given[wrong] = classes[(np.searchsorted(classes, true[wrong]) + shift) % 3]
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "label": given, "truth": true})


def test_csv_true_label_column_test_accuracy_is_against_the_true_labels(tmp_path):
    table = separable_table()
    table.to_csv(tmp_path / "t.csv", index=False)
    cfg = make_config("dataset=csv", f"dataset.path={tmp_path / 't.csv'}", "dataset.label_column=label",
                      "dataset.true_label_column=truth", "dataset.test_size=0.3", "classifier=logreg",
                      "cleanlearning.cv_n_folds=3")
    # the test part the run uses, and how wrong its given labels are
    data = load_dataset(cfg.dataset, data_seed=derive_seeds(cfg.seed).data, split_seed=derive_seeds(cfg.seed).split)
    given_right = float(np.mean(data.labels_test == data.true_labels_test))
    assert 0.6 <= given_right <= 0.8  # about 30% of the test part's given labels are wrong

    metrics = run(cfg, tmp_path / "out")
    # the blobs are far apart: the models predict the true class of every test example
    assert metrics["test_accuracy_baseline"] == 1.0
    assert metrics["test_accuracy_cleanlearning"] == 1.0
    # scored against the given labels, the same predictions agree with the noise only
    assert metrics["test_accuracy_given_baseline"] == pytest.approx(given_right)
    assert metrics["test_accuracy_given_cleanlearning"] == pytest.approx(given_right)


def test_injected_noise_leaves_the_test_labels_true(tmp_path):
    cfg = make_config("dataset=iris", "cleanlearning.cv_n_folds=3", "noise.rate=0.4")
    metrics = run(cfg, tmp_path / "out")
    assert "test_accuracy_given_cleanlearning" not in metrics  # given = true on the test part
    assert metrics["test_accuracy_cleanlearning"] > 0.6


# ---------------------------------------------------------------------------------------
# The jobs after a search


def test_fresh_seeds_are_above_every_seed_a_trial_used():
    assert fresh_seeds([["a=1"], ["a=2"]], base_seed=0, n_seeds=2) == [1, 2]
    assert fresh_seeds([["a=1", "seed=7"], ["a=2", "seed=3"]], base_seed=0, n_seeds=1) == [8]
    assert fresh_seeds([["a=1", "seed=7"], ["a=2"]], base_seed=9, n_seeds=1) == [10]  # one ran with the config's
    assert fresh_seeds([["a=1"]], base_seed=4, n_seeds=0) == []


def test_final_jobs_rerun_the_best_overrides_once_and_on_fresh_seeds():
    jobs = final_jobs(["a=1", "seed=2"], [["a=1", "seed=2"], ["a=3", "seed=2"]], base_seed=0, n_seeds=2)
    assert jobs == [
        ["a=1", "seed=2", "hydra.sweeper.search_role=final", "hydra.sweep.subdir=final"],
        ["a=1", "seed=3", "hydra.sweeper.search_role=reestimate", "hydra.sweep.subdir='final/reestimate/seed=3'"],
        ["a=1", "seed=4", "hydra.sweeper.search_role=reestimate", "hydra.sweep.subdir='final/reestimate/seed=4'"],
    ]
