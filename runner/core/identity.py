"""One value, one identity: numbers typed two ways (``0`` in a preset, ``0.0`` in config.yaml).

YAML and Hydra's override grammar type ``0`` as an int and ``0.0`` as a float, and JSON keeps
the difference, so the same asymmetric noise (``sparsity: 0`` from an experiment preset,
``sparsity: 0.0`` from conf/noise/asymmetric.yaml) made two cache keys and the same
cross-validation ran twice. :func:`canonical_numbers` writes every number the way its
parameter is declared: an int given to a parameter of a ``_target_`` that is declared float
(annotated ``float``, ``float | None``, ..., or without annotation but with a float default)
becomes a float.

Only float-declared parameters are changed: for others an int and a float may mean different
things (scikit-learn's ``max_features=1`` is one feature, ``max_features=1.0`` all of them),
so they stay as typed and stay different keys.

Job identities (runner.core.layout.job_identity) compare parsed configs with ``==``, for
which ``0 == 0.0`` already: a job finished with ``sparsity: 0`` is recognised by a resumed
sweep that now resolves it to ``0.0``, and the other way round.
"""

from __future__ import annotations

import functools
import inspect
import re
import typing
from collections.abc import Mapping
from typing import Any

from runner.core.targets import import_target

__all__ = ["canonical_numbers", "float_parameters"]

_FLOAT_WORD = re.compile(r"\bfloat\b")
_INT_WORD = re.compile(r"\b(int|Integral|Real|Number|numbers)\b")


def canonical_numbers(node: Any) -> Any:
    """``node`` (nested dicts and lists) with the ints of float-declared parameters as floats."""
    if isinstance(node, Mapping):
        target = node.get("_target_")
        declared = float_parameters(target) if isinstance(target, str) else frozenset()
        return {
            name: float(value) if name in declared and type(value) is int else canonical_numbers(value)
            for name, value in node.items()
        }
    if isinstance(node, (list, tuple)):
        return [canonical_numbers(value) for value in node]
    return node


@functools.cache
def float_parameters(target: str) -> frozenset[str]:
    """The parameters of the ``_target_`` that are declared float (none when it does not import)."""
    try:
        signature = inspect.signature(import_target(target))
    except Exception:  # noqa: BLE001 - not importable or no signature: the checks report it
        return frozenset()
    return frozenset(name for name, parameter in signature.parameters.items() if _is_float(parameter))


def _is_float(parameter: inspect.Parameter) -> bool:
    annotation = parameter.annotation
    if annotation is inspect.Parameter.empty:
        return type(parameter.default) is float
    if isinstance(annotation, str):  # from __future__ import annotations
        return bool(_FLOAT_WORD.search(annotation)) and not _INT_WORD.search(annotation)
    members = typing.get_args(annotation) or (annotation,)
    return float in members and int not in members
