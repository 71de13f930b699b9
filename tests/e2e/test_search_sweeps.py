"""hydra/sweeper=optuna: search space mapping, presets, and a resumable search end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import optuna
import pandas as pd
import pytest
import yaml
from hydra import compose, initialize_config_dir
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from hydra_plugins.cleanlearn_optuna_sweeper._impl import search_space
from runner.config import register_configs

REPO = Path(__file__).resolve().parents[2]
FILTER_BY = "cleanlearning.find_label_issues_kwargs.filter_by"
FRAC_NOISE = "cleanlearning.find_label_issues_kwargs.frac_noise"
MIN_PER_CLASS = "cleanlearning.find_label_issues_kwargs.min_examples_per_class"
SMOOTHING = "classifier.var_smoothing"


def test_sweep_syntax_maps_to_optuna_distributions():
    distributions, fixed = search_space([
        "a=choice(x,y)",
        "b=1,2,3",
        "c=range(2,6)",
        "d=range(0.1,0.5,0.1)",
        "e=interval(0.5,2)",
        "f=tag(log, interval(0.01, 100))",
        "g=tag(int, interval(1, 20))",
        "h=tag(int, log, interval(1, 64))",
        "seed=3",
        "+extra=on",
    ])
    assert distributions == {
        "a": CategoricalDistribution(["x", "y"]),
        "b": CategoricalDistribution([1, 2, 3]),
        "c": IntDistribution(2, 5, step=1),  # range() excludes its stop
        "d": FloatDistribution(0.1, 0.4, step=0.1),
        "e": FloatDistribution(0.5, 2.0),
        "f": FloatDistribution(0.01, 100.0, log=True),
        "g": IntDistribution(1, 20),
        "h": IntDistribution(1, 64, log=True),
    }
    assert fixed == ["seed=3", "+extra=on"]


def test_command_line_value_replaces_the_preset_one():
    distributions, fixed = search_space(["a=choice(x,y)", "b=interval(0,1)", "a=z"])
    assert distributions == {"b": FloatDistribution(0.0, 1.0)}
    assert fixed == ["a=z"]


@pytest.mark.parametrize(
    ("preset", "metric"),
    [("search_cleanlearning", "val_accuracy_cleanlearning"), ("search_issue_f1", "issue_f1")],
)
def test_search_presets_compose_with_the_optuna_sweeper(preset, metric):
    register_configs()
    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        cfg = compose(config_name="config", overrides=[f"experiment={preset}"], return_hydra_config=True)
    sweeper = cfg.hydra.sweeper
    assert sweeper._target_.endswith("cleanlearn_optuna_sweeper.optuna_sweeper.OptunaSweeper")
    assert sweeper.sampler._target_ == "optuna.samplers.TPESampler"
    assert sweeper.sampler.seed == cfg.seed
    assert (sweeper.optimize.metric, sweeper.optimize.direction) == (metric, "maximize")
    distributions, _ = search_space([f"{k}={v}" for k, v in sweeper.params.items()])
    assert distributions["classifier.C"] == FloatDistribution(0.01, 100.0, log=True)
    assert {FILTER_BY, FRAC_NOISE, MIN_PER_CLASS, "cleanlearning.cv_n_folds"} <= set(distributions)
    if metric.startswith("val_"):
        assert cfg.dataset.validation_size > 0  # the objective exists only with a validation part


def run_search(sweep_dir: Path, cache_dir: Path, n_trials: int) -> subprocess.CompletedProcess:
    command = [
        sys.executable, "-m", "runner", "-m", "hydra/sweeper=optuna",
        f"hydra.sweep.dir={sweep_dir}", f"cache_dir={cache_dir}",
        # two trials at a time, in two joblib worker processes
        "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "hydra.sweeper.n_jobs=2",
        f"hydra.sweeper.n_trials={n_trials}",
        "classifier=naive_bayes", "cleanlearning.cv_n_folds=2", "dataset.validation_size=0.2",
        "report.run=false",  # the trials' reports: not what this checks (test_search_held_out does)
        f"{FILTER_BY}=choice(prune_by_noise_rate,prune_by_class,both)",
        f"{FRAC_NOISE}=interval(0.3, 1.0)",
        f"{MIN_PER_CLASS}=range(1, 21)",
        f"{SMOOTHING}=tag(log, interval(1e-10, 1e-2))",
    ]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(path.relative_to(directory)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@pytest.mark.slow
def test_search_on_digits_finishes_resumes_to_12_trials_and_writes_best(tmp_path):
    sweep_dir, cache_dir = tmp_path / "search", tmp_path / "cache"
    first = run_search(sweep_dir, cache_dir, n_trials=8)
    assert first.returncode == 0, first.stderr[-3000:]

    trials = pd.read_csv(sweep_dir / "trials.csv")
    assert trials["trial"].tolist() == list(range(8))
    assert (trials["status"] == "ok").all()
    assert not [c for c in trials.columns if c.startswith("test_")]  # test accuracy: final run only
    for _, row in trials.iterrows():
        job_dir = sweep_dir / str(row["dir"])
        assert (job_dir / "DONE").is_file()
        metrics = json.loads((job_dir / "metrics.json").read_text())
        assert row["value"] == pytest.approx(metrics["val_accuracy_cleanlearning"], abs=1e-9)
        overrides = yaml.safe_load((job_dir / ".hydra" / "overrides.yaml").read_text())
        assert f"{FILTER_BY}={row[FILTER_BY]}" in overrides
        assert f"{MIN_PER_CLASS}={row[MIN_PER_CLASS]}" in overrides
    assert trials[FRAC_NOISE].between(0.3, 1.0).all()
    assert trials[MIN_PER_CLASS].between(1, 20).all() and trials[MIN_PER_CLASS].dtype.kind == "i"
    assert trials[SMOOTHING].between(1e-10, 1e-2).all()

    best = yaml.safe_load((sweep_dir / "best.yaml").read_text())
    assert best["metric"] == "val_accuracy_cleanlearning" and best["direction"] == "maximize"
    assert best["value"] == pytest.approx(trials["value"].max())
    best_metrics = json.loads((sweep_dir / str(best["dir"]) / "metrics.json").read_text())
    assert "test_accuracy_cleanlearning" not in best_metrics  # a trial never scores the test set
    final_metrics = json.loads((sweep_dir / "final" / "metrics.json").read_text())  # the best, rerun once
    assert best["final"]["test_metrics"]["test_accuracy_cleanlearning"] == final_metrics["test_accuracy_cleanlearning"]
    assert len(best["reestimate"]["values"]) == 3
    assert (sweep_dir / "optimization_history.png").read_bytes().startswith(b"\x89PNG")

    # A sweep killed while a trial ran leaves it RUNNING in the study: simulate one.
    storage = f"sqlite:///{sweep_dir / 'optuna.db'}"
    optuna.load_study(study_name="search", storage=storage).ask()
    first_dirs = trials["dir"].astype(str).tolist()  # job dirs are named by their overrides
    finished = {name: snapshot(sweep_dir / name) for name in first_dirs}

    second = run_search(sweep_dir, cache_dir, n_trials=12)
    assert second.returncode == 0, second.stderr[-3000:]
    for name in first_dirs:  # the first 8 trials were not rerun: their job dirs are untouched
        assert snapshot(sweep_dir / name) == finished[name]
    study = optuna.load_study(study_name="search", storage=storage)
    states = [trial.state.name for trial in study.trials]
    assert states == ["COMPLETE"] * 8 + ["FAIL"] + ["COMPLETE"] * 4
    trials = pd.read_csv(sweep_dir / "trials.csv")
    assert trials["status"].tolist() == ["ok"] * 8 + ["interrupted"] + ["ok"] * 4
    assert trials["dir"].astype(str).tolist()[:8] == first_dirs
    assert all((sweep_dir / str(name) / "DONE").is_file() for name in trials["dir"].tolist()[9:13])
    # The resumed sampler does not draw the first trials' points again.
    params = [tuple(trial.params.values()) for trial in study.trials]
    assert not set(params[9:]) & set(params[:8])
    best = yaml.safe_load((sweep_dir / "best.yaml").read_text())
    assert best["value"] == pytest.approx(trials["value"].max())
    assert best["trials"] == {"total": 13, "completed": 12}


def run_quick_search(sweep_dir: Path, *overrides: str) -> subprocess.CompletedProcess:
    command = [
        sys.executable, "-m", "runner", "-m", "hydra/sweeper=optuna", f"hydra.sweep.dir={sweep_dir}",
        "experiment=quick", "cache_dir=null", "hydra.sweeper.optimize.metric=issue_f1",
        "report.run=false",  # the trials' reports: not what these check (test_search_held_out does)
        *overrides,
    ]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_failed_jobs_are_failed_trials_that_count_toward_n_trials(tmp_path):
    # LogisticRegression(C<0) fails inside fit: every trial fails, the search still ends.
    result = run_quick_search(tmp_path, "hydra.sweeper.n_trials=2", "classifier.C=choice(-1,-2)")
    assert result.returncode != 0
    assert "no trial of the search completed" in result.stderr
    trials = pd.read_csv(tmp_path / "trials.csv")
    assert trials["status"].tolist() == ["failed", "failed"]
    assert trials["error"].str.contains("C").all()
    study = optuna.load_study(study_name="search", storage=f"sqlite:///{tmp_path / 'optuna.db'}")
    assert [trial.state.name for trial in study.trials] == ["FAIL", "FAIL"]
    assert not (tmp_path / "best.yaml").exists()


@pytest.mark.slow
def test_an_objective_the_jobs_do_not_write_stops_the_search_with_one_line(tmp_path):
    result = run_quick_search(
        tmp_path, "hydra.sweeper.n_trials=3", "hydra.sweeper.optimize.metric=issue_f2",
        "cleanlearning.find_label_issues_kwargs.frac_noise=interval(0.5, 1.0)",
    )
    assert result.returncode != 0
    assert "hydra.sweeper.optimize.metric 'issue_f2' is not a metric of the job" in result.stderr
    assert "issue_f1" in result.stderr  # the message lists the metrics there are
    study = optuna.load_study(study_name="search", storage=f"sqlite:///{tmp_path / 'optuna.db'}")
    assert [trial.state.name for trial in study.trials] == ["FAIL"]  # told, not left running


def test_hydra_discovers_the_sweeper_without_importing_optuna():
    assert not (REPO / "hydra_plugins" / "__init__.py").exists()  # a namespace package
    code = (
        "import sys\n"
        "from hydra.core.plugins import Plugins\n"
        "from hydra.plugins.sweeper import Sweeper\n"
        "from hydra.core.config_store import ConfigStore\n"
        "names = [p.__name__ for p in Plugins.instance().discover(Sweeper)]\n"
        "assert 'OptunaSweeper' in names, names\n"
        "assert 'optuna.yaml' in ConfigStore.instance().list('hydra/sweeper')\n"
        "assert 'optuna' not in sys.modules  # the extra is imported only when the sweeper runs\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_same_search_twice_gives_the_same_trials_and_best(tmp_path):
    outputs = []
    for name in ("a", "b"):
        result = run_quick_search(
            tmp_path / name, "hydra.sweeper.n_trials=3",
            "cleanlearning.find_label_issues_kwargs.frac_noise=interval(0.5, 1.0)",
            "cleanlearning.find_label_issues_kwargs.filter_by=prune_by_class,both",
        )
        assert result.returncode == 0, result.stderr[-3000:]
        outputs.append([(tmp_path / name / f).read_bytes() for f in ("trials.csv", "best.yaml")])
    assert outputs[0] == outputs[1]
