"""Issue 19, case 6: a typo is refused in one line naming the closest valid key, never with
Hydra's "use +key" hint, and ``+key`` cannot smuggle in a top-level key the schema lacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from runner.config import ConfigError, register_configs, validate_config
from runner.config.hints import composition_hint

ROOT = Path(__file__).resolve().parents[2]
register_configs()


def composition_error(*overrides: str) -> BaseException:
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        with pytest.raises(Exception) as error:
            compose("config", overrides=["cache_dir=null", *overrides])
    return error.value


@pytest.mark.parametrize("override, line", [
    ("clasifier=random_forest", "unknown key `clasifier`; did you mean `classifier`? (keys of the config: "),
    ("cleanlearning.cv_n_fold=3", "unknown key `cleanlearning.cv_n_fold`; did you mean `cv_n_folds`? "
                                  "(keys of cleanlearning: _target_, converge_latent_estimates, cv_n_folds,"),
    ("noise.rat=0.1", "unknown key `noise.rat`; did you mean `rate`?"),
    ("classifier=random_forst", "unknown option `classifier=random_forst`; did you mean "
                                "`classifier=random_forest`? (options of classifier: "),
])
def test_hydra_composition_errors_become_one_line_with_the_closest_name(override, line):
    hint = composition_hint(composition_error(override))
    assert hint.startswith(line)
    assert "\n" not in hint and "+" not in hint


@pytest.mark.parametrize("overrides, line", [
    # logger and quality_score are config groups whose options set keys elsewhere: the hint
    # said "unknown key `logger`; did you mean `logger`?"
    (["logger=mlflow", "logger.tracking_uri=sqlite:///x.db"],
     "unknown key `logger.tracking_uri`: `logger` is a config group, not a key (options of logger: mlflow); "
     "its options set `hydra.callbacks.mlflow.*`; did you mean `hydra.callbacks.mlflow.tracking_uri`?"),
    (["quality_score.method=x"],
     "unknown key `quality_score.method`: `quality_score` is a config group, not a key (options of quality_score: "
     "confidence_weighted_entropy, normalized_margin, normalized_margin_adjusted, self_confidence, "
     "self_confidence_adjusted); its options set `cleanlearning.label_quality_scores_kwargs.*`; "
     "did you mean `cleanlearning.label_quality_scores_kwargs.method`?"),
    (["quality_score.nothing_like_it=1"],
     "unknown key `quality_score.nothing_like_it`: `quality_score` is a config group, not a key (options of "
     "quality_score: confidence_weighted_entropy, normalized_margin, normalized_margin_adjusted, self_confidence, "
     "self_confidence_adjusted); its options set `cleanlearning.label_quality_scores_kwargs.*`"),
])
def test_a_key_under_a_group_that_sets_keys_elsewhere_names_where_they_are(overrides, line):
    assert composition_hint(composition_error(*overrides)) == line


def test_the_top_level_keys_offered_include_the_groups_but_not_unknown_ones():
    hint = composition_hint(composition_error("clasifier=random_forest"))
    listed = hint.split("keys of the config: ")[1].rstrip(")").split(", ")
    assert {"classifier", "dataset", "seed", "logger", "experiment", "quality_score", "hydra"} <= set(listed)
    assert "clasifier" not in listed


def test_an_unrelated_error_gets_no_hint():
    assert composition_hint(ValueError("x")) is None


@pytest.mark.parametrize("override, line", [
    ("+clasifier=random_forest", "unknown key `clasifier` (got 'random_forest'); did you mean `classifier`?"),
    ("+cleanlearning.cv_n_fold=3", "unknown key `cleanlearning.cv_n_fold` (got 3); did you mean `cv_n_folds`?"),
    ("+summary.compare_metrc=issue_f1", "did you mean `compare_metric`?"),
])
def test_plus_cannot_add_a_key_the_schema_does_not_know(override, line):
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose("config", overrides=["cache_dir=null", "dataset=iris", override])
    with pytest.raises(ConfigError) as error:
        validate_config(cfg)
    assert line in str(error.value)
    assert "\n" not in str(error.value)


def test_a_user_loader_key_typo_is_reported_once_with_the_closest_name(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("x,label\n1,a\n")
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose("config", overrides=["cache_dir=null", "dataset=csv", f"dataset.path={path}",
                                           "dataset.label_column=label", "+dataset.lable_column=label"])
    with pytest.raises(ConfigError) as error:
        validate_config(cfg)
    assert str(error.value).count("lable_column") == 1
    assert "did you mean `label_column`?" in str(error.value)


@pytest.mark.slow
def test_the_command_line_refuses_a_typo_in_one_line_and_writes_nothing(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for override in ("clasifier=random_forest", "+clasifier=random_forest"):
        result = subprocess.run(
            [sys.executable, "-m", "runner", override, "dataset=iris", f"hydra.run.dir={tmp_path / 'run'}"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == 1, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "did you mean `classifier`?" in lines[0], result.stderr
        assert "+clasifier" not in lines[0] and "append" not in lines[0]
        assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("overrides, line", [
    (["seed=abc"], "bad value `seed=abc`: Value 'abc' of type 'str' could not be converted to Integer"),
    (["hydra/launcher=local", "hydra.launcher.n_jobs=two"],
     "bad value `hydra.launcher.n_jobs=two`: Value 'two' of type 'str' could not be converted to Integer"),
])
def test_a_value_the_schema_type_refuses_is_one_line(overrides, line):
    assert composition_hint(composition_error(*overrides)) == line


def test_the_command_line_refuses_a_badly_typed_value_in_one_line(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for args in (["seed=abc"], ["-m", "seed=abc,1", f"hydra.sweep.dir={tmp_path / 'sweep'}"]):
        result = subprocess.run([sys.executable, "-m", "runner", *args, f"hydra.run.dir={tmp_path / 'run'}"],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 1, result.stderr
        assert result.stderr.strip().splitlines()[-1].endswith(
            "bad value `seed=abc`: Value 'abc' of type 'str' could not be converted to Integer"), result.stderr
        assert "HYDRA_FULL_ERROR" not in result.stderr
        assert not (tmp_path / "run").exists() and not (tmp_path / "sweep").exists()
