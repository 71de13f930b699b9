"""Cross-validation folds on a Dask cluster: CleanLearning under joblib's dask backend runs
its folds on the cluster's workers with the same pred_probs and label issues as a serial
run; the runner's ``parallel`` group (runner/experiment/parallel/) starts and closes the cluster.

The cluster is a LocalCluster of 2 worker processes started by the tests, each with one
BLAS thread, so that the last bits of a fit cannot differ from the serial run's.
"""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from _compose import make_config
from _data import make_classification_data
from dask.distributed import Client, LocalCluster, get_task_stream
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from cleanlearn import CleanLearning
from cleanlearn.count import estimate_cv_predicted_probabilities
from runner.config import ConfigError, register_configs
from runner.experiment.parallel import folds_backend
from runner.experiment.parallel.dask_cluster import SINGLE_THREADED_BLAS
from runner.experiment.pipeline import run

# dask.distributed is the [dask] extra, installed in CI: imported above, so nothing skips.

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
register_configs()


@pytest.fixture(scope="module")
def client():
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", env=SINGLE_THREADED_BLAS
    ) as cluster, Client(cluster) as dask_client:
        yield dask_client


@pytest.mark.slow
@pytest.mark.parametrize(
    "clf", [LogisticRegression(), RandomForestClassifier(n_estimators=15, random_state=0)], ids=["logreg", "forest"]
)
def test_folds_run_on_the_workers_with_identical_results(client, clf):
    X, labels = make_classification_data(600, 3, n_features=6, noise=0.2, seed=5)
    with threadpool_limits(1):  # the serial run's BLAS as the workers'
        serial = CleanLearning(clf, seed=1, n_jobs=1).fit(X, labels)
        serial_pred_probs = estimate_cv_predicted_probabilities(X, labels, clf, seed=1, n_jobs=1)
    with get_task_stream(client) as tasks, joblib.parallel_config(backend="dask"):
        on_dask = CleanLearning(clf, seed=1, n_jobs=-1).fit(X, labels)
        dask_pred_probs = estimate_cv_predicted_probabilities(X, labels, clf, seed=1, n_jobs=-1)
    workers = {task["worker"] for task in tasks.data}
    assert workers and workers <= set(client.scheduler_info()["workers"]), workers
    assert len(tasks.data) >= 5  # the folds were tasks on the cluster, not run here
    np.testing.assert_array_equal(dask_pred_probs, serial_pred_probs)
    pd.testing.assert_frame_equal(on_dask.label_issues_df_, serial.label_issues_df_)
    np.testing.assert_array_equal(on_dask.predict_proba(X), serial.predict_proba(X))




def test_parallel_group_defaults_to_local_and_checks_dask_values():
    assert make_config().parallel.name == "local"
    cfg = make_config("parallel=dask")
    assert cfg.parallel.address is None and cfg.parallel.n_workers == 2
    for override, message in [
        ("parallel.n_workers=0", "parallel.n_workers must be an int >= 1; got 0"),
        ("parallel.address=scheduler", "parallel.address must be null or a scheduler address"),
    ]:
        with pytest.raises(ConfigError, match=message):
            make_config("parallel=dask", override)


def test_local_backend_leaves_n_jobs_alone():
    for given in (None, 1, 3):
        with folds_backend(make_config().parallel, given) as n_jobs:
            assert n_jobs == given


@pytest.mark.slow
def test_dask_backend_closes_its_cluster_also_on_failure():
    cfg = make_config("parallel=dask", "parallel.n_workers=1")
    with pytest.raises(RuntimeError, match="fold failed"), folds_backend(cfg.parallel, 1) as n_jobs:
        from dask.distributed import get_client

        started = get_client()
        assert n_jobs == -1 and len(started.scheduler_info()["workers"]) == 1
        raise RuntimeError("fold failed")
    assert started.status == "closed"


@pytest.mark.slow
def test_run_with_parallel_dask_connects_to_an_address_and_matches_local(client, tmp_path):
    small = ["dataset=iris", "cleanlearning.cv_n_folds=3", "noise.rate=0.2", "classifier=random_forest"]
    local_metrics = run(make_config(*small), tmp_path / "local")
    address = client.scheduler.address
    dask_metrics = run(make_config(*small, "parallel=dask", f"parallel.address={address}"), tmp_path / "dask")
    for name in ["label_issues.csv", "confident_joint.csv", "noise_matrix.csv"]:
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    assert dask_metrics["issue_f1"] == local_metrics["issue_f1"]
    assert client.status == "running"  # a cluster it connected to is left running
