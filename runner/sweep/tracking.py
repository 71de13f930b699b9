"""Experiment tracking in MLflow (``logger=mlflow``, extra ``[mlflow]``): a Hydra callback.

What it logs, into ``tracking_uri`` (default ``sqlite:///<outputs>/mlflow.db``, a real
database with no server; any MLflow tracking URI works):

- a single run is a top-level MLflow run; a sweep is a parent run and each of its jobs a
  child run (tag ``mlflow.parentRunId``);
- each job's run: its overrides as params, its numeric metrics (metrics.json), its files
  (label_issues.csv, matrices, figures, report, status, config) as artifacts, and its end:
  FINISHED (ok), FAILED (failed) or KILLED (status.json says "interrupted").

A search (hydra/sweeper=optuna) never shows a test metric here: the trials' child runs have
none (and any would be dropped: runner.scoring.metrics.is_held_out), the runs of the best
configuration after the search (``final/``) are not logged as children, and the parent run
gets the search's objective from best.yaml: ``best_<metric>`` and, when re-estimated on
fresh seeds, ``reestimated_<metric>``.

Lifecycle. The sweep process creates the parent run in ``on_multirun_start`` and records its
id in ``<sweep dir>/mlflow_run.json``, where the jobs (in joblib or submitit workers too) read
it. Hydra skips ``on_multirun_end`` when a job fails, so the parent is also closed at exit of
the sweep process (``atexit``): FINISHED after ``on_multirun_end``, FAILED otherwise. Only a
SIGKILLed sweep leaves it RUNNING; rerunning the sweep in the same dir reuses and closes it.
A resumed sweep does not log a skipped (finished, untouched) job again: a job's run is tagged
with its dir and the mtime of its DONE marker.

Safety. Every MLflow call is made under an exclusive lock beside a SQLite store (parallel jobs
would otherwise race on the database). Tracking never fails a job: any error is logged as a
warning, and the job's own files stay the record. MLflow is imported only when used.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from runner.core.io import atomic_write_json, locked
from runner.core.layout import read_json

__all__ = ["MlflowCallback", "PARENT_FILE"]

logger = logging.getLogger(__name__)

PARENT_FILE = "mlflow_run.json"  # in the sweep dir: the parent run the jobs attach to
JOB_DIR_TAG, DONE_TAG = "cleanlearn.job_dir", "cleanlearn.done_mtime_ns"
# MLflow caps a param value at 6000 characters.
MAX_PARAM_LENGTH = 6000


class MlflowCallback(Callback):
    def __init__(
        self,
        tracking_uri: str | None = None,
        experiment_name: str = "cleanlearn",
        artifact_location: str | None = None,
        log_artifacts: bool = True,
    ) -> None:
        # Fixed here, in the process that starts the run or sweep; the jobs get this object.
        self.tracking_uri = tracking_uri or f"sqlite:///{Path('outputs').resolve() / 'mlflow.db'}"
        self.experiment_name = experiment_name
        self.artifact_location = artifact_location
        self.log_artifacts = log_artifacts
        self._job_started_ms: dict[str, int] = {}
        self._parent: dict[str, str] | None = None  # set in the sweep process while open

    # -- sweep process -----------------------------------------------------------------

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        with self._warn_on_error("starting the sweep's parent run"):
            sweep_dir = Path(str(config.hydra.sweep.dir))
            sweep_dir.mkdir(parents=True, exist_ok=True)
            with self._client() as client:
                experiment_id = self._experiment_id(client)
                parent = self._reusable_parent(client, sweep_dir)
                if parent is None:
                    run = client.create_run(
                        experiment_id,
                        run_name=f"sweep {sweep_dir.name}",
                        tags={"cleanlearn.sweep_dir": str(sweep_dir.resolve())},
                    )
                    overrides = _overrides(config)
                    if overrides:
                        client.log_batch(run.info.run_id, params=_params(overrides))
                    parent = {"run_id": run.info.run_id, "experiment_id": experiment_id}
                else:
                    client.update_run(parent["run_id"], status="RUNNING")
            parent["tracking_uri"] = self._uri()
            atomic_write_json(sweep_dir / PARENT_FILE, parent)
            self._parent = parent
            atexit.register(self._close_parent, "FAILED")

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if self._parent is not None:
            with self._warn_on_error("logging the search's objective"):
                self._log_search_objective(Path(str(config.hydra.sweep.dir)))
        self._close_parent("FINISHED")

    def _log_search_objective(self, sweep_dir: Path) -> None:
        """The objective of a search's best configuration on the parent run (never a test metric)."""
        from runner.core.layout import read_yaml
        from runner.scoring.metrics import is_held_out

        best = read_yaml(sweep_dir / "best.yaml")
        if not isinstance(best, dict) or "metric" not in best or is_held_out(str(best["metric"])):
            return
        values = {f"best_{best['metric']}": best.get("value")}
        values[f"reestimated_{best['metric']}"] = (best.get("reestimate") or {}).get("mean")
        with self._client() as client:
            client.log_batch(self._parent["run_id"], metrics=_metrics(values))

    def _close_parent(self, status: str) -> None:
        parent, self._parent = self._parent, None
        if parent is None:
            return
        with self._warn_on_error("closing the sweep's parent run"), self._client() as client:
            client.set_terminated(parent["run_id"], status=status)

    # -- every job, in its own process ---------------------------------------------------

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._job_started_ms[str(config.hydra.runtime.output_dir)] = _now_ms()

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        with self._warn_on_error("logging the job"):
            self._log_job(config, job_return)

    def _log_job(self, config: DictConfig, job_return: JobReturn) -> None:
        if OmegaConf.select(config, "hydra.sweeper.search_role", default=None) not in (None, "trial"):
            return  # a search's runs of its best configuration: reported in best.yaml
        out_dir = Path(str(config.hydra.runtime.output_dir))
        done = out_dir / "DONE"
        done_mtime = str(done.stat().st_mtime_ns) if done.is_file() else ""
        tags = {JOB_DIR_TAG: str(out_dir.resolve()), DONE_TAG: done_mtime}
        parent = None
        if config.hydra.mode == RunMode.MULTIRUN:
            parent = _read_json_or_none(Path(str(config.hydra.sweep.dir)) / PARENT_FILE)
            if parent is None or parent.get("tracking_uri") != self._uri():
                logger.warning("tracking: no parent run of this sweep found; logging the job as a top-level run")
                parent = None
        if parent is not None:
            tags["mlflow.parentRunId"] = parent["run_id"]
        status = _mlflow_status(job_return, out_dir)
        with self._client() as client:
            experiment_id = parent["experiment_id"] if parent else self._experiment_id(client)
            if done_mtime and _already_logged(client, experiment_id, tags):
                return  # a finished job a resumed sweep skipped: its run is there already
            name = f"job {config.hydra.job.num}" if parent else f"run {out_dir.name}"
            run = client.create_run(
                experiment_id, run_name=name, tags=tags,
                start_time=self._job_started_ms.pop(str(out_dir), None) or _now_ms(),
            )
            run_id = run.info.run_id
            metrics = _read_json_or_none(out_dir / "metrics.json") if status == "FINISHED" else None
            in_search = OmegaConf.select(config, "hydra.sweeper.search_role", default=None) is not None
            client.log_batch(run_id, params=_params(_overrides(config)),
                             metrics=_metrics(metrics or {}, held_out=not in_search))
            if self.log_artifacts:
                for path in _artifacts(out_dir):
                    client.log_artifact(run_id, str(path))
            client.set_terminated(run_id, status=status)

    # -- MLflow access -------------------------------------------------------------------

    def _uri(self) -> str:
        return self.tracking_uri

    @contextlib.contextmanager
    def _client(self) -> Iterator[Any]:
        """An MlflowClient, used under an exclusive lock when the store is a SQLite file."""
        try:
            from mlflow.tracking import MlflowClient
        except ImportError as error:
            raise ImportError("logger=mlflow needs MLflow: pip install 'cleanlearn[mlflow]'") from error
        logging.getLogger("alembic").setLevel(logging.WARNING)  # schema-migration chatter
        uri = self._uri()
        database = _sqlite_path(uri)
        if database is None:
            yield MlflowClient(tracking_uri=uri)
            return
        database.parent.mkdir(parents=True, exist_ok=True)
        with locked(database.with_name(database.name + ".lock")):
            yield MlflowClient(tracking_uri=uri)

    def _experiment_id(self, client) -> str:
        experiment = client.get_experiment_by_name(self.experiment_name)
        if experiment is not None:
            return experiment.experiment_id
        location = self.artifact_location
        database = _sqlite_path(self._uri())
        if location is None and database is not None:  # beside the database, not in the cwd
            location = (database.parent / "mlartifacts").as_uri()
        return client.create_experiment(self.experiment_name, artifact_location=location)

    def _reusable_parent(self, client, sweep_dir: Path) -> dict[str, str] | None:
        """The parent run of an earlier attempt of this sweep, when it is in this store."""
        recorded = _read_json_or_none(sweep_dir / PARENT_FILE)
        if not recorded or recorded.get("tracking_uri") != self._uri():
            return None
        try:
            client.get_run(recorded["run_id"])
        except Exception:  # deleted, or another database at the same path
            return None
        return {"run_id": recorded["run_id"], "experiment_id": recorded["experiment_id"]}

    @contextlib.contextmanager
    def _warn_on_error(self, what: str) -> Iterator[None]:
        try:
            yield
        except Exception as error:
            logger.warning("tracking: %s in MLflow failed (the job's files are unaffected): %s: %s",
                           what, type(error).__name__, error)


