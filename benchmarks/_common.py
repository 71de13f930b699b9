"""Shared utilities for the benchmark scripts: synthetic data, timing, memory, environment.

Benchmarks are plain scripts that print tables; they compare cleanlearn with the reference
cleanlab 2.9.0 on the same inputs, in the same process, so ratios are meaningful even on a
busy machine.
"""

from __future__ import annotations

import gc
import os
import platform
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np


def make_noisy_classification(
    n_samples: int,
    n_classes: int,
    *,
    noise_rate: float = 0.2,
    signal: float = 4.0,
    decimals: int | None = None,
    dtype: type = np.float64,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(labels, pred_probs)`` resembling out-of-sample predictions on noisy labels.

    True classes are drawn with mildly unequal priors; ``noise_rate`` of the labels are
    flipped to another class drawn uniformly; pred_probs is a softmax of Gaussian logits with
    ``signal`` added at the true class (4.0: the argmax is the true class ~90% of the time
    at K = 100, a decent model; 2.5: ~50%, a weak one). ``decimals`` rounds pred_probs (many ties) and
    renormalises, as a model reporting 2-decimal probabilities would.
    """
    rng = np.random.default_rng(seed)
    prior = rng.uniform(0.5, 1.5, size=n_classes)
    true_labels = rng.choice(n_classes, size=n_samples, p=prior / prior.sum())
    flipped = rng.random(n_samples) < noise_rate
    shift = rng.integers(1, n_classes, size=n_samples)  # any class but the true one
    labels = np.where(flipped, (true_labels + shift) % n_classes, true_labels)

    # Softmax in place, chunk-free: one (N, K) array is all the memory we use.
    logits = rng.standard_normal((n_samples, n_classes))
    logits[np.arange(n_samples), true_labels] += signal
    logits -= logits.max(axis=1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=1, keepdims=True)
    pred_probs = logits
    if decimals is not None:
        np.round(pred_probs, decimals, out=pred_probs)
        pred_probs /= pred_probs.sum(axis=1, keepdims=True)
    return labels.astype(np.int64), pred_probs.astype(dtype, copy=False)


def time_call(function: Callable[[], Any], *, repeats: int = 3) -> tuple[float, Any]:
    """Return (best seconds over ``repeats`` calls, result of the last call).

    The best (minimum) rather than the median: on a shared machine other processes only
    ever add time, so the minimum is the most reproducible figure.
    """
    times = []
    result = None
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def peak_extra_memory(function: Callable[[], Any]) -> int:
    """Peak bytes allocated (as seen by tracemalloc, which numpy reports to) during one call.

    Only the calling process is measured: memory in child processes (e.g. a multiprocessing
    pool) is not visible here.
    """
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    baseline, _ = tracemalloc.get_traced_memory()
    try:
        function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - baseline


def environment_line() -> str:
    """One line describing the machine and library versions."""
    try:
        import cleanlab

        cleanlab_version = cleanlab.__version__
    except ImportError:  # pragma: no cover
        cleanlab_version = "not installed"
    return (
        f"python {platform.python_version()} | numpy {np.__version__} | cleanlab "
        f"{cleanlab_version} | cores {os.cpu_count()} | {platform.machine()}"
    )
