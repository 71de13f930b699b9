"""cleanlearn.noise: properties of the generated matrices/labels, parity of the validity rule.

Bit parity with cleanlab.benchmarking.noise_generation is impossible (it draws from numpy's
global random state); what is deterministic in the reference is compared exactly: the
validity rule, and the number of labels flipped per (true class, noisy class) pair.
"""

from __future__ import annotations

import numpy as np
import pytest
from cleanlab.benchmarking import noise_generation as reference

from cleanlearn.noise import (
    generate_n_rand_probabilities_that_sum_to_m,
    generate_noise_matrix_from_trace,
    generate_noisy_labels,
    noise_matrix_is_valid,
    randomly_distribute_N_balls_into_K_bins,
)


def _random_column_stochastic(rng, n_classes, diagonal_boost):
    matrix = rng.random((n_classes, n_classes)) + np.eye(n_classes) * diagonal_boost
    return matrix / matrix.sum(axis=0)


def _global_state():
    # Reading numpy's legacy global state is the point here: the library must not touch it.
    return np.random.get_state()  # noqa: NPY002


def _transition_counts(noisy, true, n_classes):
    counts = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(counts, (noisy, true), 1)
    return counts


# -- noise_matrix_is_valid ---------------------------------------------------------------


def test_noise_matrix_is_valid_agrees_with_reference_on_random_matrices():
    rng = np.random.default_rng(0)
    verdicts = []
    for trial in range(300):
        n_classes = int(rng.integers(2, 7))
        noise_matrix = _random_column_stochastic(rng, n_classes, diagonal_boost=rng.uniform(0, 4))
        py = rng.dirichlet(np.ones(n_classes) * rng.uniform(0.3, 3))
        if trial % 10 == 0:  # a prior that does not sum to 1 is invalid in both
            py = py * 1.01
        ours = noise_matrix_is_valid(noise_matrix, py)
        assert ours == reference.noise_matrix_is_valid(noise_matrix, py), (noise_matrix, py)
        verdicts.append(ours)
    assert 0.1 < np.mean(verdicts) < 0.9  # both outcomes were exercised


def test_noise_matrix_is_valid_hand_cases():
    py = np.array([0.5, 0.5])
    assert noise_matrix_is_valid(np.eye(2), py)
    # Trace exactly 1 with a uniform prior: labels independent of the truth -> invalid.
    assert not noise_matrix_is_valid(np.array([[0.5, 0.5], [0.5, 0.5]]), py)


def test_noise_matrix_is_valid_logs_when_verbose(caplog):
    with caplog.at_level("INFO", logger="cleanlearn.noise"):
        noise_matrix_is_valid(np.eye(3), np.ones(3) / 3, verbose=True)
    assert "class 2" in caplog.text


def test_noise_matrix_is_valid_rejects_bad_shapes():
    with pytest.raises(ValueError, match="noise_matrix"):
        noise_matrix_is_valid(np.eye(3), np.ones(2) / 2)


# -- generate_noise_matrix_from_trace ----------------------------------------------------


