"""How cost grows, and confident learning out of core.

Three parts, each a table (run them on a quiet machine; sizes are arguments):

``--scale``: ``filter.find_label_issues`` (prune_by_noise_rate) time and peak memory
  (tracemalloc: the library's own allocations) for N = 1e4 .. ``--max-n``, K = 10 and 100, in
  memory (N <= 1e6) and on a memory-mapped float32 .npy (every N; the file is in the page
  cache after it is written), with the slope of a log-log fit of time against N (linear
  growth: about 1.0); then ``CleanLearning.fit`` time against N for logistic regression.

``--out-of-core N K``: one float32 .npy of N x K (N = 1e7, K = 100 is a 4 GB file), end to
  end: ours in memory (the array loaded, float32), ours on the memory map, and cleanlab
  2.9.0's ``find_label_issues_batched`` on the same file; time, peak memory, and the
  precision/recall of cleanlab's (approximate) mask against our exact one; with ``--zarr``
  also ours on a Zarr copy of the file (copied block by block to a temporary memory map).

``--dask-folds N``: CleanLearning.fit with a random forest on N x 20 features: serial,
  loky (n_jobs=2), and a 2-worker dask LocalCluster; speed-ups and identical results.

    python benchmarks/bench_scale.py --scale --max-n 1000000
    python benchmarks/bench_scale.py --out-of-core 10000000 100 --dir /var/tmp
    python benchmarks/bench_scale.py --dask-folds 20000
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import environment_line, peak_extra_memory  # noqa: E402

from cleanlearn import CleanLearning, filter  # noqa: E402

ROWS_PER_CHUNK = 200_000


def write_pred_probs(path: Path, n: int, n_classes: int, *, seed: int = 0, noise_rate: float = 0.2,
                     signal: float = 4.0) -> np.ndarray:
    """Write float32 pred_probs (N, K) to ``path`` (.npy) chunk by chunk; return the labels.

    Softmax of Gaussian logits with ``signal`` added at the true class; ``noise_rate`` of the
    labels flipped to another class. Chunk i uses the generator seeded (seed, i).
    """
    rng = np.random.default_rng(seed)
    prior = rng.uniform(0.5, 1.5, size=n_classes)
    prior /= prior.sum()
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, n_classes))
    labels = np.empty(n, dtype=np.int64)
    for chunk, start in enumerate(range(0, n, ROWS_PER_CHUNK)):
        stop = min(start + ROWS_PER_CHUNK, n)
        chunk_rng = np.random.default_rng([seed, chunk])
        true = chunk_rng.choice(n_classes, size=stop - start, p=prior)
        flipped = chunk_rng.random(stop - start) < noise_rate
        shift = chunk_rng.integers(1, n_classes, size=stop - start)
        labels[start:stop] = np.where(flipped, (true + shift) % n_classes, true)
        logits = chunk_rng.standard_normal((stop - start, n_classes), dtype=np.float32)
        logits[np.arange(stop - start), true] += signal
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        out[start:stop] = logits
    out.flush()
    del out
    return labels


def timed(function):
    gc.collect()
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def slope(sizes, seconds) -> float:
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def run_scale(max_n: int, directory: Path) -> None:
    sizes = [n for n in (10_000, 100_000, 1_000_000, 10_000_000) if n <= max_n]
    print(f"{'N':>9} {'K':>4} {'where':>10} {'seconds':>9} {'peak MB':>9} {'B/example':>10}")
    print("-" * 56)
    for n_classes in (10, 100):
        series = {"in memory": ([], []), "memory map": ([], [])}
        for n in sizes:
            path = directory / f"scale_{n}_{n_classes}.npy"
            labels = write_pred_probs(path, n, n_classes)
            mapped = np.load(path, mmap_mode="r")
            filter.find_label_issues(labels, mapped)  # page cache warm, imports done
            runs = [("memory map", mapped)]
            if n <= 1_000_000:
                runs.insert(0, ("in memory", np.load(path)))
            for where, pred_probs in runs:
                seconds = min(timed(lambda p=pred_probs, y=labels: filter.find_label_issues(y, p))[0] for _ in range(2))
                peak = peak_extra_memory(lambda p=pred_probs, y=labels: filter.find_label_issues(y, p))
                series[where][0].append(n)
                series[where][1].append(seconds)
                print(f"{n:>9} {n_classes:>4} {where:>10} {seconds:>9.3f} {peak / 2**20:>9.1f} {peak / n:>10.1f}")
            del runs, mapped
            path.unlink()
        for where, (ns, seconds) in series.items():
            if len(ns) >= 2:
                print(f"# K={n_classes} {where}: log-log slope of time vs N = {slope(ns, seconds):.2f}")

    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    print(f"\n{'N':>9} {'CleanLearning.fit s':>20}   (LogisticRegression, 20 features, 5 classes, 5 folds)")
    ns, seconds = [], []
    for n in [n for n in (1_000, 10_000, 100_000) if n <= max_n]:
        X, y = make_classification(n, 20, n_informative=10, n_classes=5, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            elapsed, _ = timed(lambda X=X, y=y: CleanLearning(LogisticRegression(max_iter=200), seed=0).fit(X, y))
        ns.append(n)
        seconds.append(elapsed)
        print(f"{n:>9} {elapsed:>20.3f}")
    if len(ns) >= 2:
        print(f"# CleanLearning.fit: log-log slope of time vs N = {slope(ns, seconds):.2f}")


def run_out_of_core(n: int, n_classes: int, directory: Path, skip_cleanlab: bool, with_zarr: bool) -> None:
    path = directory / f"ooc_{n}_{n_classes}.npy"
    t_write, labels = timed(lambda: write_pred_probs(path, n, n_classes))
    labels_path = directory / f"ooc_{n}_{n_classes}_labels.npy"
    np.save(labels_path, labels)
    size_gb = path.stat().st_size / 1e9
    print(f"file: {path} ({size_gb:.2f} GB, float32, written in {t_write:.0f} s)")
    mapped = np.load(path, mmap_mode="r")
    mapped_labels = np.load(labels_path, mmap_mode="r")
    rows = []
    # memory map first: its first call also brings the file into the page cache
    filter.find_label_issues(mapped_labels, mapped)
    t_mapped, ours = timed(lambda: filter.find_label_issues(mapped_labels, mapped))
    peak_mapped = peak_extra_memory(lambda: filter.find_label_issues(mapped_labels, mapped))
    rows.append(("cleanlearn, memory map", t_mapped, peak_mapped, ours))
    in_memory = np.load(path)
    t_memory, ours_in_memory = timed(lambda: filter.find_label_issues(labels, in_memory))
    peak_memory = peak_extra_memory(lambda: filter.find_label_issues(labels, in_memory))
    rows.append(("cleanlearn, in memory", t_memory, peak_memory, ours_in_memory))
    in_memory = None  # (freed before cleanlab's run)
    gc.collect()
    assert np.array_equal(ours, ours_in_memory), "memory map and in-memory masks differ"
    if with_zarr:
        import zarr

        store = directory / f"ooc_{n}_{n_classes}.zarr"
        array = zarr.open_array(str(store), mode="w", shape=(n, n_classes), chunks=(10_000, n_classes),
                                dtype=np.float32)
        for start in range(0, n, ROWS_PER_CHUNK):
            array[start : start + ROWS_PER_CHUNK] = mapped[start : start + ROWS_PER_CHUNK]
        zarr_array = zarr.open_array(str(store), mode="r")
        t_zarr, ours_zarr = timed(lambda: filter.find_label_issues(mapped_labels, zarr_array))
        peak_zarr = peak_extra_memory(lambda: filter.find_label_issues(mapped_labels, zarr_array))
        assert np.array_equal(ours, ours_zarr), "Zarr and in-memory masks differ"
        rows.append(("cleanlearn, Zarr (spooled to a map)", t_zarr, peak_zarr, ours_zarr))
        shutil.rmtree(store)
    if not skip_cleanlab:
        from cleanlab.experimental.label_issues_batched import find_label_issues_batched

        def batched():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return find_label_issues_batched(
                    labels_file=str(labels_path), pred_probs_file=str(path), batch_size=100_000,
                    n_jobs=1, verbose=False, return_mask=True,
                )

        t_batched, theirs = timed(batched)
        peak_batched = peak_extra_memory(batched)
        rows.append(("cleanlab find_label_issues_batched", t_batched, peak_batched, theirs))
    print(environment_line())
    print(f"N={n} K={n_classes}: {int(ours.sum())} issues (exact, prune_by_noise_rate)")
    print(f"{'':36} {'seconds':>9} {'peak MB':>9} {'B/example':>10} {'precision':>10} {'recall':>8}")
    for name, seconds, peak, mask in rows:
        agree = np.count_nonzero(mask & ours)
        precision = agree / max(1, np.count_nonzero(mask))
        recall = agree / max(1, np.count_nonzero(ours))
        print(f"{name:36} {seconds:>9.2f} {peak / 2**20:>9.1f} {peak / n:>10.1f} {precision:>10.4f} {recall:>8.4f}")
    print(f"memory map / in memory time: {t_mapped / t_memory:.2f}x")
    mapped = mapped_labels = None
    path.unlink()
    labels_path.unlink()


def run_dask_folds(n: int) -> None:
    import joblib
    from dask.distributed import Client, LocalCluster
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    from runner.experiment.parallel.dask_cluster import SINGLE_THREADED_BLAS

    X, y = make_classification(n, 20, n_informative=12, n_classes=4, flip_y=0.1, random_state=0)
    clf = RandomForestClassifier(n_estimators=100, random_state=0)
    results = {}
    t_serial, results["serial"] = timed(lambda: CleanLearning(clf, seed=0, n_jobs=1).fit(X, y))
    t_loky, results["loky"] = timed(lambda: CleanLearning(clf, seed=0, n_jobs=2).fit(X, y))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      env=SINGLE_THREADED_BLAS) as cluster, Client(cluster):
        with joblib.parallel_config(backend="dask"):
            t_dask, results["dask"] = timed(lambda: CleanLearning(clf, seed=0, n_jobs=-1).fit(X, y))
    print(environment_line())
    print(f"CleanLearning.fit, RandomForest(100 trees), {n} x 20, 4 classes, 5 folds")
    reference = results["serial"].label_issues_df_
    for name, seconds in [("serial", t_serial), ("loky n_jobs=2", t_loky), ("dask LocalCluster 2 workers", t_dask)]:
        key = name.split()[0]
        same = results[key].label_issues_df_.equals(reference)
        print(f"{name:30} {seconds:>8.2f} s  speed-up {t_serial / seconds:>5.2f}x  identical issues: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", action="store_true")
    parser.add_argument("--max-n", type=float, default=1e7)
    parser.add_argument("--out-of-core", nargs=2, type=float, metavar=("N", "K"))
    parser.add_argument("--skip-cleanlab", action="store_true")
    parser.add_argument("--zarr", action="store_true", help="--out-of-core also on a Zarr copy (the [zarr] extra)")
    parser.add_argument("--dask-folds", type=int, metavar="N")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()), help="where the .npy files go (in a directory of their own)")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    # The files (4 GB at N = 1e7) go in a directory of this run's own, removed however the run
    # ends (a failed assert or Ctrl-C included): a run must not leave them to fill the disk.
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench_scale_") as directory:
        if args.scale:
            print(environment_line())
            run_scale(int(args.max_n), Path(directory))
        if args.out_of_core:
            run_out_of_core(int(args.out_of_core[0]), int(args.out_of_core[1]), Path(directory), args.skip_cleanlab,
                            args.zarr)
    if args.dask_folds:
        run_dask_folds(args.dask_folds)


if __name__ == "__main__":
    main()
