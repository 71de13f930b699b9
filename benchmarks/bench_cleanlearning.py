"""CleanLearning.fit: cleanlab 2.9.0 vs cleanlearn with n_jobs=1 and n_jobs=2, side by side.

Usage::

    python benchmarks/bench_cleanlearning.py                  # RF, 5000 x 20, 5 classes
    python benchmarks/bench_cleanlearning.py --quick          # smaller, one repeat
    python benchmarks/bench_cleanlearning.py --classifier svc --n-samples 4000

A classifier slow enough to matter (a few seconds per fold), single-threaded inside
(RandomForestClassifier with n_jobs unset, i.e. one thread; BLAS capped at one thread) so that the only parallelism
measured is cleanlearn's: its cross-validation folds run side by side with joblib.

Printed: wall time of each fit (best of --repeats: the run least disturbed by other
processes; the first n_jobs=2 fit, which starts the joblib worker processes, is reported
separately as "cold"), ratios, and whether the label-issue masks and predictions are
identical. A second table splits a fit into the cross-validation (the part n_jobs
parallelises; joblib's process backend, loky, and its threading backend) and the serial
final fit on the kept examples, and prints the ideal speed-up Amdahl allows: with F folds on
W workers the folds take ceil(F/W) rounds. ``--schedules`` adds what using the second core
in those serial parts (the classifier's own n_jobs) would give.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from pathlib import Path

# One BLAS thread everywhere (set before numpy loads): a multi-threaded classifier would
# compete with the parallel folds and blur what n_jobs buys.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))

import joblib  # noqa: E402
import numpy as np  # noqa: E402
from _common import environment_line  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

from cleanlearn.classification import CleanLearning  # noqa: E402
from cleanlearn.count import estimate_cv_predicted_probabilities  # noqa: E402

THREADED = "n_jobs=1, clf with n_jobs=2"


def make_data(n_samples: int, n_features: int, n_classes: int, noise_rate: float, seed: int):
    """Synthetic features and labels with ``noise_rate`` of them flipped to another class."""
    X, true_labels = make_classification(
        n_samples=n_samples, n_features=n_features, n_informative=min(n_features, 10),
        n_redundant=0, n_classes=n_classes, n_clusters_per_class=1, class_sep=1.0, random_state=seed,
    )
    rng = np.random.default_rng(seed)
    flipped = rng.random(n_samples) < noise_rate
    shift = rng.integers(1, n_classes, size=n_samples)
    labels = np.where(flipped, (true_labels + shift) % n_classes, true_labels)
    return X, labels


def make_classifier(name: str, n_estimators: int):
    if name == "random_forest":
        # n_jobs left at None (one thread), so CleanLearning may lend it the workers its folds
        # leave idle; a forest's results do not depend on n_jobs.
        return RandomForestClassifier(n_estimators=n_estimators, random_state=0)
    # scikit-learn 1.9's replacement for the deprecated SVC(probability=True) (as conf/classifier/svc.yaml).
    return CalibratedClassifierCV(SVC(), method="sigmoid", ensemble=False)


def cpu_ticks() -> tuple[int, int] | None:
    """(idle, total) jiffies of all cores from /proc/stat; None where there is none."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except OSError:
        return None
    return fields[3] + fields[4], sum(fields)  # idle + iowait, all


def timed(function):
    """(wall seconds, result, idle cores during the call: cores nobody used, NaN if unknown)."""
    ticks_before = cpu_ticks()
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    ticks_after = cpu_ticks()
    idle_cores = float("nan")
    if ticks_before and ticks_after and ticks_after[1] > ticks_before[1]:
        idle_fraction = (ticks_after[0] - ticks_before[0]) / (ticks_after[1] - ticks_before[1])
        idle_cores = idle_fraction * (os.cpu_count() or 1)
    return seconds, result, idle_cores


def fit_reference(clf, X, labels, cv_n_folds):
    from cleanlab.classification import CleanLearning as ReferenceCleanLearning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ReferenceCleanLearning(clone(clf), seed=0, cv_n_folds=cv_n_folds, verbose=False).fit(X, labels)


def fit_ours(clf, X, labels, cv_n_folds, n_jobs):
    return CleanLearning(clone(clf), seed=0, cv_n_folds=cv_n_folds, n_jobs=n_jobs).fit(X, labels)


def issue_mask(model) -> np.ndarray:
    return model.get_label_issues()["is_label_issue"].to_numpy(dtype=bool)


