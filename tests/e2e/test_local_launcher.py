"""``hydra/launcher=local``, the default (hydra_plugins/cleanlearn_launcher): a sweep's jobs in forked
workers, each group of jobs sharing cached work in one worker, with the results of the basic
launcher; failures, a worker's death and signals as the runner promises them."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from _jobs import find_job

REPO = Path(__file__).resolve().parents[2]
FILTER = "cleanlearning.find_label_issues_kwargs.filter_by"
SWEEP = ("experiment=quick", "seed=0,1", f"{FILTER}=both,prune_by_class")


def run_sweep(sweep_dir: Path, *overrides: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runner", "-m", f"hydra.sweep.dir={sweep_dir}", *overrides],
                          cwd=REPO, capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})})


def provenance(job_dir: Path) -> dict:
    return json.loads((job_dir / "provenance.json").read_text())


@pytest.mark.parametrize(
    ("sweeper", "again"),
    [
        ({"_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper", "max_batch_size": None}, False),
        ({"_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper", "max_batch_size": 2}, True),
        ({"_target_": "hydra_plugins.cleanlearn_optuna_sweeper.optuna_sweeper.OptunaSweeper", "n_jobs": 2}, True),
    ],
)
def test_which_sweepers_may_launch_another_batch(sweeper, again):
    from omegaconf import OmegaConf

    from hydra_plugins.cleanlearn_launcher.local_launcher import _may_launch_again

    assert _may_launch_again(OmegaConf.create({"hydra": {"sweeper": sweeper}})) is again


@pytest.mark.slow
def test_groups_sharing_a_cross_validation_run_in_one_worker_each_with_the_basic_launchers_results(tmp_path):
    local, basic = tmp_path / "local", tmp_path / "basic"
    # the local launcher is the default: no hydra/launcher override
    result = run_sweep(local, *SWEEP, f"cache_dir={tmp_path / 'cache_local'}", "hydra.launcher.n_jobs=2")
    assert result.returncode == 0, result.stderr
    assert "Launching 4 jobs locally, 2 at a time (2 groups sharing cached work)" in result.stdout
    # jobs side by side: the console shows the sweep's progress lines, not the jobs' interleaved
    # details, which stay in each job's runner.log
    assert sum(f"[{n}/4] ok  " in result.stdout for n in range(1, 5)) == 4
    assert "running into" not in result.stdout and "cross-validation:" not in result.stdout
    reference = run_sweep(basic, *SWEEP, f"cache_dir={tmp_path / 'cache_basic'}", "hydra/launcher=basic")
    assert reference.returncode == 0, reference.stderr

    pids = {}
    for seed in (0, 1):
        jobs = [find_job(local, f"seed={seed}", f"{FILTER}={method}") for method in ("both", "prune_by_class")]
        processes = [provenance(job)["process"] for job in jobs]
        # one worker ran both jobs of a seed; the first computed the cross-validation, the second read it
        assert processes[0] == processes[1]
        pids[seed] = processes[0]
        assert "running into" in (jobs[0] / "runner.log").read_text()
        assert "cache miss: cv_pred_probs" in (jobs[0] / "runner.log").read_text()
        assert "cache hit: cv_pred_probs" in (jobs[1] / "runner.log").read_text()
        for method, job in zip(("both", "prune_by_class"), jobs, strict=True):
            same = find_job(basic, f"seed={seed}", f"{FILTER}={method}")
            for name in ("label_issues.csv", "confident_joint.csv", "noise_matrix.csv"):
                assert (job / name).read_bytes() == (same / name).read_bytes(), (seed, method, name)
            timing = [key for key in json.loads((job / "metrics.json").read_text()) if key.endswith("_seconds")]
            mine, theirs = (pd.read_json(path / "metrics.json", typ="series").drop(timing) for path in (job, same))
            assert mine.equals(theirs)
            assert (job / "report.html").is_file()
    # two workers, forked from the launching process (their parent, not the jobs' own process)
    assert pids[0]["pid"] != pids[1]["pid"] and pids[0]["parent_pid"] == pids[1]["parent_pid"]
    assert pids[0]["parent_pid"] not in (pids[0]["pid"], pids[1]["pid"])
    assert "capping this job at 1 thread" in (find_job(local, "seed=0", f"{FILTER}=both") / "runner.log").read_text()
    summary = pd.read_csv(local / "summary.csv")
    assert sorted(summary["job"]) == [0, 1, 2, 3] and (summary["status"] == "ok").all()
    # the final summary, written by the worker that ran the last job, its figures by forks of it
    assert all((local / name).is_file() for name in ("results.md", "report.html", "results.png", "summary.pdf"))


@pytest.mark.slow
def test_a_sweeper_launching_batch_after_batch_never_runs_jobs_in_the_launching_process(tmp_path):
    # Batches of 2 (Hydra's basic sweeper, max_batch_size), in sweep order: (seed 0: both,
    # prune_by_class) share one cross-validation, (seed 0: confident_learning; seed 1: both) do
    # not, (seed 1: prune_by_class, confident_learning) share one. A batch of one group goes to
    # one forked worker, so that the launching process never runs a job: a fork of a process
    # that has run OpenMP code (GNU libgomp) deadlocks the child's next parallel region, and the
    # middle batch must still be forked into two workers.
    sweep = tmp_path / "sweep"
    result = run_sweep(sweep, "experiment=quick", f"cache_dir={tmp_path / 'cache'}", "seed=0,1",
                       f"{FILTER}=both,prune_by_class,confident_learning", "hydra.sweeper.max_batch_size=2",
                       "hydra.launcher.n_jobs=2")
    assert result.returncode == 0, result.stderr
    launching = [line.split("[HYDRA] ", 1)[1] for line in result.stdout.splitlines() if "[HYDRA] " in line]
    assert launching.count("Launching 2 jobs locally, 1 at a time") == 2
    assert launching.count("Launching 2 jobs locally, 2 at a time (2 groups sharing cached work)") == 1
    assert sum("in one worker process (this sweeper may launch another batch" in line for line in launching) == 2
    assert not any("an earlier batch ran its jobs in this process" in line for line in launching)
    jobs = [p for p in sweep.iterdir() if (p / "DONE").is_file()]
    assert len(jobs) == 6
    processes = [provenance(job)["process"] for job in jobs]
    (launching_pid,) = {process["parent_pid"] for process in processes}  # all forked from it
    assert launching_pid not in {process["pid"] for process in processes}
    by_job = {job.name: provenance(job)["process"]["pid"] for job in jobs}
    assert len(set(by_job.values())) == 4  # a lone worker, two workers, a lone worker
    # the lone workers' jobs ran one at a time with every core (no cap); their reports were
    # written at the end of the sweep (no helper process in a worker)
    lone = find_job(sweep, "seed=0", f"{FILTER}=both")
    assert "capping" not in (lone / "runner.log").read_text()
    assert all((job / "report.html").is_file() for job in jobs)
    assert (sweep / "results.md").is_file()


@pytest.mark.slow
def test_one_group_runs_in_the_launching_process_and_a_failed_job_fails_the_sweep(tmp_path):
    # every job shares the cross-validation: one worker, the launching process itself (no fork),
    # the job reports written beside it by the helper process as with the basic launcher
    single = run_sweep(tmp_path / "one", "experiment=quick", "cache_dir=null", f"{FILTER}=both,prune_by_class",
                       "hydra/launcher=local")
    assert single.returncode == 0, single.stderr
    assert "Launching 2 jobs locally, 1 at a time" in single.stdout
    jobs = [find_job(tmp_path / "one", f"{FILTER}={method}") for method in ("both", "prune_by_class")]
    processes = {provenance(job)["process"]["pid"] for job in jobs}
    assert len(processes) == 1
    assert all((job / "report.html").is_file() for job in jobs)
    assert "capping" not in (jobs[0] / "runner.log").read_text()  # one job at a time: no cap

    failing = run_sweep(tmp_path / "two", "experiment=quick", "cache_dir=null", "classifier.C=1,-1",
                        "hydra/launcher=local", "hydra.launcher.n_jobs=2")
    assert failing.returncode != 0
    assert (find_job(tmp_path / "two", "classifier.C=1") / "DONE").is_file()
    status = json.loads((find_job(tmp_path / "two", "classifier.C=-1") / "status.json").read_text())
    assert status["status"] == "failed"
    summary = pd.read_csv(tmp_path / "two" / "summary.csv").sort_values("job")
    assert summary["status"].tolist() == ["ok", "failed"]


def test_a_bad_n_jobs_is_refused_before_any_job(tmp_path):
    result = run_sweep(tmp_path / "sweep", "experiment=quick", "seed=0,1", "hydra/launcher=local",
                       "hydra.launcher.n_jobs=0")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "hydra.launcher.n_jobs must be a non-zero integer (-1: every CPU); got 0"]
    assert not (tmp_path / "sweep").exists()


# A classifier that waits in fit while its "hold" file exists (the signal lands there), or
# kills its own process when a "die" file exists (a worker killed by the OOM killer).
WAITING_CLASSIFIER = '''
import os
import signal
import time
from pathlib import Path

from sklearn.linear_model import LogisticRegression


class WaitingClassifier(LogisticRegression):
    def fit(self, X, y, sample_weight=None):
        here = Path(__file__).parent
        (here / f"fitting-{os.getpid()}").write_text("")
        if self.C == 2.0 and (here / "die").exists():
            os.kill(os.getpid(), signal.SIGKILL)
        while (here / "hold").exists():
            time.sleep(0.01)
        return super().fit(X, y, sample_weight=sample_weight)
'''


def waiting_sweep(tmp_path: Path, *files: str) -> tuple[list[str], dict, Path]:
    code = tmp_path / "code"
    code.mkdir()
    (code / "waiting.py").write_text(textwrap.dedent(WAITING_CLASSIFIER))
    for name in files:
        (code / name).write_text("")
    command = [sys.executable, "-m", "runner", "-m", f"hydra.sweep.dir={tmp_path / 'sweep'}", "experiment=quick",
               f"cache_dir={tmp_path / 'cache'}", "classifier._target_=waiting.WaitingClassifier",
               "classifier.C=1.0,2.0", "hydra/launcher=local", "hydra.launcher.n_jobs=2"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(code), os.environ.get("PYTHONPATH")]))}
    return command, env, code


def wait_for(condition, what: str, process: subprocess.Popen, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "whole_group"), [(signal.SIGTERM, False), (signal.SIGINT, True)])
def test_a_signal_stops_every_worker_and_each_records_its_interrupt(tmp_path, signum, whole_group):
    """SIGTERM to the launching process alone is passed on to its workers; Ctrl-C reaches them
    all (one process group). Either way each running job says "interrupted", none is DONE, the
    sweep exits 128 + the signal's number, and a resumed sweep finishes both."""
    command, env, code = waiting_sweep(tmp_path, "hold")
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        wait_for(lambda: len(list(code.glob("fitting-*"))) >= 2, "both workers in fit", process)
        if whole_group:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr
    for value in ("1.0", "2.0"):
        job = find_job(tmp_path / "sweep", f"classifier.C={value}")
        status = json.loads((job / "status.json").read_text())
        assert status["status"] == "interrupted" and status["signal"] == signal.Signals(signum).name
        assert not (job / "DONE").exists()

    (code / "hold").unlink()
    resumed = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    for value in ("1.0", "2.0"):
        assert (find_job(tmp_path / "sweep", f"classifier.C={value}") / "DONE").is_file()


