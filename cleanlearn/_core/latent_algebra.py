"""Latent algebra: the identities linking the class priors and the noise matrices.

As ``cleanlab.internal.latent_algebra`` 2.9.0, with the reference's expressions in the same
order (so the same bits). Notation: ``ps = P(given=k)``, ``py = P(true=k)``, noise matrix
``P(given=i | true=j)``, inverse noise matrix ``P(true=i | given=j)`` (columns sum to 1).

Used by :mod:`cleanlearn.count` (estimates from a confident joint) and by
:class:`cleanlearn.classification.CleanLearning` (a noise matrix, or its inverse, given by
the user).
"""

from __future__ import annotations

import numpy as np

from cleanlearn._core.constants import (
    CLIPPING_LOWER_BOUND,
    CONVERGED_PRIOR_LOWER_BOUND,
    MAX_NOISE_RATE,
    TINY_VALUE,
)

# The ways of estimating py from the noise matrices (count's ``py_method``).
PY_METHODS = ("cnt", "eqn", "marginal", "marginal_ps")


def clip_noise_rates(noise_matrix: np.ndarray) -> np.ndarray:
    """Clip off-diagonal noise rates to [0, 0.9999], keep the diagonal, renormalise columns."""
    diagonal = np.diagonal(noise_matrix)
    clipped = np.clip(noise_matrix, 0, MAX_NOISE_RATE)
    np.fill_diagonal(clipped, diagonal)
    return clipped / np.clip(clipped.sum(axis=0), a_min=TINY_VALUE, a_max=None)


def clip_values(values: np.ndarray, low: float, high: float, new_sum: float) -> np.ndarray:
    """Clip to [low, high] and rescale to sum to ``new_sum``."""
    clipped = np.clip(values, low, high)
    return clipped * new_sum / np.clip(np.sum(clipped), a_min=TINY_VALUE, a_max=None)


def compute_py(
    ps: np.ndarray,
    noise_matrix: np.ndarray,
    inverse_noise_matrix: np.ndarray,
    *,
    py_method: str = "cnt",
    true_labels_class_counts: np.ndarray | None = None,
) -> np.ndarray:
    """Latent prior ``py = P(true=k)`` from ``ps = P(given=k)`` and the noise matrices."""
    if py_method == "cnt":
        # Ratio of diagonals: robust when off-diagonal noise rates are poorly estimated.
        py = inverse_noise_matrix.diagonal() / np.clip(noise_matrix.diagonal(), a_min=TINY_VALUE, a_max=None) * ps
    elif py_method == "eqn":
        py = np.linalg.inv(noise_matrix).dot(ps)
    elif py_method == "marginal":
        py = true_labels_class_counts / np.clip(float(sum(true_labels_class_counts)), a_min=TINY_VALUE, a_max=None)
    else:  # "marginal_ps"
        py = np.dot(inverse_noise_matrix, ps)
    return clip_values(py, low=CLIPPING_LOWER_BOUND, high=1.0, new_sum=1.0)


def compute_inverse_noise_matrix(py: np.ndarray, noise_matrix: np.ndarray, ps: np.ndarray) -> np.ndarray:
    """``P(true | given)`` implied by ``py``, the noise matrix ``P(given | true)`` and ``ps``."""
    joint = noise_matrix * py
    inverse_noise_matrix = joint.T / np.clip(ps, a_min=TINY_VALUE, a_max=None)
    return clip_noise_rates(inverse_noise_matrix)


def compute_noise_matrix_from_inverse(ps: np.ndarray, inverse_noise_matrix: np.ndarray, py: np.ndarray) -> np.ndarray:
    """``P(given | true)`` implied by ``ps``, the inverse noise matrix and ``py``."""
    joint = (inverse_noise_matrix * ps).T
    noise_matrix = joint / np.clip(py, a_min=TINY_VALUE, a_max=None)
    return clip_noise_rates(noise_matrix)


def converge_estimates(
    ps: np.ndarray,
    py: np.ndarray,
    noise_matrix: np.ndarray,
    inverse_noise_matrix: np.ndarray,
    *,
    inv_noise_matrix_iterations: int = 5,
    noise_matrix_iterations: int = 3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Iterate the closed-form identities linking py, the noise and inverse noise matrices.

    The inverse noise matrix and py are converged first (inner loop) because the noise
    matrix depends only on ps (known); then the noise matrix is recomputed (outer loop).
    """
    for _ in range(noise_matrix_iterations):
        for _ in range(inv_noise_matrix_iterations):
            inverse_noise_matrix = compute_inverse_noise_matrix(py, noise_matrix, ps)
            py = compute_py(ps, noise_matrix, inverse_noise_matrix)
        noise_matrix = compute_noise_matrix_from_inverse(ps, inverse_noise_matrix, py)
    return py, noise_matrix, inverse_noise_matrix


def estimate_latent(
    confident_joint: np.ndarray,
    labels: np.ndarray,
    *,
    py_method: str = "cnt",
    converge_latent_estimates: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`cleanlearn.count.estimate_latent` on a checked (K, K) joint and int labels."""
    n_classes = confident_joint.shape[0]
    label_counts = np.bincount(labels, minlength=n_classes)
    ps = label_counts / float(len(labels))  # P(given label = k)
    given_class_counts = confident_joint.sum(axis=1).astype(float)  # per given label
    true_class_counts = confident_joint.sum(axis=0).astype(float)  # per guessed true label
    noise_matrix = confident_joint / np.clip(true_class_counts, a_min=TINY_VALUE, a_max=None)
    inverse_noise_matrix = confident_joint.T / np.clip(given_class_counts, a_min=TINY_VALUE, a_max=None)
    # The prior uses the unclipped matrices.
    py = compute_py(
        ps, noise_matrix, inverse_noise_matrix, py_method=py_method, true_labels_class_counts=true_class_counts
    )
    noise_matrix = clip_noise_rates(noise_matrix)
    inverse_noise_matrix = clip_noise_rates(inverse_noise_matrix)
    if converge_latent_estimates:
        py, noise_matrix, inverse_noise_matrix = converge_estimates(ps, py, noise_matrix, inverse_noise_matrix)
        py = clip_values(py, low=CONVERGED_PRIOR_LOWER_BOUND, high=1.0, new_sum=1.0)
        noise_matrix = clip_noise_rates(noise_matrix)
        inverse_noise_matrix = clip_noise_rates(inverse_noise_matrix)
    return py, noise_matrix, inverse_noise_matrix



def py_and_inverse_from_noise_matrix(ps: np.ndarray, noise_matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(py, inverse_noise_matrix)`` implied by ``ps`` and a known noise matrix (the
    reference's ``compute_py_inv_noise_matrix``): ``py = noise_matrix^-1 @ ps``, clipped."""
    py = compute_py(ps, noise_matrix, None, py_method="eqn")
    return py, compute_inverse_noise_matrix(py, noise_matrix, ps)


def py_and_noise_matrix_from_inverse(ps: np.ndarray, inverse_noise_matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(py, noise_matrix)`` implied by ``ps`` and a known inverse noise matrix: ``py`` is the
    column sum of the joint ``P(given=j, true=k)`` (the reference's
    ``compute_noise_matrix_from_inverse`` with ``py=None``)."""
    py = (inverse_noise_matrix * ps).T.sum(axis=0)
    return py, compute_noise_matrix_from_inverse(ps, inverse_noise_matrix, py)