# ---------------------------------------------------------------------------------------
# helpers


def _mlflow_status(job_return: JobReturn, out_dir: Path) -> str:
    if job_return.status == JobStatus.COMPLETED:
        return "FINISHED"
    recorded = _read_json_or_none(out_dir / "status.json") or {}
    return "KILLED" if recorded.get("status") == "interrupted" else "FAILED"


def _already_logged(client, experiment_id: str, tags: dict[str, str]) -> bool:
    conditions = [f"tags.`{key}` = '{value}'" for key, value in tags.items() if "'" not in value]
    found = client.search_runs([experiment_id], filter_string=" and ".join(conditions), max_results=1)
    return len(found) > 0


def _overrides(config: DictConfig) -> list[str]:
    return list(OmegaConf.to_container(config.hydra.overrides.task, resolve=False))


def _params(overrides: list[str]):
    from mlflow.entities import Param

    params = {}
    for override in overrides:
        key, _, value = override.partition("=")
        params[key.lstrip("+~")] = value[:MAX_PARAM_LENGTH]
    return [Param(key, value) for key, value in params.items()]


def _metrics(metrics: dict[str, Any], *, held_out: bool = True):
    """MLflow metrics of the numeric values; ``held_out=False`` leaves the test metrics out."""
    from mlflow.entities import Metric

    from runner.scoring.metrics import is_held_out

    timestamp = _now_ms()
    return [
        Metric(key, float(value), timestamp, 0)
        for key, value in metrics.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and (held_out or not is_held_out(key))
    ]


def _artifacts(out_dir: Path) -> list[Path]:
    """The job's result files (not hidden files, temporaries or the DONE marker)."""
    return sorted(
        path for path in out_dir.iterdir()
        if path.is_file() and not path.name.startswith(".") and path.name != "DONE"
    )


def _sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///relative`` or ``sqlite:////absolute`` URI."""
    prefix = "sqlite:///"
    if not uri.startswith(prefix):
        return None
    return Path(unquote(uri[len(prefix):].split("?", 1)[0])).resolve()



def _now_ms() -> int:
    return int(time.time() * 1000)


def _read_json_or_none(path: Path):
    try:
        return read_json(path, unreadable="none")
    except OSError:
        return None
