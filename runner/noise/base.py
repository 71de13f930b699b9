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

import importlib
import inspect
import numbers
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

__all__ = [
    "asymmetric",
    "inject_noise",
    "instance",
    "is_no_noise",
    "matrix",
    "none",
    "pairflip",
    "realised_noise_matrix",
    "symmetric",
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
    model = _locate(target)
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
        model = _locate(target)
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
        return _locate(target) is none
    except Exception:  # not importable: validate_noise reports it
        return False


# ---------------------------------------------------------------------------------------
# Checks shared by the models (the same rules when called directly and in validate_noise)
# ---------------------------------------------------------------------------------------


def _checked_by(check: Callable[..., list[str]]):
    """Attach ``check`` as the model's ``check_parameters`` (read by :func:`validate_noise`)."""

    def attach(model):
        model.check_parameters = check
        return model

    return attach


def _raise_problems(check, parameters: dict, *, n_classes: int, has_features: bool = True) -> None:
    problems = check(parameters, n_classes=n_classes, has_features=has_features)
    if problems:
        raise ValueError("\n".join(problems))


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_rate(parameters: dict, key: str = "rate") -> list[str]:
    value = parameters.get(key, 0.0)
    if not (_is_real(value) and 0 <= value < 1):
        return [f"noise.{key} must be a float in [0, 1); got {value!r}"]
    return []


def _check_bool(parameters: dict, key: str) -> list[str]:
    value = parameters.get(key, False)
    return [] if isinstance(value, bool) else [f"noise.{key} must be true or false; got {value!r}"]


def _check_two_classes(model: str, n_classes: int | None) -> list[str]:
    if n_classes is not None and n_classes < 2:
        return [f"noise={model} needs at least 2 classes; got n_classes={n_classes}"]
    return []


def _check_flip_rate(parameters: dict, *, n_classes: int | None, has_features: bool) -> list[str]:
    return _check_rate(parameters) or _check_two_classes("symmetric/pairflip", n_classes)


def _check_asymmetric(parameters: dict, *, n_classes: int | None, has_features: bool) -> list[str]:
    problems = _check_rate(parameters)
    sparsity = parameters.get("sparsity", 0.0)
    if not (_is_real(sparsity) and 0 <= sparsity <= 1):
        problems.append(f"noise.sparsity must be a float in [0, 1]; got {sparsity!r}")
    if problems or n_classes is None:
        return problems + _check_two_classes("asymmetric", n_classes)
    rate = parameters.get("rate", 0.0)
    # A valid noise matrix needs trace K * (1 - rate) > 1.
    if rate > 0 and n_classes * (1 - rate) <= 1:
        problems.append(f"noise.rate must be < {1 - 1 / n_classes:.4g} for asymmetric noise on "
                        f"{n_classes} classes (trace K * (1 - rate) > 1); got {rate!r}")
    return problems + _check_two_classes("asymmetric", n_classes)


def _check_matrix(parameters: dict, *, n_classes: int | None, has_features: bool) -> list[str]:
    problems = _check_bool(parameters, "transpose") + _check_bool(parameters, "exact_counts")
    path = parameters.get("path")
    if not isinstance(path, str) or not path:
        return problems + [f"noise.path must be the path of a .npy or .csv noise matrix; got {path!r}"]
    if not Path(path).is_file():
        return problems + [f"noise.path={path!r} does not exist (or is not a file)"]
    try:
        _load_noise_matrix(path, transpose=parameters.get("transpose") is True, n_classes=n_classes)
    except ValueError as error:
        problems.append(str(error))
    return problems


def _check_instance(parameters: dict, *, n_classes: int | None, has_features: bool) -> list[str]:
    problems = _check_rate(parameters) + _check_two_classes("instance", n_classes)
    rate_std = parameters.get("rate_std", 0.1)
    if not (_is_real(rate_std) and rate_std > 0):
        problems.append(f"noise.rate_std must be a float > 0; got {rate_std!r}")
    if not has_features:
        problems.append("noise=instance needs the examples' features, and this dataset has none "
                        "(precomputed pred_probs): choose another noise model, or noise=none")
    return problems


def _check_nothing(parameters: dict, *, n_classes: int | None, has_features: bool) -> list[str]:
    return []


# ---------------------------------------------------------------------------------------
# The models
# ---------------------------------------------------------------------------------------


@_checked_by(_check_nothing)
def none(true_labels: np.ndarray, *, n_classes: int, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The labels as given (a copy) and the identity matrix."""
    return np.array(true_labels, copy=True), np.eye(n_classes)


@_checked_by(_check_flip_rate)
def symmetric(true_labels: np.ndarray, *, n_classes: int, seed: int, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Each label flips with probability ``rate`` to one of the other K - 1 classes, uniformly.

    The flip never lands on the true class, so ``rate`` is the expected flip rate (papers that
    draw from all K classes flip ``rate * (K - 1) / K``). Matrix: 1 - rate on the diagonal,
    rate / (K - 1) elsewhere. Same draws as the runner's earlier ``uniform`` noise.
    """
    _raise_problems(_check_flip_rate, {"rate": rate}, n_classes=n_classes)
    rng = np.random.default_rng(seed)
    n_examples = true_labels.shape[0]
    flip = rng.random(n_examples) < rate
    # Adding 1..K-1 modulo K picks each other class with equal probability.
    shift = rng.integers(1, n_classes, size=n_examples)
    noisy_labels = np.where(flip, (true_labels + shift) % n_classes, true_labels)
    noise_matrix = np.full((n_classes, n_classes), rate / (n_classes - 1))
    np.fill_diagonal(noise_matrix, 1 - rate)
    return noisy_labels, noise_matrix


@_checked_by(_check_flip_rate)
def pairflip(true_labels: np.ndarray, *, n_classes: int, seed: int, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Class j flips to class (j + 1) mod K with probability ``rate`` (Han et al. 2018, Co-teaching).

    Matrix: ``(1 - rate) I + rate P`` with P the cyclic shift (``P[(j + 1) % K, j] = 1``).
    """
    _raise_problems(_check_flip_rate, {"rate": rate}, n_classes=n_classes)
    rng = np.random.default_rng(seed)
    flip = rng.random(true_labels.shape[0]) < rate
    noisy_labels = np.where(flip, (true_labels + 1) % n_classes, true_labels)
    classes = np.arange(n_classes)
    noise_matrix = (1 - rate) * np.eye(n_classes)
    noise_matrix[(classes + 1) % n_classes, classes] += rate
    return noisy_labels, noise_matrix


@_checked_by(_check_asymmetric)
def asymmetric(
    true_labels: np.ndarray, *, n_classes: int, seed: int, rate: float, sparsity: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """The confident-learning paper's noise (Northcutt et al. 2021): a random class-conditional matrix.

    The matrix has trace K (1 - ``rate``), a fraction ``sparsity`` of zero off-diagonal rates,
    and is valid for confident learning given the class prior of ``true_labels``
    (cleanlearn.noise.generate_noise_matrix_from_trace); labels flip in exact counts
    ``int(P(i|j) n_j)`` per cell (cleanlearn.noise.generate_noisy_labels). ``rate`` 0 injects
    nothing. Same draws as the runner's earlier ``asymmetric`` noise.
    """
    from cleanlearn.noise import generate_noise_matrix_from_trace, generate_noisy_labels

    _raise_problems(_check_asymmetric, {"rate": rate, "sparsity": sparsity}, n_classes=n_classes)
    if rate == 0:
        return np.array(true_labels, copy=True), np.eye(n_classes)
    matrix_seed, labels_seed = np.random.SeedSequence(seed).spawn(2)
    class_prior = np.bincount(true_labels, minlength=n_classes) / true_labels.shape[0]
    noise_matrix = generate_noise_matrix_from_trace(
        n_classes,
        n_classes * (1 - rate),
        py=class_prior,
        frac_zero_noise_rates=sparsity,
        valid_noise_matrix=True,
        seed=np.random.default_rng(matrix_seed),
    )
    if noise_matrix is None:
        raise ValueError(
            f"no valid noise matrix with noise.rate={rate} and noise.sparsity={sparsity} for "
            f"{n_classes} classes with training class prior {np.round(class_prior, 3).tolist()}; "
            "lower the rate or the sparsity"
        )
    noisy_labels = generate_noisy_labels(true_labels, noise_matrix, seed=np.random.default_rng(labels_seed))
    return noisy_labels, noise_matrix


@_checked_by(_check_matrix)
def matrix(
    true_labels: np.ndarray,
    *,
    n_classes: int,
    seed: int,
    path: str,
    transpose: bool = False,
    exact_counts: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Class-conditional noise from a given matrix ``P(given = i | true = j)`` (columns sum to 1).

    ``path``: a .npy file, or a .csv of K rows of K numbers (a header row and a first column of
    class names, as the runner writes ``noise_matrix.csv``, are accepted). A file whose rows sum
    to 1 instead is refused unless ``transpose`` is true. Each label of true class j is drawn
    independently from column j (so the realised matrix varies around the given one); with
    ``exact_counts`` true, exactly ``int(P(i|j) n_j)`` labels of class j become i, as the CL
    paper does (cleanlearn.noise.generate_noisy_labels). Returns the given matrix.
    """
    parameters = {"path": path, "transpose": transpose, "exact_counts": exact_counts}
    _raise_problems(_check_matrix, parameters, n_classes=n_classes)
    noise_matrix = _load_noise_matrix(path, transpose=transpose, n_classes=n_classes)
    rng = np.random.default_rng(seed)
    if exact_counts:
        from cleanlearn.noise import generate_noisy_labels

        return generate_noisy_labels(true_labels, noise_matrix, seed=rng), noise_matrix
    # Row n is P(given = . | true = y_n), column y_n of the matrix.
    return _draw_categorical(noise_matrix.T[true_labels], rng), noise_matrix


@_checked_by(_check_instance)
def instance(
    true_labels: np.ndarray,
    *,
    n_classes: int,
    seed: int,
    features: np.ndarray | None,
    rate: float,
    rate_std: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """Instance-dependent noise: the part-dependent generator of Xia et al. (NeurIPS 2020).

    1. Each example n gets a flip rate ``q_n`` from a normal with mean ``rate`` and std
       ``rate_std`` (0.1 in the paper), truncated to [0, 1].
    2. A random tensor W of shape (K, d, K), standard normal entries (d = number of features).
    3. With the features x_n standardised (columns to mean 0, std 1 over the given rows;
       constant columns to 0) and true class y_n: scores ``s = x_n @ W[y_n]``, ``s[y_n] = -inf``,
       ``p = q_n softmax(s)``, ``p[y_n] = 1 - q_n``.
    4. The given label is drawn from p.

    So the flip *rate* is drawn independently of the features, and the features decide which
    wrong class an example flips to. The realised flip rate is about the mean of the truncated
    normal (a little above ``rate`` for small rates); ``rate`` 0 injects nothing. Returns the
    realised matrix (given vs true counts; a class with no example gets an identity column).
    """
    from scipy.stats import truncnorm

    parameters = {"rate": rate, "rate_std": rate_std}
    _raise_problems(_check_instance, parameters, n_classes=n_classes, has_features=features is not None)
    n_examples = true_labels.shape[0]
    features = _standardised(features, n_examples)
    if rate == 0:
        return np.array(true_labels, copy=True), np.eye(n_classes)
    rng = np.random.default_rng(seed)
    # 1) per-example flip rates.
    low, high = (0 - rate) / rate_std, (1 - rate) / rate_std
    flip_rates = truncnorm.rvs(low, high, loc=rate, scale=rate_std, size=n_examples, random_state=rng)
    # 2) the projection tensor.
    n_features = features.shape[1]
    weights = rng.standard_normal((n_classes, n_features, n_classes))  # (K, d, K)
    # 3) scores per example from its own class's projection (one matmul per class).
    scores = np.empty((n_examples, n_classes))  # (N, K)
    for true_class in range(n_classes):
        members = true_labels == true_class
        scores[members] = features[members] @ weights[true_class]
    rows = np.arange(n_examples)
    scores[rows, true_labels] = -np.inf
    scores -= scores.max(axis=1, keepdims=True)
    probabilities = np.exp(scores)
    probabilities *= (flip_rates / probabilities.sum(axis=1))[:, None]
    probabilities[rows, true_labels] = 1 - flip_rates
    # 4) the given labels.
    noisy_labels = _draw_categorical(probabilities, rng)
    return noisy_labels, realised_noise_matrix(noisy_labels, true_labels, n_classes)


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def _draw_categorical(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One class per row of ``probabilities`` (N, K), rows summing to 1; a zero entry is never drawn."""
    n_rows, n_classes = probabilities.shape
    cumulative = np.cumsum(probabilities, axis=1)
    # Rounding can leave the last sum a hair below 1: end each row at exactly 1 from its last
    # positive entry on, so u in [0, 1) always lands on a class of positive probability.
    last_positive = n_classes - 1 - np.argmax(probabilities[:, ::-1] > 0, axis=1)
    cumulative[np.arange(n_classes) >= last_positive[:, None]] = 1.0
    uniforms = rng.random(n_rows)
    return (cumulative <= uniforms[:, None]).sum(axis=1)


def realised_noise_matrix(noisy_labels: np.ndarray, true_labels: np.ndarray, n_classes: int) -> np.ndarray:
    """P(given = i | true = j) counted from the labels; a class never true gets an identity column."""
    counts = np.zeros((n_classes, n_classes))
    np.add.at(counts, (noisy_labels, true_labels), 1)
    totals = counts.sum(axis=0)
    empty = totals == 0
    counts[:, empty] = np.eye(n_classes)[:, empty]
    totals[empty] = 1
    return counts / totals


def _standardised(features, n_examples: int) -> np.ndarray:
    try:
        features = np.asarray(features, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"noise=instance needs numeric features; got values that are not numbers: {error}") from None
    if features.ndim != 2 or features.shape[0] != n_examples:
        raise ValueError(f"noise=instance needs features of shape ({n_examples}, n_features), one row "
                         f"per label; got shape {features.shape}")
    if not np.all(np.isfinite(features)):
        raise ValueError("noise=instance needs finite features; got NaN or inf (impute them first)")
    centred = features - features.mean(axis=0)
    scale = features.std(axis=0)
    return np.divide(centred, scale, out=np.zeros_like(centred), where=scale > 0)


def _load_noise_matrix(path: str, *, transpose: bool, n_classes: int | None) -> np.ndarray:
    """The (K, K) matrix of ``path``, columns summing to 1, or ValueError saying what is wrong."""
    where = f"noise.path={path!r}"
    try:
        if path.endswith(".npy"):
            values = np.load(path, allow_pickle=False)
        else:
            values = _read_matrix_csv(path)
    except (OSError, ValueError) as error:
        raise ValueError(f"{where} cannot be read as a noise matrix (.npy, or .csv of numbers): {error}") from None
    values = np.asarray(values)
    if values.ndim != 2 or values.shape[0] != values.shape[1] or values.dtype.kind not in "fiu":
        raise ValueError(f"{where} must hold a square numeric matrix; got shape {values.shape}, dtype {values.dtype}")
    values = values.astype(np.float64)
    if transpose:
        values = values.T
    if n_classes is not None and values.shape[0] != n_classes:
        raise ValueError(f"{where} must be {n_classes} x {n_classes} (the dataset's classes); "
                         f"got {values.shape[0]} x {values.shape[1]}")
    if not np.all(np.isfinite(values)) or values.min() < 0:
        raise ValueError(f"{where} must hold probabilities (finite, >= 0); got values in "
                         f"[{np.nanmin(values)}, {np.nanmax(values)}]")
    column_sums = values.sum(axis=0)
    if not np.allclose(column_sums, 1, atol=SUM_TOLERANCE, rtol=0):
        rows_sum_to_one = np.allclose(values.sum(axis=1), 1, atol=SUM_TOLERANCE, rtol=0)
        hint = (" its rows sum to 1: if its rows are the true class, set noise.transpose: "
                f"{str(not transpose).lower()}") if rows_sum_to_one else ""
        worst = int(np.argmax(np.abs(column_sums - 1)))
        raise ValueError(f"{where}: column j must be P(given = . | true = j) and sum to 1; column "
                         f"{worst} sums to {column_sums[worst]:.6g};{hint or ' rescale the file'}")
    return values / column_sums


def _read_matrix_csv(path: str) -> np.ndarray:
    """A CSV of numbers, or one with a header row and a first column of names (noise_matrix.csv)."""
    import pandas as pd

    try:
        return np.loadtxt(path, delimiter=",", ndmin=2)
    except ValueError:
        frame = pd.read_csv(path, index_col=0)
        return frame.to_numpy()


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


def _locate(target: str) -> Any:
    """The object named by a dotted path: the longest importable module, then attributes."""
    if not isinstance(target, str) or not target or target.startswith(".") or target.endswith("."):
        raise ImportError(f"expected a dotted path such as mymodule.my_noise; got {target!r}")
    parts = target.split(".")
    for split in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:split])
        try:
            found = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name is not None and not module_name.startswith(error.name):
                raise  # the module exists but an import inside it failed
            continue
        for attribute in parts[split:]:
            if not hasattr(found, attribute):
                raise AttributeError(f"module {module_name!r} has no attribute {attribute!r}")
            found = getattr(found, attribute)
        return found
    raise ImportError(f"no module named {parts[0]!r}")


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
                            f"{', '.join(configurable) or 'none'}); got {value!r}")
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
