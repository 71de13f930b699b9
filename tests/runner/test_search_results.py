"""runner.sweep.search_results: trials.csv, best.yaml and the history figure, from a hand-made study."""

from __future__ import annotations

import json

import numpy as np
import optuna
import pandas as pd
import pytest
import yaml
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState

from runner.sweep.search_results import main, write_search_outputs

SPACE = {"noise.rate": FloatDistribution(0.0, 0.5)}


def add_trial(study, *, value=None, status="ok", metrics=None):
    trial = study.ask(SPACE)  # the sampler draws; the test does not depend on the value drawn
    if status is not None:
        trial.set_user_attr("job_status", status)
        trial.set_user_attr("job_dir", str(trial.number))
        trial.set_user_attr("overrides", [f"noise.rate={trial.params['noise.rate']}"])
    if metrics is not None:
        trial.set_user_attr("metrics", metrics)
    if status == "ok":
        study.tell(trial, value)
    else:
        study.tell(trial, state=TrialState.FAIL)
    return trial


@pytest.mark.parametrize(("direction", "best_trial"), [("minimize", 2), ("maximize", 0)])
def test_outputs_of_a_study_with_completed_failed_and_interrupted_trials(tmp_path, direction, best_trial):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = optuna.create_study(storage=storage, study_name="search", direction=direction,
                                sampler=optuna.samplers.RandomSampler(seed=0))
    study.set_user_attr("metric", "noise_matrix_error")
    for value in (0.30, 0.20, 0.10):
        add_trial(study, value=value,
                  metrics={"noise_matrix_error": value, "test_accuracy_cleanlearning": 1 - value, "n_examples": 10})
    add_trial(study, status="failed")
    add_trial(study, status=None)  # interrupted: no job status
    write_search_outputs(study, tmp_path, metric="noise_matrix_error", direction=direction)

    trials = pd.read_csv(tmp_path / "trials.csv")
    assert trials["status"].tolist() == ["ok", "ok", "ok", "failed", "interrupted"]
    assert trials["value"].tolist()[:3] == [0.30, 0.20, 0.10] and trials["value"][3:].isna().all()
    assert "noise_matrix_error" in trials.columns and "n_examples" in trials.columns
    # a test metric in the study (the trials compute none) never reaches an output
    assert "test_accuracy_cleanlearning" not in trials.columns
    best = yaml.safe_load((tmp_path / "best.yaml").read_text())
    assert best["trial"] == best_trial and best["value"] == [0.30, 0.20, 0.10][best_trial]
    assert "test_accuracy_cleanlearning" not in best["metrics"]
    assert best["metrics"]["noise_matrix_error"] == best["value"]
    assert "final" not in best and "reestimate" not in best  # the best configuration has not been rerun
    assert best["overrides"] == [f"noise.rate={study.trials[best_trial].params['noise.rate']}"]
    assert best["trials"] == {"total": 5, "completed": 3}
    assert (tmp_path / "optimization_history.png").read_bytes().startswith(b"\x89PNG")

    # The command line rebuilds the same files from the study alone.
    before = [(tmp_path / name).read_bytes() for name in ("trials.csv", "best.yaml", "optimization_history.png")]
    for name in ("trials.csv", "best.yaml", "optimization_history.png"):
        (tmp_path / name).unlink()
    main([str(tmp_path)])
    after = [(tmp_path / name).read_bytes() for name in ("trials.csv", "best.yaml", "optimization_history.png")]
    assert after == before


def test_no_best_before_a_trial_completes(tmp_path):
    study = optuna.create_study(direction="maximize")
    add_trial(study, status="failed")
    write_search_outputs(study, tmp_path, metric="issue_f1", direction="maximize")
    assert pd.read_csv(tmp_path / "trials.csv")["status"].tolist() == ["failed"]
    assert not (tmp_path / "best.yaml").exists()


def test_rebuilding_needs_a_study(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main([str(tmp_path)])
    assert "holds no study (no optuna.db)" in capsys.readouterr().err


def write_run(run_dir, overrides, metrics, done=True):
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    (run_dir / "metrics.json").write_text(json.dumps(metrics))
    if done:
        (run_dir / "DONE").write_text("")


def test_best_yaml_has_the_final_runs_test_metrics_and_the_reestimated_objective(tmp_path):
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'optuna.db'}", study_name="search",
                                direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    study.set_user_attr("metric", "val_accuracy_cleanlearning")
    for value in (0.70, 0.90, 0.80):
        add_trial(study, value=value, metrics={"val_accuracy_cleanlearning": value})
    best_overrides = study.trials[1].user_attrs["overrides"]
    write_run(tmp_path / "final", best_overrides,
              {"val_accuracy_cleanlearning": 0.90, "test_accuracy_cleanlearning": 0.85, "n_examples": 10})
    values = {5: 0.84, 6: 0.80, 7: 0.79}
    for seed, value in values.items():
        write_run(tmp_path / "final" / "reestimate" / f"seed={seed}", [*best_overrides, f"seed={seed}"],
                  {"val_accuracy_cleanlearning": value})
    # not counted: unfinished, or a run of another configuration (an earlier best)
    write_run(tmp_path / "final" / "reestimate" / "seed=8", [*best_overrides, "seed=8"],
              {"val_accuracy_cleanlearning": 0.1}, done=False)
    write_run(tmp_path / "final" / "reestimate" / "seed=9", ["noise.rate=0.49", "seed=9"],
              {"val_accuracy_cleanlearning": 0.1})
    write_search_outputs(study, tmp_path, metric="val_accuracy_cleanlearning", direction="maximize")

    best = yaml.safe_load((tmp_path / "best.yaml").read_text())
    assert best["value"] == 0.90 and best["overrides"] == best_overrides
    assert best["final"] == {"dir": "final", "value": 0.90, "test_metrics": {"test_accuracy_cleanlearning": 0.85}}
    reestimate = best["reestimate"]
    assert reestimate["seeds"] == [5, 6, 7] and reestimate["values"] == list(values.values())
    assert reestimate["mean"] == pytest.approx(np.mean(list(values.values())))
    assert reestimate["sd"] == pytest.approx(np.std(list(values.values()), ddof=1))
    assert reestimate["optimism"] == pytest.approx(0.90 - np.mean(list(values.values())))
    # trials.csv never has them
    assert not [c for c in pd.read_csv(tmp_path / "trials.csv").columns if c.startswith("test_")]

    # the final run of another configuration (the best changed since) is not reported
    (tmp_path / "final" / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(["noise.rate=0.49"]))
    write_search_outputs(study, tmp_path, metric="val_accuracy_cleanlearning", direction="maximize")
    assert "final" not in yaml.safe_load((tmp_path / "best.yaml").read_text())
