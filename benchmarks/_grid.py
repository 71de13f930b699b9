"""``bench_sweep.py --grid N ...``: the runner's own cost as a sweep grows (issue 21).

Runs ``python -m runner -m`` sweeps of cheap jobs (naive Bayes on iris, 5 folds) of the sizes
asked, each in a fresh temporary folder, and prints per sweep:

- to launch: seconds from the start of the process to Hydra's "Launching" line, i.e. start-up
  plus the whole-sweep check of every combination;
- wall: seconds until the process ended (every job, then the final summary);
- jobs: the sum of the jobs' own seconds (``total_seconds`` in their metrics.json);
- overhead/job: (wall - to launch - jobs) / N, what the runner adds per job after the check;
- check/job: (to launch - to launch of the smallest sweep) / (N - its N);
- CPU s: the runner process's user + system seconds (to launch with ``--check-only``): on a
  loaded machine wall seconds stretch with the load, CPU seconds hardly do;
- the log-log slope of overhead/job against N (0: flat; 1: each job pays for all before it).

``--check-only`` stops each sweep at "Launching" (time to first job only: a 1,000-job grid
runs for tens of minutes). The grid's sweeps run one job at a time (``hydra/launcher=basic``), so
overhead/job is the runner's own cost, not hidden behind jobs running side by side. Then it measures, side by side in the same run: ``python -m
runner --help`` against ``python -c "import hydra, omegaconf"`` (medians of 3), and with
``--paper-slice`` the issue's 42-job slice ``experiment=paper_grid noise.sparsity=0 seed=0,1``
(digits, logistic regression; wall against the sum of its jobs' seconds), with the default
launcher (``local``: every core) and with Hydra's basic one (one job at a time), and start to
"Launching" of the whole paper_grid (126 jobs) against a 2-job sweep.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FILTERS = ("prune_by_noise_rate", "prune_by_class", "both", "confident_learning", "predicted_neq_given",
           "low_normalized_margin", "low_self_confidence")
# One job at a time: the runner's own seconds per job, not hidden behind jobs running side by side.
CHEAP = ["dataset=iris", "classifier=naive_bayes", "hydra/launcher=basic"]
FILTER_KEY = "cleanlearning.find_label_issues_kwargs.filter_by"


def grid_overrides(n_jobs: int) -> list[str]:
    """Sweep overrides giving exactly ``n_jobs`` cheap jobs (2, 42, 126, 1000, or any N)."""
    if n_jobs == 42:
        return [*CHEAP, f"{FILTER_KEY}={','.join(FILTERS)}", "seed=" + ",".join(map(str, range(6)))]
    if n_jobs == 126:
        return [*CHEAP, f"{FILTER_KEY}={','.join(FILTERS)}", "noise.rate=0.1,0.2,0.3",
                "seed=" + ",".join(map(str, range(6)))]
    if n_jobs == 1000:
        rates = ",".join(f"{0.05 * (i + 1):.2f}" for i in range(10))
        return [*CHEAP, f"noise.rate={rates}", "seed=" + ",".join(map(str, range(100)))]
    return [*CHEAP, "seed=" + ",".join(map(str, range(n_jobs)))]


def run_sweep(arguments: list[str], check_only: bool = False) -> dict:
    """Run ``python -m runner -m ...``; seconds to "Launching", to the end, and the job dirs."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "runner", "-m", *arguments], cwd=REPO, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    launching, tail = None, []
    for line in process.stdout:
        tail = (tail + [line])[-40:]
        if launching is None and "Launching" in line:
            launching = time.perf_counter() - start
            if check_only:
                process.kill()  # SIGKILL: only the time to launch is wanted; the dir is temporary
                break
    for line in process.stdout:
        tail = (tail + [line])[-40:]
    _, status, usage = os.wait4(process.pid, 0)  # with the child's CPU seconds (load-independent)
    process.returncode = code = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if launching is None or (code != 0 and not check_only):
        raise SystemExit(f"runner failed ({' '.join(arguments)}):\n{''.join(tail)}")
    return {"launch": launching, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime}


