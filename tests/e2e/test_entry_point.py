"""`python -m runner` single runs end to end (subprocess, slow) and the job wrapper's helpers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from omegaconf import OmegaConf

from runner import config as runner_config
from runner.job import lifecycle as jobs
from runner.job import provenance

REPO = Path(__file__).resolve().parents[2]
# About a second of work: iris, three folds, no cache shared with other tests.
FAST = ("experiment=quick", "cache_dir=null")
RESULT_NAMES = {
    ".hydra",
    "DONE",
    "label_issues.csv",
    "metrics.json",
    "status.json",
    "provenance.json",
    "resolved_config.yaml",
    "runner.log",
}


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "runner", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime (ns) of every file below ``directory``."""
    return {
        str(path.relative_to(directory)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def without_timings(metrics: dict) -> dict:
    return {key: value for key, value in metrics.items() if not key.endswith("_seconds")}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("single") / "run"
    result = run_cli(f"hydra.run.dir={run_dir}", *FAST)
    assert result.returncode == 0, result.stderr
    return run_dir


# ---------------------------------------------------------------------------------------
# single runs through the CLI


@pytest.mark.slow
def test_single_run_writes_every_file_with_done_last(finished_run):
    names = {path.name for path in finished_run.iterdir()}
    assert RESULT_NAMES <= names
    assert not [name for name in names if name.endswith(".tmp")]

    metrics = json.loads((finished_run / "metrics.json").read_text())
    assert metrics["n_examples"] > 0 and 0.0 <= metrics["issue_f1"] <= 1.0
    assert json.loads((finished_run / "status.json").read_text())["status"] == "ok"

    record = json.loads((finished_run / "provenance.json").read_text())
    assert record["packages"]["numpy"] == np.__version__
    assert record["command"]["overrides"] == list(FAST)
    assert set(record["git"] or {}) <= {"commit", "dirty"}

    resolved = yaml.safe_load((finished_run / "resolved_config.yaml").read_text())
    assert resolved["cleanlearning"]["cv_n_folds"] == 3 and resolved["cache_dir"] is None
    assert yaml.safe_load((finished_run / ".hydra" / "overrides.yaml").read_text()) == list(FAST)

    # DONE is written after every other result file (the log is appended to afterwards).
    done_time = (finished_run / "DONE").stat().st_mtime_ns
    for path in finished_run.iterdir():
        if path.is_file() and path.name not in ("DONE", "runner.log"):
            assert path.stat().st_mtime_ns <= done_time, path.name
    log = (finished_run / "runner.log").read_text()
    # a single run is the only job: the default launcher's n_jobs (every CPU) caps none of its threads
    assert "capping this job" not in log
    assert "running into" in log and log.rstrip().splitlines()[-1].split(" - ", 1)[1].startswith(
        "run (experiment=quick cache_dir=null): result"
    )


@pytest.mark.slow
def test_rerun_of_finished_run_skips_it_and_touches_nothing(finished_run):
    before = snapshot(finished_run)
    result = run_cli(f"hydra.run.dir={finished_run}", *FAST)
    assert result.returncode == 0, result.stderr
    assert "skipping finished job" in result.stdout
    assert snapshot(finished_run) == before


@pytest.mark.slow
def test_finished_run_with_a_changed_config_runs_again(finished_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(finished_run, run_dir)
    (run_dir / ".hydra" / ".config.yaml.x1.tmp").write_text("seed: ")  # killed mid-write
    result = run_cli(f"hydra.run.dir={run_dir}", *FAST, "seed=1")
    assert result.returncode == 0, result.stderr
    assert "skipping" not in result.stdout
    assert "config changed" in (run_dir / "runner.log").read_text()
    assert yaml.safe_load((run_dir / "resolved_config.yaml").read_text())["seed"] == 1
    assert (run_dir / "label_issues.csv").read_bytes() != (finished_run / "label_issues.csv").read_bytes()
    assert (run_dir / "DONE").is_file() and not list(run_dir.rglob("*.tmp"))


@pytest.mark.slow
def test_rerun_from_a_run_dir_gives_identical_results(finished_run, tmp_path):
    # The README recipe: rerun the frozen config of a run (same config and seed) elsewhere.
    result = run_cli(
        "--config-path", str(finished_run / ".hydra"), "--config-name", "config",
        f"hydra.run.dir={tmp_path}",
    )
    assert result.returncode == 0, result.stderr
    for name in ("label_issues.csv", "resolved_config.yaml", "confident_joint.csv"):
        assert (tmp_path / name).read_bytes() == (finished_run / name).read_bytes(), name
    first = json.loads((finished_run / "metrics.json").read_text())
    second = json.loads((tmp_path / "metrics.json").read_text())
    assert without_timings(second) == without_timings(first)
    assert any(key.endswith("_seconds") for key in first)


# Each bad value must be named, with its key, in a short stderr and a non-zero exit.
BAD_CONFIGS = {
    "typo key": (["cleanlearning.cv_nfolds=3"], ["cleanlearning.cv_nfolds"]),
    "wrong type": (["cleanlearning.cv_n_folds=abc"], ["cv_n_folds", "abc"]),
    "out of range": (["cleanlearning.cv_n_folds=1"], ["cleanlearning.cv_n_folds", "1"]),
    "missing csv": (
        ["dataset=csv", "dataset.path=/nonexistent/data.csv", "dataset.label_column=y"],
        ["dataset.path", "/nonexistent/data.csv"],
    ),
    "unknown _target_": (["classifier._target_=sklearn.nope.Classifier"], ["classifier._target_", "sklearn.nope.Classifier"]),
    "unresolvable interpolation": (["seed=${nope}"], ["seed", "nope"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_bad_config_exits_non_zero_with_a_short_message(case, tmp_path):
    overrides, expected = BAD_CONFIGS[case]
    result = run_cli(f"hydra.run.dir={tmp_path}", *FAST, *overrides)
    assert result.returncode != 0
    stderr_lines = result.stderr.strip().splitlines()
    assert 0 < len(stderr_lines) <= 20, result.stderr
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in result.stderr, (text, result.stderr)
    assert not (tmp_path / "DONE").exists()


@pytest.mark.slow
def test_config_error_is_recorded_and_full_error_env_shows_the_traceback(tmp_path):
    result = run_cli(
        f"hydra.run.dir={tmp_path}", *FAST, "cleanlearning.cv_n_folds=1",
        env={"HYDRA_FULL_ERROR": "1"},
    )
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "ConfigError" in result.stderr
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["status"] == "failed" and status["stage"] == "config"
    assert "cleanlearning.cv_n_folds" in status["error"] and "ConfigError" in status["traceback"]


@pytest.mark.slow
def test_failing_single_run_records_traceback_and_exits_non_zero(tmp_path):
    result = run_cli(f"hydra.run.dir={tmp_path}", *FAST, "classifier.C=-1")
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) <= 20, result.stderr
    assert "job failed" in result.stderr and "status.json" in result.stderr
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["status"] == "failed" and status["stage"] == "run"
    assert "Traceback" in status["traceback"] and "C" in status["error"]
    assert not (tmp_path / "DONE").exists() and not (tmp_path / "metrics.json").exists()


@pytest.mark.slow
def test_help_lists_every_config_group_and_examples():
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for group_dir in sorted((REPO / "conf").iterdir()):
        if not group_dir.is_dir() or group_dir.name == "hydra":
            continue
        line = next(line for line in lines if line.startswith(f"{group_dir.name}: "))
        for option in group_dir.glob("*.yaml"):
            assert option.stem in line, (option.stem, line)
    assert sum(line.startswith("python -m runner") for line in lines) >= 2


# ---------------------------------------------------------------------------------------
# the wrapper's helpers (fast)


def test_is_finished_needs_the_marker_the_same_config_and_readable_metrics(tmp_path):
    config = "seed: 0\n"
    (tmp_path / "resolved_config.yaml").write_text(config)
    (tmp_path / "metrics.json").write_text('{"n_examples": 3}')
    assert not jobs.is_finished(tmp_path, config)  # no DONE yet
    (tmp_path / "DONE").write_text("")
    assert jobs.is_finished(tmp_path, config)
    assert not jobs.is_finished(tmp_path, "seed: 1\n")
    (tmp_path / "metrics.json").write_text('{"n_exam')
    assert not jobs.is_finished(tmp_path, config)


@pytest.mark.parametrize(
    ("launcher", "cpus", "expected"),
    [
        ({"_target_": "hydra._internal.core_plugins.basic_launcher.BasicLauncher"}, 8, None),
        ({"_target_": "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher", "n_jobs": -1}, 8, 1),
        ({"_target_": "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher", "n_jobs": 2}, 8, 4),
        ({"_target_": "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher", "n_jobs": -2}, 8, 1),
        ({"_target_": "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher", "n_jobs": 3}, 2, 1),
        ({"_target_": "hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher", "cpus_per_task": None}, 8, 1),
        ({"_target_": "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher", "cpus_per_task": 4}, 8, 4),
        ({"_target_": "some.other.RayLauncher"}, 8, 1),
        ({"_target_": "hydra_plugins.cleanlearn_launcher.local_launcher.LocalLauncher", "n_jobs": 1}, 8, None),
        ({"_target_": "hydra_plugins.cleanlearn_launcher.local_launcher.LocalLauncher", "n_jobs": 2}, 8, 4),
        ({"_target_": "hydra_plugins.cleanlearn_launcher.local_launcher.LocalLauncher", "n_jobs": -1}, 8, 1),
        ({"_target_": "hydra_plugins.cleanlearn_launcher.local_launcher.LocalLauncher", "n_jobs": -3}, 8, 1),
        ({"_target_": "hydra_plugins.cleanlearn_launcher.local_launcher.LocalLauncher", "n_jobs": 3}, 8, 2),
    ],
)
def test_parallel_thread_budget(launcher, cpus, expected):
    assert jobs.parallel_thread_budget(OmegaConf.create(launcher), cpu_count=cpus) == expected


def test_thread_budget_fills_only_an_unset_n_jobs():
    unset = OmegaConf.create({"seed": 0, "cleanlearning": {"n_jobs": None}})
    capped = jobs._with_thread_budget(unset, 2)
    assert capped.cleanlearning.n_jobs == 2 and unset.cleanlearning.n_jobs is None
    explicit = OmegaConf.create({"cleanlearning": {"n_jobs": 4}})
    assert jobs._with_thread_budget(explicit, 2).cleanlearning.n_jobs == 4
    assert jobs._with_thread_budget(unset, None) is unset


def test_provenance_without_git_records_null(tmp_path):
    assert provenance.git_state(tmp_path) is None  # not a repository
    record = provenance.collect_provenance(["seed=1"], ["hydra.run.dir=x"])
    assert record["packages"]["numpy"] == np.__version__
    assert record["packages"]["cleanlearn"] is not None
    assert record["command"]["overrides"] == ["seed=1"]
    json.dumps(record)  # serialisable as is


def test_git_state_collected_beside_the_job_is_the_same_as_now(tmp_path):
    import subprocess

    assert provenance.git_state_in_background(tmp_path)() is None  # not a repository
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "f.txt").write_text("a\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", "f.txt"], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
                   check=True)
    clean = provenance.git_state_in_background(tmp_path)()
    assert clean == provenance.git_state(tmp_path) and clean["dirty"] is False and len(clean["commit"]) == 40
    (tmp_path / "f.txt").write_text("b\n")
    assert provenance.git_state_in_background(tmp_path)() == {"commit": clean["commit"], "dirty": True}
    record = provenance.collect_provenance(git={"commit": "abc", "dirty": False})
    assert record["git"] == {"commit": "abc", "dirty": False}
    assert provenance.collect_provenance(git=None)["git"] is None  # collected: no repository


def raise_and_record(out_dir, error, **kwargs):
    try:
        raise error
    except Exception as caught:  # noqa: BLE001 - _fail is called from inside a handler
        jobs._fail(out_dir, caught, **kwargs)


@pytest.mark.parametrize(
    ("stage", "single_run", "raised"),
    [
        ("config", True, SystemExit),  # a single run stops with the message alone
        ("config", False, jobs.JobFailedError),  # a sweep job fails; the other jobs still run
        ("run", True, SystemExit),  # one line on the console, the traceback in status.json
        ("run", False, jobs.JobFailedError),
    ],
)
def test_failure_is_recorded_then_raised_short(tmp_path, monkeypatch, stage, single_run, raised):
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    error = runner_config.ConfigError("cleanlearning.cv_n_folds must be an int >= 2; got 1")
    with pytest.raises(raised) as info:
        raise_and_record(tmp_path, error, stage=stage, single_run=single_run)
    message = str(info.value)
    assert "cleanlearning.cv_n_folds" in message and "status.json" in message
    assert "\n" not in message and info.value.__cause__ is None
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["status"] == "failed" and status["stage"] == stage
    assert status["error"] == str(error) and "raise error" in status["traceback"]


def test_full_error_env_reraises_the_original(tmp_path, monkeypatch):
    monkeypatch.setenv("HYDRA_FULL_ERROR", "1")
    with pytest.raises(ZeroDivisionError):
        raise_and_record(tmp_path, ZeroDivisionError("boom"), stage="run", single_run=False)
    assert json.loads((tmp_path / "status.json").read_text())["error"] == "ZeroDivisionError: boom"


@pytest.fixture
def job_config(tmp_path):
    """A composed single-run config with Hydra's runtime set to write into tmp_path."""
    from hydra import compose, initialize_config_dir
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import open_dict, read_write

    runner_config.register_configs()
    with initialize_config_dir(version_base="1.3", config_dir=str(REPO / "conf")):
        cfg = compose("config", overrides=list(FAST), return_hydra_config=True)
    with read_write(cfg.hydra.runtime), open_dict(cfg.hydra.runtime):
        cfg.hydra.runtime.output_dir = str(tmp_path)
    HydraConfig.instance().set_config(cfg)
    task_cfg = OmegaConf.masked_copy(cfg, [key for key in cfg if key != "hydra"])
    yield task_cfg
    HydraConfig.instance().cfg = None


def test_run_job_in_process_records_success_then_skips(job_config, tmp_path, monkeypatch):
    calls = []

    def fake_run(cfg, out_dir):
        calls.append(out_dir)
        (out_dir / "label_issues.csv").write_text("index\n0\n")
        return {"n_examples": 1, "total_seconds": 0.5}

    monkeypatch.setattr("runner.experiment.pipeline.run", fake_run)
    assert jobs.run_job(job_config) == {"n_examples": 1, "total_seconds": 0.5}
    assert calls == [tmp_path] and (tmp_path / "DONE").is_file()
    assert yaml.safe_load((tmp_path / ".hydra" / "overrides.yaml").read_text()) == list(FAST)
    assert jobs.run_job(job_config) == {"n_examples": 1, "total_seconds": 0.5}
    assert len(calls) == 1  # the second call skipped the finished job


def test_run_job_records_a_result_that_cannot_be_saved_as_a_failure(job_config, tmp_path, monkeypatch):
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    monkeypatch.setattr("runner.experiment.pipeline.run", lambda cfg, out_dir: {"bad": object()})
    with pytest.raises(SystemExit, match="not JSON serialisable"):  # a single run
        jobs.run_job(job_config)
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["status"] == "failed" and status["stage"] == "record"
    assert not (tmp_path / "DONE").exists()
