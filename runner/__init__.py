"""Hydra experiment runner for cleanlearn: ``python -m runner [overrides]``.

Importing the package sets one environment default before numpy or scipy load their BLAS
(``python -m runner`` imports it first; launcher workers and helper processes inherit it):
``OPENBLAS_THREAD_TIMEOUT``. numpy and scipy each bring their own OpenBLAS, and each OpenBLAS
keeps its idle threads spinning for 2**28 cycles (about 0.1 s) after every call. A solver that
alternates between the two (scikit-learn's LogisticRegression: scipy's L-BFGS-B, numpy's
gradient) has each library's spinning threads take the cores the other's need: fitting it on
digits ran 25x slower with 2 threads than with 1 on the project's 2-core machine (numpy 2.4,
scipy 1.17; benchmarks/bench_blas_spin.py). 2**16 cycles (tens of microseconds) keeps the
threads for back-to-back calls and frees the cores between the two. A value the user set is kept.
"""

import os as _os

_os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "16")
