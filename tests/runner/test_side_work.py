"""The sweep's helper process (runner.sweep.side_work): work runs beside the jobs, nothing is
lost when it fails or dies, and what it writes is what the launching process would write."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from runner.results import figures
from runner.results.rendering import finish_rendering, rendering_in
from runner.sweep.launchers import BASIC_LAUNCHER, LOCAL_LAUNCHER
from runner.sweep.side_work import ForkedRenderer, SideWorker, forked_renderer_for, side_worker_for


def record_pid(path: str, delay: float = 0.0) -> None:
    time.sleep(delay)
    Path(path).write_text(str(os.getpid()))


def fail_outside(parent_pid: int, path: str) -> None:
    """Raises in any process but the launching one (a report that fails in the helper)."""
    if os.getpid() != parent_pid:
        raise OSError("disk full in the helper")
    Path(path).write_text(str(os.getpid()))


@pytest.fixture
def worker():
    side = SideWorker()
    yield side
    side.close()


@pytest.mark.slow
def test_work_runs_in_another_process_and_wait_collects_it(tmp_path, worker):
    out = tmp_path / "pid"
    worker.submit("pid", record_pid, str(out))
    deadline = time.monotonic() + 120
    while not out.is_file() and time.monotonic() < deadline:  # done by the helper, unasked
        time.sleep(0.05)
    assert int(out.read_text()) != os.getpid()
    worker.wait()  # nothing left: returns at once
    assert worker._pending == []


@pytest.mark.slow
def test_a_task_that_fails_in_the_helper_is_done_here(tmp_path, worker):
    out = tmp_path / "done"
    worker.submit("report", fail_outside, os.getpid(), str(out))
    worker.wait()
    assert int(out.read_text()) == os.getpid()


@pytest.mark.slow
def test_tasks_not_started_are_taken_back_by_the_waiting_process(tmp_path, worker):
    worker.submit("warm-up", record_pid, str(tmp_path / "warm"))
    worker.wait()  # the helper is up
    worker.submit("slow", record_pid, str(tmp_path / "slow"), 1.0)
    quick = [tmp_path / f"quick{i}" for i in range(6)]
    for path in quick:
        worker.submit(path.name, record_pid, str(path))
    worker.wait()
    pids = [int(path.read_text()) for path in quick]
    assert all(path.is_file() for path in quick)
    # the helper is busy with the slow one: the waiting process runs the queued ones itself
    assert pids.count(os.getpid()) >= 3


@pytest.mark.slow
def test_a_dead_helper_loses_nothing(tmp_path, worker):
    worker.submit("warm-up", record_pid, str(tmp_path / "warm"))
    worker.wait()
    for process in list(worker._pool._processes.values()):
        process.kill()
        process.join()
    paths = [tmp_path / f"after{i}" for i in range(3)]
    for path in paths:
        worker.submit(path.name, record_pid, str(path))
    worker.wait()
    assert all(int(path.read_text()) == os.getpid() for path in paths)


def test_only_a_launcher_running_one_job_at_a_time_gets_a_helper(monkeypatch):
    monkeypatch.setattr("runner.sweep.side_work.SideWorker", lambda: "helper")
    monkeypatch.setattr("runner.sweep.side_work._main_not_rerun", lambda: True)
    monkeypatch.setattr("runner.sweep.side_work.available_cpus", lambda: 2)
    basic = OmegaConf.create({"hydra": {"launcher": {"_target_": BASIC_LAUNCHER}}})
    joblib = OmegaConf.create({"hydra": {"launcher": {
        "_target_": "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"}}})
    assert side_worker_for(basic) == "helper"
    assert side_worker_for(joblib) is None  # its jobs keep every core busy, callbacks run in them
    local = {"_target_": LOCAL_LAUNCHER}
    for n_jobs, helper in ((1, "helper"), (2, None), (-1, None)):  # -1: every CPU (2 here)
        config = OmegaConf.create({"hydra": {"launcher": {**local, "n_jobs": n_jobs}}})
        assert side_worker_for(config) == helper, n_jobs
    monkeypatch.setattr("runner.sweep.side_work.available_cpus", lambda: 1)
    assert side_worker_for(basic) is None  # no idle core


def test_no_helper_in_a_local_launchers_worker(monkeypatch):
    """A lone worker of the local launcher runs its jobs one at a time, but its exit would cut a
    helper's work short: there the reports wait for the end of the sweep."""
    from runner.sweep import side_work

    monkeypatch.setattr("runner.sweep.side_work.SideWorker", lambda: "helper")
    monkeypatch.setattr("runner.sweep.side_work._main_not_rerun", lambda: True)
    monkeypatch.setattr("runner.sweep.side_work.available_cpus", lambda: 2)
    monkeypatch.setattr("runner.sweep.side_work._helpers_allowed", True)
    one_at_a_time = OmegaConf.create({"hydra": {"launcher": {"_target_": LOCAL_LAUNCHER, "n_jobs": 1}}})
    assert side_worker_for(one_at_a_time) == "helper"
    side_work.no_helper_process_here()  # (as the launcher's worker does when it starts)
    assert side_worker_for(one_at_a_time) is None


