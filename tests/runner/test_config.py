"""The config groups compose, build what they name, and bad values fail before any work."""

from __future__ import annotations

import inspect
import itertools
import warnings
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import ConfigCompositionException
from hydra.utils import instantiate
from omegaconf import OmegaConf
from threadpoolctl import threadpool_limits

from runner.config import FILTERS, ConfigError, config_problems, register_configs, validate_config
from runner.model.estimators import build_estimator

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
DATASETS = ["digits", "iris", "wine", "breast_cancer", "synthetic", "csv", "parquet", "precomputed"]
CLASSIFIERS = ["logreg", "random_forest", "hist_gradient_boosting", "knn", "svc", "naive_bayes", "mlp"]

register_configs()


def compose_config(*overrides: str, hydra_node: bool = False):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=["cache_dir=null", *overrides], return_hydra_config=hydra_node)


@pytest.fixture(scope="module")
def data_files(tmp_path_factory):
    """A small CSV and precomputed .npy inputs, for the datasets that need files."""
    folder = tmp_path_factory.mktemp("inputs")
    (folder / "data.csv").write_text("a,b,label\n0.1,1.0,x\n0.2,0.5,y\n")
    import pandas as pd

    pd.read_csv(folder / "data.csv").to_parquet(folder / "data.parquet", engine="pyarrow")
    np.save(folder / "pred_probs.npy", np.full((4, 2), 0.5))
    np.save(folder / "labels.npy", np.array([0, 1, 0, 1]))
    return folder


def _dataset_overrides(name: str, folder: Path) -> list[str]:
    if name in ("csv", "parquet"):
        return [f"dataset={name}", f"dataset.path={folder / f'data.{name}'}", "dataset.label_column=label"]
    if name == "precomputed":
        return ["dataset=precomputed", f"dataset.pred_probs={folder / 'pred_probs.npy'}",
                f"dataset.labels={folder / 'labels.npy'}"]
    return [f"dataset={name}"]


def test_default_config_is_the_documented_experiment():
    cfg = compose_config()
    validate_config(cfg)
    assert cfg.dataset.name == "digits"
    assert cfg.classifier._target_ == "sklearn.linear_model.LogisticRegression"
    assert (cfg.noise.name, cfg.noise.rate) == ("asymmetric", 0.2)
    assert cfg.cleanlearning.cv_n_folds == 5
    assert cfg.seed == 0


@pytest.mark.parametrize("name", DATASETS)
def test_every_dataset_composes_and_validates(name, data_files):
    cfg = compose_config(*_dataset_overrides(name, data_files))
    validate_config(cfg)
    assert cfg.dataset.name == name
    # The node is typed by its schema: an unknown key is refused.
    with pytest.raises(ConfigCompositionException):
        compose_config(*_dataset_overrides(name, data_files), "dataset.not_a_key=1")


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_every_classifier_instantiates_with_the_seed(name):
    cfg = compose_config(f"classifier={name}", "seed=7")
    validate_config(cfg)
    estimator = build_estimator(cfg.classifier)
    assert callable(estimator.fit) and callable(estimator.predict_proba)
    params = estimator.get_params()
    if "random_state" in params:
        assert params["random_state"] == 7
    # Built without deprecated options (e.g. SVC(probability=True) in scikit-learn 1.9).
    # One thread: OpenMP estimators crawl when the shared cores are busy with other tests.
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("error", FutureWarning)
        warnings.simplefilter("error", DeprecationWarning)
        estimator.fit(np.arange(40.0).reshape(20, 2) % 7, np.arange(20) % 2)


def test_any_importable_estimator_can_be_the_classifier():
    # The old form still works: swap the _target_, drop the other option's keys, add new ones.
    cfg = compose_config("classifier=knn", "classifier._target_=sklearn.tree.DecisionTreeClassifier",
                         "~classifier.n_neighbors", "~classifier.weights", "+classifier.max_depth=3")
    validate_config(cfg)
    assert build_estimator(cfg.classifier).get_params()["max_depth"] == 3
    # classifier=custom inherits nothing, and its parameters need no `+`.
    cfg = compose_config("classifier=custom", "classifier._target_=sklearn.tree.DecisionTreeClassifier",
                         "classifier.max_depth=3", "classifier.random_state=${seed}", "seed=4")
    validate_config(cfg)
    assert {k: v for k, v in build_estimator(cfg.classifier).get_params().items()
            if k in ("max_depth", "random_state")} == {"max_depth": 3, "random_state": 4}


