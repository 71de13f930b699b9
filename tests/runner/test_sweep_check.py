"""A sweep checked whole before its first job, a sweep dir holding one sweep, job dirs named by
their overrides, and the one-line refusals of single runs (preset without -m, config error,
classifier error), plus `runner.results.summarize` refusing a dir that is not a sweep."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _jobs import find_job, job_dirs
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf, open_dict, read_write

from runner.config import register_configs
from runner.core.layout import is_sweep_dir, job_dir_name
from runner.job import lifecycle as jobs
from runner.results import summarize
from runner.sweep.check import SweepCheckCallback, search_space_values

REPO = Path(__file__).resolve().parents[2]
FAST = ("experiment=quick", "cache_dir=null")
FILTER = "cleanlearning.find_label_issues_kwargs.filter_by"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runner", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=600)


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(directory)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(directory.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------------------------------
# job dir names and identity (fast)


def test_job_dir_name_is_the_sorted_overrides_without_summary_settings():
    assert job_dir_name(["seed=1", "noise.rate=0.3"]) == "noise.rate=0.3,seed=1"
    assert job_dir_name(["noise.rate=0.3", "seed=1"]) == job_dir_name(["seed=1", "noise.rate=0.3"])
    assert job_dir_name(["seed=1", "summary.compare_metric=issue_f1"]) == "seed=1"
    assert job_dir_name([]) == job_dir_name(["summary.replicate_by=seed"]) == "defaults"
    # sorted by the key each sets (a + prefix aside)
    assert job_dir_name(["+classifier.hidden_layer_sizes=[100,50]", "classifier=mlp"]) == (
        "classifier=mlp,+classifier.hidden_layer_sizes=[100,50]")


def test_job_dir_names_with_unsafe_or_long_values_stay_single_unique_dirs():
    a = job_dir_name(["dataset.path=/data/a.csv"])
    b = job_dir_name(["dataset.path=/data/a_csv"])
    c = job_dir_name(["dataset.path=/data_a.csv"])
    assert "/" not in a and len({a, b, c}) == 3 and a.startswith("dataset.path=_data_a.csv-")
    long = job_dir_name([f"seed={'1' * 300}"])
    assert len(long) <= 120 and long != job_dir_name([f"seed={'1' * 299}"])
    assert job_dir_name(["noise.rate='a b'"]) != job_dir_name(["noise.rate='a_b'"])


def test_is_finished_ignores_the_summary_settings(tmp_path):
    (tmp_path / "resolved_config.yaml").write_text("seed: 0\nsummary:\n  compare_metric: issue_f1\n")
    (tmp_path / "metrics.json").write_text("{}")
    (tmp_path / "DONE").write_text("")
    assert jobs.is_finished(tmp_path, "seed: 0\nsummary:\n  compare_metric: issue_auroc\n")
    assert jobs.is_finished(tmp_path, "seed: 0\n")
    assert not jobs.is_finished(tmp_path, "seed: 1\nsummary:\n  compare_metric: issue_f1\n")


# ---------------------------------------------------------------------------------------
# the whole sweep checked up front, under every launcher


LAUNCHERS = {
    "basic": (),
    "joblib": ("hydra/launcher=joblib", "hydra.launcher.n_jobs=2"),
    "submitit_local": ("hydra/launcher=submitit_local",),
}


@pytest.mark.slow
@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_one_bad_value_among_four_stops_the_sweep_before_any_job(tmp_path, launcher):
    sweep_dir = tmp_path / "sweep"
    result = run_cli("-m", f"hydra.sweep.dir={sweep_dir}", *FAST, *LAUNCHERS[launcher],
                     f"{FILTER}=prune_by_noise_rate,prune_by_clas,both,confident_learning", "seed=0,1")
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()
    assert message[0] == "sweep combinations: 2 of 8 bad, no job was started:", result.stderr
    assert len(message) == 3 and "Traceback" not in result.stderr
    for seed in (0, 1):
        assert any(f"[{FILTER}=prune_by_clas seed={seed}]" in line and "'prune_by_clas'" in line for line in message)
    assert not sweep_dir.exists()  # no job dir, no multirun.yaml, no summary


@pytest.mark.slow
def test_a_composition_error_in_one_combination_is_listed_too(tmp_path):
    result = run_cli("-m", f"hydra.sweep.dir={tmp_path / 'sweep'}", *FAST, "cleanlearning.cv_n_folds=3,abc")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "sweep combinations: 1 of 2 bad, no job was started:", result.stderr
    assert "cleanlearning.cv_n_folds=abc" in lines[1] and len(lines) == 2
    assert not (tmp_path / "sweep").exists()


@pytest.mark.slow
def test_one_value_typed_twice_is_refused_not_run_twice(tmp_path):
    """noise.rate=0,0.0 names one config (rate is declared float): it would run the same job into
    two dirs. max_features=1,1.0 are two configs (one feature; all of them) and both run."""
    result = run_cli("-m", f"hydra.sweep.dir={tmp_path / 'sweep'}", *FAST, "noise.rate=0,0.0,0.1")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "sweep combinations: 1 of 3 bad, no job was started:", result.stderr
    assert lines[1].startswith("  [noise.rate=0.0] the same config as [") and "noise.rate=0]" in lines[1]
    assert len(lines) == 2 and not (tmp_path / "sweep").exists()
    from runner.sweep.check import _same_as_earlier

    seen: dict = {}
    node = {"_target_": "sklearn.ensemble.RandomForestClassifier", "max_features": 1}
    assert _same_as_earlier(OmegaConf.create({"classifier": node}), ["a"], seen) == ""
    other = {**node, "max_features": 1.0}
    assert _same_as_earlier(OmegaConf.create({"classifier": other}), ["b"], seen) == ""
    assert "the same config as [a]" in _same_as_earlier(OmegaConf.create({"classifier": node}), ["c"], seen)


@pytest.mark.slow
def test_a_sweep_dir_holds_one_sweep_and_extending_it_keeps_finished_jobs(tmp_path):
    sweep_dir = tmp_path / "sweep"
    first = run_cli("-m", f"hydra.sweep.dir={sweep_dir}", *FAST, "seed=0,1")
    assert first.returncode == 0, first.stderr
    before = snapshot(sweep_dir)

    other = run_cli("-m", f"hydra.sweep.dir={sweep_dir}", *FAST, "noise.rate=0.1,0.3")
    assert other.returncode != 0
    (line,) = other.stderr.strip().splitlines()
    assert "holds the 2 job(s) of another sweep (cache_dir=null experiment=quick seed=0,1)" in line
    assert "this sweep (cache_dir=null experiment=quick noise.rate=0.1,0.3)" in line
    assert snapshot(sweep_dir) == before  # not a byte nor an mtime changed

    # More values on the swept axis: the finished jobs keep their dirs, untouched.
    finished = {seed: snapshot(find_job(sweep_dir, f"seed={seed}")) for seed in (0, 1)}
    more = run_cli("-m", f"hydra.sweep.dir={sweep_dir}", *FAST, "seed=2,0,1")
    assert more.returncode == 0, more.stderr
    assert more.stdout.count("skipping finished job") == 2
    for seed in (0, 1):
        assert snapshot(find_job(sweep_dir, f"seed={seed}")) == finished[seed]
    assert (find_job(sweep_dir, "seed=2") / "DONE").is_file() and len(job_dirs(sweep_dir)) == 3


def test_search_sweeper_space_is_checked_choice_by_choice_and_at_interval_ends(tmp_path):
    register_configs()
    with initialize_config_dir(version_base="1.3", config_dir=str(REPO / "conf")):
        from hydra.core.global_hydra import GlobalHydra

        cfg = compose("config", overrides=list(FAST), return_hydra_config=True)
        with read_write(cfg), open_dict(cfg):
            cfg.hydra.sweeper = OmegaConf.create({
                "_target_": "hydra_plugins.some_search.SearchSweeper",
                "params": {"noise.rate": "interval(0.1, 1.5)", FILTER: "choice(both, prune_by_clas)"},
            })
            cfg.hydra.sweep.dir = str(tmp_path / "search")
            cfg.hydra.runtime.cwd = str(REPO)
        fixed, axes = search_space_values(cfg, GlobalHydra.instance().config_loader())
        assert fixed == list(FAST)
        assert axes == {"noise.rate": ["0.1", "1.5"], FILTER: ["both", "prune_by_clas"]}
        with pytest.raises(SystemExit) as info:
            SweepCheckCallback().on_multirun_start(config=cfg)
    message = str(info.value)
    assert message.startswith("search space values: 2 of 4 bad")
    assert "[noise.rate=1.5]" in message and f"[{FILTER}=prune_by_clas]" in message
    assert "noise.rate=0.1]" not in message and "=both]" not in message
    assert not (tmp_path / "search").exists()


# ---------------------------------------------------------------------------------------
# single runs: one line, no run dir left behind


@pytest.mark.slow
def test_a_sweep_preset_without_multirun_is_refused_in_one_line(tmp_path):
    result = run_cli(f"hydra.run.dir={tmp_path / 'run'}", "experiment=compare_filters")
    assert result.returncode != 0
    assert result.stderr.strip() == (
        f"experiment=compare_filters is a sweep (over seed, {FILTER}); add -m: python -m runner -m "
        "experiment=compare_filters"
    )
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
@pytest.mark.parametrize("overrides", [["cleanlearning.cv_n_folds=1"], ["cleanlearning.cv_nfolds=3"], ["seed=${nope}"]])
def test_a_config_error_leaves_no_run_dir_behind(tmp_path, overrides):
    run_dir = tmp_path / "outputs" / "runs" / "day" / "time"
    result = run_cli(f"hydra.run.dir={run_dir}", *FAST, *overrides)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert not (tmp_path / "outputs").exists()


@pytest.mark.slow
def test_an_error_inside_the_classifier_is_one_line_on_the_console(tmp_path):
    result = run_cli(f"hydra.run.dir={tmp_path}", *FAST, "classifier.C=-1")
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("job failed: InvalidParameterError: The 'C' parameter of LogisticRegression")
    assert line.endswith(f"(traceback in {tmp_path / 'status.json'})")
    assert "Traceback" not in result.stdout and "ERROR" not in result.stdout
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["status"] == "failed" and "Traceback" in status["traceback"]
    assert "job failed: InvalidParameterError" in (tmp_path / "runner.log").read_text()


def test_summarize_refuses_a_dir_that_is_not_a_sweep(tmp_path, capsys):
    run_dir = tmp_path / "run"
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra" / "overrides.yaml").write_text("- seed=1\n")
    (run_dir / "status.json").write_text('{"status": "ok"}')
    empty = tmp_path / "empty"
    empty.mkdir()
    for directory in (run_dir, empty):
        assert not is_sweep_dir(directory)
        with pytest.raises(SystemExit) as info:
            summarize.main([str(directory)])
        assert info.value.code == 2 and "is not a sweep's dir" in capsys.readouterr().err
        assert not (directory / "summary.csv").exists()

    sweep_dir = tmp_path / "sweep"
    (sweep_dir / "seed=1" / ".hydra").mkdir(parents=True)
    (sweep_dir / "seed=1" / ".hydra" / "overrides.yaml").write_text("- seed=1\n")
    assert is_sweep_dir(sweep_dir)
    assert summarize.main([str(sweep_dir)]) == 0 and (sweep_dir / "summary.csv").is_file()


def test_another_sweep_is_told_apart_by_its_keys_not_its_values_nor_summary_settings(tmp_path):
    from runner.sweep.check import different_sweep_message

    for name, overrides in {"seed=0": ["seed=0", "noise.rate=0.1"], "seed=1": ["seed=1", "noise.rate=0.1"]}.items():
        (tmp_path / name / ".hydra").mkdir(parents=True)
        (tmp_path / name / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    same = [["seed=2", "noise.rate=0.3", "summary.compare_metric=issue_f1"]]  # extends both axes
    assert different_sweep_message(tmp_path, same) is None
    message = different_sweep_message(tmp_path, [["seed=0"], ["seed=1"]])
    assert "(noise.rate=0.1 seed=0,1)" in message and "(seed=0,1)" in message and "differs in noise.rate" in message
    assert different_sweep_message(tmp_path / "new", [["seed=0"]]) is None
    run_dir = tmp_path / "seed=0"  # a job's (or single run's) own dir is no sweep dir
    assert "the dir of a single run" in different_sweep_message(run_dir, [["seed=0"]])


def test_run_job_removes_the_run_dir_of_a_config_error_only_if_it_holds_nothing_else(tmp_path, monkeypatch):
    from hydra.core.hydra_config import HydraConfig

    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    register_configs()
    with initialize_config_dir(version_base="1.3", config_dir=str(REPO / "conf")):
        cfg = compose("config", overrides=[*FAST, "cleanlearning.cv_n_folds=1"], return_hydra_config=True)
    keep = tmp_path / "outputs" / "runs" / "keep.txt"
    keep.parent.mkdir(parents=True)
    keep.write_text("someone else's file")
    run_dir = tmp_path / "outputs" / "runs" / "day" / "time"
    run_dir.mkdir(parents=True)  # as Hydra makes it before the job starts
    with read_write(cfg.hydra.runtime), open_dict(cfg.hydra.runtime):
        cfg.hydra.runtime.output_dir = str(run_dir)
        cfg.hydra.runtime.cwd = str(tmp_path)
    HydraConfig.instance().set_config(cfg)
    try:
        task = OmegaConf.masked_copy(cfg, [key for key in cfg if key != "hydra"])
        with pytest.raises(SystemExit, match="cleanlearning.cv_n_folds must be an int >= 2; got 1"):
            jobs.run_job(task)
    finally:
        HydraConfig.instance().cfg = None
    assert not (tmp_path / "outputs" / "runs" / "day").exists()
    assert keep.read_text() == "someone else's file"
