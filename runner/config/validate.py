"""The checks of a composed config that Hydra's schemas cannot express, before any work.

:func:`validate_config` lists every bad value of a config in one :class:`ConfigError`, one
line each naming the key and the value: ranges, choices, files that must exist, importable
``_target_`` classes, a dataset loader checked against its signature and its own declared
checks (runner.datasets.base), the noise node (runner.noise.validate_noise), the parallel
backend (runner.experiment.parallel) and the summary settings. :func:`config_problems` is the
same check as text, for the job (runner.job.lifecycle) and the whole-sweep check
(runner.sweep.check).
"""

from __future__ import annotations

import contextlib
import inspect
import json
from collections.abc import Callable, Iterator
from dataclasses import fields

from omegaconf import DictConfig, OmegaConf

from cleanlearn.filter import FILTERS
from cleanlearn.filter import RANKINGS as QUALITY_METHODS
from runner.config.hints import unknown_key_line
from runner.config.report_setting import report_run_problems
from runner.config.schema import (
    CleanLearningConfig,
    FindLabelIssuesKwargs,
    LabelQualityScoresKwargs,
    RunConfig,
)
from runner.core.checks import check as _check
from runner.core.checks import is_int as _is_int
from runner.core.checks import is_real as _is_real
from runner.core.checks import one_line
from runner.core.checks import show as _show
from runner.core.checks import value as _value
from runner.core.names import did_you_mean
from runner.core.targets import import_target
from runner.datasets.base import RUN_KEYS, LoaderSpec, loader_spec

__all__ = ["ConfigError", "FILTERS", "QUALITY_METHODS", "checked_config", "config_problems", "memoized_checks",
           "validate_config"]


# {(check, node as resolved JSON): problems} while memoized_checks() is active (a sweep's check)
_MEMO: dict[tuple[str, str], list[str]] | None = None


@contextlib.contextmanager
def memoized_checks() -> Iterator[None]:
    """Within this block, checks that build objects (an estimator per classifier node) run once
    per distinct node: the whole-sweep check of a grid sees each classifier node many times."""
    global _MEMO
    outer, _MEMO = _MEMO, {} if _MEMO is None else _MEMO
    try:
        yield
    finally:
        _MEMO = outer


def _memoized(name: str, node: DictConfig, check: Callable[[DictConfig], list[str]]) -> list[str]:
    if _MEMO is None:
        return check(node)
    try:
        key = (name, json.dumps(OmegaConf.to_container(node, resolve=True), sort_keys=True, default=repr))
    except Exception:  # noqa: BLE001 - not resolvable: the check itself says why
        return check(node)
    if key not in _MEMO:
        _MEMO[key] = check(node)
    return list(_MEMO[key])


class ConfigError(ValueError):
    """A config value is out of range, unknown, or points at something that does not exist."""


def checked_config(cfg: DictConfig) -> str:
    """The resolved config as YAML, after every check; raises on the first bad config."""
    validate_config(cfg)
    return OmegaConf.to_yaml(cfg, resolve=True)


def config_problems(cfg: DictConfig) -> str | None:
    """What is wrong with ``cfg`` (one line per problem), or None: the checks of a job's step 1."""
    try:
        validate_config(cfg)
        OmegaConf.to_container(cfg, resolve=True)  # every interpolation resolves (checked_config's YAML, faster)
    except ConfigError as error:
        return str(error)
    except Exception as error:  # noqa: BLE001 - e.g. an unresolvable interpolation
        return one_line(error)
    return None