@pytest.mark.slow
def test_a_killed_worker_fails_its_jobs_and_the_others_finish(tmp_path):
    command, env, _ = waiting_sweep(tmp_path, "die")
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    assert "lost with its worker process" in result.stdout + result.stderr
    assert (find_job(tmp_path / "sweep", "classifier.C=1.0") / "DONE").is_file()
    assert not (find_job(tmp_path / "sweep", "classifier.C=2.0") / "DONE").exists()


def _refuse_to_load():
    raise TypeError("cannot be rebuilt here")


class Unloadable:
    """Pickles, but cannot be rebuilt on the other side (whatever reducers for exceptions are
    installed: dask's tblib patches those, not this)."""

    def __reduce__(self):
        return _refuse_to_load, ()


def test_a_failed_jobs_exception_travels_back_or_becomes_its_message():
    from hydra.core.utils import JobReturn, JobStatus

    from hydra_plugins.cleanlearn_launcher.local_launcher import _portable

    class Local(Exception):  # a local class: cannot be pickled
        pass

    for error in (Local("disk full"), ValueError("disk full", Unloadable())):
        ret = JobReturn(overrides=["seed=0"], status=JobStatus.FAILED)
        ret._return_value = error
        travelled = pickle.loads(pickle.dumps(_portable(ret)))._return_value
        assert isinstance(travelled, RuntimeError) and str(travelled).startswith(f"{type(error).__name__}: ")
        assert "disk full" in str(travelled)
    fine = JobReturn(overrides=["seed=0"], status=JobStatus.FAILED)
    fine._return_value = ValueError("C must be > 0")
    assert _portable(fine)._return_value is fine._return_value  # a picklable one travels as it is
