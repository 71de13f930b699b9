"""Every kind of thing is added by a file and a YAML, and gets the bundled ones' checks.

A user package outside the repository (a temporary dir on sys.path) declares a dataset loader,
a noise model and a parallel backend next to their functions, and a config dir of its own
(``hydra.searchpath``) names them; validate_config then applies the same up-front checks as to
the bundled options. Inside the package, metrics and report sections are discovered from
their own modules (no list names them).
"""

from __future__ import annotations

import ast
import pkgutil
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir

from runner.config import ConfigError, config_problems, register_configs, validate_config
from runner.experiment.parallel import folds_backend
from runner.experiment.pipeline import run

REPO = Path(__file__).resolve().parents[2]
register_configs()

USER_PACKAGE = {
    "__init__.py": "",
    "loaders.py": '''
        from dataclasses import dataclass

        import numpy as np

        from runner.core.checks import check, is_int
        from runner.datasets import Dataset
        from runner.datasets.base import FeatureDatasetConfig, dataset_loader


        @dataclass
        class RingsConfig(FeatureDatasetConfig):
            n_per_class: int = 30
            test_size: float = 0.0


        def check_rings(node):
            return check(node, "dataset", "n_per_class", lambda v: is_int(v) and v >= 10, "an int >= 10")


        @dataset_loader(schema=RingsConfig, check=check_rings, n_classes=lambda node: 3)
        def rings(n_per_class=30, *, seed):
            rng = np.random.default_rng(seed)
            labels = np.repeat([0, 1, 2], n_per_class)
            angle = rng.uniform(0, 2 * np.pi, labels.size)
            radius = labels + 1 + 0.1 * rng.normal(size=labels.size)
            return Dataset(features=np.c_[radius * np.cos(angle), radius * np.sin(angle)], labels=labels)
    ''',
    "noise_models.py": '''
        import numpy as np

        from runner.noise import checked_by


        def check_to_last(parameters, *, n_classes, has_features):
            rate = parameters.get("rate")
            return [] if 0 <= rate < 0.5 else [f"noise.rate must be a float in [0, 0.5); got {rate!r}"]


        @checked_by(check_to_last)
        def to_last(true_labels, *, n_classes, seed, rate):
            rng = np.random.default_rng(seed)
            noisy = np.where(rng.random(true_labels.size) < rate, n_classes - 1, true_labels)
            matrix = (1 - rate) * np.eye(n_classes)
            matrix[n_classes - 1] += rate
            return noisy, matrix
    ''',
    "backends.py": '''
        import contextlib

        from runner.experiment.parallel import folds_backend_of

        CALLS = []


        def check_serial(node):
            folds = node.get("folds_at_once")
            return [] if folds == 1 else [f"parallel.folds_at_once must be 1; got {folds!r}"]


        @folds_backend_of(check=check_serial)
        @contextlib.contextmanager
        def serial(n_jobs, *, folds_at_once=1):
            CALLS.append(n_jobs)
            yield folds_at_once
    ''',
}
USER_CONF = {
    "dataset/rings.yaml": "_target_: user_pkg.loaders.rings\nname: rings\nn_per_class: 30\n",
    "noise/to_last.yaml": "_target_: user_pkg.noise_models.to_last\nname: to_last\nrate: 0.2\n",
    "parallel/serial.yaml": "_target_: user_pkg.backends.serial\nname: serial\nfolds_at_once: 1\n",
}


@pytest.fixture
def user_conf(tmp_path, monkeypatch):
    for name, text in USER_PACKAGE.items():
        path = tmp_path / "user_pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path))
    for name, text in USER_CONF.items():
        path = tmp_path / "conf" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / "conf"


def compose_config(user_conf: Path, *overrides: str):
    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        return compose("config", overrides=["cache_dir=null", f"hydra.searchpath=[file://{user_conf}]",
                                            "dataset=rings", "noise=to_last", "parallel=serial",
                                            "cleanlearning.cv_n_folds=3", *overrides])


def test_a_user_dataset_noise_model_and_backend_run_from_outside_the_repository(user_conf, tmp_path):
    import user_pkg.backends

    cfg = compose_config(user_conf)
    validate_config(cfg)
    metrics = run(cfg, tmp_path / "run")
    assert metrics["n_examples"] == 90 and 0 <= metrics["issue_recall"] <= 1
    assert user_pkg.backends.CALLS == [None]  # the folds ran through the user's backend