def validate_config(cfg: DictConfig) -> None:
    """Raise :class:`ConfigError` listing every bad value of ``cfg`` (one line each).

    Checks what the schemas cannot: ranges, choices, that input files exist, that the dataset
    loader takes the arguments given (and its own declared checks), that each ``_target_``
    imports and builds an object with the methods the run needs, the noise node and the
    parallel backend. Touches no data.
    """
    from runner.experiment.parallel import validate_parallel
    from runner.model.estimators import check_estimator_node
    from runner.noise import is_no_noise, validate_noise
    from runner.results.settings import summary_problems

    problems: list[str] = []
    spec = _dataset_spec(cfg.dataset)
    problems += _check_unknown_keys(cfg, spec)
    problems += _check(cfg, "", "seed", lambda v: _is_int(v) and v >= 0, "an int >= 0")
    if "report" in cfg:
        problems += _check(cfg.report, "report", "top_k", lambda v: _is_int(v) and v >= 1, "an int >= 1")
        problems += report_run_problems(cfg.report)
    problems += _check_dataset(cfg.dataset, spec)
    if not spec.gives_pred_probs:  # a run on precomputed pred_probs trains nothing
        problems += _memoized("classifier", cfg.classifier, check_estimator_node)
    problems += validate_noise(cfg.noise, n_classes=_known_class_count(cfg.dataset, spec),
                               has_features=not spec.gives_pred_probs)
    if spec.gives_pred_probs and not problems and not is_no_noise(cfg.noise):
        problems.append(
            f"noise must be none for dataset={_value(cfg.dataset, 'name')} (its labels are used as given; "
            f"drop the noise override); got noise={_value(cfg.noise, 'name')}"
        )
    problems += _check_cleanlearning(cfg.cleanlearning)
    if "summary" in cfg:
        problems += summary_problems(cfg.summary, cfg.dataset)
    problems += validate_parallel(cfg.parallel)
    if not problems:
        problems += _check_against_class_count(cfg, spec)
    if problems:
        raise ConfigError("\n".join(problems))


def _dataset_spec(dataset: DictConfig) -> LoaderSpec:
    """What the loader named by ``dataset._target_`` declares (nothing if it does not import)."""
    target = _value(dataset, "_target_")
    try:
        return loader_spec(import_target(target))
    except Exception:  # noqa: BLE001 - _check_dataset reports it
        return LoaderSpec()


def _known_class_count(dataset: DictConfig, spec: LoaderSpec) -> int | None:
    if spec.n_classes is None:
        return None
    try:
        return spec.n_classes(dataset)
    except Exception:  # noqa: BLE001 - a bad value: the loader's check reports it
        return None


def _check_against_class_count(cfg: DictConfig, spec: LoaderSpec) -> list[str]:
    """Settings that only work for some numbers of classes, where that number is known."""
    n_classes = _known_class_count(cfg.dataset, spec)
    pulearning = cfg.cleanlearning.pulearning
    if n_classes is None or pulearning is None or n_classes == 2:
        return []
    return [
        f"cleanlearning.pulearning needs a two-class dataset (dataset={cfg.dataset.name} has "
        f"{n_classes} classes); got {pulearning}"
    ]


def _check_unknown_keys(cfg: DictConfig, spec: LoaderSpec) -> list[str]:
    """Keys added with ``+key=value`` bypass the schemas: refuse those the run would not use,
    at the top level too (``+clasifier=random_forest`` would otherwise run the default
    classifier beside a stray key)."""
    schemas = [
        ("cleanlearning", CleanLearningConfig),
        ("cleanlearning.find_label_issues_kwargs", FindLabelIssuesKwargs),
        ("cleanlearning.label_quality_scores_kwargs", LabelQualityScoresKwargs),
    ]
    if spec.schema is not None:
        schemas.append(("dataset", spec.schema))
    problems = []
    for path, schema in [("", RunConfig), *schemas]:
        node = OmegaConf.select(cfg, path) if path else cfg
        known = [f.name for f in fields(schema)]
        for key in node:
            if key not in known and not (not path and key == "hydra"):
                value = "???" if OmegaConf.is_missing(node, key) else _show(node[key])
                problems.append(unknown_key_line(f"{path}.{key}" if path else str(key), known, value))
    return problems


def _check_dataset(dataset: DictConfig, spec: LoaderSpec) -> list[str]:
    target = _value(dataset, "_target_")
    if not isinstance(target, str):
        return [f"dataset._target_ must name a loader function (e.g. runner.datasets.csv); got {_show(target)}"]
    # keys the loader's schema does not know are reported by _check_unknown_keys already
    known = None if spec.schema is None else {f.name for f in fields(spec.schema)}
    problems = _check_loader(dataset, target, known)
    if problems:
        return problems
    return _check_run_settings(dataset) + ([] if spec.check is None else spec.check(dataset))