@pytest.mark.parametrize(("name", "keys"), [("none", {"name"}), ("uniform", {"name", "rate"}),
                                            ("asymmetric", {"name", "rate", "sparsity"})])
def test_every_noise_option_composes(name, keys):
    cfg = compose_config(f"noise={name}")
    validate_config(cfg)
    assert set(cfg.noise) == keys | {"_target_"}


def test_cleanlearning_node_builds_a_cleanlearning_with_the_configured_parameters():
    from sklearn.linear_model import LogisticRegression

    from cleanlearn.classification import CleanLearning

    cfg = compose_config("cleanlearning.cv_n_folds=3", "cleanlearning.find_label_issues_kwargs.filter_by=both",
                         "cleanlearning.label_quality_scores_kwargs.method=normalized_margin")
    clf = LogisticRegression()
    model = instantiate(cfg.cleanlearning, clf=clf, seed=11, _convert_="all")
    assert isinstance(model, CleanLearning)
    params = model.get_params(deep=False)
    assert params["clf"] is clf and params["seed"] == 11 and params["cv_n_folds"] == 3
    assert params["find_label_issues_kwargs"]["filter_by"] == "both"
    assert params["label_quality_scores_kwargs"] == {"method": "normalized_margin", "adjust_pred_probs": False}


def test_cleanlearning_defaults_are_the_reference_defaults():
    """The conf defaults reproduce a default cleanlab CleanLearning (the reference)."""
    cleanlab_classification = pytest.importorskip("cleanlab.classification")
    cleanlab_filter = pytest.importorskip("cleanlab.filter")
    rank = pytest.importorskip("cleanlab.rank")

    def defaults(function):
        return {n: p.default for n, p in inspect.signature(function).parameters.items()
                if p.default is not inspect.Parameter.empty}

    node = compose_config().cleanlearning
    reference = defaults(cleanlab_classification.CleanLearning.__init__)
    for key in ("cv_n_folds", "converge_latent_estimates", "pulearning", "verbose"):
        assert node[key] == reference[key], key
    filter_defaults = defaults(cleanlab_filter.find_label_issues)
    kwargs = node.find_label_issues_kwargs
    assert kwargs.filter_by == filter_defaults["filter_by"]
    assert kwargs.frac_noise == filter_defaults["frac_noise"]
    assert kwargs.num_to_remove_per_class == filter_defaults["num_to_remove_per_class"]
    assert kwargs.min_examples_per_class == 10  # CleanLearning merges this under the user's kwargs
    quality_defaults = defaults(rank.get_label_quality_scores)
    assert node.label_quality_scores_kwargs.method == quality_defaults["method"]
    assert node.label_quality_scores_kwargs.adjust_pred_probs == quality_defaults["adjust_pred_probs"]


def _sweep_combinations(cfg) -> list[list[str]]:
    """The job overrides a basic sweeper would generate from hydra.sweeper.params."""
    params = cfg.hydra.sweeper.params
    parser = OverridesParser.create()
    axes = []
    for key, value in params.items():
        override = parser.parse_override(f"{key}={value}")
        axes.append([f"{key}={v}" for v in override.sweep_string_iterator()])
    return [list(combo) for combo in itertools.product(*axes)]


def test_compare_filters_sweeps_every_filter_and_each_job_validates():
    cfg = compose_config("experiment=compare_filters", hydra_node=True)
    jobs = _sweep_combinations(cfg)
    # 10 seeds x every filter (the seeds let a paired test reach 0.05 after Holm over 21 pairs)
    assert len(jobs) == 10 * len(FILTERS)
    assert sorted({o.split("=")[1] for job in jobs for o in job if o.startswith("cleanlearning.")}) == sorted(FILTERS)
    assert {o for job in jobs for o in job if o.startswith("seed=")} == {f"seed={s}" for s in range(10)}
    for job in jobs[: len(FILTERS)]:  # one seed of each filter: the others differ only in the seed
        validate_config(compose_config("experiment=compare_filters", *job))


def test_compare_classifiers_sweeps_classifiers_by_two_noise_rates():
    cfg = compose_config("experiment=compare_classifiers", hydra_node=True)
    jobs = _sweep_combinations(cfg)
    assert len(jobs) == len(CLASSIFIERS) * 2 * 5  # x 5 seeds
    assert {o.split("=")[1] for job in jobs for o in job if o.startswith("classifier=")} == set(CLASSIFIERS)
    for job in [j for j in jobs if "seed=0" in j]:
        job_cfg = compose_config("experiment=compare_classifiers", *job)
        validate_config(job_cfg)
        assert job_cfg.noise.rate in (0.1, 0.3)


