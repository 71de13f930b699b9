"""A module stays readable from top to bottom: at most MAX_LINES lines, but for a short,
explicit allowlist, each with the reason it stays longer."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MAX_LINES = 500
ALLOWED = {
    "cleanlearn/filter.py": "mirrors cleanlab.filter: find_label_issues, its seven filters and their "
                            "parameter rules, one public module as in the reference",
    "cleanlearn/classification.py": "mirrors cleanlab.classification: CleanLearning, a scikit-learn "
                                    "meta-estimator with the reference's full API",
    "cleanlearn/count.py": "mirrors cleanlab.count: twelve public functions, each docstring with its "
                           "difference from the reference and a runnable Examples section (doctests)",
    # Over the cap by its docstrings alone: five public functions, each with numpydoc
    # Parameters/Returns (issue 22), a runnable example and its cleanlab difference.
    "cleanlearn/noise.py": "mirrors cleanlab.benchmarking.noise_generation: five public functions, each "
                           "docstring with Parameters, Returns, its difference and a runnable example",
}


def test_modules_stay_under_the_length_cap():
    lengths = {str(path.relative_to(REPO)): len(path.read_text(encoding="utf-8").splitlines())
               for package in ("cleanlearn", "runner", "hydra_plugins") for path in (REPO / package).rglob("*.py")}
    too_long = {name: n for name, n in lengths.items() if n > MAX_LINES and name not in ALLOWED}
    assert not too_long, f"modules over {MAX_LINES} lines (split them, or allow one with its reason): {too_long}"
    stale = [name for name in ALLOWED if lengths.get(name, 0) <= MAX_LINES]
    assert not stale, f"allowed to be long but no longer are (drop them from ALLOWED): {stale}"
