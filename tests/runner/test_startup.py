"""Start-up and composition costs that must not grow: ``python -m runner --help`` imports no
scientific stack, the classifier schemas come from a disk cache keyed by what they are built
from, and the caching config loader composes exactly what Hydra's own loader composes, once per
distinct defaults list."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.utils import create_config_search_path
from hydra.types import RunMode
from omegaconf import OmegaConf

from runner.config import CONF_DIR, register_configs
from runner.config import classifier_schemas as schemas_cache
from runner.core.layout import register_resolvers
from runner.sweep.composition import CachingConfigLoader

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("sklearn", "pandas", "scipy", "matplotlib", "cleanlearn", "torch", "keras")

# `python -m runner --help` in this interpreter, then the heavy packages it imported, as JSON.
HELP_PROBE = """
import json, runpy, sys
sys.argv = ["runner", "--help"]
try:
    runpy.run_module("runner", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY))))
"""


def run_help_probe(cache_dir: Path) -> tuple[list[str], str]:
    code = f"HEAVY = {list(HEAVY)!r}\n" + HELP_PROBE
    env = {**os.environ, "CLEANLEARN_CACHE_DIR": str(cache_dir)}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    *help_lines, imported = result.stdout.rstrip("\n").split("\n")
    return json.loads(imported), "\n".join(help_lines)


@pytest.mark.slow
def test_help_imports_no_scientific_stack_once_the_schemas_are_cached(tmp_path):
    cold_imported, cold_help = run_help_probe(tmp_path)  # builds the classifier schemas (imports them)
    assert list(tmp_path.glob("classifier_schemas-*.yaml"))
    warm_imported, warm_help = run_help_probe(tmp_path)
    assert warm_imported == [], f"--help imported {warm_imported}"
    assert warm_help == cold_help and "== Config groups" in warm_help and "classifier: " in warm_help


def test_cached_classifier_schemas_equal_the_built_ones(tmp_path, monkeypatch):
    monkeypatch.setenv(schemas_cache.CACHE_ENV, str(tmp_path))
    built = schemas_cache.classifier_schemas(CONF_DIR / "classifier")  # cold: built, then stored
    (cached_file,) = tmp_path.glob("classifier_schemas-*.yaml")
    from_cache = schemas_cache.classifier_schemas(CONF_DIR / "classifier")
    assert list(tmp_path.glob("classifier_schemas-*.yaml")) == [cached_file]
    assert {name: OmegaConf.to_container(node) for name, node in built.items()} == {
        name: OmegaConf.to_container(node) for name, node in from_cache.items()}
    # the parameters in the constructor's order (what --cfg job prints), open nodes
    logreg = from_cache["schema_classifier_logreg"]
    from sklearn.linear_model import LogisticRegression

    assert list(logreg)[:3] == ["_target_", *list(inspect.signature(LogisticRegression).parameters)[:2]]
    assert not OmegaConf.is_struct(logreg)
    assert set(built) >= {"schema_classifier_logreg", "schema_classifier_naive_bayes", "schema_classifier_custom"}


def test_schema_cache_key_follows_the_options_text_and_the_installed_code(tmp_path):
    options = {"nb": "_target_: sklearn.naive_bayes.GaussianNB\n"}
    key = schemas_cache.schemas_key(options)
    assert schemas_cache.schemas_key(dict(options)) == key  # stable
    assert schemas_cache.schemas_key({"nb": options["nb"] + "var_smoothing: 1.0e-08\n"}) != key
    assert schemas_cache.schemas_key({"nb": "_target_: sklearn.naive_bayes.BernoulliNB\n"}) != key
    # a target defined in a file of ours: editing the file changes the key
    package = tmp_path / "schema_probe_pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "models.py").write_text("class A:\n    def __init__(self, x=1): ...\n")
    sys.path.insert(0, str(tmp_path))
    try:
        probe = {"a": "_target_: schema_probe_pkg.sub.models.A\n"}
        before = schemas_cache.schemas_key(probe)
        (package / "sub" / "models.py").write_text("class A:\n    def __init__(self, x=1, y=2): ...\n")
        assert schemas_cache.schemas_key(probe) != before
    finally:
        sys.path.remove(str(tmp_path))


# ---------------------------------------------------------------------------------------
# the caching config loader


@pytest.fixture(scope="module")
def loaders():
    register_configs()
    register_resolvers()
    search_path = create_config_search_path(str(CONF_DIR))
    return ConfigLoaderImpl(config_search_path=search_path), CachingConfigLoader(config_search_path=search_path)


JOBS = [
    ["seed=1", "noise.rate=0.3"],
    ["seed=2", "noise.rate=0.3"],
    ["classifier=naive_bayes", "seed=1", "dataset=iris"],
    ["seed=3", "classifier=naive_bayes", "dataset=iris", "cleanlearning.find_label_issues_kwargs.filter_by=both"],
    ["experiment=paper_grid", "noise.sparsity=0.4", "seed=0", "hydra.sweep.dir=/tmp/x"],
    ["+classifier.foo=1", "classifier=custom", "classifier._target_=sklearn.naive_bayes.GaussianNB"],
]


def test_caching_loader_composes_what_hydra_composes(loaders):
    hydra_loader, caching = loaders
    for overrides in JOBS * 2:  # the second round from the cache
        for mode in (RunMode.RUN, RunMode.MULTIRUN):
            expected = hydra_loader.load_configuration("config", list(overrides), run_mode=mode)
            got = caching.load_configuration("config", list(overrides), run_mode=mode)
            assert OmegaConf.to_yaml(got) == OmegaConf.to_yaml(expected), overrides
            assert OmegaConf.get_type(got) is OmegaConf.get_type(expected)
            assert OmegaConf.is_struct(got) and OmegaConf.is_struct(got.dataset) == OmegaConf.is_struct(expected.dataset)


def test_caching_loader_composes_once_per_distinct_defaults_list(loaders):
    _, _ = loaders
    caching = CachingConfigLoader(config_search_path=create_config_search_path(str(CONF_DIR)))
    for seed in range(5):
        for rate in ("0.1", "0.2"):
            caching.load_configuration("config", [f"seed={seed}", f"noise.rate={rate}"], run_mode=RunMode.MULTIRUN)
    assert caching.compositions_built == 1
    caching.load_configuration("config", ["classifier=naive_bayes", "seed=0"], run_mode=RunMode.MULTIRUN)
    assert caching.compositions_built == 2
    # a bad value is refused as Hydra refuses it, every time (not cached)
    for _ in range(2):
        with pytest.raises(Exception, match="seed"):
            caching.load_configuration("config", ["seed=abc"], run_mode=RunMode.MULTIRUN)


def test_caching_loader_pickles_without_its_cache(loaders):
    import pickle

    _, caching = loaders
    caching.load_configuration("config", ["seed=1"], run_mode=RunMode.MULTIRUN)
    copy = pickle.loads(pickle.dumps(caching))
    assert copy.compositions_built == caching.compositions_built and copy._compositions == {}
    assert OmegaConf.to_yaml(copy.load_configuration("config", ["seed=1"], run_mode=RunMode.MULTIRUN)) == \
        OmegaConf.to_yaml(caching.load_configuration("config", ["seed=1"], run_mode=RunMode.MULTIRUN))
