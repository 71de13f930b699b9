"""``verbose=True`` is seen in a plain script (no logging configured: cleanlearn._core.progress
writes it to stderr) by every function that takes it, and nothing is shown without it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import sys
import numpy as np
from cleanlearn import filter, rank
from cleanlearn.multilabel_classification import dataset as ml_dataset
from cleanlearn.multilabel_classification import filter as ml_filter

verbose = sys.argv[1] == "1"
rng = np.random.default_rng(0)
pred_probs = rng.dirichlet(np.ones(3), size=200)
labels = pred_probs.argmax(axis=1)
labels[:20] = (labels[:20] + 1) % 3
ml_probs = rng.uniform(size=(200, 3))
ml_labels = [list(np.flatnonzero(row > 0.5)) for row in ml_probs]
ml_labels[:10] = [[0]] * 10
calls = {
    "filter": lambda: filter.find_label_issues(labels, pred_probs, verbose=verbose),
    "ensemble": lambda: rank.get_label_quality_ensemble_scores(
        labels, [pred_probs, pred_probs[:, [1, 2, 0]]], weight_ensemble_members_by="accuracy", verbose=verbose),
    "multilabel": lambda: ml_filter.find_label_issues(ml_labels, ml_probs, verbose=verbose),
    "per_class": lambda: ml_filter.find_multilabel_issues_per_class(ml_labels, ml_probs, verbose=verbose),
    "health": lambda: ml_dataset.multilabel_health_summary(ml_labels, ml_probs, verbose=verbose),
}
for name, call in calls.items():
    sys.stderr.write(f"<<{name}>>\\n")
    sys.stderr.flush()
    call()
"""

EXPECTED = {
    "filter": "Number of label issues found:",
    "ensemble": "Weighting scheme for ensemble: accuracy",
    "multilabel": "Number of label issues found:",
    "per_class": "Label issues found per class: [",
    "health": "Overall multilabel health score:",
}


def sections(stderr: str) -> dict[str, str]:
    parts = stderr.split("<<")[1:]
    return {part.split(">>", 1)[0]: part.split(">>", 1)[1] for part in parts}


@pytest.mark.slow
def test_verbose_is_seen_in_a_plain_script_and_silent_otherwise():
    root = Path(__file__).resolve().parents[2]
    loud, quiet = (subprocess.run([sys.executable, "-c", SCRIPT, flag], cwd=root, capture_output=True, text=True,
                                  timeout=300, check=True) for flag in ("1", "0"))
    said, silent = sections(loud.stderr), sections(quiet.stderr)
    for name, message in EXPECTED.items():
        assert message in said[name], (name, said[name])
        assert silent[name].strip() == "", (name, silent[name])
    assert loud.stdout == quiet.stdout == ""