class InlineWorker:
    """A worker that runs what it is handed at once, here (the pickling path, without a process)."""

    def __init__(self) -> None:
        self.submitted: list[str] = []

    def submit(self, what, function, *args):
        self.submitted.append(what)
        function(*args)

    def wait(self):
        pass


def test_a_figure_handed_to_a_worker_has_the_bytes_of_one_saved_here(tmp_path):
    frame = summary_frame(30)
    figures.save_figure_pair(figures.plot_summary(frame), tmp_path / "here")
    worker = InlineWorker()
    with rendering_in(worker):
        figures.save_figure_pair(figures.plot_summary(frame), tmp_path / "there")
        finish_rendering()
    assert worker.submitted == [f"figure {tmp_path / 'there'}"]
    assert_same_figure_files(tmp_path, "there", "here")


def assert_same_figure_files(folder: Path, stem: str, reference: str) -> None:
    for suffix in (".pdf", ".png"):
        assert (folder / f"{stem}{suffix}").read_bytes() == (folder / f"{reference}{suffix}").read_bytes(), stem


def summary_frame(n_jobs: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "job": range(n_jobs), "dir": [f"seed={i}" for i in range(n_jobs)], "seed": range(n_jobs),
        "status": ["ok"] * (n_jobs - 1) + ["failed"],
        "test_accuracy_baseline": rng.uniform(0.6, 0.9, n_jobs),
        "test_accuracy_cleanlearning": rng.uniform(0.6, 0.9, n_jobs),
        "issue_f1": rng.uniform(0.3, 0.9, n_jobs),
    })


@pytest.mark.parametrize("n_jobs", [figures.MAX_BAR_JOBS + 1, 1000])
def test_a_large_sweeps_summary_figure_has_one_point_per_job_and_a_fixed_size(tmp_path, n_jobs):
    figure = figures.plot_summary(summary_frame(n_jobs))
    assert tuple(figure.get_size_inches()) == tuple(figures.plot_summary(summary_frame(40)).get_size_inches())
    accuracy = figure.axes[0]
    points = [collection.get_offsets() for collection in accuracy.collections]
    assert [len(p) for p in points[:2]] == [n_jobs, n_jobs]  # baseline and cleanlearning, every job
    assert len(points[2]) == 1 and points[2][0][0] == n_jobs - 1  # the failed job, marked
    # bars for 1,000 jobs were an 800-inch figure that Agg refuses to draw; this one is written
    pdf, png = figures.save_figure_pair(figure, tmp_path / "summary")
    assert pdf.stat().st_size > 0 and png.stat().st_size > 0


def test_a_small_sweeps_summary_figure_keeps_one_labelled_bar_per_job():
    figure = figures.plot_summary(summary_frame(figures.MAX_BAR_JOBS))
    bars = [patch for patch in figure.axes[0].patches]
    assert len(bars) == 2 * figures.MAX_BAR_JOBS


def test_no_helper_for_a_program_whose_main_a_helper_would_run_again(monkeypatch):
    """`python -m runner` (a package's __main__) and `-c` are safe; `python my_sweep.py` is not: a
    spawned interpreter runs that script again, and without a __main__ guard its sweep too."""
    import sys
    import types

    monkeypatch.setattr("runner.sweep.side_work.SideWorker", lambda: "helper")
    monkeypatch.setattr("runner.sweep.side_work.available_cpus", lambda: 2)
    basic = OmegaConf.create({"hydra": {"launcher": {"_target_": BASIC_LAUNCHER}}})

    def main_module(spec_name, file):
        module = types.ModuleType("__main__")
        module.__spec__ = None if spec_name is None else types.SimpleNamespace(name=spec_name)
        if file is not None:
            module.__file__ = file
        return module

    for spec_name, file, helper in (("runner.__main__", "/x/runner/__main__.py", True),
                                    (None, None, True),  # python -c
                                    (None, "/x/my_sweep.py", False),
                                    ("my_sweeps", "/x/my_sweeps.py", False)):  # python -m my_sweeps
        monkeypatch.setitem(sys.modules, "__main__", main_module(spec_name, file))
        assert (side_worker_for(basic) == "helper") is helper, (spec_name, file)


PARENT = """
import sys, time
from runner.sweep.side_work import SideWorker
worker = SideWorker()
worker._pool.submit(int).result()  # the helper is up
print(*worker._pool._processes, flush=True)
time.sleep(600)
"""


