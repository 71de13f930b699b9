"""Multi-label: cleanlearn vs cleanlab 2.9.0, time, speed-up and identical results, side by side.

Usage::

    python benchmarks/bench_multilabel.py                 # N=1e5, K=20 (a few minutes)
    python benchmarks/bench_multilabel.py --sizes 10000x5 100000x50 --repeats 1

cleanlab solves each class as a single-label (N, 2) problem, with its default n_jobs a
process pool per class; the reference is timed both with its default n_jobs (as a user calls
it, best of 1: it is slow) and with n_jobs=1 (its fastest here), and the speed-up is against
the faster of the two. cleanlearn runs with its defaults. Same arrays, same process; best of
--repeats calls (other processes on a shared machine only ever add time).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment_line, time_call  # noqa: E402

import cleanlearn.count as our_count  # noqa: E402
import cleanlearn.filter as single_label_filter  # noqa: E402
import cleanlearn.multilabel_classification.dataset as our_dataset  # noqa: E402
import cleanlearn.multilabel_classification.filter as ours  # noqa: E402
import cleanlearn.multilabel_classification.rank as our_rank  # noqa: E402

FILTERS = list(single_label_filter.FILTERS)
SCORE_METHODS = ["self_confidence", "normalized_margin", "confidence_weighted_entropy"]


def make_noisy_multilabel(
    n_samples: int, n_classes: int, *, noise_rate: float = 0.2, seed: int = 0
) -> tuple[list[list[int]], np.ndarray]:
    """``(labels, pred_probs)``: class k applies with prior 0.02..0.3; pred_probs[:, k] is a
    sigmoid of a Gaussian score shifted by +-2.5 by the truth (a decent one-vs-rest model);
    ``noise_rate`` of the examples get one class annotation flipped (added or dropped)."""
    rng = np.random.default_rng(seed)
    prior = rng.uniform(0.02, 0.3, size=n_classes)
    truth = rng.random((n_samples, n_classes)) < prior
    scores = rng.standard_normal((n_samples, n_classes)) + np.where(truth, 2.5, -2.5)
    pred_probs = 1 / (1 + np.exp(-scores))
    given = truth.copy()
    flipped = np.flatnonzero(rng.random(n_samples) < noise_rate)
    given[flipped, rng.integers(0, n_classes, size=flipped.size)] ^= True
    return [np.flatnonzero(row).tolist() for row in given], pred_probs


def parse_size(text: str) -> tuple[int, int]:
    n_samples, n_classes = text.lower().split("x")
    return int(float(n_samples)), int(n_classes)


def same(a, b) -> str:
    if isinstance(a, tuple):  # find_multilabel_issues_per_class ranked: three lists of arrays
        return "yes" if all(same(x, y) == "yes" for x, y in zip(a, b, strict=True)) else "NO"
    if isinstance(a, list):
        return (
            "yes"
            if len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
            else "NO"
        )
    if hasattr(a, "equals"):  # DataFrame
        return "yes" if a.equals(b) else "NO"
    if isinstance(a, dict):
        return (
            "yes"
            if a.keys() == b.keys() and all(same(a[key], b[key]) == "yes" for key in a)
            else "NO"
        )
    return "yes" if np.array_equal(a, b) else "NO"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", nargs="+", type=parse_size, default=[(100_000, 20)], help="e.g. 100000x20"
    )
    parser.add_argument("--repeats", type=int, default=3, help="calls per timing (best of)")
    parser.add_argument(
        "--noise-rate", type=float, default=0.2, help="fraction of examples with a flipped class"
    )
    args = parser.parse_args()
    print(environment_line())
    print(
        f"reference: cleanlab 2.9.0, default n_jobs (best of 1) and n_jobs=1 (best of {args.repeats}); "
        f"cleanlearn: defaults (best of {args.repeats}); speed-up vs the faster reference"
    )
    header = (
        f"{'N':>7} {'K':>3}  {'call':<44} {'default s':>9} {'n_jobs=1 s':>10} {'cleanlearn s':>12} "
        f"{'speed-up':>8}  identical"
    )
    print(header)
    print("-" * len(header))
    warnings.simplefilter("ignore")  # the reference's per-class warnings would flood the table
    for n_samples, n_classes in args.sizes:
        bench_size(n_samples, n_classes, args)


def bench_size(n_samples: int, n_classes: int, args) -> None:
    import cleanlab.count as ref_count
    import cleanlab.multilabel_classification.dataset as ref_dataset
    import cleanlab.multilabel_classification.filter as ref
    import cleanlab.multilabel_classification.rank as ref_rank

    labels, pred_probs = make_noisy_multilabel(n_samples, n_classes, noise_rate=args.noise_rate)
    n_annotations = sum(map(len, labels))
    print(
        f"# N={n_samples} K={n_classes}: {n_annotations / n_samples:.2f} classes per example",
        flush=True,
    )

    def compare(name, reference, ours_call, *, takes_n_jobs=True):
        # (a per-row print, so a long run shows progress)
        default_time, expected = time_call(reference, repeats=1)
        if takes_n_jobs:
            serial_time, expected = time_call(partial(reference, n_jobs=1), repeats=args.repeats)
        our_time, got = time_call(ours_call, repeats=args.repeats)
        best = min(default_time, serial_time) if takes_n_jobs else default_time
        serial = f"{serial_time:>10.3f}" if takes_n_jobs else f"{'-':>10}"
        print(
            f"{n_samples:>7} {n_classes:>3}  {name:<44} {default_time:>9.3f} {serial} {our_time:>12.4f} "
            f"{best / our_time:>7.1f}x  {same(expected, got)}",
            flush=True,
        )

    for filter_by in FILTERS:
        compare(
            f"find_label_issues {filter_by}",
            partial(ref.find_label_issues, labels, pred_probs, filter_by=filter_by),
            partial(ours.find_label_issues, labels, pred_probs, filter_by=filter_by),
        )
    compare(
        "find_label_issues ranked by self_confidence",
        partial(
            ref.find_label_issues, labels, pred_probs, return_indices_ranked_by="self_confidence"
        ),
        partial(
            ours.find_label_issues, labels, pred_probs, return_indices_ranked_by="self_confidence"
        ),
    )
    compare(
        "find_multilabel_issues_per_class",
        partial(ref.find_multilabel_issues_per_class, labels, pred_probs),
        partial(ours.find_multilabel_issues_per_class, labels, pred_probs),
    )
    for method in SCORE_METHODS:
        compare(
            f"scores: {method}",
            partial(ref_rank.get_label_quality_scores, labels, pred_probs, method=method),
            partial(our_rank.get_label_quality_scores, labels, pred_probs, method=method),
            takes_n_jobs=False,
        )
    compare(
        "compute_confident_joint(multi_label=True)",
        partial(ref_count.compute_confident_joint, labels, pred_probs, multi_label=True),
        partial(our_count.compute_confident_joint, labels, pred_probs, multi_label=True),
        takes_n_jobs=False,
    )
    compare(
        "multilabel_health_summary",
        partial(_quiet_summary, ref_dataset, labels, pred_probs),
        partial(our_dataset.multilabel_health_summary, labels, pred_probs, verbose=False),
        takes_n_jobs=False,
    )


def _quiet_summary(ref_dataset, labels, pred_probs):
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # the reference prints its tables
        return ref_dataset.multilabel_health_summary(labels, pred_probs)


if __name__ == "__main__":
    main()
