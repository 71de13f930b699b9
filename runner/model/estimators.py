"""The classifier node: every constructor parameter overridable as typed, only the set ones passed.

Hydra refuses ``classifier.max_depth=3`` unless ``max_depth`` is already in the composed
config (``+classifier.max_depth=3`` is needed otherwise). So :func:`register_classifier_schemas`
reads each ``conf/classifier/<name>.yaml`` at registration, imports its ``_target_`` and stores
a schema ``schema_classifier_<name>`` with one key per parameter of the *installed*
estimator's ``__init__`` (nested ``_target_`` nodes, such as svc's ``estimator``, likewise).
A key nobody set holds ``???`` and is not passed to the constructor (:func:`build_estimator`),
so the estimator's own default applies and no scikit-learn version's defaults are pinned in
YAML. The schema nodes are open (not struct): a typo reaches :func:`check_estimator_node`,
which names the valid parameters, instead of Hydra's bare "not in struct".

``classifier=custom classifier._target_=pkg.Class classifier.param=...`` names any estimator
without inheriting another option's parameters.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf

from runner.core.layout import read_yaml
from runner.core.names import did_you_mean
from runner.core.targets import import_target

__all__ = ["build_estimator", "check_estimator_node", "register_classifier_schemas", "set_parameters"]

UNSET = MISSING  # "???": the constructor's own default applies


def _parameters(cls) -> list[str] | None:
    """Keyword parameters of ``cls.__init__``; None when it takes ``**kwargs`` (any key)."""
    signature = inspect.signature(cls)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()):
        return None
    return [name for name, p in signature.parameters.items()
            if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]


def _schema(values: dict) -> DictConfig:
    """An open node with every constructor parameter of ``values['_target_']`` (unset: ???)."""
    node: dict[str, Any] = {"_target_": values.get("_target_", UNSET)}
    try:
        names = _parameters(import_target(values["_target_"])) or []
    except Exception:  # not importable here: validate_config reports it
        names = []
    for name in names:
        value = values.get(name)
        node[name] = _schema(value) if isinstance(value, dict) and "_target_" in value else UNSET
    schema = OmegaConf.create(node)
    OmegaConf.set_struct(schema, False)
    return schema


def register_classifier_schemas(store, classifier_dir: Path) -> None:
    """Store ``schema_classifier_<name>`` for each YAML of ``classifier_dir`` (and ``custom``)."""
    for path in sorted(Path(classifier_dir).glob("*.yaml")):
        values = read_yaml(path) or {}
        target = values.get("_target_")
        if isinstance(target, str) and target != UNSET:
            store.store(name=f"schema_classifier_{path.stem}", node=_schema(values))
    custom = OmegaConf.create({"_target_": UNSET})
    OmegaConf.set_struct(custom, False)
    store.store(name="schema_classifier_custom", node=custom)


def set_parameters(node: DictConfig | dict) -> dict:
    """The node as a plain dict without its unset (``???``) keys, nested nodes included."""
    if isinstance(node, (DictConfig, ListConfig)):
        node = OmegaConf.to_container(node, resolve=True)

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if v != UNSET}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(node)


def build_estimator(node: DictConfig | dict):
    """The estimator the node names, built with the parameters that were set."""
    from hydra.utils import instantiate

    return instantiate(set_parameters(node), _convert_="all")


def check_estimator_node(node: DictConfig, prefix: str = "classifier") -> list[str]:
    """One line per problem: an unimportable ``_target_``, a key that is not a parameter (with
    the valid ones), a constructor that fails, or an estimator without predict_proba."""
    values = set_parameters(node)
    problems = _check_keys(values, prefix)
    if problems:
        return problems
    target = values["_target_"]
    try:
        estimator = build_estimator(values)
    except Exception as error:  # a bad value for the estimator's __init__
        message = " ".join(str(error).split()) or type(error).__name__
        return [f"{prefix} cannot be built from _target_ {target!r}: {message}"]
    missing = [m for m in ("fit", "predict", "predict_proba") if not callable(getattr(estimator, m, None))]
    if missing:
        return [
            f"{prefix}._target_ must build an estimator with fit, predict and predict_proba; got {target!r} "
            f"(it lacks {', '.join(missing)})"
        ]
    return []


def _check_keys(values: dict, prefix: str) -> list[str]:
    target = values.get("_target_")
    if not isinstance(target, str):
        return [f"{prefix}._target_ must be an importable class path (e.g. classifier=custom "
                f"classifier._target_=sklearn.tree.DecisionTreeClassifier); got {target!r}"]
    try:
        cls = import_target(target)
    except Exception as error:  # noqa: BLE001 - any import failure is a config problem
        return [f"{prefix}._target_ cannot be imported; got {target!r} ({error})"]
    names = _parameters(cls)
    problems = []
    for key, value in values.items():
        if key.startswith("_"):
            continue
        if names is not None and key not in names:
            problems.append(
                f"{prefix}.{key} is not a parameter of {target} (a typo, or a parameter of the previous "
                f"_target_? use classifier=custom); got {value!r}{did_you_mean(key, names)}; valid: {', '.join(names)}"
            )
        elif isinstance(value, dict) and "_target_" in value:
            problems += _check_keys(value, f"{prefix}.{key}")
    return problems