@pytest.mark.slow
def test_the_helper_exits_when_the_sweep_is_killed():
    """SIGKILL (the OOM killer, a scheduler) gives the sweep no chance to stop its helper: the
    helper notices and exits, instead of waiting forever holding the sweep's stdout."""
    import signal
    import subprocess
    import sys

    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    helper = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(helper, 0)
        except ProcessLookupError:
            break
        with open(f"/proc/{helper}/stat") as stat:  # reaped by init, or a zombie of it: gone
            if stat.read().split(") ", 1)[1].startswith("Z"):
                break
        time.sleep(0.1)
    else:
        os.kill(helper, signal.SIGKILL)
        pytest.fail("the helper outlived the killed sweep by 30 s")
    assert parent.stdout.read() == ""  # the pipe closed: no process holds it any more
    parent.stdout.close()


@pytest.mark.slow
def test_a_helper_whose_parent_died_while_it_booted_exits_too():
    """The parent's pid comes from the launching process: a helper that starts after its parent
    was killed sees init as its parent, which must not count as the launching process."""
    import subprocess
    import sys

    dead_parent = 2 ** 22 + 12345  # above Linux's pid_max: a launching process that is gone
    script = ("import time\nfrom runner.sweep.side_work import _exit_with_parent\n"
              f"_exit_with_parent({dead_parent}, every=0.05)\ntime.sleep(60)\n")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2], timeout=60)
    assert done.returncode == 0 and time.monotonic() - started < 30


def record_order(path: str, name: str, delay: float = 0.0) -> None:
    time.sleep(delay)
    with open(path, "a") as handle:
        handle.write(f"{name} {os.getpid()}\n")


@pytest.mark.slow
def test_postponed_tasks_go_behind_what_is_submitted_after_them(tmp_path, worker):
    # The end of a sweep: the last reports wait in the helper's queue; the summary's figures,
    # submitted after them, must not wait behind them.
    log = tmp_path / "order"
    worker.submit("warm-up", record_pid, str(tmp_path / "warm"))
    worker.wait()
    worker.submit("busy", record_order, str(log), "busy", 1.0)
    for number in range(3):
        worker.submit(f"report {number}", record_order, str(log), f"report{number}")
    time.sleep(0.3)  # the helper has started "busy"
    worker.postpone_unstarted()
    worker.submit("figure", record_order, str(log), "figure")
    deadline = time.monotonic() + 60
    while "figure" not in (log.read_text() if log.is_file() else "") and time.monotonic() < deadline:
        time.sleep(0.05)
    first = [line.split() for line in log.read_text().splitlines()]
    # the helper went from "busy" to the figure: the reports queued before it were taken out
    assert [name for name, _ in first] == ["busy", "figure"]
    assert all(int(pid) != os.getpid() for _, pid in first)
    worker.wait()  # the postponed reports: queued again, and shared out
    names = sorted(line.split()[0] for line in log.read_text().splitlines())
    assert names == ["busy", "figure", "report0", "report1", "report2"]  # nothing lost


def test_a_forked_renderer_writes_the_bytes_of_one_saved_here_in_child_processes(tmp_path):
    frame = summary_frame(30)
    figures.save_figure_pair(figures.plot_summary(frame), tmp_path / "here")
    renderer = ForkedRenderer()
    with rendering_in(renderer):
        figures.save_figure_pair(figures.plot_summary(frame), tmp_path / "there")
        # drawn, not only saved, in the child: the same bytes
        figures.render_figure(lambda: figures.plot_summary(frame), tmp_path / "built_there")
        renderer.submit("pid", record_pid, str(tmp_path / "pid"))
        finish_rendering()
    for stem in ("there", "built_there"):
        assert_same_figure_files(tmp_path, stem, "here")
    assert int((tmp_path / "pid").read_text()) != os.getpid()  # done in a child
    # a task that fails in its child is done again here, nothing lost
    renderer.submit("report", fail_outside, os.getpid(), str(tmp_path / "done"))
    renderer.close()
    assert int((tmp_path / "done").read_text()) == os.getpid()


def test_only_a_parallel_local_launchers_worker_gets_a_forked_renderer(monkeypatch):
    monkeypatch.setattr("runner.sweep.side_work.available_cpus", lambda: 2)

    def config(target, **fields):
        return OmegaConf.create({"hydra": {"launcher": {"_target_": target, **fields}}})

    assert isinstance(forked_renderer_for(config(LOCAL_LAUNCHER, n_jobs=2)), ForkedRenderer)
    assert forked_renderer_for(config(LOCAL_LAUNCHER, n_jobs=1)) is None  # the helper's case
    assert forked_renderer_for(config(BASIC_LAUNCHER)) is None
    assert forked_renderer_for(config("hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher",
                                      n_jobs=2)) is None  # its workers are not ours to fork
    monkeypatch.setattr("runner.sweep.side_work.available_cpus", lambda: 1)
    assert forked_renderer_for(config(LOCAL_LAUNCHER, n_jobs=2)) is None  # no idle core
