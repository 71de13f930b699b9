"""Issue 19, case 8: a sweep says where it is, how it ended and how to resume it; after an
interrupt its summary lists every job; a missing label column is refused before launch."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from test_interrupts import SWALLOWING_CLASSIFIER, run_until_log_line_then_signal, runner_command

from runner.core.layout import job_dir_name
from runner.sweep.progress import resume_command

REPO = Path(__file__).resolve().parents[2]


def test_the_resume_command_repeats_the_sweep_into_its_own_dir(tmp_path):
    command = resume_command(["-m", "seed=0,1", "hydra.sweep.dir=elsewhere", "dataset.path=a b.csv"], tmp_path)
    assert command == (f"python -m runner -m seed=0,1 'dataset.path=a b.csv' "
                       f"hydra.sweep.dir={tmp_path.resolve()}")


@pytest.mark.slow
def test_an_interrupted_sweep_prints_its_dir_the_resume_command_and_lists_every_job(tmp_path):
    module_dir = tmp_path / "code"
    module_dir.mkdir()
    (module_dir / "swallowing.py").write_text(textwrap.dedent(SWALLOWING_CLASSIFIER))
    (module_dir / "hold").write_text("")  # the first fit waits for the signal
    sweep_dir = tmp_path / "sweep"
    overrides = ["experiment=quick", "cache_dir=null", "classifier._target_=swallowing.SwallowingClassifier"]
    # one job at a time (the local launcher's own signal tests: test_local_launcher.py)
    command = runner_command("-m", f"hydra.sweep.dir={sweep_dir}", "hydra/launcher=basic", *overrides,
                             "seed=0,1,2")
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(module_dir), os.environ.get("PYTHONPATH")]))}
    first_job = sweep_dir / job_dir_name([*overrides, "seed=0"])
    result = run_until_log_line_then_signal(command, first_job / "runner.log", "cross-validation:",
                                            signal.SIGINT, env=env)
    assert result.returncode == 130, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    resolved = str(sweep_dir.resolve())
    # The sweep dir on a line of its own at the start and at the end.
    assert lines[lines.index("sweep of 3 jobs, into:") + 1] == resolved
    assert lines.count(resolved) == 2
    end = [line for line in lines if line.startswith("sweep stopped:")]
    assert end == [f"sweep stopped: 1 interrupted, 2 not run (of 3); results so far: {resolved}/results.md"]
    (resume,) = [line for line in lines if line.startswith("resume it (finished jobs are kept): ")]
    resume = resume.split(": ", 1)[1]
    assert resume.endswith(f"hydra.sweep.dir={resolved}") and resume.startswith("python -m runner -m ")
    # Every job of the sweep is in the summary, with what happened to it.
    summary = pd.read_csv(sweep_dir / "summary.csv")
    assert sorted(zip(summary["seed"], summary["status"], strict=True)) == [
        (0, "interrupted"), (1, "not run"), (2, "not run")]

    # The printed command resumes this sweep in this dir: the three jobs end ok.
    resumed = subprocess.run([sys.executable, *shlex.split(resume)[1:]], cwd=REPO, capture_output=True,
                             text=True, timeout=600, env={**os.environ, **env})
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"sweep finished: 3 of 3 jobs ok; results: {resolved}/results.md" in resumed.stdout.splitlines()
    assert set(pd.read_csv(sweep_dir / "summary.csv")["status"]) == {"ok"}


@pytest.mark.slow
def test_a_missing_label_column_in_one_combination_is_refused_before_launch(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("x,label\n" + "".join(f"{i},{'ab'[i % 2]}\n" for i in range(20)))
    sweep_dir = tmp_path / "sweep"
    result = subprocess.run(
        [sys.executable, "-m", "runner", "-m", f"hydra.sweep.dir={sweep_dir}", "dataset=csv",
         f"dataset.path={table}", "dataset.label_column=label,lable"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 1
    assert "sweep combinations: 1 of 2 bad, no job was started:" in result.stderr
    assert (f"[dataset.label_column=lable] dataset.label_column names a column not in {table}: got 'lable'; "
            "did you mean `label`?") in result.stderr
    assert not sweep_dir.exists()
