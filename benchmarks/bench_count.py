"""cleanlearn.count vs cleanlab 2.9.0: time, speed-up, peak memory and identical results.

Usage::

    python benchmarks/bench_count.py                 # N in {1e4, 1e5, 1e6} x K in {10, 100}
    python benchmarks/bench_count.py --quick         # N in {1e4, 1e5}
    python benchmarks/bench_count.py --sizes 1e6x100 --repeats 5
    python benchmarks/bench_count.py --cv            # also cross-validation, serial and n_jobs=2

Both libraries run in the same process on the same arrays; times are medians of --repeats
calls; "memory" is the peak allocation during one call as a multiple of pred_probs.nbytes.
"same" compares the outputs exactly (np.array_equal; integers for counts).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment_line, make_noisy_classification, peak_extra_memory, time_call  # noqa: E402

import cleanlearn._core.confident_joint as joint_core  # noqa: E402
import cleanlearn.count as ours  # noqa: E402

FULL_SIZES = [(10_000, 10), (10_000, 100), (100_000, 10), (100_000, 100), (1_000_000, 10), (1_000_000, 100)]


def parse_size(text: str) -> tuple[int, int]:
    n_samples, n_classes = text.lower().split("x")
    return int(float(n_samples)), int(n_classes)


def same(a, b) -> bool:
    if isinstance(a, tuple):
        return all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(np.array_equal(np.asarray(a), np.asarray(b)))


def cases(ref, labels, pred_probs):
    """(name, ours, reference) callables on one dataset."""
    from cleanlab.internal.util import round_preserving_row_totals as ref_round

    joint = ref.compute_confident_joint(labels, pred_probs, calibrate=False)
    n_classes = pred_probs.shape[1]
    float_joint = np.random.default_rng(0).random((n_classes, n_classes)) * len(labels) / n_classes
    return [
        ("compute_confident_joint", lambda: ours.compute_confident_joint(labels, pred_probs),
         lambda: ref.compute_confident_joint(labels, pred_probs)),
        ("num_label_issues off_diagonal", lambda: ours.num_label_issues(labels, pred_probs),
         lambda: ref.num_label_issues(labels, pred_probs)),
        ("num_label_issues calibrated",
         lambda: ours.num_label_issues(labels, pred_probs, estimation_method="off_diagonal_calibrated"),
         lambda: ref.num_label_issues(labels, pred_probs, estimation_method="off_diagonal_calibrated")),
        ("estimate_py_and_noise_matrices", lambda: ours.estimate_py_and_noise_matrices_from_probabilities(labels, pred_probs),
         lambda: ref.estimate_py_and_noise_matrices_from_probabilities(labels, pred_probs)),
        ("estimate_latent (converged)", lambda: ours.estimate_latent(joint, labels, converge_latent_estimates=True),
         lambda: ref.estimate_latent(joint, labels, converge_latent_estimates=True)),
        ("post-filter (_reduce_issues)", lambda: joint_core.reduce_issues(pred_probs, labels),
         lambda: ref._reduce_issues(pred_probs, labels)),
        ("round_preserving_row_totals", lambda: ours.round_preserving_row_totals(float_joint),
         lambda: ref_round(float_joint)),
    ]


def bench_cv(ref, repeats: int) -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    n_samples, n_features, n_classes = 4000, 20, 5
    centers = rng.normal(scale=1.5, size=(n_classes, n_features))
    labels = rng.integers(0, n_classes, n_samples)
    X = centers[labels] + rng.normal(size=(n_samples, n_features))
    print(f"\nestimate_cv_predicted_probabilities, X {X.shape}, K={n_classes}, 5 folds, LogisticRegression")
    ref_time, ref_out = time_call(
        lambda: ref.estimate_cv_predicted_probabilities(X, labels, LogisticRegression(), seed=0), repeats=repeats
    )
    for n_jobs in (None, 2):
        our_time, our_out = time_call(
            lambda n_jobs=n_jobs: ours.estimate_cv_predicted_probabilities(X, labels, seed=0, n_jobs=n_jobs),
            repeats=repeats,
        )
        print(f"  n_jobs={n_jobs!s:4}  ours {our_time:8.3f} s  ref {ref_time:8.3f} s  "
              f"speed-up {ref_time / our_time:5.2f}x  same {same(our_out, ref_out)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="only N in {1e4, 1e5}")
    parser.add_argument("--sizes", nargs="+", type=parse_size, help="e.g. 100000x10 1e6x100")
    parser.add_argument("--repeats", type=int, default=3, help="calls per timing (median)")
    parser.add_argument("--cv", action="store_true", help="also time cross-validated pred_probs")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc peaks")
    args = parser.parse_args()

    import cleanlab.count as ref

    warnings.simplefilter("ignore")
    sizes = args.sizes or (FULL_SIZES[:4] if args.quick else FULL_SIZES)
    print(environment_line())
    header = f"{'function':32s} {'ours':>9s} {'ref':>9s} {'speed-up':>8s}  same"
    if not args.no_memory:
        header += f"  {'memory ours':>11s} {'memory ref':>10s}"
    for n_samples, n_classes in sizes:
        labels, pred_probs = make_noisy_classification(n_samples, n_classes)
        print(f"\nN={n_samples:,} K={n_classes}  (pred_probs {pred_probs.nbytes / 2**20:.0f} MiB)")
        print(header)
        for name, our_call, ref_call in cases(ref, labels, pred_probs):
            our_time, our_out = time_call(our_call, repeats=args.repeats)
            ref_time, ref_out = time_call(ref_call, repeats=args.repeats)
            line = (f"{name:32s} {our_time * 1e3:7.1f}ms {ref_time * 1e3:7.1f}ms {ref_time / our_time:7.1f}x"
                    f"  {same(our_out, ref_out)!s:5}")
            if not args.no_memory:
                our_memory = peak_extra_memory(our_call) / pred_probs.nbytes
                ref_memory = peak_extra_memory(ref_call) / pred_probs.nbytes
                line += f"  {our_memory:10.2f}x {ref_memory:9.2f}x"
            print(line)
    if args.cv:
        bench_cv(ref, args.repeats)


if __name__ == "__main__":
    main()
