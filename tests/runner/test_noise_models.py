"""The runner's noise models (runner/noise/): statistics, seeds, validation, user models."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from scipy import stats

from runner.config import register_configs
from runner.noise import base as noise_base
from runner.noise import inject_noise, is_no_noise, validate_noise

ROOT = Path(__file__).resolve().parents[2]


def node(model: str, **parameters):
    return {"_target_": f"runner.noise.{model}", **parameters}


def balanced_labels(n_per_class: int, n_classes: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).permutation(np.repeat(np.arange(n_classes), n_per_class))


def assert_binomial(successes: int, trials: int, probability: float, what: str) -> None:
    """The count is within 4.5 standard errors of its binomial mean (fails by chance ~1e-5)."""
    spread = 4.5 * np.sqrt(trials * probability * (1 - probability)) + 1
    assert abs(successes - trials * probability) <= spread, (
        f"{what}: {successes} of {trials}, expected {trials * probability:.1f} +- {spread:.1f}"
    )


def assert_columns_stochastic(noise_matrix: np.ndarray, n_classes: int) -> None:
    assert noise_matrix.shape == (n_classes, n_classes)
    assert np.all(noise_matrix >= 0)
    np.testing.assert_allclose(noise_matrix.sum(axis=0), 1, atol=1e-12)


# ---------------------------------------------------------------------------------------
# The asymmetric model's numbers: a verbatim copy of runner/data.py's function (commit 16167dd),
# frozen so that the comparison survives the moves. The symmetric model is checked by its
# properties instead (test_symmetric_noise_flips_uniformly_to_other_classes_at_the_rate).
# ---------------------------------------------------------------------------------------


def _old_asymmetric_noise(true_labels, n_classes, rate, sparsity, seed):
    from cleanlearn.noise import generate_noise_matrix_from_trace, generate_noisy_labels

    matrix_seed, labels_seed = np.random.SeedSequence(seed).spawn(2)
    trace = n_classes * (1 - rate)
    class_prior = np.bincount(true_labels, minlength=n_classes) / true_labels.shape[0]
    noise_matrix = generate_noise_matrix_from_trace(
        n_classes, trace, py=class_prior, frac_zero_noise_rates=sparsity, valid_noise_matrix=True,
        seed=np.random.default_rng(matrix_seed),
    )
    noisy_labels = generate_noisy_labels(true_labels, noise_matrix, seed=np.random.default_rng(labels_seed))
    return noisy_labels, noise_matrix


@pytest.mark.parametrize("n_classes", [2, 3, 10])
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_asymmetric_reproduces_the_runners_earlier_noise(n_classes, seed):
    true_labels = np.random.default_rng(123).integers(0, n_classes, size=600)
    for rate, sparsity in [(0.2, 0.0), (0.3, 0.4)]:
        old = _old_asymmetric_noise(true_labels, n_classes, rate, sparsity, seed)
        new = inject_noise(node("asymmetric", rate=rate, sparsity=sparsity), true_labels,
                           n_classes=n_classes, seed=seed)
        np.testing.assert_array_equal(new[0], old[0])
        np.testing.assert_array_equal(new[1], old[1])


@pytest.mark.parametrize("n_classes", [2, 3, 10])
@pytest.mark.parametrize("rate", [0.0, 0.2, 0.45])
def test_symmetric_noise_flips_uniformly_to_other_classes_at_the_rate(n_classes, rate):
    """Properties of symmetric noise, recomputed from the labels (pandas): a flip never lands on
    the true class; each true class flips at ``rate`` and to every other class at rate / (K - 1),
    within 4.5 binomial standard deviations; the matrix is the analytic one; a seed fixes it."""
    n_per_class = 4000
    true_labels = np.repeat(np.arange(n_classes), n_per_class)
    noisy, matrix = inject_noise(node("symmetric", rate=rate), true_labels, n_classes=n_classes, seed=3)
    expected = np.full((n_classes, n_classes), rate / (n_classes - 1))
    np.fill_diagonal(expected, 1 - rate)
    np.testing.assert_allclose(matrix, expected, rtol=0, atol=1e-15)
    counted = pd.crosstab(pd.Series(noisy, name="given"), pd.Series(true_labels, name="true"), normalize="columns")
    counted = counted.reindex(index=range(n_classes), columns=range(n_classes), fill_value=0.0).to_numpy()
    bound = 4.5 * np.sqrt(expected * (1 - expected) / n_per_class)
    assert np.all(np.abs(counted - expected) <= bound + 1e-12), (counted, expected)
    again, _ = inject_noise(node("symmetric", rate=rate), true_labels, n_classes=n_classes, seed=3)
    np.testing.assert_array_equal(noisy, again)
    if rate > 0:
        other, _ = inject_noise(node("symmetric", rate=rate), true_labels, n_classes=n_classes, seed=4)
        assert not np.array_equal(noisy, other)


def test_bundled_yaml_options_build_the_documented_models():
    register_configs()
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        def noise_node(*overrides):
            return compose("config", overrides=["cache_dir=null", *overrides]).noise

        default = noise_node()
        assert (default._target_, default.rate, default.sparsity) == ("runner.noise.asymmetric", 0.2, 0.0)
        alias, symmetric = noise_node("noise=uniform"), noise_node("noise=symmetric")
        assert alias.name == "uniform" and {**alias, "name": "symmetric"} == {**symmetric}
        for name in ("none", "symmetric", "pairflip", "asymmetric", "instance"):
            assert validate_noise(noise_node(f"noise={name}"), n_classes=10) == [], name
        assert validate_noise(noise_node("noise=matrix"), n_classes=10) == [
            "noise.path is required; got ??? (set it: noise.path=...)"
        ]
        assert is_no_noise(noise_node("noise=none"))
        assert not any(is_no_noise(noise_node(f"noise={name}")) for name in ("symmetric", "asymmetric"))


# ---------------------------------------------------------------------------------------
# Statistics of each model
# ---------------------------------------------------------------------------------------


def test_none_returns_the_labels_and_the_identity():
    true_labels = balanced_labels(10, 4)
    noisy_labels, noise_matrix = inject_noise(node("none"), true_labels, n_classes=4, seed=0)
    np.testing.assert_array_equal(noisy_labels, true_labels)
    assert noisy_labels is not true_labels
    np.testing.assert_array_equal(noise_matrix, np.eye(4))


def test_symmetric_flips_each_class_at_rate_to_every_other_class_alike():
    n_classes, n_per_class, rate = 5, 4000, 0.3
    true_labels = balanced_labels(n_per_class, n_classes)
    noisy_labels, noise_matrix = inject_noise(node("symmetric", rate=rate), true_labels, n_classes=n_classes, seed=3)
    expected = np.full((n_classes, n_classes), rate / (n_classes - 1))
    np.fill_diagonal(expected, 1 - rate)
    np.testing.assert_allclose(noise_matrix, expected)
    assert_columns_stochastic(noise_matrix, n_classes)
    counts = pd.crosstab(noisy_labels, true_labels).to_numpy()  # [given, true]
    for true_class in range(n_classes):
        assert_binomial(n_per_class - counts[true_class, true_class], n_per_class, rate, f"flips of {true_class}")
        for given in set(range(n_classes)) - {true_class}:
            assert_binomial(counts[given, true_class], n_per_class, rate / (n_classes - 1),
                            f"{true_class} -> {given}")


def test_pairflip_flips_only_to_the_next_class_at_rate():
    n_classes, n_per_class, rate = 4, 3000, 0.35
    true_labels = balanced_labels(n_per_class, n_classes)
    noisy_labels, noise_matrix = inject_noise(node("pairflip", rate=rate), true_labels, n_classes=n_classes, seed=5)
    flipped = noisy_labels != true_labels
    np.testing.assert_array_equal(noisy_labels[flipped], (true_labels[flipped] + 1) % n_classes)
    for true_class in range(n_classes):
        members = true_labels == true_class
        assert_binomial(int(flipped[members].sum()), n_per_class, rate, f"flips of {true_class}")
    expected = (1 - rate) * np.eye(n_classes) + rate * np.roll(np.eye(n_classes), 1, axis=0)
    np.testing.assert_allclose(noise_matrix, expected)
    assert_columns_stochastic(noise_matrix, n_classes)


@pytest.mark.parametrize("sparsity", [0.0, 0.5])
def test_asymmetric_matrix_has_the_trace_and_flips_exact_counts(sparsity):
    n_classes, rate = 5, 0.3
    true_labels = np.random.default_rng(0).integers(0, n_classes, size=2000)
    noisy_labels, noise_matrix = inject_noise(node("asymmetric", rate=rate, sparsity=sparsity), true_labels,
                                              n_classes=n_classes, seed=11)
    assert_columns_stochastic(noise_matrix, n_classes)
    assert np.trace(noise_matrix) == pytest.approx(n_classes * (1 - rate))
    off_diagonal = noise_matrix[~np.eye(n_classes, dtype=bool)]
    assert np.sum(off_diagonal == 0) >= int(sparsity * off_diagonal.size)
    counts = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(counts, (noisy_labels, true_labels), 1)
    n_per_class = np.bincount(true_labels, minlength=n_classes)
    wanted = (noise_matrix * n_per_class).astype(int)  # exact counts per off-diagonal cell
    off = ~np.eye(n_classes, dtype=bool)
    np.testing.assert_array_equal(counts[off], wanted[off])


@pytest.mark.parametrize("model", ["asymmetric", "instance", "symmetric", "pairflip"])
def test_rate_zero_injects_nothing(model):
    true_labels = balanced_labels(20, 3)
    features = np.random.default_rng(0).standard_normal((60, 2))
    noisy_labels, noise_matrix = inject_noise(node(model, rate=0.0), true_labels, n_classes=3, seed=0,
                                              features=features)
    np.testing.assert_array_equal(noisy_labels, true_labels)
    np.testing.assert_array_equal(noise_matrix, np.eye(3))


GIVEN_MATRIX = np.array([[0.7, 0.1, 0.0], [0.2, 0.9, 0.5], [0.1, 0.0, 0.5]])  # columns sum to 1


def test_matrix_draws_each_label_from_its_true_column(tmp_path):
    path = tmp_path / "noise.csv"
    np.savetxt(path, GIVEN_MATRIX, delimiter=",")
    n_per_class = 4000
    true_labels = balanced_labels(n_per_class, 3)
    noisy_labels, noise_matrix = inject_noise(node("matrix", path=str(path)), true_labels, n_classes=3, seed=2)
    np.testing.assert_allclose(noise_matrix, GIVEN_MATRIX)
    counts = np.zeros((3, 3), dtype=int)
    np.add.at(counts, (noisy_labels, true_labels), 1)
    assert counts[2, 1] == 0 and counts[0, 2] == 0  # zero probability: never drawn
    for true_class in range(3):
        for given in range(3):
            assert_binomial(counts[given, true_class], n_per_class, GIVEN_MATRIX[given, true_class],
                            f"{true_class} -> {given}")


def test_matrix_with_exact_counts_flips_the_truncated_counts(tmp_path):
    path = tmp_path / "noise.npy"
    np.save(path, GIVEN_MATRIX)
    true_labels = balanced_labels(333, 3)
    noisy_labels, _ = inject_noise(node("matrix", path=str(path), exact_counts=True), true_labels,
                                   n_classes=3, seed=2)
    counts = np.zeros((3, 3), dtype=int)
    np.add.at(counts, (noisy_labels, true_labels), 1)
    off = ~np.eye(3, dtype=bool)
    np.testing.assert_array_equal(counts[off], (GIVEN_MATRIX * 333).astype(int)[off])


def test_matrix_reads_a_runs_noise_matrix_csv_and_transposes_on_request(tmp_path):
    labelled = tmp_path / "noise_matrix.csv"  # as runner/scoring/writer.py writes it
    frame = pd.DataFrame(GIVEN_MATRIX, index=pd.Index(["a", "b", "c"]), columns=["a", "b", "c"])
    frame.to_csv(labelled, index=True, index_label="given_label/true_label", float_format="%.6g")
    _, read = inject_noise(node("matrix", path=str(labelled)), balanced_labels(5, 3), n_classes=3, seed=0)
    np.testing.assert_allclose(read, GIVEN_MATRIX)

    rows_stochastic = tmp_path / "rows.csv"
    np.savetxt(rows_stochastic, GIVEN_MATRIX.T, delimiter=",")
    (problem,) = validate_noise(node("matrix", path=str(rows_stochastic)), n_classes=3)
    assert str(rows_stochastic) in problem and "noise.transpose: true" in problem
    _, transposed = inject_noise(node("matrix", path=str(rows_stochastic), transpose=True),
                                 balanced_labels(5, 3), n_classes=3, seed=0)
    np.testing.assert_allclose(transposed, GIVEN_MATRIX)


def standardised(features: np.ndarray) -> np.ndarray:
    from sklearn.preprocessing import StandardScaler

    return StandardScaler().fit_transform(features)


def test_instance_follows_the_part_dependent_generator_step_by_step():
    """An independent per-example re-computation of Xia et al.'s steps 1-4 from the same stream."""
    n_examples, n_features, n_classes, rate, seed = 300, 6, 4, 0.3, 9
    data_rng = np.random.default_rng(0)
    features = data_rng.normal(3.0, 2.0, size=(n_examples, n_features))  # not standardised
    true_labels = data_rng.integers(0, n_classes, size=n_examples)
    noisy_labels, noise_matrix = inject_noise(node("instance", rate=rate, rate_std=0.1), true_labels,
                                              n_classes=n_classes, seed=seed, features=features)

    rng = np.random.default_rng(seed)
    flip_rates = stats.truncnorm.rvs(-rate / 0.1, (1 - rate) / 0.1, loc=rate, scale=0.1, size=n_examples,
                                     random_state=rng)
    weights = rng.standard_normal((n_classes, n_features, n_classes))
    uniforms = rng.random(n_examples)
    x = standardised(features)
    expected = np.empty(n_examples, dtype=int)
    for n in range(n_examples):
        y = true_labels[n]
        scores = x[n] @ weights[y]
        scores[y] = -np.inf
        p = flip_rates[n] * np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
        p[y] = 1 - flip_rates[n]
        expected[n] = np.searchsorted(np.cumsum(p), uniforms[n], side="right")
    np.testing.assert_array_equal(noisy_labels, expected)

    realised = pd.crosstab(noisy_labels, true_labels).reindex(index=range(n_classes), fill_value=0).to_numpy()
    np.testing.assert_allclose(noise_matrix, realised / realised.sum(axis=0))


