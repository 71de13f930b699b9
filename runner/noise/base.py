"""Label noise models of the noisy-label literature, each a function named by ``_target_``.

A noise option is one YAML file in ``conf/noise/``: ``_target_`` names the function, the other
keys are its parameters (``name`` is a label for logs and summaries, never passed on)::

    # conf/noise/pairflip.yaml
    _target_: runner.noise.pairflip
    name: pairflip
    rate: 0.2

The run calls :func:`inject_noise` with that node; :func:`validate_noise` lists a bad node's
problems before any work; :func:`is_no_noise` tells the run that ``noise=none`` leaves nothing
known about the labels. The bundled models:

=============  ==============================================================================
``none``       labels as given; the identity matrix
``symmetric``  flip with probability ``rate`` to a uniformly chosen *other* class (the flip
               never lands on the true class, so ``rate`` is the flip rate); alias ``uniform``
``pairflip``   class j to class (j + 1) mod K with probability ``rate`` (Han et al. 2018)
``asymmetric`` the confident-learning paper's random matrix with trace K (1 - ``rate``) and a
               fraction ``sparsity`` of zero off-diagonal rates; exact counts per cell
``matrix``     a given matrix P(given = i | true = j) read from ``path`` (.npy or .csv)
``instance``   Xia et al. (2020) part-dependent, instance-dependent noise (needs features)
=============  ==============================================================================

Calling convention of a noise model (bundled or your own)::

    def my_noise(true_labels, *, n_classes, seed, features=None, **parameters):
        return noisy_labels, noise_matrix

- ``true_labels``: (n_examples,) int array of class indices 0..n_classes-1, read-only (copy it
  to edit).
- ``n_classes``: int K. Classes may have no example.
- ``seed``: an int; draw everything from ``np.random.default_rng(seed)`` (no global state), so
  the same seed gives the same labels.
- ``features``: (n_examples, n_features) float array, the numeric standardised training
  features, or None (precomputed pred_probs). Passed only if the function has a ``features``
  parameter (or ``**kwargs``).
- ``parameters``: the YAML's other keys, as keyword arguments (a key without a default in the
  signature is required, a key not in the signature is refused, both by :func:`validate_noise`).
- Returns ``noisy_labels``, (n_examples,) ints in 0..K-1, and ``noise_matrix``, (K, K) with
  ``noise_matrix[i, j] = P(given = i | true = j)`` (columns sum to 1): the matrix actually
  applied. :func:`inject_noise` checks both.
- Optionally, ``my_noise.check_parameters = f`` with ``f(parameters, *, n_classes, has_features)
  -> list[str]`` adds range checks to :func:`validate_noise` (n_classes may be None: unknown).
  The bundled models carry theirs.

"The matrix actually applied" is the matrix the labels were drawn from where the model has one
(symmetric, pairflip, matrix: each label drawn independently; asymmetric, and matrix with
``exact_counts``: exactly ``int(P(i|j) n_j)`` labels per cell, so the realised rate is a little
lower), and the realised matrix
(given vs true counts) for ``instance``, whose flips are per example.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from runner.core.names import did_you_mean
from runner.core.targets import import_target

__all__ = [
    "checked_by",
    "describe_noise",
    "inject_noise",
    "is_no_noise",
    "realised_noise_matrix",
    "validate_noise",
]

# Keys of a noise node that are not parameters of the model.
RESERVED_KEYS = ("_target_", "name")
# What inject_noise itself passes; never configurable.
CALL_ARGUMENTS = ("true_labels", "n_classes", "seed", "features")
# Columns of a noise matrix must sum to 1 within this (a CSV written with 6 decimals passes).
SUM_TOLERANCE = 1e-4
_MISSING = "???"  # OmegaConf's mandatory value


# ---------------------------------------------------------------------------------------
# The run's entry points
# ---------------------------------------------------------------------------------------


def inject_noise(
    noise_cfg: Mapping | DictConfig,
    true_labels: np.ndarray,
    *,
    n_classes: int,
    seed: int,
    features: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(noisy_labels, noise_matrix)``: the model ``noise_cfg._target_`` applied.

    ``noise_matrix[i, j] = P(given = i | true = j)``, columns summing to 1. Raises
    ``ValueError`` with :func:`validate_noise`'s lines for a bad node, and when the model returns
    labels or a matrix of the wrong shape or range.
    """
    true_labels = np.asarray(true_labels)
    if true_labels.ndim != 1 or true_labels.dtype.kind not in "iu":
        raise ValueError(f"true_labels must be a 1-D integer array; got shape {true_labels.shape}, "
                         f"dtype {true_labels.dtype}")
    if true_labels.size and (true_labels.min() < 0 or true_labels.max() >= n_classes):
        raise ValueError(f"true_labels must be class indices 0..{n_classes - 1}; got values in "
                         f"[{true_labels.min()}, {true_labels.max()}]")
    problems = validate_noise(noise_cfg, n_classes=n_classes, has_features=features is not None)
    if problems:
        raise ValueError("\n".join(problems))
    target, parameters = _split_node(noise_cfg)
    model = import_target(target)
    keywords = {"n_classes": n_classes, "seed": seed, **parameters}
    if _accepts(model, "features"):
        keywords["features"] = features
    read_only = true_labels.view()  # a model that edits the true labels in place fails loudly
    read_only.flags.writeable = False
    noisy_labels, noise_matrix = model(read_only, **keywords)
    return _checked_output(target, noisy_labels, noise_matrix, true_labels.shape[0], n_classes)