@pytest.mark.parametrize("n_classes, trace", [(3, 1.5), (4, 2.5), (10, 7.0), (5, 4.9)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generated_matrix_has_trace_columns_and_validity(n_classes, trace, seed):
    py = np.random.default_rng(seed).dirichlet(np.ones(n_classes) * 5)
    noise_matrix = generate_noise_matrix_from_trace(n_classes, trace, py=py, seed=seed)
    assert noise_matrix.shape == (n_classes, n_classes)
    assert np.trace(noise_matrix) == pytest.approx(trace, abs=1e-9)
    np.testing.assert_allclose(noise_matrix.sum(axis=0), 1.0, atol=1e-9)
    assert noise_matrix.min() >= 0 and noise_matrix.max() <= 1
    assert reference.noise_matrix_is_valid(noise_matrix, py)


@pytest.mark.parametrize("frac_zero_noise_rates", [0.0, 0.3, 0.5, 0.8])
def test_frac_zero_noise_rates_respected(frac_zero_noise_rates):
    n_classes = 6
    py = np.ones(n_classes) / n_classes
    for seed in range(5):
        noise_matrix = generate_noise_matrix_from_trace(
            n_classes, 3.0, py=py, frac_zero_noise_rates=frac_zero_noise_rates, seed=seed
        )
        off_diagonal = noise_matrix[~np.eye(n_classes, dtype=bool)]
        n_zero = int(np.sum(off_diagonal == 0))
        # At least the requested count; at most K-2 per column (each keeps one noise rate).
        assert n_zero >= int(n_classes * (n_classes - 1) * frac_zero_noise_rates)
        assert n_zero <= n_classes * (n_classes - 2)
        assert np.all((noise_matrix > 0).sum(axis=0) >= 2)


def test_trace_and_noise_rate_bounds_respected():
    noise_matrix = generate_noise_matrix_from_trace(
        5, 3.0, py=np.ones(5) / 5, max_trace_prob=0.7, min_trace_prob=0.5, max_noise_rate=0.3, seed=3
    )
    diagonal = np.diagonal(noise_matrix)
    assert np.all(diagonal <= 0.7 + 1e-6) and np.all(diagonal >= 0.5 - 1e-6)
    assert noise_matrix[~np.eye(5, dtype=bool)].max() <= 0.3 + 1e-6


def test_two_classes():
    noise_matrix = generate_noise_matrix_from_trace(2, 1.6, seed=4)
    assert np.trace(noise_matrix) == pytest.approx(1.6)
    np.testing.assert_allclose(noise_matrix.sum(axis=0), 1.0)
    one_sided = generate_noise_matrix_from_trace(2, 1.6, frac_zero_noise_rates=0.5, seed=4)
    assert sorted(np.diagonal(one_sided).round(9)) == [0.6, 1.0]
    assert np.sum(one_sided == 0) == 1


def test_same_seed_same_matrix_and_generator_seed():
    py = np.ones(4) / 4
    first = generate_noise_matrix_from_trace(4, 2.0, py=py, seed=11)
    np.testing.assert_array_equal(first, generate_noise_matrix_from_trace(4, 2.0, py=py, seed=11))
    assert not np.array_equal(first, generate_noise_matrix_from_trace(4, 2.0, py=py, seed=12))
    from_generator = generate_noise_matrix_from_trace(4, 2.0, py=py, seed=np.random.default_rng(11))
    np.testing.assert_array_equal(first, from_generator)


def test_no_valid_matrix_returns_none_with_warning():
    # A prior this skewed makes trace 1.05 practically never valid for K=3 in one draw.
    with pytest.warns(UserWarning, match="no valid noise matrix"):
        assert generate_noise_matrix_from_trace(3, 1.05, py=np.array([0.98, 0.01, 0.01]), max_iter=1) is None
    assert generate_noise_matrix_from_trace(3, 2.0, py=np.ones(3) / 3, max_iter=0) is None


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"K": 1, "trace": 1.0, "valid_noise_matrix": False}, ValueError, "'K'"),
        ({"K": 3.0, "trace": 2.0, "py": np.ones(3) / 3}, TypeError, "'K'"),
        ({"K": 3, "trace": 1.0, "py": np.ones(3) / 3}, ValueError, "trace must be > 1"),
        ({"K": 3, "trace": 3.5, "py": np.ones(3) / 3}, ValueError, "trace must be <= K"),
        ({"K": 3, "trace": 2.0}, ValueError, "py"),
        ({"K": 3, "trace": 2.0, "py": np.ones(2) / 2}, ValueError, "py must have shape"),
        ({"K": 3, "trace": 2.0, "py": np.array([0.5, 0.5, 0.5])}, ValueError, "py must sum to 1"),
        ({"K": 3, "trace": 2.0, "py": np.ones(3) / 3, "seed": -1}, ValueError, "seed"),
        ({"K": 3, "trace": 2.0, "py": np.ones(3) / 3, "seed": "a"}, TypeError, "seed"),
        ({"K": 3, "trace": 2.0, "py": np.ones(3) / 3, "frac_zero_noise_rates": 1.5}, ValueError, "frac_zero"),
    ],
)
def test_generate_noise_matrix_bad_input(kwargs, error, match):
    K = kwargs.pop("K")  # noqa: N806 - the public parameter name
    trace = kwargs.pop("trace")
    with pytest.raises(error, match=match):
        generate_noise_matrix_from_trace(K, trace, **kwargs)