def test_pulearning_and_high_noise_fit_two_class_data(tmp_path):
    two_classes = compose_config("dataset=breast_cancer", "cleanlearning.pulearning=0", "noise.rate=0.4")
    table = tmp_path / "t.csv"  # the config check reads its header: label_column must be a column
    table.write_text("f,x\n1,a\n")
    unknown = compose_config("dataset=csv", f"dataset.path={table}",
                             "dataset.label_column=x", "cleanlearning.pulearning=1")  # K unknown before loading
    assert config_problems(two_classes) is None and config_problems(unknown) is None
    # The same setting on a dataset whose class count is known and is not 2 is refused.
    problem = config_problems(compose_config("dataset=digits", "cleanlearning.pulearning=0"))
    assert problem == ("cleanlearning.pulearning needs a two-class dataset (dataset=digits has 10 classes); "
                       "got 0")


def test_quick_preset_is_small():
    cfg = compose_config("experiment=quick")
    validate_config(cfg)
    assert cfg.dataset.name == "iris" and cfg.cleanlearning.cv_n_folds == 3


@pytest.mark.parametrize(
    "override",
    ["cleanlearning.cv_nfolds=3", "noise.ratee=0.1", "classifier=not_a_classifier", "dataset=mnist",
     "sed=1"],
)
def test_unknown_key_or_option_fails_at_composition(override):
    with pytest.raises(ConfigCompositionException):
        compose_config(override)


@pytest.mark.parametrize(
    "override",
    ["cleanlearning.cv_n_folds=abc", "seed=x", "dataset.test_size=[1]",
     "cleanlearning.converge_latent_estimates=maybe", "cleanlearning.pulearning=one"],
)
def test_wrong_type_fails_at_composition(override):
    with pytest.raises(ConfigCompositionException):
        compose_config(override)


@pytest.mark.parametrize(
    ("overrides", "key", "value"),
    [
        (["cleanlearning.cv_n_folds=1"], "cleanlearning.cv_n_folds", "1"),
        (["noise.rate=1.0"], "noise.rate", "1.0"),
        (["noise.rate=-0.1"], "noise.rate", "-0.1"),
        (["noise=uniform", "noise.rate=1.5"], "noise.rate", "1.5"),
        (["noise.sparsity=2.0"], "noise.sparsity", "2.0"),
        (["cleanlearning.pulearning=2"], "cleanlearning.pulearning", "2"),
        (["cleanlearning.pulearning=1"], "cleanlearning.pulearning", "10 classes"),
        (["dataset=breast_cancer", "noise.rate=0.5"], "noise.rate", "0.5"),
        (["dataset=synthetic", "dataset.n_classes=3", "noise.rate=0.7"], "noise.rate", "0.7"),
        (["cleanlearning.find_label_issues_kwargs.filter_by=prune_by_magic"],
         "cleanlearning.find_label_issues_kwargs.filter_by", "prune_by_magic"),
        (["cleanlearning.find_label_issues_kwargs.frac_noise=0"],
         "cleanlearning.find_label_issues_kwargs.frac_noise", "0"),
        (["cleanlearning.find_label_issues_kwargs.frac_noise=1.5"],
         "cleanlearning.find_label_issues_kwargs.frac_noise", "1.5"),
        (["cleanlearning.find_label_issues_kwargs.min_examples_per_class=-1"],
         "cleanlearning.find_label_issues_kwargs.min_examples_per_class", "-1"),
        (["cleanlearning.find_label_issues_kwargs.num_to_remove_per_class=[1,-2]"],
         "cleanlearning.find_label_issues_kwargs.num_to_remove_per_class", "-2"),
        (["cleanlearning.label_quality_scores_kwargs.method=entropy"],
         "cleanlearning.label_quality_scores_kwargs.method", "entropy"),
        (["cleanlearning.label_quality_scores_kwargs.method=confidence_weighted_entropy",
          "cleanlearning.label_quality_scores_kwargs.adjust_pred_probs=true"],
         "cleanlearning.label_quality_scores_kwargs.adjust_pred_probs", "true"),
        (["cleanlearning.n_jobs=0"], "cleanlearning.n_jobs", "0"),
        (["cleanlearning._target_=cleanlearn.nowhere.CleanLearning"], "cleanlearning._target_", "nowhere"),
        (["seed=-1"], "seed", "-1"),
        (["dataset.test_size=1.0"], "dataset.test_size", "1.0"),
        (["dataset=synthetic", "dataset.n_classes=1"], "dataset.n_classes", "1"),
        (["dataset=synthetic", "dataset.n_informative=1"], "dataset.n_informative", "1"),
        (["dataset=synthetic", "dataset.n_samples=20"], "dataset.n_samples", "20"),
        (["dataset=csv", "dataset.label_column=y"], "dataset.path", "???"),
        (["dataset=csv", "dataset.path=/no/such/file.csv", "dataset.label_column=y"], "dataset.path",
         "/no/such/file.csv"),
        (["dataset=precomputed", "noise=none", "dataset.pred_probs=/no/p.npy", "dataset.labels=/no/l.npy"],
         "dataset.pred_probs", "/no/p.npy"),
        (["dataset=precomputed", "noise=asymmetric", "dataset.pred_probs=/no/p.npy",
          "dataset.labels=/no/l.npy"], "dataset.pred_probs", "/no/p.npy"),
        (["noise.rate=high"], "noise.rate", "high"),
        (["classifier._target_=sklearn.linear_model.NoSuchModel"], "classifier._target_", "NoSuchModel"),
        (["classifier._target_=sklearn.svm.LinearSVC", "~classifier.max_iter", "~classifier.random_state"],
         "classifier._target_", "predict_proba"),
        (["classifier=svc", "classifier._target_=sklearn.svm.SVC", "~classifier.method", "~classifier.ensemble",
          "~classifier.estimator"], "classifier._target_", "predict_proba"),
        (["+classifier.not_a_parameter=1"], "classifier", "not_a_parameter"),
        (["+cleanlearning.typo=1"], "cleanlearning.typo", "1"),
        (["+cleanlearning.find_label_issues_kwargs.filterby=both"],
         "cleanlearning.find_label_issues_kwargs.filterby", "both"),
        (["+dataset.n_samples=10"], "dataset.n_samples", "10"),
    ],
)
def test_out_of_range_values_raise_config_error_naming_key_and_value(overrides, key, value):
    cfg = compose_config(*overrides)
    with pytest.raises(ConfigError) as error:
        validate_config(cfg)
    message = str(error.value)
    assert key in message and value in message
    assert isinstance(error.value, ValueError)
    assert len(message.splitlines()) <= 3  # short: one line per problem