def _check_loader(dataset: DictConfig, target: str, schema_keys: set[str] | None = None) -> list[str]:
    """The loader imports and takes the node's arguments (its signature, for any loader)."""
    try:
        loader = import_target(target)
    except Exception as error:  # noqa: BLE001 - any import failure is a config problem
        return [f"dataset._target_ cannot be imported; got {target!r} ({error})"]
    if not callable(loader):
        return [f"dataset._target_ must name a function returning runner.datasets.Dataset; got {target!r}"]
    signature = inspect.signature(loader)
    arguments = {key: None for key in dataset if key not in RUN_KEYS}
    if "seed" in signature.parameters:
        arguments["seed"] = 0  # the run passes its data seed
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
    valid = [name for name in signature.parameters if name != "seed"]
    problems = [
        f"dataset.{key} is not a parameter of the loader {target} (its parameters: "
        f"{', '.join(valid) or 'none'}); got {_show(dataset[key])}{did_you_mean(key, valid)}"
        for key in arguments if key not in signature.parameters and not accepts_any
        and (schema_keys is None or key in schema_keys)
    ]
    for name, parameter in signature.parameters.items():
        required = parameter.default is inspect.Parameter.empty and parameter.kind not in (
            inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
        if required and name not in arguments:
            problems.append(f"dataset.{name} is required by the loader {target}; set it: dataset.{name}=...")
        elif name in dataset and OmegaConf.is_missing(dataset, name):
            problems.append(f"dataset.{name} is required for dataset={dataset.get('name', target)}; got ??? "
                            f"(set dataset.{name}=...)")
    return problems


def _check_run_settings(dataset: DictConfig) -> list[str]:
    from runner.model.preprocessing import PREPROCESS

    checks = [
        ("test_size", lambda v: _is_real(v) and 0 <= v < 1, "a float in [0, 1)"),
        ("validation_size", lambda v: _is_real(v) and 0 <= v < 1, "a float in [0, 1)"),
        ("standardize", lambda v: isinstance(v, bool), "true or false"),
        ("preprocess", lambda v: v in PREPROCESS, f"one of {', '.join(PREPROCESS)}"),
        ("max_categories", lambda v: _is_int(v) and v >= 2, "an int >= 2"),
    ]
    return [line for key, ok, expected in checks if key in dataset
            for line in _check(dataset, "dataset", key, ok, expected)]


def _check_cleanlearning(node: DictConfig) -> list[str]:
    prefix = "cleanlearning"
    problems: list[str] = []
    target = _value(node, "_target_")
    try:
        import_target(target)
    except Exception as error:  # noqa: BLE001 - any import failure is a config problem
        problems.append(f"cleanlearning._target_ cannot be imported; got {target!r} ({error})")
    problems += _check(node, prefix, "cv_n_folds", lambda v: _is_int(v) and v >= 2, "an int >= 2")
    problems += _check(node, prefix, "pulearning", lambda v: v is None or (_is_int(v) and v in (0, 1)),
                       "null, 0 or 1")
    problems += _check(node, prefix, "n_jobs", lambda v: v is None or (_is_int(v) and (v == -1 or v >= 1)),
                       "null, -1 or an int >= 1")

    kwargs, kw_prefix = node.find_label_issues_kwargs, f"{prefix}.find_label_issues_kwargs"
    problems += _check(kwargs, kw_prefix, "filter_by", lambda v: v in FILTERS, f"one of {', '.join(FILTERS)}")
    problems += _check(kwargs, kw_prefix, "frac_noise", lambda v: _is_real(v) and 0 < v <= 1, "a float in (0, 1]")
    problems += _check(kwargs, kw_prefix, "min_examples_per_class", lambda v: _is_int(v) and v >= 0,
                       "an int >= 0")
    problems += _check(
        kwargs, kw_prefix, "num_to_remove_per_class",
        lambda v: v is None or all(_is_int(n) and n >= 0 for n in v),
        "null or a list of ints >= 0 (one per class)",
    )

    kwargs, kw_prefix = node.label_quality_scores_kwargs, f"{prefix}.label_quality_scores_kwargs"
    problems += _check(kwargs, kw_prefix, "method", lambda v: v in QUALITY_METHODS,
                       f"one of {', '.join(QUALITY_METHODS)}")
    if kwargs.method == "confidence_weighted_entropy" and kwargs.adjust_pred_probs:
        problems.append(
            f"{kw_prefix}.adjust_pred_probs must be false with method=confidence_weighted_entropy; got true"
        )
    return problems


