"""Results of real sweeps (`python -m runner -m ...`), recomputed independently from summary.csv."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FILTER = "cleanlearning.find_label_issues_kwargs.filter_by"


def run_sweep(sweep_dir: Path, cache_dir: Path, *overrides: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "runner", "-m", f"hydra.sweep.dir={sweep_dir}", f"cache_dir={cache_dir}",
               *overrides]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)


def t_interval(values: pd.Series) -> tuple[float, float]:
    if values.std() == 0:  # scipy's interval of a zero scale is NaN; the interval is the point
        return values.mean(), values.mean()
    return stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))


def check_paired(row, a, b) -> None:
    """One comparisons.csv row against scipy: the paired t-test, its interval, the degenerate cases."""
    d = a - b
    assert row["n_pairs"] == len(d) and row["wins"] == (d > 0).sum() and row["losses"] == (d < 0).sum()
    if np.allclose(d, 0, atol=1e-12):
        assert row["status"] == "identical" and np.isnan(row["p_value"])
    elif np.ptp(d) <= 1e-9 * np.abs(d).max():
        assert row["status"] == "constant" and row["p_value"] == pytest.approx(2 / 2 ** len(d))
    else:
        test = stats.ttest_rel(a, b)
        assert row["p_value"] == pytest.approx(test.pvalue)
        interval = test.confidence_interval(0.95)
        assert (row["low"], row["high"]) == pytest.approx((interval.low, interval.high))


def test_sweep_results_and_comparisons_equal_an_independent_recomputation(tmp_path):
    sweep_dir, cache_dir = tmp_path / "sweep", tmp_path / "cache"
    overrides = ("experiment=quick", "seed=0,1,2", f"{FILTER}=both,prune_by_class")
    result = run_sweep(sweep_dir, cache_dir, *overrides)
    assert result.returncode == 0, result.stderr
    # one console line per finished job
    progress = re.findall(r"\[(\d)/6\] ok  seed=\d filter_by=\w+  issue_f1=\d\.\d{3}  elapsed", result.stdout)
    assert progress == ["1", "2", "3", "4", "5", "6"]

    summary = pd.read_csv(sweep_dir / "summary.csv")
    assert len(summary) == 6 and (summary["status"] == "ok").all()
    table = pd.read_csv(sweep_dir / "results.csv")
    assert table[FILTER].tolist() == ["both", "prune_by_class"] and (table["n_ok"] == 3).all()
    metrics = [c for c in summary.columns[list(summary.columns).index("status") + 1:]]
    assert {"issue_auroc", "issue_lift_at_num_errors", "issue_lift_at_100",
            "issue_precision_at_num_errors", "n_label_issues_minus_true"} <= set(metrics)
    for method, jobs in summary.groupby(FILTER):
        row = table.set_index(FILTER).loc[method]
        for metric in metrics:
            values = jobs[metric]
            assert row[f"{metric}_mean"] == pytest.approx(values.mean()), metric
            assert row[f"{metric}_std"] == pytest.approx(values.std(ddof=1)), metric
            low, high = t_interval(values)
            assert (row[f"{metric}_ci95_low"], row[f"{metric}_ci95_high"]) == pytest.approx((low, high)), metric

    comparisons = pd.read_csv(sweep_dir / "comparisons.csv")
    gain = comparisons[comparisons["kind"] == "cleaning"].set_index("method_a")
    for method, jobs in summary.groupby(FILTER):
        check_paired(gain.loc[method], jobs["test_accuracy_cleanlearning"].to_numpy(),
                     jobs["test_accuracy_baseline"].to_numpy())
    pair = comparisons.query("kind == 'pair' and metric == 'issue_f1'")
    wide = summary.pivot(index="seed", columns=FILTER, values="issue_f1")
    assert pair[["method_a", "method_b"]].values.tolist() == [["both", "prune_by_class"]]
    check_paired(pair.iloc[0], wide["both"].to_numpy(), wide["prune_by_class"].to_numpy())
    for name in ("results.md", "comparisons.md", "ranks.md", "table.md", "table.tex", "results.png", "results.pdf",
                 "summary.pdf"):
        assert (sweep_dir / name).is_file(), name
    assert "## Power" in (sweep_dir / "results.md").read_text()

    # summary.* is not part of a job's identity: changing it reruns nothing
    first_job = sweep_dir / str(summary["dir"].iloc[0])  # job dirs may be named by their overrides
    job_files = {p: p.read_bytes() for p in first_job.rglob("*") if p.is_file()}
    again = run_sweep(sweep_dir, cache_dir, *overrides, "summary.compare_metric=issue_auroc")
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("skipping finished job") == 6
    assert {p: p.read_bytes() for p in first_job.rglob("*") if p.is_file()} == job_files
    pairs = pd.read_csv(sweep_dir / "comparisons.csv").query("kind == 'pair'")
    assert set(pairs["metric"]) == {"issue_auroc", "test_accuracy_cleanlearning"}


def test_paper_grid_in_reduced_form(tmp_path):
    sweep_dir, cache_dir = tmp_path / "grid", tmp_path / "cache"
    result = run_sweep(sweep_dir, cache_dir, "experiment=paper_grid", "dataset=iris", "cleanlearning.cv_n_folds=3",
                       "seed=0,1", "noise.rate=0.2", "noise.sparsity=0")
    assert result.returncode == 0, result.stderr
    summary = pd.read_csv(sweep_dir / "summary.csv")
    assert len(summary) == 7 * 2 and (summary["status"] == "ok").all()  # narrowed: 2 seeds x 1 cell
    assert set(summary["noise.rate"]) == {0.2} and set(summary["seed"]) == {0, 1}
    assert "[14/14] ok" in result.stdout

    markdown = (sweep_dir / "table.md").read_text()
    accuracy, f1 = markdown.split("## Label-issue F1")
    rows = [line.split(" | ")[0].lstrip("| ") for line in accuracy.splitlines() if line.startswith("| ")][1:]
    assert rows == ["no cleaning", *summary[FILTER].drop_duplicates()]
    # cells are mean ± std over the 2 seeds
    jobs = summary[summary[FILTER] == "both"]
    cell = f"{jobs['issue_f1'].mean():.3f} ± {jobs['issue_f1'].std(ddof=1):.3f}"
    assert f"| both | {cell} |" in f1 or f"| both | **{cell}** |" in f1
    tex = (sweep_dir / "table.tex").read_text()
    assert tex.count("\\begin{tabular}{lc}") == 2 and "\\bottomrule" in tex
    bold = [line for line in markdown.splitlines() if "**" in line]
    # bold per column from the all-pairs family, or the caption says why there is none
    assert len(bold) >= 2 or markdown.count("Nothing is bold") + len(bold) >= 2
    assert np.isfinite(pd.read_csv(sweep_dir / "results.csv")["issue_f1_mean"]).all()