def test_instance_flip_rate_is_near_rate_and_destinations_follow_the_features():
    n_examples, n_classes, rate = 6000, 5, 0.25
    data_rng = np.random.default_rng(1)
    base = data_rng.standard_normal((n_examples // 2, 8))
    base_labels = data_rng.integers(0, n_classes, size=n_examples // 2)
    # Every example twice: copies share their features and true class, so their flip
    # destinations come from the same distribution softmax(x W[y]).
    features, true_labels = np.vstack([base, base]), np.concatenate([base_labels, base_labels])
    noisy_labels, _ = inject_noise(node("instance", rate=rate), true_labels, n_classes=n_classes, seed=4,
                                   features=features)
    flipped = noisy_labels != true_labels
    mean_rate = stats.truncnorm.mean(-rate / 0.1, (1 - rate) / 0.1, loc=rate, scale=0.1)
    assert_binomial(int(flipped.sum()), n_examples, mean_rate, "instance flips")

    half = n_examples // 2
    both = flipped[:half] & flipped[half:]
    agree = int(np.sum(noisy_labels[:half][both] == noisy_labels[half:][both]))
    # Destinations independent of the features (symmetric noise) would agree 1 / (K - 1) of the time.
    chance = 1 / (n_classes - 1)
    assert agree > both.sum() * chance + 5 * np.sqrt(both.sum() * chance * (1 - chance))
    sym_labels, _ = inject_noise(node("symmetric", rate=rate), true_labels, n_classes=n_classes, seed=4)
    sym_both = (sym_labels != true_labels)[:half] & (sym_labels != true_labels)[half:]
    sym_agree = int(np.sum(sym_labels[:half][sym_both] == sym_labels[half:][sym_both]))
    assert_binomial(sym_agree, int(sym_both.sum()), chance, "symmetric destinations agree")


def test_instance_needs_features():
    problems = validate_noise(node("instance", rate=0.2), n_classes=3, has_features=False)
    assert len(problems) == 1 and "noise=instance needs the examples' features" in problems[0]
    with pytest.raises(ValueError, match="needs the examples' features"):
        inject_noise(node("instance", rate=0.2), balanced_labels(5, 3), n_classes=3, seed=0)
    with pytest.raises(ValueError, match=r"shape \(15, n_features\)"):
        inject_noise(node("instance", rate=0.2), balanced_labels(5, 3), n_classes=3, seed=0,
                     features=np.ones((14, 2)))


@pytest.mark.parametrize("model, parameters", [
    ("symmetric", {"rate": 0.3}), ("pairflip", {"rate": 0.3}), ("asymmetric", {"rate": 0.3, "sparsity": 0.2}),
    ("instance", {"rate": 0.3}),
])
def test_same_seed_same_labels_other_seed_other_labels(model, parameters):
    true_labels = np.random.default_rng(0).integers(0, 4, size=400)
    features = np.random.default_rng(1).standard_normal((400, 3))

    def run(seed):
        return inject_noise(node(model, **parameters), true_labels, n_classes=4, seed=seed, features=features)

    first, again, other = run(3), run(3), run(4)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], other[0])
    np.testing.assert_array_equal(true_labels, np.random.default_rng(0).integers(0, 4, size=400))  # untouched


# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("noise_cfg, n_classes, expected", [
    (node("symmetric", rate=1.0), None, "noise.rate must be a float in [0, 1); got 1.0"),
    (node("pairflip", rate="high"), None, "noise.rate must be a float in [0, 1); got 'high'"),
    (node("symmetric", rate=0.2), 1, "needs at least 2 classes; got n_classes=1"),
    (node("asymmetric", rate=0.6, sparsity=0.0), 2, "noise.rate must be < 0.5 for asymmetric noise on 2 classes"),
    (node("asymmetric", rate=0.2, sparsity=1.5), None, "noise.sparsity must be a float in [0, 1]; got 1.5"),
    (node("instance", rate=0.2, rate_std=0), None, "noise.rate_std must be a float > 0; got 0"),
    (node("matrix", path="/no/such/matrix.npy"), 3, "noise.path='/no/such/matrix.npy' does not exist"),
    (node("matrix", path=None), 3, "noise.path must be the path of a .npy or .csv noise matrix; got None"),
    (node("symmetric", rate=0.2, sparsity=0.1), None,
     "noise.sparsity is not a parameter of runner.noise.symmetric (parameters: rate); got 0.1"),
    (node("symmetric"), None, "noise.rate is required by runner.noise.symmetric; got nothing"),
    (node("symmetric", rate=0.2, seed=3), None, "noise.seed is passed by the run, not set in the config"),
    ({"name": "uniform", "rate": 0.2}, None, "noise._target_ is required"),
    ({"_target_": "no_such_module.fn"}, None, "noise._target_='no_such_module.fn' cannot be imported"),
    ({"_target_": "runner.noise.no_such_model"}, None, "has no attribute 'no_such_model'"),
    ({"_target_": "numpy.pi"}, None, "must name a function; got a float"),
    ({"_target_": "numpy.sort"}, None, "must accept the keyword(s) n_classes, seed"),
])
def test_validation_names_the_key_and_the_value(noise_cfg, n_classes, expected):
    problems = validate_noise(noise_cfg, n_classes=n_classes)
    assert len(problems) == 1, problems
    assert expected in problems[0]
    with pytest.raises(ValueError, match=re.escape(expected)):
        inject_noise(noise_cfg, balanced_labels(4, n_classes or 3), n_classes=n_classes or 3, seed=0)


