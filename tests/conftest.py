"""Shared pytest fixtures; the data generators live in tests/_data.py (importable by any test).

Tests live in tests/cleanlearn/ (the library), tests/runner/ and tests/e2e/; their helper
modules (``_api``, ``_multilabel_data``, ...) sit beside them. Helper names and test file
basenames are unique across the folders: with pytest's default import mode (``prepend``,
no ``__init__.py``) a module is imported by its basename.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

# Make `from _data import ...` (and each folder's helpers, e.g. `from _api import ...`) work
# whichever directory pytest is started from, and under --import-mode=importlib too.
_TESTS = Path(__file__).parent
for _folder in [_TESTS, *(path for path in sorted(_TESTS.iterdir()) if path.is_dir() and not path.name.startswith((".", "_")))]:
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

from _data import make_pred_probs  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def single_threaded_blas():
    """One BLAS/OpenMP thread per test process.

    The tests fit many tiny models; with several threads per process on a small, shared
    machine, the threads mostly wait for each other (a 0.1 s cross-validation took 4 s on 2
    busy cores). Results do not depend on it: each parity test runs both sides in-process.
    """
    with threadpool_limits(limits=1):
        yield


@pytest.fixture
def frozen_heap():
    """The objects alive before the test out of the garbage collector's sight (``gc.freeze``).

    statsmodels' ``multipletests(method="holm")``, the reference our Holm is checked against,
    runs a full ``gc.collect()`` on every call: about 0.5 s late in the suite, when the heap
    holds everything earlier tests left (27 s for one test of 51 calls in CI). Collections
    then look at this test's own objects only; the numbers do not change.
    """
    import gc

    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture
def small_pred_probs():
    """(labels, pred_probs) with 60 examples and 3 classes, 20% label noise."""
    return make_pred_probs(60, 3, noise=0.2, seed=0)