def job_seconds(sweep_dir: Path) -> tuple[int, float]:
    """(finished jobs, sum of their total_seconds)."""
    count, total = 0, 0.0
    for metrics in sweep_dir.glob("*/metrics.json"):
        count += 1
        total += json.loads(metrics.read_text())["total_seconds"]
    return count, total


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) against log(x)."""
    lx, ly = [math.log(x) for x in xs], [math.log(max(y, 1e-9)) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum((a - mx) ** 2 for a in lx)


def median_seconds(command: list[str], repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure_grid(sizes: list[int], check_only: bool, work: Path, extra: list[str]) -> list[dict]:
    rows = []
    for n_jobs in sizes:
        sweep_dir = work / f"grid_{n_jobs}"
        result = run_sweep([*grid_overrides(n_jobs), *extra, f"cache_dir={work / f'cache_{n_jobs}'}",
                            f"hydra.sweep.dir={sweep_dir}"], check_only=check_only)
        finished, seconds = job_seconds(sweep_dir) if not check_only else (0, float("nan"))
        if not check_only and finished != n_jobs:
            raise SystemExit(f"grid {n_jobs}: {finished} jobs finished")
        rows.append({"n": n_jobs, **result, "jobs": seconds,
                     "overhead": (result["wall"] - result["launch"] - seconds) / n_jobs})
        print(f"#   grid {n_jobs}: {rows[-1]}", flush=True)
    return rows


def print_grid(rows: list[dict], check_only: bool) -> None:
    first = rows[0]
    print()
    print("| jobs N | to launch s | check/job ms | CPU s | wall s | jobs' own s | overhead/job s | wall / jobs |")
    print("|-------:|------------:|-------------:|------:|-------:|------------:|---------------:|------------:|")
    for row in rows:
        per_check = ((row["launch"] - first["launch"]) / (row["n"] - first["n"]) * 1000
                     if row["n"] != first["n"] else float("nan"))
        if check_only:
            print(f"| {row['n']:6d} | {row['launch']:11.2f} | {per_check:12.1f} | {row['cpu']:5.1f} | {'-':>6} | {'-':>11} | "
                  f"{'-':>14} | {'-':>11} |")
        else:
            print(f"| {row['n']:6d} | {row['launch']:11.2f} | {per_check:12.1f} | {row['cpu']:5.1f} | {row['wall']:6.1f} | "
                  f"{row['jobs']:11.1f} | {row['overhead']:14.3f} | {row['wall'] / row['jobs']:10.2f}x |")
    if not check_only and len(rows) > 1:
        print(f"# log-log slope of overhead/job against N: "
              f"{slope([r['n'] for r in rows], [r['overhead'] for r in rows]):+.2f} (0 = flat)")


def main_grid(sizes: list[int], check_only: bool, paper_slice: bool, extra: list[str] = ()) -> None:
    from _common import environment_line

    load = os.getloadavg()
    print(f"# runner overhead, cheap jobs ({' '.join([*CHEAP, *extra])}); "
          f"{'time to first job only' if check_only else 'full sweeps'}")
    print(f"# {environment_line()}")
    print(f"# before: load average {load[0]:.2f} (1 min) on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="bench_grid_") as work:
        work = Path(work)
        help_seconds = median_seconds([sys.executable, "-m", "runner", "--help"])
        hydra_seconds = median_seconds([sys.executable, "-c", "import hydra, omegaconf"])
        print(f"# python -m runner --help: {help_seconds:.2f} s; python -c 'import hydra, omegaconf': "
              f"{hydra_seconds:.2f} s; ratio {help_seconds / hydra_seconds:.1f}x (target <= 5x)", flush=True)
        rows = measure_grid(sorted(sizes), check_only, work, list(extra))
        print_grid(rows, check_only)
        if paper_slice:
            two = run_sweep(["seed=0,1", f"cache_dir={work / 'cache_two'}", f"hydra.sweep.dir={work / 'two'}"],
                            check_only=True)
            grid = run_sweep(["experiment=paper_grid", f"cache_dir={work / 'cache_paper'}",
                              f"hydra.sweep.dir={work / 'paper'}"], check_only=True)
            print(f"# start to Launching: paper_grid (126 jobs) {grid['launch']:.2f} s, 2-job sweep "
                  f"{two['launch']:.2f} s: {grid['launch'] / two['launch']:.2f}x (target <= 3x)", flush=True)
            # the default (hydra/launcher=local: every core, hydra_plugins), then Hydra's basic launcher
            for name, launcher in (("default launcher (local)", []), ("hydra/launcher=basic", ["hydra/launcher=basic"])):
                sweep_dir = work / f"slice_{len(launcher)}"
                result = run_sweep(["experiment=paper_grid", "noise.sparsity=0", "seed=0,1", *launcher, *extra,
                                    f"cache_dir={work / f'cache_slice_{len(launcher)}'}", f"hydra.sweep.dir={sweep_dir}"])
                finished, seconds = job_seconds(sweep_dir)
                print(f"# 42-job slice (experiment=paper_grid noise.sparsity=0 seed=0,1 {' '.join(extra)}), {name}: "
                      f"{finished} jobs, wall {result['wall']:.1f} s, jobs' own {seconds:.1f} s: "
                      f"{result['wall'] / seconds:.2f}x (target <= 1.3x); to launch {result['launch']:.1f} s, "
                      f"CPU {result['cpu']:.1f} s", flush=True)
    load = os.getloadavg()
    print(f"# after: load average {load[0]:.2f} (1 min)")