def validate_noise(
    noise_cfg: Mapping | DictConfig, *, n_classes: int | None = None, has_features: bool = True
) -> list[str]:
    """One short line per problem of the noise node (never raises); empty when it is fine.

    Checks that ``_target_`` imports as a function taking the calling convention, that every
    key is one of its parameters and every required one is set, and the model's own ranges
    (``check_parameters``: rates, files, the matrix's shape and orientation, the asymmetric
    trace limit when ``n_classes`` is known, features for ``instance``).
    """
    try:
        target, parameters = _split_node(noise_cfg)
    except TypeError as error:
        return [str(error)]
    except Exception as error:  # e.g. an interpolation that does not resolve
        return [f"noise cannot be resolved: {type(error).__name__}: {error}".splitlines()[0]]
    if target is None:
        return [f"noise._target_ is required (a noise model function, e.g. runner.noise.symmetric); "
                f"got a node with keys {sorted(parameters)}"]
    try:
        model = import_target(target)
    except (ImportError, AttributeError) as error:
        return [f"noise._target_={target!r} cannot be imported: {error}"]
    except Exception as error:  # the user's module fails while importing
        return [f"noise._target_={target!r} cannot be imported: {type(error).__name__}: {error}"]
    if not callable(model):
        return [f"noise._target_={target!r} must name a function; got a {type(model).__name__}"]
    convention = _check_convention(target, model)
    if convention:
        return convention
    unknown, absent = _check_keys(target, model, parameters)
    missing = [key for key, value in parameters.items() if value == _MISSING]
    problems = unknown + absent + [f"noise.{key} is required; got ??? (set it: noise.{key}=...)" for key in missing]
    check = getattr(model, "check_parameters", None)
    if check is None or absent or missing:  # its checks may read any parameter
        return problems
    try:
        return problems + list(check(parameters, n_classes=n_classes, has_features=has_features))
    except Exception as error:  # a user's check must not crash the validation
        return problems + [f"noise._target_={target!r}: its check_parameters failed: "
                           f"{type(error).__name__}: {error}"]