def test_matrix_file_problems_are_reported(tmp_path):
    cases = {
        "wrong_size.npy": (np.eye(4), "must be 3 x 3 (the dataset's classes); got 4 x 4"),
        "negative.npy": (np.array([[1.2, 0, 0], [-0.2, 1, 0], [0, 0, 1]]), "must hold probabilities"),
        "not_square.npy": (np.ones((3, 2)) / 3, "must hold a square numeric matrix; got shape (3, 2)"),
        "unnormalised.npy": (np.full((3, 3), 0.5), "column 0 sums to 1.5; rescale the file"),
    }
    for file_name, (values, expected) in cases.items():
        np.save(tmp_path / file_name, values)
        problems = validate_noise(node("matrix", path=str(tmp_path / file_name)), n_classes=3)
        assert len(problems) == 1 and expected in problems[0], (file_name, problems)
    (tmp_path / "words.csv").write_text("a,b\nc,d\n")
    (problem,) = validate_noise(node("matrix", path=str(tmp_path / "words.csv")), n_classes=2)
    assert "square numeric matrix" in problem or "cannot be read" in problem


def test_every_problem_is_listed_at_once_and_validation_never_raises():
    problems = validate_noise(node("asymmetric", rate=-1, sparsity="x"), n_classes=3)
    assert [p.split()[0] for p in problems] == ["noise.rate", "noise.sparsity"]
    problems = validate_noise(node("instance", rate="high", ratestd=1), n_classes=3)
    assert [p.split()[0] for p in problems] == ["noise.ratestd", "noise.rate"]
    assert validate_noise(42) == ["noise must be a mapping with _target_ and parameters; got int"]


