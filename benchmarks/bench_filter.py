"""cleanlearn.filter vs cleanlab 2.9.0 and vs a memory-bandwidth floor, side by side in one run.

Usage::

    python benchmarks/bench_filter.py            # N = 1e6, K = 100, every filter_by (minutes)
    python benchmarks/bench_filter.py --quick    # N in {1e4, 1e5} x K in {10, 100}
    python benchmarks/bench_filter.py --sizes 1000000x100 --filters prune_by_class both
    python benchmarks/bench_filter.py --quick --scores --memory   # + quality scores, peak memory

For each filter_by the table prints cleanlab's time, ours, ours without the C kernel ("no-C":
the numpy path, what runs where no C compiler built cleanlearn/_core/_joint_kernel.c), the
ratio cleanlab / ours, the floor, ours / floor and whether the masks are identical (all
three; with --ranked, the ranked indices too). "CPU ratio"
is cleanlab's CPU seconds (its process and its pool's processes) over ours (all our
threads): on a loaded machine wall times stretch with the load (more so for a process pool
than for a single pass), CPU seconds much less, so it tells whether a wall ratio is the
code's or the load's.

**The floor** is what any exact implementation must spend just reading pred_probs: the
sequential passes over it the method needs (``PASSES_NEEDED``) times ``pred_probs.nbytes``,
at this machine's copy bandwidth, measured in the same run right before each row (the best
of three ``np.copyto`` of pred_probs into a preallocated array; a copy is timed because it
is the cheapest thing numpy does with every byte). Passes needed:

- the pruning filters, confident_learning, low_self_confidence, low_normalized_margin: 2.
  The per-class thresholds (the mean self-confidence of each class) must be known before
  any example is compared with them, so they take a pass of their own; then one pass checks
  the values and counts the confident joint (and, fused into it, whatever else a filter
  needs per example: contested rows, scores). The thresholds' pass reads one entry per row
  (a cache line, at K = 100 an eighth of the bytes) but is counted as a whole pass.
- predicted_neq_given: 1 (the value checks and the argmax in the same pass).

The reference runs with its default n_jobs (a process pool over all cores), as a user would
call it; cleanlearn with its default too (threads over all cores). Both run in this
process on the same arrays, interleaved: for each filter, ours, then cleanlab, then ours
again (--repeats calls of ours in all, --ref-repeats of cleanlab, 1 by default at
N >= 1e6 where it takes seconds); times are the best of the calls (other processes on a
shared machine only ever add time). Peak memory (--memory) is what tracemalloc sees in this
process during one call, as a multiple of pred_probs.nbytes (the reference's pool workers
are invisible to it, so its figure is a lower bound).
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment_line, make_noisy_classification, peak_extra_memory  # noqa: E402

import cleanlearn.filter as ours  # noqa: E402
import cleanlearn.rank as ours_rank  # noqa: E402
from cleanlearn._core import kernel  # noqa: E402

FILTERS = list(ours.FILTERS)
SCORE_METHODS = ["self_confidence", "normalized_margin", "confidence_weighted_entropy"]
DEFAULT_SIZES = [(1_000_000, 100)]
QUICK_SIZES = [(10_000, 10), (10_000, 100), (100_000, 10), (100_000, 100)]
# Sequential passes over pred_probs the method needs (see the module docstring).
PASSES_NEEDED = {
    "prune_by_noise_rate": 2,
    "prune_by_class": 2,
    "both": 2,
    "confident_learning": 2,
    "predicted_neq_given": 1,
    "low_normalized_margin": 2,
    "low_self_confidence": 2,
}
# The issue's targets: at least this speed-up over cleanlab, or at most this multiple of the floor.
TARGET_SPEEDUP = 10.0
TARGET_FLOOR_RATIO = 1.5


def parse_size(text: str) -> tuple[int, int]:
    n_samples, n_classes = text.lower().split("x")
    return int(float(n_samples)), int(n_classes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="N in {1e4, 1e5}, K in {10, 100}")
    parser.add_argument("--sizes", nargs="+", type=parse_size, help="e.g. 100000x10 1e6x100")
    parser.add_argument("--filters", nargs="+", choices=FILTERS, help="filter_by values to time")
    parser.add_argument("--repeats", type=int, default=3, help="calls of cleanlearn per timing (best of)")
    parser.add_argument(
        "--ref-repeats", type=int, default=None, help="calls of cleanlab per timing (default: 1 at N >= 1e6, else 3)"
    )
    parser.add_argument("--ranked", action="store_true", help="also compare return_indices_ranked_by orders")
    parser.add_argument("--signal", type=float, default=4.0, help="logit boost of the true class (model quality)")
    parser.add_argument("--noise-rate", type=float, default=0.2, help="fraction of labels flipped")
    parser.add_argument("--scores", action="store_true", help="also time get_label_quality_scores")
    parser.add_argument("--memory", action="store_true", help="also measure tracemalloc peaks")
    args = parser.parse_args()

    sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    print(environment_line())
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        "cleanlab: find_label_issues with default n_jobs; times: best of the calls (ours, cleanlab, ours, ...); "
        f"floor: passes x pred_probs.nbytes at the copy bandwidth; target: >= {TARGET_SPEEDUP:g}x or "
        f"<= {TARGET_FLOOR_RATIO:g}x the floor"
    )
    header = (
        f"{'N':>9} {'K':>4}  {'filter_by':<24} {'cleanlab s':>10} {'ours s':>8} {'no-C s':>8} {'ratio':>7} {'passes':>6} "
        f"{'GB/s':>5} {'floor s':>8} {'ours/floor':>10}  {'target':<6} {'CPU ratio':>9}  identical"
    )
    print(header)
    print("-" * len(header))
    warnings.simplefilter("ignore")  # the reference's per-class warnings would flood the table
    for n_samples, n_classes in sizes:
        bench_size(n_samples, n_classes, args.filters or FILTERS, args)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def copy_seconds(pred_probs: np.ndarray, destination: np.ndarray) -> float:
    """Best of three copies of pred_probs into a preallocated array of the same shape."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        np.copyto(destination, pred_probs)
        times.append(time.perf_counter() - start)
    return min(times)


