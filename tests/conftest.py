"""Shared pytest fixtures; the data generators live in tests/_data.py (importable by any test)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Make `from _data import ...` work whichever directory pytest is started from.
sys.path.insert(0, str(Path(__file__).parent))

from _data import make_pred_probs  # noqa: E402


@pytest.fixture
def small_pred_probs():
    """(labels, pred_probs) with 60 examples and 3 classes, 20% label noise."""
    return make_pred_probs(60, 3, noise=0.2, seed=0)
