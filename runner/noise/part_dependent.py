"""``instance``: Xia et al. (2020) part-dependent, instance-dependent noise (needs features)."""

from __future__ import annotations

import numpy as np

from runner.noise.base import (
    check_rate,
    check_two_classes,
    checked_by,
    draw_categorical,
    is_real,
    raise_problems,
    realised_noise_matrix,
)

__all__ = ["instance"]


def _check_instance(parameters: dict, *, n_classes: int | None, has_features: bool) -> list[str]:
    problems = check_rate(parameters) + check_two_classes("instance", n_classes)
    rate_std = parameters.get("rate_std", 0.1)
    if not (is_real(rate_std) and rate_std > 0):
        problems.append(f"noise.rate_std must be a float > 0; got {rate_std!r}")
    if not has_features:
        problems.append("noise=instance needs the examples' features, and this dataset has none "
                        "(precomputed pred_probs): choose another noise model, or noise=none")
    return problems



@checked_by(_check_instance)
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
    raise_problems(_check_instance, parameters, n_classes=n_classes, has_features=features is not None)
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
    noisy_labels = draw_categorical(probabilities, rng)
    return noisy_labels, realised_noise_matrix(noisy_labels, true_labels, n_classes)


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


