"""cleanlearn.filter vs cleanlab 2.9.0: time, speed-up and identical results, side by side.

Usage::

    python benchmarks/bench_filter.py            # full table (several minutes)
    python benchmarks/bench_filter.py --quick    # N in {1e4, 1e5} only
    python benchmarks/bench_filter.py --sizes 1000000x100 --filters prune_by_class both

The reference runs with its default n_jobs (a process pool over all cores), as a user would
call it; cleanlearn with its default too (threads over all cores). Both are timed in the
same process on the same arrays, best of --repeats calls (other processes on a shared
machine only ever add time). Peak memory is what tracemalloc sees in this process during
one call, as a multiple of pred_probs.nbytes (the reference's pool workers are invisible
to it, so its figure is a lower bound).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment_line, make_noisy_classification, peak_extra_memory, time_call  # noqa: E402

import cleanlearn.filter as ours  # noqa: E402
import cleanlearn.rank as ours_rank  # noqa: E402

FILTERS = list(ours.FILTERS)
SCORE_METHODS = ["self_confidence", "normalized_margin", "confidence_weighted_entropy"]
FULL_SIZES = [(10_000, 10), (10_000, 100), (100_000, 10), (100_000, 100), (1_000_000, 10), (1_000_000, 100)]
QUICK_SIZES = FULL_SIZES[:4]
# At N = 1e6 the reference takes several seconds per call; these filters are timed there.
LARGE_N_FILTERS = ["prune_by_noise_rate", "prune_by_class", "both", "confident_learning"]


def parse_size(text: str) -> tuple[int, int]:
    n_samples, n_classes = text.lower().split("x")
    return int(float(n_samples)), int(n_classes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="only N in {1e4, 1e5}")
    parser.add_argument("--sizes", nargs="+", type=parse_size, help="e.g. 100000x10 1e6x100")
    parser.add_argument("--filters", nargs="+", choices=FILTERS, help="filter_by values to time")
    parser.add_argument("--repeats", type=int, default=3, help="calls per timing (best of)")
    parser.add_argument("--all-filters-at-1e6", action="store_true", help="time every filter at N=1e6 too")
    parser.add_argument("--signal", type=float, default=4.0, help="logit boost of the true class (model quality)")
    parser.add_argument("--noise-rate", type=float, default=0.2, help="fraction of labels flipped")
    parser.add_argument("--no-scores", action="store_true", help="skip get_label_quality_scores")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc peaks")
    args = parser.parse_args()

    sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    print(environment_line())
    print("reference: cleanlab.filter.find_label_issues with default n_jobs; times: best of", args.repeats)
    header = f"{'N':>9} {'K':>4}  {'filter_by':<36} {'cleanlab s':>10} {'cleanlearn s':>12} {'speed-up':>8}  identical"
    print(header)
    print("-" * len(header))
    warnings.simplefilter("ignore")  # the reference's per-class warnings would flood the table
    for n_samples, n_classes in sizes:
        filters = args.filters or FILTERS
        if n_samples >= 1_000_000 and not (args.filters or args.all_filters_at_1e6):
            filters = LARGE_N_FILTERS
        bench_size(n_samples, n_classes, filters, args)


def row(n_samples, n_classes, name, ref_time, our_time, identical) -> None:
    print(
        f"{n_samples:>9} {n_classes:>4}  {name:<36} {ref_time:>10.3f} {our_time:>12.4f} "
        f"{ref_time / our_time:>7.1f}x  {identical}",
        flush=True,
    )


def bench_size(n_samples: int, n_classes: int, filters: list[str], args) -> None:
    import cleanlab.filter as ref
    import cleanlab.rank as ref_rank

    labels, pred_probs = make_noisy_classification(
        n_samples, n_classes, noise_rate=args.noise_rate, signal=args.signal, seed=0
    )
    agreement = np.mean(pred_probs.argmax(axis=1) == labels)
    print(f"# N={n_samples} K={n_classes}: argmax agrees with the given label for {agreement:.0%}", flush=True)
    for filter_by in filters:
        ref_time, ref_mask = time_call(
            partial(ref.find_label_issues, labels, pred_probs, filter_by=filter_by), repeats=args.repeats
        )
        our_time, our_mask = time_call(
            partial(ours.find_label_issues, labels, pred_probs, filter_by=filter_by), repeats=args.repeats
        )
        row(n_samples, n_classes, filter_by, ref_time, our_time, "yes" if np.array_equal(ref_mask, our_mask) else "NO")

    if not args.no_scores:
        for method in SCORE_METHODS:
            ref_time, ref_scores = time_call(
                partial(ref_rank.get_label_quality_scores, labels, pred_probs, method=method), repeats=args.repeats
            )
            our_time, our_scores = time_call(
                partial(ours_rank.get_label_quality_scores, labels, pred_probs, method=method), repeats=args.repeats
            )
            if np.array_equal(ref_scores, our_scores):
                identical = "yes"
            elif np.allclose(ref_scores, our_scores, rtol=0, atol=1e-9):
                identical = "within 1e-9"
            else:
                identical = "NO"
            row(n_samples, n_classes, "scores:" + method, ref_time, our_time, identical)

    if not args.no_memory:
        for filter_by in ["prune_by_noise_rate", "prune_by_class"]:
            ref_peak = peak_extra_memory(partial(ref.find_label_issues, labels, pred_probs, filter_by=filter_by))
            our_peak = peak_extra_memory(partial(ours.find_label_issues, labels, pred_probs, filter_by=filter_by))
            print(
                f"{n_samples:>9} {n_classes:>4}  {'peak mem:' + filter_by:<36} "
                f"{ref_peak / pred_probs.nbytes:>9.2f}x {our_peak / pred_probs.nbytes:>11.2f}x "
                f"{'':>8}  (extra memory / pred_probs.nbytes)",
                flush=True,
            )


if __name__ == "__main__":
    main()