def is_no_noise(noise_cfg: Mapping | DictConfig) -> bool:
    """True when the node injects nothing (``noise=none``): the given labels are not known true."""
    target, _ = _split_node(noise_cfg)
    if target is None:  # a node from before the noise models were _target_s
        return _get(noise_cfg, "name") == "none"
    try:
        return bool(getattr(import_target(target), "injects_nothing", False))
    except Exception:  # not importable: validate_noise reports it
        return False


# ---------------------------------------------------------------------------------------
# Checks shared by the models (the same rules when called directly and in validate_noise)
# ---------------------------------------------------------------------------------------


def checked_by(check: Callable[..., list[str]], *, injects_nothing: bool = False):
    """Attach ``check`` as the model's ``check_parameters`` (read by :func:`validate_noise`).

    ``injects_nothing``: the model leaves the labels as given (``noise=none``), so nothing is
    known about which labels are wrong (:func:`is_no_noise`).
    """

    def attach(model):
        model.check_parameters = check
        model.injects_nothing = injects_nothing
        return model

    return attach


def raise_problems(check, parameters: dict, *, n_classes: int, has_features: bool = True) -> None:
    problems = check(parameters, n_classes=n_classes, has_features=has_features)
    if problems:
        raise ValueError("\n".join(problems))


def is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_rate(parameters: dict, key: str = "rate") -> list[str]:
    value = parameters.get(key, 0.0)
    if not (is_real(value) and 0 <= value < 1):
        return [f"noise.{key} must be a float in [0, 1); got {value!r}"]
    return []


def check_bool(parameters: dict, key: str) -> list[str]:
    value = parameters.get(key, False)
    return [] if isinstance(value, bool) else [f"noise.{key} must be true or false; got {value!r}"]


def check_two_classes(model: str, n_classes: int | None) -> list[str]:
    if n_classes is not None and n_classes < 2:
        return [f"noise={model} needs at least 2 classes; got n_classes={n_classes}"]
    return []



def realised_noise_matrix(noisy_labels: np.ndarray, true_labels: np.ndarray, n_classes: int) -> np.ndarray:
    """P(given = i | true = j) counted from the labels; a class never true gets an identity column."""
    counts = np.zeros((n_classes, n_classes))
    np.add.at(counts, (noisy_labels, true_labels), 1)
    totals = counts.sum(axis=0)
    empty = totals == 0
    counts[:, empty] = np.eye(n_classes)[:, empty]
    totals[empty] = 1
    return counts / totals



