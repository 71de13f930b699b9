"""A sweep of find_label_issues settings with and without the cross-validation cache; with
``--grid N ...`` the runner's own cost as a sweep grows (benchmarks/_grid.py, issue 21).

Usage::

    python benchmarks/bench_sweep.py --grid 2 42 126 1000 --check-only   # time to first job
    python benchmarks/bench_sweep.py --grid 2 42 126 --paper-slice      # full sweeps, overhead/job

    python benchmarks/bench_sweep.py                 # digits, random_forest, 6 filter_by values
    python benchmarks/bench_sweep.py --repeats 3     # median of 3 of everything
    python benchmarks/bench_sweep.py --override classifier.n_estimators=200

Runs the real runner as a user would (``python -m runner`` / ``python -m runner -m``, one
subprocess each, output dirs and cache in a fresh temporary folder) and prints wall times
as multiples of one run:

- one run: a single setting, no cache;
- sweep, cached: the 6 settings in one ``-m`` sweep with ``cache_dir`` set to a fresh
  folder, so the cross-validation and the baseline are computed by the first job only;
- sweep, no cache: the same sweep with ``cache_dir=null`` (every job cross-validates);
- reference workflow: 6 x one run, what a script calling cleanlab's
  ``CleanLearning(...).fit`` once per setting pays (every setting refits the folds).

A second table splits the time with the jobs' own metrics.json stopwatches (data, CV,
baseline, filter, final fit, writing files) and the rest of the process's wall time
(interpreter and imports, Hydra composition, job bookkeeping, sweep summary).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment_line  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FILTERS = (
    "prune_by_noise_rate", "prune_by_class", "both",
    "confident_learning", "predicted_neq_given", "low_normalized_margin",
)
STAGES = ("data_seconds", "cv_seconds", "baseline_seconds", "filter_seconds", "final_fit_seconds", "write_seconds")


def run_runner(arguments: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one ``python -m runner ...`` process; fails loudly if it fails.

    CPU seconds (user + system of the child) hardly change when other processes compete for
    the cores, wall seconds do: on a busy machine compare the CPU ratios.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "runner", *arguments], cwd=REPO, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise SystemExit(f"runner failed ({' '.join(arguments)}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return seconds, cpu_seconds


def job_stages(job_dirs: list[Path]) -> dict[str, float]:
    """Sum of each stopwatch over the jobs' metrics.json."""
    totals = dict.fromkeys((*STAGES, "total_seconds"), 0.0)
    for job_dir in job_dirs:
        metrics = json.loads((job_dir / "metrics.json").read_text())
        for name in totals:
            totals[name] += metrics.get(name, 0.0)
    return totals


def measure_once(work: Path, base: list[str], n_settings: int) -> dict[str, tuple[float, float, dict]]:
    settings = ",".join(FILTERS[:n_settings])
    sweep_filter = f"cleanlearning.find_label_issues_kwargs.filter_by={settings}"
    results = {}

    one_dir = work / "one"
    seconds, cpu_seconds = run_runner([f"hydra.run.dir={one_dir}", *base, "cache_dir=null"])
    results["one run (no cache)"] = (seconds, cpu_seconds, job_stages([one_dir]))

    for name, cache_dir in (("sweep, cached", work / "cache"), ("sweep, no cache", "null")):
        sweep_dir = work / name.replace(", ", "_").replace(" ", "_")
        seconds, cpu_seconds = run_runner(["-m", f"hydra.sweep.dir={sweep_dir}", *base, f"cache_dir={cache_dir}", sweep_filter])
        jobs = [sweep_dir / str(number) for number in range(n_settings)]
        results[name] = (seconds, cpu_seconds, job_stages(jobs))
    return results