def cpu_seconds() -> float:
    """CPU seconds of this process (all its threads) and of its finished child processes
    (the reference's process pool, closed after each call)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def measure(call):
    """(wall seconds, CPU seconds, result) of one call."""
    gc.collect()
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = call()
    return time.perf_counter() - wall, cpu_seconds() - cpu, result


def interleaved(ours_call, ref_call, *, repeats: int, ref_repeats: int):
    """Best wall and CPU times of the reference and of ours, called alternately (ours
    first): ``(ref_wall, ref_cpu, ref_result, our_wall, our_cpu, our_result)``."""
    ours, ref = [], []
    for i in range(max(repeats, ref_repeats)):
        if i < repeats:
            ours.append(measure(ours_call))
        if i < ref_repeats:
            ref.append(measure(ref_call))
    return (
        min(t[0] for t in ref), min(t[1] for t in ref), ref[-1][2],
        min(t[0] for t in ours), min(t[1] for t in ours), ours[-1][2],
    )


def numpy_path_seconds(call, repeats: int):
    """(best wall seconds, result) of ``call`` with cleanlearn's C kernel switched off."""
    built = kernel.KERNEL
    kernel.KERNEL = None
    try:
        times = [measure(call) for _ in range(repeats)]
    finally:
        kernel.KERNEL = built
    return min(t[0] for t in times), times[-1][2]