def test_every_problem_is_reported_at_once():
    cfg = compose_config("cleanlearning.cv_n_folds=1", "noise.rate=2.0", "seed=-3")
    with pytest.raises(ConfigError) as error:
        validate_config(cfg)
    lines = str(error.value).splitlines()
    assert len(lines) == 3
    assert {line.split()[0] for line in lines} == {"cleanlearning.cv_n_folds", "noise.rate", "seed"}


def test_resolved_config_round_trips_through_yaml():
    """The wrapper records OmegaConf.to_yaml(cfg, resolve=True); it must load back equal."""
    cfg = compose_config("classifier=mlp")
    text = OmegaConf.to_yaml(cfg, resolve=True)
    assert OmegaConf.create(text) == OmegaConf.create(OmegaConf.to_container(cfg, resolve=True))
    assert OmegaConf.create(text).classifier.hidden_layer_sizes == [100]


@pytest.mark.slow
def test_compare_filters_preset_runs_as_a_multirun(tmp_path):
    """`python -m runner -m experiment=compare_filters`: one job per filter, CV computed once."""
    import subprocess
    import sys

    import yaml

    sweep_dir = tmp_path / "sweep"
    command = [sys.executable, "-m", "runner", "-m", "experiment=compare_filters", "dataset=iris", "seed=0",
               "cleanlearning.cv_n_folds=3", f"hydra.sweep.dir={sweep_dir}", f"cache_dir={tmp_path / 'cache'}"]
    result = subprocess.run(command, cwd=CONF_DIR.parent, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    job_dirs = sorted(p for p in sweep_dir.iterdir() if p.is_dir() and (p / ".hydra").is_dir())
    assert len(job_dirs) == len(FILTERS)
    seen = set()
    for job_dir in job_dirs:
        overrides = yaml.safe_load((job_dir / ".hydra" / "overrides.yaml").read_text())
        seen.update(o.split("=", 1)[1] for o in overrides if o.startswith("cleanlearning.find_label_issues_kwargs"))
        assert (job_dir / "label_issues.csv").is_file()
    assert seen == set(FILTERS)
    # Out-of-sample pred_probs are shared: one cache entry for the seven jobs.
    assert len(list((tmp_path / "cache" / "cv_pred_probs").iterdir())) == 1