def test_a_user_model_returning_bad_output_is_refused(tmp_path, monkeypatch):
    (tmp_path / "bad_noise.py").write_text(
        "import numpy as np\n"
        "def short(true_labels, *, n_classes, seed):\n"
        "    return true_labels[:-1], np.eye(n_classes)\n"
        "def rows(true_labels, *, n_classes, seed):\n"
        "    return true_labels, np.full((n_classes, n_classes), 0.5)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match=r"bad_noise.short must return \(12,\) integer labels"):
        inject_noise({"_target_": "bad_noise.short"}, balanced_labels(4, 3), n_classes=3, seed=0)
    with pytest.raises(ValueError, match="columns summing to 1"):
        inject_noise({"_target_": "bad_noise.rows"}, balanced_labels(4, 3), n_classes=3, seed=0)


# ---------------------------------------------------------------------------------------
# docs/howto/add-a-noise-model.md, run as written
# ---------------------------------------------------------------------------------------


def docs_blocks(page: str) -> dict[str, str]:
    """The code blocks of a docs page by language (one of each)."""
    text = (ROOT / "docs" / page).read_text()
    return dict(re.findall(r"```(\w+)\n(.*?)```", text, flags=re.DOTALL))


def test_docs_user_noise_model_runs_as_documented(tmp_path, monkeypatch):
    blocks = docs_blocks("howto/add-a-noise-model.md")
    module_name = blocks["python"].splitlines()[0].removeprefix("# ").removesuffix(".py")
    (tmp_path / f"{module_name}.py").write_text(blocks["python"])
    yaml_path = tmp_path / Path(blocks["yaml"].splitlines()[0].removeprefix("# ")).name
    yaml_path.write_text(blocks["yaml"])
    monkeypatch.syspath_prepend(str(tmp_path))
    noise_cfg = OmegaConf.load(yaml_path)
    assert validate_noise(noise_cfg, n_classes=4) == []
    assert not is_no_noise(noise_cfg)

    noise_cfg.rate = 0.4
    n_per_class = 3000
    true_labels = balanced_labels(n_per_class, 4)
    noisy_labels, noise_matrix = inject_noise(noise_cfg, true_labels, n_classes=4, seed=1)
    assert_columns_stochastic(noise_matrix, 4)
    changed = noisy_labels != true_labels
    assert set(noisy_labels[changed]) == {noise_cfg.target_class}
    for true_class in range(1, 4):
        assert_binomial(int(changed[true_labels == true_class].sum()), n_per_class, 0.4, f"{true_class} -> 0")
    np.testing.assert_array_equal(inject_noise(noise_cfg, true_labels, n_classes=4, seed=1)[0], noisy_labels)

    # Its arguments are checked against its signature.
    typo = OmegaConf.merge(noise_cfg, {"target_clas": 1})
    assert validate_noise(typo) == [
        f"noise.target_clas is not a parameter of {noise_cfg._target_} (parameters: rate, target_class); got 1"
        "; did you mean `target_class`?"
    ]
    check = f"{module_name}.block_flip.check_parameters"
    assert check not in blocks["python"]  # the optional checks are not needed
    module = __import__(module_name)
    module.block_flip.check_parameters = lambda parameters, *, n_classes, has_features: (
        [] if parameters["target_class"] < n_classes else [f"noise.target_class must be < {n_classes}"]
    )
    noise_cfg.target_class = 7
    assert validate_noise(noise_cfg, n_classes=4) == ["noise.target_class must be < 4"]


def test_draw_categorical_never_draws_a_zero_probability_class():
    rng = np.random.default_rng(0)
    probabilities = np.array([[0.3, 0.7 - 1e-17, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    draws = noise_base.draw_categorical(np.repeat(probabilities, 2000, axis=0), rng).reshape(3, 2000)
    assert set(draws[0]) == {0, 1} and set(draws[1]) == {2} and set(draws[2]) == {0}


def test_a_user_module_failing_at_import_or_editing_the_true_labels_is_reported(tmp_path, monkeypatch):
    (tmp_path / "broken_noise.py").write_text("raise RuntimeError('boom')\n")
    (tmp_path / "inplace_noise.py").write_text(
        "import numpy as np\n"
        "def flip_first(true_labels, *, n_classes, seed):\n"
        "    true_labels[0] = (true_labels[0] + 1) % n_classes\n"
        "    return true_labels, np.eye(n_classes)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert validate_noise({"_target_": "broken_noise.fn"}) == [
        "noise._target_='broken_noise.fn' cannot be imported: RuntimeError: boom"
    ]
    assert not is_no_noise({"_target_": "broken_noise.fn"})
    true_labels = balanced_labels(4, 3)
    with pytest.raises(ValueError, match="read-only"):
        inject_noise({"_target_": "inplace_noise.flip_first"}, true_labels, n_classes=3, seed=0)
    np.testing.assert_array_equal(true_labels, balanced_labels(4, 3))