def load_line() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:  # pragma: no cover
        return "load average unavailable"
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--classifier", choices=["random_forest", "svc"], default="random_forest")
    parser.add_argument("--n-samples", type=int, default=5000)
    parser.add_argument("--n-features", type=int, default=20)
    parser.add_argument("--n-classes", type=int, default=5)
    parser.add_argument("--n-estimators", type=int, default=100, help="trees of the random forest")
    parser.add_argument("--cv-n-folds", type=int, default=5)
    parser.add_argument("--noise-rate", type=float, default=0.2)
    parser.add_argument("--repeats", type=int, default=3, help="fits per configuration (best of)")
    parser.add_argument("--quick", action="store_true", help="2000 examples, 1 repeat, no breakdown")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the CV / rest breakdown table")
    parser.add_argument("--schedules", action="store_true",
                        help="also time what giving the serial parts the classifier's own n_jobs=2 would give")
    args = parser.parse_args()
    if args.quick:
        args.n_samples, args.repeats, args.no_breakdown = 2000, 1, True

    X, labels = make_data(args.n_samples, args.n_features, args.n_classes, args.noise_rate, seed=0)
    clf = make_classifier(args.classifier, args.n_estimators)
    print(f"# CleanLearning.fit: {type(clf).__name__} on {args.n_samples} x {args.n_features}, "
          f"{args.n_classes} classes, {args.noise_rate:.0%} flipped labels, cv_n_folds={args.cv_n_folds}")
    print(f"# {environment_line()} | joblib {joblib.__version__}")
    print(f"# before: {load_line()}")

    # Cold start of the worker pool first, so the repeats below measure warm workers.
    cold_seconds, ours_parallel, cold_idle = timed(lambda: fit_ours(clf, X, labels, args.cv_n_folds, 2))
    # For comparison: no parallel folds, the classifier's own n_jobs=2 in every fit (final included).
    threaded_clf = clone(clf).set_params(n_jobs=2) if "n_jobs" in clf.get_params() else None
    fits = {
        "cleanlab 2.9.0": lambda: fit_reference(clf, X, labels, args.cv_n_folds),
        "cleanlearn n_jobs=1": lambda: fit_ours(clf, X, labels, args.cv_n_folds, 1),
        "cleanlearn n_jobs=2": lambda: fit_ours(clf, X, labels, args.cv_n_folds, 2),
    }
    if threaded_clf is not None:
        fits[THREADED] = lambda: fit_ours(threaded_clf, X, labels, args.cv_n_folds, 1)
    times: dict[str, list[float]] = {name: [] for name in fits}
    idle: dict[str, list[float]] = {name: [] for name in fits}
    models = {}
    for _ in range(args.repeats):  # interleaved, so a busy spell hits every variant alike
        for name, fit in fits.items():
            seconds, models[name], idle_cores = timed(fit)
            times[name].append(seconds)
            idle[name].append(idle_cores)

    reference_mask = issue_mask(models["cleanlab 2.9.0"])
    reference_predictions = models["cleanlab 2.9.0"].predict(X)
    best = {name: min(values) for name, values in times.items()}
    best_idle = {name: idle[name][int(np.argmin(times[name]))] for name in times}
    best_idle["cleanlearn n_jobs=2 (cold)"] = cold_idle
    serial = best["cleanlearn n_jobs=1"]
    print()
    print(f"| {'fit':<34} | {'seconds':>8} | {'vs cleanlab':>11} | {'vs n_jobs=1':>11} | same issues | same predict | idle cores |")
    print(f"|{'-' * 36}|{'-' * 9}:|{'-' * 12}:|{'-' * 12}:|-------------|--------------|-----------:|")
    rows = list(best.items()) + [("cleanlearn n_jobs=2 (cold)", cold_seconds)]
    models["cleanlearn n_jobs=2 (cold)"] = ours_parallel
    for name, seconds in rows:
        model = models[name]
        same_issues = bool(np.array_equal(issue_mask(model), reference_mask))
        same_predictions = bool(np.array_equal(model.predict(X), reference_predictions))
        print(f"| {name:<34} | {seconds:8.2f} | {best['cleanlab 2.9.0'] / seconds:10.2f}x | "
              f"{serial / seconds:10.2f}x | {str(same_issues):<11} | {str(same_predictions):<12} | {best_idle[name]:10.2f} |")
    print("# idle cores: cores no process used during that fit; a fair n_jobs=2 figure needs about "
          "one idle core during the n_jobs=1 fit")
    if best_idle["cleanlearn n_jobs=1"] < 0.8 * ((os.cpu_count() or 1) - 1):
        print("# WARNING: other processes used the cores: the n_jobs=2 speed-up above is understated")
    print(f"# label issues: {int(reference_mask.sum())} of {len(labels)}; "
          f"all times: {', '.join(f'{k}: {[round(v, 2) for v in vs]}' for k, vs in times.items())}")

    if not args.no_breakdown:
        print_breakdown(clf, X, labels, args.cv_n_folds, args.repeats, reference_mask)
    if args.schedules and threaded_clf is not None:
        print_schedules(clf, X, labels, args.cv_n_folds, args.repeats, reference_mask)
    print(f"# after: {load_line()}")