# -- generate_noisy_labels ---------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_noisy_label_counts_match_reference_construction(seed):
    rng = np.random.default_rng(seed)
    n_classes = 5
    true_labels = rng.choice(n_classes, size=1003, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    py = np.bincount(true_labels, minlength=n_classes) / true_labels.size
    noise_matrix = generate_noise_matrix_from_trace(n_classes, 3.2, py=py, seed=seed)

    noisy = generate_noisy_labels(true_labels, noise_matrix, seed=seed)

    # The flip counts are deterministic in the reference too; compare them exactly (the
    # reference draws from the global RNG: restore it afterwards).
    state = _global_state()
    try:
        reference_noisy = reference.generate_noisy_labels(true_labels, noise_matrix)
    finally:
        np.random.set_state(state)  # noqa: NPY002 - undo the reference's global draws
    ours = _transition_counts(noisy, true_labels, n_classes)
    np.testing.assert_array_equal(ours, _transition_counts(reference_noisy, true_labels, n_classes))
    # And they are the truncated noise_matrix[j, k] * n_k off the diagonal.
    expected = (noise_matrix * np.bincount(true_labels, minlength=n_classes)).astype(int)
    off_diagonal = ~np.eye(n_classes, dtype=bool)
    np.testing.assert_array_equal(ours[off_diagonal], expected[off_diagonal])


def test_noisy_labels_seeded_and_global_state_untouched():
    true_labels = np.repeat(np.arange(3), 100)
    noise_matrix = generate_noise_matrix_from_trace(3, 2.1, py=np.ones(3) / 3, seed=5)
    state_before = _global_state()[1].copy()
    first = generate_noisy_labels(true_labels, noise_matrix, seed=7)
    generate_noise_matrix_from_trace(3, 2.1, py=np.ones(3) / 3, seed=5)
    np.testing.assert_array_equal(_global_state()[1], state_before)
    np.testing.assert_array_equal(first, generate_noisy_labels(true_labels, noise_matrix, seed=7))
    assert not np.array_equal(first, generate_noisy_labels(true_labels, noise_matrix, seed=8))
    assert np.array_equal(true_labels, np.repeat(np.arange(3), 100))  # input not mutated


def test_noisy_labels_identity_matrix_changes_nothing_and_absent_class_allowed():
    true_labels = np.array([0, 0, 2, 2, 2])  # class 1 absent
    np.testing.assert_array_equal(generate_noisy_labels(true_labels, np.eye(3), seed=0), true_labels)


def test_noisy_labels_bad_input():
    with pytest.raises(ValueError, match="true_labels"):
        generate_noisy_labels(np.array([0, 1, 3]), np.eye(3))
    with pytest.raises(ValueError, match="columns must each sum to 1"):
        generate_noisy_labels(np.array([0, 1, 2]), np.ones((3, 3)) * 0.5)


# -- helpers -----------------------------------------------------------------------------


def test_rand_probabilities_sum_and_bounds():
    values = generate_n_rand_probabilities_that_sum_to_m(6, 2.0, max_prob=0.5, min_prob=0.2, seed=1)
    assert values.sum() == pytest.approx(2.0)
    assert values.max() <= 0.5 + 1e-6 and values.min() >= 0.2 - 1e-6
    with pytest.raises(ValueError, match="max_prob"):
        generate_n_rand_probabilities_that_sum_to_m(2, 1.5, max_prob=0.5)


def test_balls_into_bins():
    counts = randomly_distribute_N_balls_into_K_bins(10, 4, max_balls_per_bin=3, min_balls_per_bin=1, seed=2)
    assert counts.sum() == 10 and counts.max() <= 3 and counts.min() >= 1
    np.testing.assert_array_equal(randomly_distribute_N_balls_into_K_bins(0, 3), [0, 0, 0])
