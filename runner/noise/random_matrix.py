"""``asymmetric``: the confident-learning paper's random class-conditional noise matrix."""

from __future__ import annotations

import numpy as np

from runner.noise.base import check_rate, check_two_classes, checked_by, is_real, raise_problems

__all__ = ["asymmetric"]


def _check_asymmetric(parameters: dict, *, n_classes: int | None, has_features: bool) -> list[str]:
    problems = check_rate(parameters)
    sparsity = parameters.get("sparsity", 0.0)
    if not (is_real(sparsity) and 0 <= sparsity <= 1):
        problems.append(f"noise.sparsity must be a float in [0, 1]; got {sparsity!r}")
    if problems or n_classes is None:
        return problems + check_two_classes("asymmetric", n_classes)
    rate = parameters.get("rate", 0.0)
    # A valid noise matrix needs trace K * (1 - rate) > 1.
    if rate > 0 and n_classes * (1 - rate) <= 1:
        problems.append(f"noise.rate must be < {1 - 1 / n_classes:.4g} for asymmetric noise on "
                        f"{n_classes} classes (trace K * (1 - rate) > 1); got {rate!r}")
    return problems + check_two_classes("asymmetric", n_classes)



@checked_by(_check_asymmetric)
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

    raise_problems(_check_asymmetric, {"rate": rate, "sparsity": sparsity}, n_classes=n_classes)
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