def print_breakdown(clf, X, labels, cv_n_folds, repeats, is_label_issue) -> None:
    """Where a fit's time goes: the cross-validation (parallel) vs the final fit (serial)."""
    def cross_validate(n_jobs, backend):
        def call():
            with joblib.parallel_config(backend=backend):
                return estimate_cv_predicted_probabilities(
                    X, labels, clone(clf), cv_n_folds=cv_n_folds, seed=0, n_jobs=n_jobs
                )
        return call

    kept = ~is_label_issue
    parts = {
        "n_jobs=1": cross_validate(1, "loky"),
        "n_jobs=2, loky (default)": cross_validate(2, "loky"),
        "n_jobs=2, threading": cross_validate(2, "threading"),
        "final fit (kept examples)": lambda: clone(clf).fit(X[kept], labels[kept]),
    }
    times: dict[str, list[float]] = {name: [] for name in parts}
    results = {}
    for _ in range(repeats):  # interleaved, as above
        for name, part in parts.items():
            seconds, results[name], _ = timed(part)
            times[name].append(seconds)
    best = {name: min(values) for name, values in times.items()}
    serial_cv, final_fit = best["n_jobs=1"], best["final fit (kept examples)"]
    rounds = math.ceil(cv_n_folds / 2)
    ideal_fit = (serial_cv + final_fit) / (serial_cv * rounds / cv_n_folds + final_fit)
    print()
    print(f"| {'cross-validation only':<34} | {'seconds':>8} | {'vs n_jobs=1':>11} | identical pred_probs |")
    print(f"|{'-' * 36}|{'-' * 9}:|{'-' * 12}:|----------------------|")
    for name in ("n_jobs=1", "n_jobs=2, loky (default)", "n_jobs=2, threading"):
        identical = bool(np.array_equal(results[name], results["n_jobs=1"]))
        print(f"| {name:<34} | {best[name]:8.2f} | {serial_cv / best[name]:10.2f}x | {str(identical):<20} |")
    print(f"# serial part: the final fit on the {int(kept.sum())} kept examples, {final_fit:.2f} s "
          f"(= {final_fit / (serial_cv + final_fit):.0%} of CV + final fit)")
    print(f"# folds alone on 2 workers: {cv_n_folds} folds take {rounds} rounds -> CV at most "
          f"{cv_n_folds / rounds:.2f}x, whole fit at most {ideal_fit:.2f}x (Amdahl); cleanlearn passes "
          "that by lending the idle worker of an odd last round and of the final fit to the "
          "classifier's own n_jobs")


def print_schedules(clf, X, labels, cv_n_folds, repeats, is_label_issue) -> None:
    """What using the second core in the serial parts would give (joblib directly, no CleanLearning).

    Only for a classifier with an ``n_jobs`` parameter that leaves its results unchanged (a
    random forest): the final fit, then also the last odd fold, with the classifier's own
    ``n_jobs=2`` after the folds ran side by side on 2 workers.
    """
    single, double = clone(clf).set_params(n_jobs=1), clone(clf).set_params(n_jobs=2)
    splitter = StratifiedKFold(n_splits=cv_n_folds, shuffle=True, random_state=0)
    folds = list(splitter.split(labels, labels))
    kept = ~is_label_issue
    n_paired = cv_n_folds - cv_n_folds % 2  # folds that fill both workers

    def fold(model, train, holdout):
        return clone(model).fit(X[train], labels[train]).predict_proba(X[holdout])

    def serial():
        for train, holdout in folds:
            fold(single, train, holdout)
        clone(single).fit(X[kept], labels[kept])

    def parallel_folds(final_model, last_model):
        def schedule():
            joblib.Parallel(n_jobs=2)(joblib.delayed(fold)(single, *split) for split in folds[:n_paired])
            for split in folds[n_paired:]:
                fold(last_model, *split)
            clone(final_model).fit(X[kept], labels[kept])
        return schedule

    schedules = {
        "serial: folds + final fit": serial,
        "folds on 2 workers, serial final fit": parallel_folds(single, single),
        "+ final fit with clf n_jobs=2": parallel_folds(double, single),
        "+ odd last fold with clf n_jobs=2": parallel_folds(double, double),
    }
    if n_paired == cv_n_folds:
        del schedules["+ odd last fold with clf n_jobs=2"]
    times: dict[str, list[float]] = {name: [] for name in schedules}
    schedules["folds on 2 workers, serial final fit"]()  # start the worker pool
    for _ in range(repeats):
        for name, schedule in schedules.items():
            times[name].append(timed(schedule)[0])
    best = {name: min(values) for name, values in times.items()}
    serial_seconds = best["serial: folds + final fit"]
    print()
    print(f"| {'schedule on 2 cores (joblib directly)':<40} | {'seconds':>8} | {'vs serial':>9} |")
    print(f"|{'-' * 42}|{'-' * 9}:|{'-' * 10}:|")
    for name, seconds in best.items():
        print(f"| {name:<40} | {seconds:8.2f} | {serial_seconds / seconds:8.2f}x |")


if __name__ == "__main__":
    main()