def bench_size(n_samples: int, n_classes: int, filters: list[str], args) -> None:
    import cleanlab.filter as ref
    import cleanlab.rank as ref_rank

    labels, pred_probs = make_noisy_classification(
        n_samples, n_classes, noise_rate=args.noise_rate, signal=args.signal, seed=0
    )
    ref_repeats = args.ref_repeats or (1 if n_samples >= 1_000_000 else args.repeats)
    agreement = np.mean(pred_probs.argmax(axis=1) == labels)
    print(
        f"# N={n_samples} K={n_classes}: argmax agrees with the given label for {agreement:.0%}; "
        f"pred_probs {pred_probs.nbytes / 1e6:.0f} MB",
        flush=True,
    )
    destination = np.empty_like(pred_probs)
    for filter_by in filters:
        copy_time = copy_seconds(pred_probs, destination)
        ref_time, ref_cpu, ref_mask, our_time, our_cpu, our_mask = interleaved(
            partial(ours.find_label_issues, labels, pred_probs, filter_by=filter_by),
            partial(ref.find_label_issues, labels, pred_probs, filter_by=filter_by),
            repeats=args.repeats,
            ref_repeats=ref_repeats,
        )
        # Ours without the C kernel (what runs where no C compiler built it): the same mask.
        numpy_time, numpy_mask = numpy_path_seconds(
            partial(ours.find_label_issues, labels, pred_probs, filter_by=filter_by), args.repeats
        )
        same = np.array_equal(ref_mask, our_mask) and np.array_equal(ref_mask, numpy_mask)
        identical = "yes" if same else "NO"
        if args.ranked:
            ranked = {
                name: module.find_label_issues(
                    labels, pred_probs, filter_by=filter_by, return_indices_ranked_by="self_confidence"
                )
                for name, module in (("ours", ours), ("ref", ref))
            }
            identical += ", ranked " + ("yes" if np.array_equal(ranked["ours"], ranked["ref"]) else "NO")
        passes = PASSES_NEEDED[filter_by]
        floor = passes * copy_time
        speedup, to_floor = ref_time / our_time, our_time / floor
        met = "met" if speedup >= TARGET_SPEEDUP or to_floor <= TARGET_FLOOR_RATIO else "MISSED"
        print(
            f"{n_samples:>9} {n_classes:>4}  {filter_by:<24} {ref_time:>10.3f} {our_time:>8.4f} {numpy_time:>8.4f} "
            f"{speedup:>6.1f}x "
            f"{passes:>6} {pred_probs.nbytes / copy_time / 1e9:>5.1f} {floor:>8.4f} {to_floor:>9.2f}x  "
            f"{met:<6} {ref_cpu / our_cpu:>6.1f}x  {identical}",
            flush=True,
        )
    del destination

    if args.scores:
        for method in SCORE_METHODS:
            ref_time, _, ref_scores, our_time, _, our_scores = interleaved(
                partial(ours_rank.get_label_quality_scores, labels, pred_probs, method=method),
                partial(ref_rank.get_label_quality_scores, labels, pred_probs, method=method),
                repeats=args.repeats,
                ref_repeats=args.repeats,
            )
            identical = "yes" if np.array_equal(ref_scores, our_scores) else "NO"
            print(
                f"{n_samples:>9} {n_classes:>4}  {'scores:' + method:<24} {ref_time:>10.3f} {our_time:>8.4f} {'':>8} "
                f"{ref_time / our_time:>6.1f}x {'':>6} {'':>5} {'':>8} {'':>10}  {'':<6} {'':>9}  {identical}",
                flush=True,
            )

    if args.memory:
        for filter_by in ["prune_by_noise_rate", "prune_by_class"]:
            ref_peak = peak_extra_memory(partial(ref.find_label_issues, labels, pred_probs, filter_by=filter_by))
            our_peak = peak_extra_memory(partial(ours.find_label_issues, labels, pred_probs, filter_by=filter_by))
            print(
                f"{n_samples:>9} {n_classes:>4}  {'peak mem:' + filter_by:<24} "
                f"{ref_peak / pred_probs.nbytes:>9.2f}x {our_peak / pred_probs.nbytes:>7.2f}x "
                "  (extra memory / pred_probs.nbytes)",
                flush=True,
            )


if __name__ == "__main__":
    main()
