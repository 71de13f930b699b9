"""A run's identity in a line, from its resolved config: the titles of its figures and report."""

from __future__ import annotations

from collections.abc import Mapping

from runner.core.targets import import_target
from runner.datasets.base import loader_spec
from runner.noise import describe_noise

__all__ = ["matrices_title", "run_title"]


def matrices_title(cfg: Mapping) -> str:
    """What the matrices depend on: dataset, classifier, noise, folds and seed (not filter_by,
    so a sweep over filter settings draws, and caches, one figure)."""
    parts = [_dataset_name(cfg), _classifier_name(cfg), f"noise {describe_noise(cfg['noise'])}"]
    folds = (cfg.get("cleanlearning") or {}).get("cv_n_folds")
    if folds is not None and _classifier_name(cfg) != "precomputed pred_probs":
        parts.append(f"{folds} folds")
    parts.append(f"seed {cfg.get('seed')}")
    return " · ".join(parts)


def run_title(cfg: Mapping) -> str:
    """Dataset, classifier, noise, filter_by and seed of a run."""
    filter_by = ((cfg.get("cleanlearning") or {}).get("find_label_issues_kwargs") or {}).get("filter_by")
    parts = [_dataset_name(cfg), _classifier_name(cfg), f"noise {describe_noise(cfg['noise'])}",
             f"filter_by={filter_by}", f"seed {cfg.get('seed')}"]
    return " · ".join(parts)


def _dataset_name(cfg: Mapping) -> str:
    dataset = cfg["dataset"]
    return str(dataset.get("name") or str(dataset.get("_target_", "dataset")).rsplit(".", 1)[-1])


def _classifier_name(cfg: Mapping) -> str:
    if _gives_pred_probs(cfg["dataset"]):
        return "precomputed pred_probs"
    target = (cfg.get("classifier") or {}).get("_target_", "classifier")
    return str(target).rsplit(".", 1)[-1]



def _gives_pred_probs(dataset: Mapping) -> bool:
    """The dataset's loader brings its own pred_probs (no classifier was trained)."""
    try:
        return loader_spec(import_target(str(dataset.get("_target_")))).gives_pred_probs
    except Exception:  # noqa: BLE001 - a loader gone since the run: its title says its classifier
        return False