def load_line() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--classifier", default="random_forest")
    parser.add_argument("--settings", type=int, default=6, choices=range(2, len(FILTERS) + 1),
                        help="filter_by values in the sweep")
    parser.add_argument("--repeats", type=int, default=1, help="measure everything this many times (median)")
    parser.add_argument("--override", nargs="*", default=[], help="extra Hydra overrides for every run")
    parser.add_argument("--grid", type=int, nargs="+", default=None, metavar="N",
                        help="instead: sweeps of N cheap jobs each (naive Bayes on iris), the runner's overhead")
    parser.add_argument("--check-only", action="store_true", help="--grid: stop each sweep at Launching")
    parser.add_argument("--paper-slice", action="store_true",
                        help="--grid: also paper_grid's start to Launching and its 42-job slice")
    args = parser.parse_args()
    if args.grid:
        from _grid import main_grid

        if min(args.grid) < 1:
            parser.error(f"--grid sizes must be >= 1; got {args.grid}")
        main_grid(args.grid, args.check_only, args.paper_slice, args.override)
        return

    base = [f"dataset={args.dataset}", f"classifier={args.classifier}", *args.override]
    print(f"# sweep of {args.settings} filter_by settings: {' '.join(base)} (python -m runner, default launcher)")
    print(f"# {environment_line()}")
    print(f"# before: {load_line()}")

    measurements = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="bench_sweep_") as work:
            measurements.append(measure_once(Path(work), base, args.settings))
    names = list(measurements[0])
    walls = {name: statistics.median(m[name][0] for m in measurements) for name in names}
    cpus = {name: statistics.median(m[name][1] for m in measurements) for name in names}
    stages = {
        name: {stage: statistics.median(m[name][2][stage] for m in measurements) for stage in measurements[0][name][2]}
        for name in names
    }
    one, one_cpu = walls["one run (no cache)"], cpus["one run (no cache)"]
    reference = f"reference workflow ({args.settings} x one run)"
    walls[reference], cpus[reference] = args.settings * one, args.settings * one_cpu

    print()
    print(f"| {'workflow':<32} | {'wall s':>8} | {'x one run':>9} | {'CPU s':>8} | {'x one run':>9} |")
    print(f"|{'-' * 34}|{'-' * 9}:|{'-' * 10}:|{'-' * 9}:|{'-' * 10}:|")
    for name, seconds in walls.items():
        print(f"| {name:<32} | {seconds:8.2f} | {seconds / one:8.2f}x | {cpus[name]:8.2f} | {cpus[name] / one_cpu:8.2f}x |")
    floor = (stages["one run (no cache)"]["cv_seconds"] + stages["one run (no cache)"]["baseline_seconds"]
             + args.settings * stages["one run (no cache)"]["final_fit_seconds"])
    model_one = sum(stages["one run (no cache)"][stage] for stage in ("cv_seconds", "baseline_seconds", "final_fit_seconds"))
    print(f"# model-fitting floor of the cached sweep (1 CV + 1 baseline + {args.settings} final fits): "
          f"{floor / model_one:.2f}x the model fitting of one run")
    if args.repeats > 1:
        for name in names:
            print(f"# {name}: wall {[round(m[name][0], 2) for m in measurements]}, "
                  f"CPU {[round(m[name][1], 2) for m in measurements]}")

    print()
    columns = [stage.removesuffix("_seconds") for stage in STAGES]
    print("| seconds (sum over jobs)          | " + " | ".join(f"{c:>9}" for c in columns) + " | jobs total | process rest |")
    print(f"|{'-' * 34}|" + "|".join(f"{'-' * 10}:" for _ in columns) + f"|{'-' * 11}:|{'-' * 13}:|")
    for name in names:
        row = stages[name]
        rest = walls[name] - row["total_seconds"]
        print(f"| {name:<32} | " + " | ".join(f"{row[stage]:9.2f}" for stage in STAGES)
              + f" | {row['total_seconds']:10.2f} | {rest:12.2f} |")
    print(f"# after: {load_line()}")


if __name__ == "__main__":
    main()
