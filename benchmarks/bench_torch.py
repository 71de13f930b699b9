"""CleanLearning with the torch CNN (classifier=torch_cnn) on CPU, and on CUDA when present.

Usage::

    python benchmarks/bench_torch.py             # digits as 8x8 images + 10000 synthetic 3x32x32
    python benchmarks/bench_torch.py --quick     # fewer epochs and images (a smoke run)
    python benchmarks/bench_torch.py --cpu-threads 1 8   # a CPU row per thread count

Needs only numpy, scikit-learn, torch, skorch and cleanlearn (the runner's network module
is imported without Hydra; checked below): it runs on a GPU machine without the runner's
other dependencies and without network access. Budget: under 5 minutes on one H100-class
machine, which runs the CPU rows too.

Two data sets, each with 20% of the labels moved to another class (uniformly):
- digits: scikit-learn's 1797 8x8 digits as (n, 1, 8, 8) images in [0, 1];
- synthetic: 10 classes of 3x32x32 images, each a smooth random class pattern, shifted by
  up to 4 pixels and with Gaussian pixel noise (a CIFAR-sized input, learnable in a minute).

For each data set and device, one ``CleanLearning(torch_cnn(...), cv_n_folds=5)
.find_label_issues`` (5 fits on 4/5 of the data, then the flags) is timed; printed: seconds
per fold, the speed-up over the first CPU row (same hyperparameters), and the flags' recall and
precision of the moved labels as a check that the run learned. The first CUDA run includes
CUDA's start-up (context, cuDNN); a warm-up fit before the timed runs takes it out.

CPU threads: one by default, as torch_cnn's ``threads`` default. These nets are small: on
a 2-core machine shared with other work, 2 threads ran 10-15x slower than 1 (OpenMP
threads waiting for a busy core), so more threads are a row of their own, not the default.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import torch  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

from cleanlearn.classification import CleanLearning  # noqa: E402
from runner.model.torch_nets import torch_cnn  # noqa: E402

assert "hydra" not in sys.modules and "omegaconf" not in sys.modules, "the benchmark must run without Hydra"

N_FOLDS = 5


def move_labels(labels: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """``fraction`` of the labels moved to another class, drawn uniformly."""
    n_classes = int(labels.max()) + 1
    moved = rng.random(len(labels)) < fraction
    return np.where(moved, (labels + rng.integers(1, n_classes, size=len(labels))) % n_classes, labels)


def digits_as_images() -> tuple[np.ndarray, np.ndarray]:
    digits = load_digits()
    return (digits.images / 16.0).astype(np.float32)[:, None], digits.target


def synthetic_images(n_images: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(n, 3, 32, 32) float32 in [0, 1], 10 classes: shifted class patterns plus noise."""
    rng = np.random.default_rng(seed)
    n_classes, size, pad = 10, 32, 4
    # Smooth patterns: white noise on a 5x5 grid, upsampled to 40x40 (nearest, then a box blur).
    coarse = rng.normal(size=(n_classes, 3, 5, 5))
    patterns = np.repeat(np.repeat(coarse, 8, axis=2), 8, axis=3)  # (K, 3, 40, 40)
    kernel = np.ones(5) / 5
    for axis in (2, 3):
        patterns = np.apply_along_axis(np.convolve, axis, patterns, kernel, mode="same")
    labels = rng.integers(0, n_classes, size=n_images)
    shifts = rng.integers(0, 2 * pad + 1, size=(n_images, 2))
    rows = shifts[:, 0, None] + np.arange(size)  # (n, 32)
    cols = shifts[:, 1, None] + np.arange(size)
    crops = patterns[labels[:, None, None, None], np.arange(3)[None, :, None, None], rows[:, None, :, None], cols[:, None, None, :]]
    images = crops + rng.normal(scale=1.5, size=crops.shape)
    images = 1 / (1 + np.exp(-images))  # into (0, 1)
    return images.astype(np.float32), labels


def run(images, labels, noisy, device: str, threads: int, epochs: int, batch_size: int) -> dict:
    clf = torch_cnn(max_epochs=epochs, batch_size=batch_size, device=device, threads=threads, seed=0)
    start = time.perf_counter()
    issues = CleanLearning(clf, seed=0, cv_n_folds=N_FOLDS).find_label_issues(images, noisy)
    seconds = time.perf_counter() - start
    flagged = issues["is_label_issue"].to_numpy()
    moved = noisy != labels
    return {
        "per_fold": seconds / N_FOLDS,
        "recall": flagged[moved].mean(),
        "precision": moved[flagged].mean() if flagged.any() else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1000 synthetic images, fewer epochs")
    parser.add_argument("--cpu-threads", type=int, nargs="+", default=[1],
                        help=f"torch threads of the CPU rows, one row each (default 1; this machine: {os.cpu_count()} cores)")
    parser.add_argument("--n-synthetic", type=int, default=None, help="synthetic images (default 10000; quick 1000)")
    args = parser.parse_args()
    n_synthetic = args.n_synthetic or (1000 if args.quick else 10000)
    epochs = {"digits": 3 if args.quick else 20, "synthetic": 2 if args.quick else 10}

    rng = np.random.default_rng(0)
    datasets = {"digits": digits_as_images(), "synthetic": synthetic_images(n_synthetic)}
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"torch {torch.__version__}; devices: {', '.join(devices)}"
          + (f" ({torch.cuda.get_device_name(0)})" if "cuda" in devices else " (no CUDA: CPU rows only)")
          + f"; {N_FOLDS} folds; 20% of labels moved; batch size 128")
    if "cuda" in devices:  # CUDA's start-up (context, cuDNN) out of the timed runs
        images, labels = datasets["digits"]
        torch_cnn(max_epochs=1, device="cuda").fit(images[:256], labels[:256])

    failed = False
    rows = [("cpu", threads) for threads in args.cpu_threads] + [("cuda", 1)] * ("cuda" in devices)
    print(f"{'data':<10} {'images':>14} {'epochs':>6} {'device':<6} {'threads':>7} {'s/fold':>8} {'speed-up':>8} "
          f"{'recall':>7} {'precision':>9}")
    for name, (images, labels) in datasets.items():
        noisy = move_labels(labels, 0.2, rng)
        cpu_seconds = None
        for device, threads in rows:
            try:
                result = run(images, labels, noisy, device, threads, epochs[name], batch_size=128)
            except RuntimeError as error:  # e.g. an op without a deterministic CUDA kernel
                print(f"{name:<10} {device:<6} failed: {error}", flush=True)
                failed = True
                continue
            cpu_seconds = cpu_seconds or result["per_fold"]
            shape = "x".join(map(str, images.shape[1:]))
            print(f"{name:<10} {len(images):>6} {shape:>7} {epochs[name]:>6} {device:<6} {threads:>7} {result['per_fold']:>8.2f} "
                  f"{cpu_seconds / result['per_fold']:>7.1f}x {result['recall']:>7.3f} {result['precision']:>9.3f}",
                  flush=True)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
