"""Structured configs (the schema of every config group) and the checks Hydra cannot express.

Two layers catch a bad config before any work is done:

1. Schemas, stored in Hydra's ConfigStore by :func:`register_configs`. Each bundled option
   (``conf/dataset/digits.yaml``, ...) extends one of them through its defaults list, e.g.
   ``- /schema_dataset_sklearn@_here_``. Hydra then rejects, at composition, an unknown key
   (``cleanlearning.cv_nfolds=3``) or a value of the wrong type (``cleanlearning.cv_n_folds=abc``).
   The classifier schemas are generated from the installed estimators' signatures
   (runner.model.estimators): every constructor parameter is present, so ``classifier.max_depth=3``
   needs no ``+``, and a typo is reported with the valid names by the second layer.
2. :func:`runner.config.validate.validate_config`: ranges, choices, files that must exist, importable ``_target_``
   classes, a user's dataset loader checked against its signature, and the noise node
   (runner.noise.validate_noise). It raises :class:`ConfigError` naming the key and the bad
   value, one line per problem.

Datasets, noise models and parallel backends are open: any ``_target_`` function with a YAML
file. Each declares its schema and checks next to its own code (runner.datasets.base
``dataset_loader``, runner.noise ``checked_by``, runner.experiment.parallel
``folds_backend_of``); nothing here names one of them.

The schemas are stored outside any config group (``schema_<group>_<kind>``), so that they are
neither selectable as group options nor listed by ``--help``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from runner.core.layout import CONF_DIR

__all__ = ["CONF_DIR", "CleanLearningConfig", "RunConfig", "register_configs"]



@dataclass
class FindLabelIssuesKwargs:
    """Passed to cleanlearn.filter.find_label_issues (defaults: CleanLearning's)."""

    filter_by: str = "prune_by_noise_rate"
    frac_noise: float = 1.0
    min_examples_per_class: int = 10
    num_to_remove_per_class: list[int] | None = None


@dataclass
class LabelQualityScoresKwargs:
    """Passed to cleanlearn.rank.get_label_quality_scores."""

    method: str = "self_confidence"
    adjust_pred_probs: bool = False


@dataclass
class CleanLearningConfig:
    """CleanLearning's constructor, one key per parameter (clf and seed come from the run)."""

    _target_: str = "cleanlearn.classification.CleanLearning"
    cv_n_folds: int = 5
    converge_latent_estimates: bool = False
    pulearning: int | None = None
    find_label_issues_kwargs: FindLabelIssuesKwargs = field(default_factory=FindLabelIssuesKwargs)
    label_quality_scores_kwargs: LabelQualityScoresKwargs = field(
        default_factory=LabelQualityScoresKwargs
    )
    # Cross-validation folds run in parallel; the result does not depend on it.
    n_jobs: int | None = None
    # Progress of CleanLearning itself in the job log (logger cleanlearn.classification).
    verbose: bool = False


@dataclass
class SummaryConfig:
    """Settings of the sweep summary (runner.results); not part of a job's identity."""

    # Override key(s) whose values are replicates of one setting: a key or a list of keys.
    replicate_by: Any = "seed"
    # Metric the methods are compared on; null: issue_f1 when true errors are known, else
    # test_accuracy_cleanlearning.
    compare_metric: str | None = None
    # Swept keys compared as methods; null: classifier, cleanlearning.* and quality_score.
    method_axes: list[str] | None = None
    # The paired test of comparisons.* (docs/guide/statistics.md): t (paired t-test, default),
    # corrected_t (Nadeau & Bengio, test_* metrics on a re-split test part only) or wilcoxon
    # (exact signed-rank test with the Hodges-Lehmann estimate and its exact interval).
    test: str = "t"


@dataclass
class ReportConfig:
    """Read by runner.report only (report.html): not part of what a job computes."""

    top_k: int = 50  # flagged examples listed, worst first
    # When each job writes its report.html: true (as it ends), false (never; python -m
    # runner.report DIR on demand) or end (a single run as it ends; a sweep's jobs beside it,
    # by a helper process on an idle core, or once it has ended: docs/guide/performance.md).
    run: Any = "end"


@dataclass
class OutputConfig:
    """What the result files carry beyond the defaults."""

    # label_issues.csv also gets each example's own feature columns (as loaded).
    include_features: bool = False


@dataclass
class RunConfig:
    """The top level. Groups are typed by their own schema (see the group's defaults list)."""

    # One seed drives the split, the noise, the CV folds and the classifier.
    seed: int = 0
    # Out-of-sample pred_probs and baselines are cached here (null: no cache).
    cache_dir: str | None = None
    dataset: Any = MISSING
    classifier: Any = MISSING  # open: any _target_ with its keyword arguments
    noise: Any = MISSING
    cleanlearning: Any = MISSING
    summary: SummaryConfig = field(default_factory=SummaryConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    parallel: Any = MISSING  # runner.experiment.parallel's group: where the CV folds run
    # Set by a search sweeper (hydra/sweeper=optuna) on the jobs it launches, never by hand:
    # trial and reestimate jobs never score the test part; final (the best configuration,
    # once, after the search) does. null outside a search (runner.experiment.held_out).
    search_role: str | None = None


def register_configs() -> None:
    """Store the schemas in Hydra's ConfigStore (call before composing, e.g. at import time).

    The classifier schemas are generated from the installed estimators' signatures
    (runner.model.estimators), one per ``conf/classifier/*.yaml``; the dataset and parallel
    schemas are those their loaders and backends declare (discovered in their packages).
    """
    from runner.config.classifier_schemas import classifier_schemas
    from runner.datasets.base import bundled_schemas
    from runner.experiment import parallel

    store = ConfigStore.instance()
    store.store(name="base_config", node=RunConfig)
    for name, schema in bundled_schemas().items():
        store.store(name=name, node=schema)
    store.store(name="schema_cleanlearning", node=CleanLearningConfig)
    # built by importing each estimator, cached on disk by installed versions (start-up imports none)
    for name, schema in classifier_schemas(CONF_DIR / "classifier").items():
        store.store(name=name, node=schema)
    parallel.register_schemas(store)
