"""SIGINT/SIGTERM during a job: status interrupted, no DONE, nothing cached after the signal,
exit 130/143, and a rerun gives the bytes of an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from runner.core import signals
from runner.core.cache import ArrayCache
from runner.core.layout import job_dir_name

REPO = Path(__file__).resolve().parents[2]
# An MLP on iris that trains for its full max_iter (about a second per fit): a signal sent
# once its cross-validation starts lands inside MLPClassifier.fit, which swallows the
# KeyboardInterrupt ("Training interrupted by user") and returns a half-trained model.
MLP = ("experiment=quick", "classifier=mlp", "classifier.max_iter=2000", "+classifier.tol=0",
       "+classifier.n_iter_no_change=2000")


def runner_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "runner", *args]


def run_until_log_line_then_signal(command, log_path: Path, line: str, signum: int, env=None,
                                   delay: float = 0.3) -> subprocess.CompletedProcess:
    """Start ``command``, wait for ``line`` in its job log, send ``signum``, wait for the exit."""
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **(env or {})})
    try:
        deadline = time.monotonic() + 240
        while not (log_path.is_file() and line in log_path.read_text()):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, f"{line!r} never logged"
            time.sleep(0.05)
        time.sleep(delay)
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def cache_entries(cache_dir: Path, kind: str) -> list[Path]:
    kind_dir = cache_dir / kind
    return [p for p in kind_dir.iterdir() if not p.name.startswith(".")] if kind_dir.is_dir() else []


@pytest.mark.slow
def test_sigint_mid_fit_of_an_mlp_is_recorded_and_a_rerun_gives_the_uninterrupted_bytes(tmp_path):
    run_dir, cache_dir = tmp_path / "run", tmp_path / "cache"
    command = runner_command(f"hydra.run.dir={run_dir}", f"cache_dir={cache_dir}", *MLP)
    # the first fold's fit starts within a millisecond of that line and lasts 0.2 s or more
    interrupted = run_until_log_line_then_signal(
        command, run_dir / "runner.log", "cache miss: cv_pred_probs", signal.SIGINT, delay=0.1)

    assert interrupted.returncode == 130, interrupted.stderr
    status = json.loads((run_dir / "status.json").read_text())
    assert status["status"] == "interrupted" and status["signal"] == "SIGINT"
    assert "_multilayer_perceptron" in status["traceback"]  # it stopped inside MLPClassifier.fit
    assert not (run_dir / "DONE").exists() and not (run_dir / "metrics.json").exists()
    assert cache_entries(cache_dir, "cv_pred_probs") == []  # the half-trained folds are not cached

    rerun = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert (run_dir / "DONE").is_file()
    assert json.loads((run_dir / "status.json").read_text())["status"] == "ok"
    reference = tmp_path / "uninterrupted"
    clean = subprocess.run(runner_command(f"hydra.run.dir={reference}", "cache_dir=null", *MLP),
                           cwd=REPO, capture_output=True, text=True, timeout=600)
    assert clean.returncode == 0, clean.stderr
    for name in ("label_issues.csv", "confident_joint.csv", "noise_matrix.csv"):
        assert (run_dir / name).read_bytes() == (reference / name).read_bytes(), name


SWALLOWING_CLASSIFIER = '''
import time
from pathlib import Path

from sklearn.linear_model import LogisticRegression


class SwallowingClassifier(LogisticRegression):
    """Waits while a "hold" file exists, catching (and hiding) a KeyboardInterrupt."""

    def fit(self, X, y, sample_weight=None):
        hold = Path(__file__).with_name("hold")
        try:
            while hold.exists():
                time.sleep(0.01)
        except KeyboardInterrupt:
            hold.unlink()
        return super().fit(X, y, sample_weight=sample_weight)
'''


@pytest.mark.slow
def test_sigterm_is_recorded_even_when_the_classifier_swallows_it_silently(tmp_path):
    module_dir = tmp_path / "code"
    module_dir.mkdir()
    (module_dir / "swallowing.py").write_text(textwrap.dedent(SWALLOWING_CLASSIFIER))
    (module_dir / "hold").write_text("")
    run_dir, cache_dir = tmp_path / "run", tmp_path / "cache"
    command = runner_command(
        f"hydra.run.dir={run_dir}", f"cache_dir={cache_dir}", "experiment=quick",
        "classifier._target_=swallowing.SwallowingClassifier",
    )
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(module_dir), os.environ.get("PYTHONPATH")]))}
    result = run_until_log_line_then_signal(
        command, run_dir / "runner.log", "cache miss: cv_pred_probs", signal.SIGTERM, env=env)

    assert result.returncode == 143, result.stderr
    assert not (module_dir / "hold").exists()  # the classifier did catch the interrupt
    status = json.loads((run_dir / "status.json").read_text())
    assert status["status"] == "interrupted" and status["signal"] == "SIGTERM"
    assert not (run_dir / "DONE").exists()
    assert cache_entries(cache_dir, "cv_pred_probs") == []
    assert "interrupted by SIGTERM" in (run_dir / "runner.log").read_text()


def swallow_a_signal(signum: int) -> np.ndarray:
    """Work that receives ``signum`` and hides the resulting KeyboardInterrupt."""
    try:
        os.kill(os.getpid(), signum)
        time.sleep(5)  # interrupted by the handler
    except KeyboardInterrupt:
        pass
    return np.arange(3.0)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_swallowed_signal_is_still_seen_and_its_compute_is_never_cached(tmp_path, signum):
    cache = ArrayCache(tmp_path)
    before = {s: signal.getsignal(s) for s in signals.HANDLED}
    with signals.interrupt_guard():
        with pytest.raises(signals.Interrupted) as info:
            cache.get_or_compute("k", {"a": 1}, lambda: {"x": swallow_a_signal(signum)})
        assert info.value.signum == signum and signals.interrupted_by() == signal.Signals(signum).name
        with pytest.raises(signals.Interrupted):  # nothing more runs in this job
            cache.get_or_compute("other", {}, lambda: {"x": np.zeros(1)})
    assert not (tmp_path / "k").exists() or not [p for p in (tmp_path / "k").iterdir() if p.name != ".lock"]
    assert {s: signal.getsignal(s) for s in signals.HANDLED} == before
    assert signals.exit_code(signum) == {signal.SIGINT: 130, signal.SIGTERM: 143}[signum]

    with signals.interrupt_guard():  # the next job starts with a clear flag
        assert signals.interrupted_by() is None
        assert cache.get_or_compute("k", {"a": 1}, lambda: {"x": np.ones(2)})["x"].tolist() == [1, 1]


def test_sklearn_mlp_interrupt_warning_becomes_an_error_inside_the_guard():
    import warnings

    with signals.interrupt_guard():
        with pytest.raises(UserWarning, match="Training interrupted by user"):
            warnings.warn("Training interrupted by user.", stacklevel=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("Training interrupted by user.", stacklevel=1)  # outside a job: a warning
    assert len(caught) == 1


@pytest.mark.slow
def test_sigterm_stops_a_sweep_and_resuming_it_reruns_the_interrupted_job(tmp_path):
    module_dir = tmp_path / "code"
    module_dir.mkdir()
    (module_dir / "swallowing.py").write_text(textwrap.dedent(SWALLOWING_CLASSIFIER))
    (module_dir / "hold").write_text("")  # the first fit waits for the signal, later ones do not
    sweep_dir = tmp_path / "sweep"
    command = runner_command(
        "-m", f"hydra.sweep.dir={sweep_dir}", "experiment=quick", f"cache_dir={tmp_path / 'cache'}",
        "classifier._target_=swallowing.SwallowingClassifier", "seed=0,1",
        "hydra/launcher=basic",  # one job at a time: the sweep stops at the first (local: test_local_launcher.py)
    )
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(module_dir), os.environ.get("PYTHONPATH")]))}
    first_job = sweep_dir / job_dir_name(["experiment=quick", f"cache_dir={tmp_path / 'cache'}",
                                          "classifier._target_=swallowing.SwallowingClassifier", "seed=0"])
    result = run_until_log_line_then_signal(command, first_job / "runner.log", "cache miss: cv_pred_probs",
                                            signal.SIGTERM, env=env)
    assert result.returncode == 143, result.stderr
    status = json.loads((first_job / "status.json").read_text())
    assert status["status"] == "interrupted" and status["signal"] == "SIGTERM"
    assert len([p for p in sweep_dir.iterdir() if (p / ".hydra").is_dir()]) == 1  # the sweep stopped there

    resumed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600,
                             env={**os.environ, **env})
    assert resumed.returncode == 0, resumed.stderr
    job_dirs = [p for p in sweep_dir.iterdir() if (p / ".hydra").is_dir()]
    assert len(job_dirs) == 2 and all((p / "DONE").is_file() for p in job_dirs)
    assert (first_job / "runner.log").read_text().count("running into") == 2
    assert json.loads((first_job / "status.json").read_text())["status"] == "ok"
