"""numpy's and scipy's two OpenBLAS thread pools, with and without the runner's
``OPENBLAS_THREAD_TIMEOUT`` (runner/__init__.py).

Usage::

    python benchmarks/bench_blas_spin.py

Each setting runs in a fresh interpreter (OpenBLAS reads the variable when it loads), one
after another, twice, interleaved; the table shows the faster of the two:

- OpenBLAS's default (the variable unset: idle threads spin for 2**28 cycles);
- the runner's default (``import runner`` first: 2**16 cycles);
- one BLAS thread (``OPENBLAS_NUM_THREADS=1``: nothing to spin, no parallel BLAS either).

Workloads: 5 fits of scikit-learn's LogisticRegression on digits (lbfgs: scipy's L-BFGS-B
and numpy's gradient alternate), a tiny matrix product in a tight loop (what a short spin
would make wait for a wake-up) and two large ones (what the threads are for).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment_line  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

WORKLOAD = r"""
import time
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
LogisticRegression(max_iter=1000).fit(X, y)
start = time.perf_counter()
for _ in range(5):
    LogisticRegression(max_iter=1000).fit(X, y)
results = {"LogisticRegression x5 (digits)": time.perf_counter() - start}
rng = np.random.default_rng(0)
for m, k, n in [(1797, 64, 10), (500, 500, 500), (5000, 500, 500)]:
    a, b = rng.normal(size=(m, k)), rng.normal(size=(k, n))
    a @ b
    repeats = max(3, int(3e8 / (m * k * n)))
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    results[f"matmul {m}x{k} @ {k}x{n}"] = (time.perf_counter() - start) / repeats
print(repr(results))
"""

SETTINGS = {
    "OpenBLAS default": ({}, ""),
    "runner default": ({}, "import runner\n"),
    "1 BLAS thread": ({"OPENBLAS_NUM_THREADS": "1"}, ""),
}


def run(extra_env: dict[str, str], prefix: str) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_THREAD_TIMEOUT", "OPENBLAS_NUM_THREADS")}
    env.update(extra_env)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    out = subprocess.run([sys.executable, "-c", prefix + WORKLOAD], env=env, cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    return eval(out.strip().splitlines()[-1])  # noqa: S307 - our own subprocess's repr of a dict


def main() -> None:
    print("# numpy's and scipy's OpenBLAS pools: idle-thread spin (OPENBLAS_THREAD_TIMEOUT)")
    print(f"# {environment_line()}")
    best: dict[str, dict[str, float]] = {}
    for _ in range(2):
        for name, (extra_env, prefix) in SETTINGS.items():
            for workload, seconds in run(extra_env, prefix).items():
                row = best.setdefault(workload, {})
                row[name] = min(seconds, row.get(name, float("inf")))
    names = list(SETTINGS)
    print()
    print("| workload | " + " | ".join(names) + " | default / runner |")
    print("|---|" + "---:|" * (len(names) + 1))
    for workload, row in best.items():
        scale, unit = (1.0, "s") if workload.startswith("Logistic") else (1e3, "ms")
        cells = " | ".join(f"{row[name] * scale:.3f} {unit}" for name in names)
        print(f"| {workload} | {cells} | {row[names[0]] / row[names[1]]:.1f}x |")


if __name__ == "__main__":
    main()
