"""What, beside the code and the config, decides a cached number: the device, framework versions, threads.

A network's out-of-sample pred_probs differ in their last bits between a CPU and a GPU,
between torch releases and between CPU thread counts (the order of floating-point sums
changes). So a cache entry computed on one must never be read for another: the cache key
(runner.core.cache) holds :func:`runtime_identity` of the key, which is, for every node of
the key with a ``_target_``:

- what the target declares (:func:`declares_runtime`), called with the node's arguments
  completed by the target's defaults: the runner's networks (``torch_mlp``, ``torch_cnn``,
  ``keras_mlp``, ``TorchNetClassifier``, ``KerasNetClassifier``) give the *resolved* device
  (``auto`` becomes ``cuda`` or ``cpu`` on this machine), the torch / skorch / keras versions
  and the thread count of each fit;
- else, for a class built on a framework of :data:`FRAMEWORKS` (a user's own skorch or Keras
  model), the installed versions of those frameworks, its ``device`` argument and torch's
  current thread count;
- nothing for anything else (scikit-learn's estimators are identified by the package
  versions and code identity the cache already records).

Nodes inside a device-dependent one (a skorch net's ``module``) add nothing: they run on its
device. This module imports no framework: a declaration does, when its target is in the key.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Mapping
from importlib import metadata
from typing import Any

from runner.core.targets import import_target

__all__ = ["FRAMEWORKS", "declares_runtime", "framework_versions", "runtime_identity"]

# Distributions whose classes make a target device- and version-dependent (by import name).
FRAMEWORKS = ("torch", "skorch", "keras", "tensorflow", "jax")


def declares_runtime(identity: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable:
    """Declare ``identity(arguments) -> dict`` the runtime identity of a factory or class.

    ``arguments`` are the config node's arguments completed by the target's defaults (nested
    ``_target_`` nodes stay dicts). Subclasses of a declared class inherit the declaration.
    """

    def attach(target):
        target.runtime_identity = staticmethod(identity) if isinstance(target, type) else identity
        return target

    return attach


def runtime_identity(key: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{``_target_``: its runtime identity} for the device-dependent targets of ``key``."""
    found: dict[str, dict[str, Any]] = {}
    _collect(key, found)
    return dict(sorted(found.items()))


def _collect(node: Any, found: dict[str, dict[str, Any]]) -> None:
    """Add the identity of each outermost device-dependent target under ``node``: the nodes
    inside one (e.g. a skorch net's ``module``) run on its device, threads and versions."""
    if isinstance(node, (list, tuple)):
        for value in node:
            _collect(value, found)
        return
    if not isinstance(node, Mapping):
        return
    identity = _identity_of(node) if isinstance(node.get("_target_"), str) else None
    if identity is not None:
        found[node["_target_"]] = identity
        return
    for value in node.values():
        _collect(value, found)


def _identity_of(node: Mapping[str, Any]) -> dict[str, Any] | None:
    try:
        target = import_target(node["_target_"])
    except Exception:  # noqa: BLE001 - not importable: the config checks report it
        return None
    declared = getattr(target, "runtime_identity", None)
    if callable(declared):
        return declared(_arguments(target, node))
    if isinstance(target, type) and _frameworks_of(target):
        return _undeclared_identity(target, _arguments(target, node))
    return None


def framework_versions(names=FRAMEWORKS) -> dict[str, str]:
    """{distribution: version} of the installed ones among ``names``."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _arguments(target, node: Mapping[str, Any]) -> dict[str, Any]:
    """The node's arguments (no ``_target_``-like keys) plus the target's defaults for the rest."""
    given = {name: value for name, value in node.items() if not name.startswith("_")}
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return given
    defaults = {name: p.default for name, p in signature.parameters.items()
                if p.default is not inspect.Parameter.empty and p.kind is not p.VAR_KEYWORD}
    return {**defaults, **given}


def _frameworks_of(cls: type) -> list[str]:
    """The frameworks among the top-level packages of ``cls``'s bases."""
    packages = {base.__module__.partition(".")[0] for base in cls.__mro__}
    return [name for name in FRAMEWORKS if name in packages]


def _undeclared_identity(cls: type, arguments: Mapping[str, Any]) -> dict[str, Any]:
    frameworks = _frameworks_of(cls)
    if {"skorch", "keras"} & set(frameworks):
        frameworks.append("torch")  # skorch's engine; the runner's Keras backend
    identity: dict[str, Any] = {"versions": framework_versions(sorted(set(frameworks)))}
    if "device" in arguments:
        identity["device"] = str(arguments["device"])
    torch = sys.modules.get("torch")  # imported by the class's own module, if it uses torch
    if torch is not None:
        identity["threads"] = torch.get_num_threads()
    return identity
