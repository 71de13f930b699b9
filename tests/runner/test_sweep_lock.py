"""A sweep dir owned under a lock for the whole sweep (runner.sweep.lock): a second sweep, different
or identical, refused at once naming the owner; locks of sweeps that are gone taken over."""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from runner.sweep import lock as lock_module
from runner.sweep.lock import OWNER_FILE, SweepDirInUseError, SweepLock, own_sweep_dir

REPO = Path(__file__).resolve().parents[2]

HOLDER = textwrap.dedent(
    """
    import sys, time
    from runner.sweep.lock import SweepLock
    lock = SweepLock(sys.argv[1], heartbeat_seconds=0.2).acquire()
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
    lock.release()
    """
)


def hold(sweep_dir: Path, seconds: float = 60) -> subprocess.Popen:
    """Another process owning ``sweep_dir``, once this returns."""
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(sweep_dir), str(seconds)], cwd=REPO,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def write_owner(sweep_dir: Path, *, host: str, pid: int, age: float = 0.0) -> None:
    sweep_dir.mkdir(parents=True, exist_ok=True)
    owner = sweep_dir / OWNER_FILE
    owner.write_text(json.dumps({"host": host, "pid": pid, "command": "python -m runner -m seed=0,1",
                                 "started": "2026-12-05T20:00:00+00:00", "id": "x"}))
    then = time.time() - age
    os.utime(owner, (then, then))


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_second_owner_is_refused_in_one_line_naming_the_first(tmp_path):
    holder = hold(tmp_path / "sweep")
    try:
        with pytest.raises(SweepDirInUseError) as refused:
            SweepLock(tmp_path / "sweep").acquire()
        message = str(refused.value)
        assert "\n" not in message and f"PID {holder.pid}" in message
        assert f"host {socket.gethostname()}" in message and "started 20" in message and "command:" in message
    finally:
        holder.kill()
        holder.wait()
    # killed with SIGKILL: the kernel dropped its flock; its owner file is taken over
    lock = SweepLock(tmp_path / "sweep").acquire()
    assert json.loads((tmp_path / "sweep" / OWNER_FILE).read_text())["pid"] == os.getpid()
    lock.release()
    assert not (tmp_path / "sweep" / OWNER_FILE).exists()


def test_release_then_acquire_and_refusal_under_the_lock(tmp_path):
    first = SweepLock(tmp_path).acquire()
    first.release()
    first.release()  # idempotent
    with pytest.raises(SystemExit, match="holds another sweep"):
        own_sweep_dir(tmp_path, lambda: "holds another sweep")
    assert not (tmp_path / OWNER_FILE).exists()  # refused: the lock was given back
    own_sweep_dir(tmp_path).release()


@pytest.fixture
def no_flock(monkeypatch):
    """A file system that does not honour flock (NFS without lockd, Lustre without flock)."""
    import fcntl

    def unsupported(*args):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", unsupported)


def test_without_flock_the_owner_file_refuses_a_live_owner_on_another_node(tmp_path, no_flock):
    write_owner(tmp_path, host="node-17", pid=4242, age=5)
    with pytest.raises(SweepDirInUseError, match="host node-17, PID 4242"):
        SweepLock(tmp_path).acquire()


def test_without_flock_a_live_pid_on_this_host_is_refused_and_taken_over_once_dead(tmp_path, no_flock, caplog):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        write_owner(tmp_path, host=socket.gethostname(), pid=sleeper.pid)
        with pytest.raises(SweepDirInUseError, match=f"PID {sleeper.pid}"):
            SweepLock(tmp_path).acquire()
    finally:
        sleeper.kill()
        sleeper.wait()
    with caplog.at_level(logging.WARNING, logger=lock_module.__name__):
        SweepLock(tmp_path).acquire().release()
    assert f"PID {sleeper.pid} no longer runs" in caplog.text and "taking over" in caplog.text


@pytest.mark.parametrize("flock", ["honoured", "not honoured"])
def test_an_old_heartbeat_from_another_node_is_taken_over_with_a_warning(tmp_path, flock, monkeypatch, caplog):
    if flock == "not honoured":
        import fcntl

        monkeypatch.setattr(fcntl, "flock", lambda *a: (_ for _ in ()).throw(OSError(errno.EOPNOTSUPP, "no")))
    write_owner(tmp_path, host="node-3", pid=1, age=lock_module.STALE_SECONDS + 60)
    with caplog.at_level(logging.WARNING, logger=lock_module.__name__):
        lock = SweepLock(tmp_path).acquire()
    assert "last heartbeat" in caplog.text and "host node-3" in caplog.text
    lock.release()


def test_a_dead_pid_on_this_host_is_taken_over(tmp_path, caplog):
    write_owner(tmp_path, host=socket.gethostname(), pid=dead_pid())
    with caplog.at_level(logging.WARNING, logger=lock_module.__name__):
        SweepLock(tmp_path).acquire().release()
    assert "taking over" in caplog.text


def test_the_heartbeat_keeps_the_owner_file_fresh(tmp_path):
    lock = SweepLock(tmp_path, heartbeat_seconds=0.05).acquire()
    try:
        owner = tmp_path / OWNER_FILE
        os.utime(owner, (0, 0))
        time.sleep(0.3)
        assert time.time() - owner.stat().st_mtime < 5
    finally:
        lock.release()


# A classifier whose fits wait for a go file: the first sweep is still running while the others start.
WAITING_CLASSIFIER = textwrap.dedent(
    """
    import os, time
    from sklearn.linear_model import LogisticRegression

    class Waiting(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            deadline = time.time() + 300
            while not os.path.exists(os.environ["GO_FILE"]) and time.time() < deadline:
                time.sleep(0.05)
            return super().fit(X, y, sample_weight=sample_weight)
    """
)


@pytest.mark.slow
def test_two_sweeps_launched_into_one_dir_one_is_refused_the_other_intact(tmp_path):
    sweep_dir = tmp_path / "sweep"
    (tmp_path / "waitclf.py").write_text(WAITING_CLASSIFIER)
    go = tmp_path / "go"
    env = {**os.environ, "GO_FILE": str(go),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))}
    common = ["-m", "experiment=quick", "cache_dir=null", f"hydra.sweep.dir={sweep_dir}",
              "classifier=custom", "classifier._target_=waitclf.Waiting"]
    first = subprocess.Popen([sys.executable, "-m", "runner", *common, "seed=0,1"], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while not (sweep_dir / OWNER_FILE).exists():
            assert first.poll() is None and time.time() < deadline, first.communicate()
            time.sleep(0.05)
        for other in (["noise.rate=0.1,0.3"], ["seed=0,1"]):  # a different sweep, the same sweep
            started = time.time()
            second = subprocess.run([sys.executable, "-m", "runner", *common, *other], cwd=REPO, env=env,
                                    capture_output=True, text=True, timeout=300)
            assert second.returncode == 1
            line = second.stderr.strip().splitlines()[-1]
            assert "is in use by another sweep" in line and f"PID {first.pid}" in line and "seed=0,1" in line
            assert time.time() - started < 60 and first.poll() is None  # at once, not after the first
        go.touch()
        out, err = first.communicate(timeout=600)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err
    jobs = sorted(p.name for p in sweep_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert [job.rpartition(",")[2] for job in jobs] == ["seed=0", "seed=1"]
    assert all((sweep_dir / job / "DONE").is_file() for job in jobs)
    assert not (sweep_dir / OWNER_FILE).exists()  # released at the end
    import pandas as pd

    summary = pd.read_csv(sweep_dir / "summary.csv")
    assert len(summary) == 2 and set(summary["status"]) == {"ok"}
