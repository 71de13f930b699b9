"""runner.sweep.launchers (jobs at once per launcher) and runner.sweep.schedule (which jobs of a
sweep one worker of the local launcher runs together)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from runner.sweep.launchers import (
    BASIC_LAUNCHER,
    LOCAL_LAUNCHER,
    can_fork,
    jobs_at_once,
    jobs_side_by_side,
    workers_of,
)
from runner.sweep.schedule import shared_work_groups, work_key

REPO = Path(__file__).resolve().parents[2]
FILTER = "cleanlearning.find_label_issues_kwargs.filter_by"


@pytest.mark.parametrize(("n_jobs", "cpus", "expected"), [(1, 8, 1), (3, 2, 3), (-1, 8, 8), (-2, 8, 7), (-8, 8, 1),
                                                          (-20, 8, 1)])
def test_workers_follow_joblibs_convention(n_jobs, cpus, expected):
    assert workers_of(n_jobs, cpu_count=cpus) == expected


@pytest.mark.parametrize("n_jobs", [0, 1.5, "2", True, None])
def test_workers_refuse_what_is_not_a_non_zero_integer(n_jobs):
    with pytest.raises(ValueError, match=r"hydra\.launcher\.n_jobs must be a non-zero integer.*got"):
        workers_of(n_jobs)


def test_jobs_at_once_per_launcher():
    def launcher(**fields):
        return OmegaConf.create(fields)

    assert jobs_at_once(launcher(_target_=BASIC_LAUNCHER)) == 1
    assert jobs_at_once(launcher(_target_=LOCAL_LAUNCHER, n_jobs=-1), cpu_count=6) == 6
    assert jobs_at_once(launcher(_target_=LOCAL_LAUNCHER, n_jobs=1)) == 1
    assert jobs_at_once(launcher(_target_="hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher",
                                 n_jobs=4)) == 4
    submitit = launcher(_target_="hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher")
    assert jobs_at_once(submitit) is None and jobs_side_by_side(submitit)  # unknown: assumed parallel
    assert not jobs_side_by_side(launcher(_target_=LOCAL_LAUNCHER, n_jobs=1))


def test_the_local_launcher_forks_only_where_forking_is_safe(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    assert can_fork()
    # macOS offers fork, but a fork of a process that loaded its system frameworks may crash
    monkeypatch.setattr(sys, "platform", "darwin")
    assert not can_fork()
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr("multiprocessing.get_all_start_methods", lambda: ["spawn"])  # Windows
    assert not can_fork()


def test_jobs_differing_only_in_the_method_share_a_group():
    jobs = [[f"noise.rate={rate}", f"seed={seed}", f"{FILTER}={method}"]
            for rate in (0.1, 0.2) for seed in (0, 1) for method in ("both", "prune_by_class", "low_self_confidence")]
    groups = shared_work_groups(jobs)
    # one group per (rate, seed) cell: the jobs that share its cross-validation, in sweep order
    assert groups == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]
    for group in groups:
        assert len({tuple(jobs[i][:2]) for i in group}) == 1


def test_what_changes_the_cached_work_separates_groups():
    # the folds and the classifier change the cross-validation; scores, summary and report do not
    assert work_key(["cleanlearning.cv_n_folds=3", "quality_score=margin", "+summary.test=wilcoxon",
                     "report.run=false", "classifier=svc"]) == ("cleanlearning.cv_n_folds=3", "classifier=svc")
    jobs = [["classifier=logreg", "seed=0"], ["classifier=svc", "seed=0"], ["classifier=logreg", "seed=0"]]
    assert shared_work_groups(jobs) == [[0, 2], [1]]
    assert shared_work_groups([]) == []


def test_importing_the_runner_sets_the_openblas_spin_before_numpy_loads():
    code = "import os, sys, runner; print(os.environ['OPENBLAS_THREAD_TIMEOUT'], 'numpy' in sys.modules)"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    env["PYTHONPATH"] = str(REPO)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["16", "False"]  # set while numpy's OpenBLAS has not read it yet
    env["OPENBLAS_THREAD_TIMEOUT"] = "24"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["24", "False"]  # the user's value is kept