@pytest.mark.parametrize(("overrides", "expected"), [
    # the loader's schema: an unknown key, as for a bundled dataset
    (["+dataset.n_per_clas=3"], "unknown key `dataset.n_per_clas` (got 3); did you mean `n_per_class`? (keys of "
                                "dataset: _target_, max_categories, n_per_class, name, preprocess, standardize, "
                                "test_size, validation_size)"),
    # the loader's own check
    (["dataset.n_per_class=3"], "dataset.n_per_class must be an int >= 10; got 3"),
    # its declared class count, against a setting that needs two classes
    (["cleanlearning.pulearning=0"], "cleanlearning.pulearning needs a two-class dataset (dataset=rings has 3 "
                                     "classes); got 0"),
    # the noise model's check, and a key it does not take
    (["noise.rate=0.7"], "noise.rate must be a float in [0, 0.5); got 0.7"),
    (["+noise.sparsity=0.1"], "noise.sparsity is not a parameter of user_pkg.noise_models.to_last"),
    # the backend's check, and a key it does not take
    (["parallel.folds_at_once=2"], "parallel.folds_at_once must be 1; got 2"),
    (["+parallel.workers=2"], "parallel.workers is not a parameter of the backend user_pkg.backends.serial"),
])
def test_user_options_get_the_bundled_options_checks(user_conf, overrides, expected):
    problems = config_problems(compose_config(user_conf, *overrides))
    assert problems is not None and expected in problems, problems
    with pytest.raises(ConfigError):
        validate_config(compose_config(user_conf, *overrides))


def test_the_bundled_backends_are_targets_and_local_leaves_n_jobs_alone(user_conf):
    cfg = compose_config(user_conf, "parallel=local")
    assert cfg.parallel._target_ == "runner.experiment.parallel.local.folds_here"
    with folds_backend(cfg.parallel, 3) as n_jobs:
        assert n_jobs == 3


def _registering_modules(package: str, call: str) -> dict[str, int]:
    """{module: number of ``call(...)`` registrations in its source} of a package's modules."""
    root = REPO / package.replace(".", "/")
    counts = {}
    for module in pkgutil.iter_modules([str(root)]):
        if module.name.startswith("_"):
            continue
        tree = ast.parse((root / f"{module.name}.py").read_text(encoding="utf-8"))
        counts[module.name] = sum(
            isinstance(node, ast.Call) and getattr(node.func, "id", None) == call for node in ast.walk(tree))
    return counts


def test_metrics_are_discovered_from_their_modules_with_one_definition_each():
    from runner.scoring import metrics

    counts = _registering_modules("runner.scoring.metrics", "Metric")
    assert counts and all(n >= 1 for n in counts.values()), counts  # every module registers its own
    assert len(metrics.METRICS) == sum(counts.values())  # found by discovery, none listed elsewhere
    held_out = {m.name for m in metrics.METRICS.values() if m.held_out}
    # held out = scored on the test part: what a search must never see (val_* is its objective)
    assert held_out == {m for m in metrics.METRICS if m.startswith("test_")}
    assert all(m.labels == "held-out" for m in metrics.METRICS.values() if m.held_out)
    assert not metrics.is_held_out("val_accuracy_cleanlearning") and not metrics.is_held_out("n_test_examples")
    assert metrics.is_held_out("test_accuracy_given_cleanlearning")
    assert metrics.is_held_out("test_something_unregistered") and not metrics.is_held_out("issue_f1")
    assert metrics.without_held_out({"test_accuracy_baseline": 1, "issue_f1": 2, "val_accuracy_cleanlearning": 3}) \
        == {"issue_f1": 2, "val_accuracy_cleanlearning": 3}


def test_report_sections_are_discovered_from_their_modules():
    from runner.report.sections import sections_of

    counts = _registering_modules("runner.report.sections", "report_section")
    assert counts and all(n >= 1 for n in counts.values()), counts
    found = sections_of("run") + sections_of("sweep")
    assert len(found) == sum(counts.values())
    assert {s.render.__module__.rpartition(".")[2] for s in found} == set(counts)


def test_every_metric_a_run_writes_is_registered(tmp_path):
    from runner.scoring.metrics import METRICS

    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        cfg = compose("config", overrides=["cache_dir=null", "experiment=quick", "dataset.validation_size=0.2"])
    metrics = run(cfg, tmp_path)
    written = {name for name in metrics if not name.endswith("_seconds")}
    assert written <= set(METRICS), written - set(METRICS)
    assert np.isfinite([metrics[name] for name in written]).all()


def test_the_guides_metrics_table_is_the_registrys():
    from runner.scoring.metrics import markdown_table

    readme = (REPO / "docs" / "guide" / "metrics.md").read_text(encoding="utf-8")
    start = readme.index("<!-- metrics table: python -m runner.scoring.metrics -->\n")
    end = readme.index("<!-- end of the metrics table -->", start)
    block = readme[start:end].split("\n", 1)[1]
    assert block == markdown_table()


def test_docs_metrics_table_is_generated_from_the_registry(tmp_path, monkeypatch):
    """docs/runner/metrics.md includes the table the docs build writes from the registry."""
    import importlib.util

    from runner.scoring.metrics import METRICS, markdown_table

    page = (REPO / "docs" / "runner" / "metrics.md").read_text(encoding="utf-8")
    assert "```{include} ../_generated/metrics.md" in page
    spec = importlib.util.spec_from_file_location("runner_reference", REPO / "docs" / "_ext" / "runner_reference.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    monkeypatch.setattr(generator, "GENERATED", tmp_path)
    generator.generate_metrics()
    table = (tmp_path / "metrics.md").read_text(encoding="utf-8")
    assert table == markdown_table()
    assert all(f"| `{name}` |" in table for name in METRICS)