def draw_categorical(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One class per row of ``probabilities`` (N, K), rows summing to 1; a zero entry is never drawn."""
    n_rows, n_classes = probabilities.shape
    cumulative = np.cumsum(probabilities, axis=1)
    # Rounding can leave the last sum a hair below 1: end each row at exactly 1 from its last
    # positive entry on, so u in [0, 1) always lands on a class of positive probability.
    last_positive = n_classes - 1 - np.argmax(probabilities[:, ::-1] > 0, axis=1)
    cumulative[np.arange(n_classes) >= last_positive[:, None]] = 1.0
    uniforms = rng.random(n_rows)
    return (cumulative <= uniforms[:, None]).sum(axis=1)



def _split_node(noise_cfg) -> tuple[str | None, dict[str, Any]]:
    """(target, parameters) of a noise node; missing values (???) stay the string '???'."""
    if isinstance(noise_cfg, DictConfig):
        node = OmegaConf.to_container(noise_cfg, resolve=True, throw_on_missing=False)
    elif isinstance(noise_cfg, Mapping):
        node = dict(noise_cfg)
    else:
        raise TypeError(f"noise must be a mapping with _target_ and parameters; got {type(noise_cfg).__name__}")
    target = node.get("_target_")
    parameters = {key: value for key, value in node.items() if key not in RESERVED_KEYS}
    return target, parameters


def _get(noise_cfg, key: str) -> Any:
    return noise_cfg.get(key) if isinstance(noise_cfg, (Mapping, DictConfig)) else None


def _accepts(model: Callable, name: str) -> bool:
    parameters = inspect.signature(model).parameters.values()
    return any(p.name == name or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


_CONVENTION = "fn(true_labels, *, n_classes, seed, features=None, **parameters)"


def _check_convention(target: str, model: Callable) -> list[str]:
    """The model takes the true labels first and the keywords n_classes and seed."""
    try:
        given = list(inspect.signature(model).parameters.values())
    except (TypeError, ValueError):
        return [f"noise._target_={target!r} has no inspectable signature; wrap it in a Python function"]
    if not any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in given):
        return [f"noise._target_={target!r} must take the true labels as its first argument: {_CONVENTION}"]
    absent = [name for name in ("n_classes", "seed") if not _accepts(model, name)]
    if absent:
        return [f"noise._target_={target!r} must accept the keyword(s) {', '.join(absent)}: {_CONVENTION}"]
    return []


def _check_keys(target: str, model: Callable, parameters: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(unknown keys, required parameters not set), one line each."""
    given = list(inspect.signature(model).parameters.values())
    takes_any_keyword = any(p.kind is p.VAR_KEYWORD for p in given)
    own = {p.name: p for p in given[1:] if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    configurable = [name for name in own if name not in CALL_ARGUMENTS]
    unknown, absent = [], []
    for key, value in parameters.items():
        if key in CALL_ARGUMENTS:
            unknown.append(f"noise.{key} is passed by the run, not set in the config; got {value!r}")
        elif key not in own and not takes_any_keyword:
            unknown.append(f"noise.{key} is not a parameter of {target} (parameters: "
                            f"{', '.join(configurable) or 'none'}); got {value!r}{did_you_mean(key, configurable)}")
    for name in configurable:
        if own[name].default is inspect.Parameter.empty and name not in parameters:
            absent.append(f"noise.{name} is required by {target}; got nothing (set it: +noise.{name}=...)")
    return unknown, absent


def _checked_output(target: str, noisy_labels, noise_matrix, n_examples: int, n_classes: int):
    noisy_labels, noise_matrix = np.asarray(noisy_labels), np.asarray(noise_matrix, dtype=np.float64)
    if noisy_labels.shape != (n_examples,) or noisy_labels.dtype.kind not in "iu":
        raise ValueError(f"noise model {target} must return ({n_examples},) integer labels; got shape "
                         f"{noisy_labels.shape}, dtype {noisy_labels.dtype}")
    if n_examples and (noisy_labels.min() < 0 or noisy_labels.max() >= n_classes):
        raise ValueError(f"noise model {target} must return labels in 0..{n_classes - 1}; got values in "
                         f"[{noisy_labels.min()}, {noisy_labels.max()}]")
    if noise_matrix.shape != (n_classes, n_classes):
        raise ValueError(f"noise model {target} must return a ({n_classes}, {n_classes}) noise matrix; "
                         f"got shape {noise_matrix.shape}")
    column_sums = noise_matrix.sum(axis=0)
    if not (np.all(noise_matrix >= 0) and np.allclose(column_sums, 1, atol=SUM_TOLERANCE, rtol=0)):
        raise ValueError(f"noise model {target} must return a noise matrix P(given = i | true = j) "
                         f"with entries >= 0 and columns summing to 1; column sums {np.round(column_sums, 6)}")
    return noisy_labels, noise_matrix


def describe_noise(noise: Mapping, *, inline: bool = False) -> str:
    """'asymmetric (rate=0.2, sparsity=0.0)' (titles) or, ``inline``, 'asymmetric rate=0.2
    sparsity=0.0' (log lines): the option's name and any noise model's parameters."""
    name = noise.get("name") or str(noise.get("_target_", "noise")).rsplit(".", 1)[-1]
    params = [f"{key}={value}" for key, value in noise.items() if key not in RESERVED_KEYS]
    if inline:
        return " ".join([str(name), *params])
    return f"{name} ({', '.join(params)})" if params else str(name)
