"""Your own data: loaders by _target_, real tables through the per-fold pipeline, every row
checked, errors that point at the line, precomputed pred_probs as given, classifier overrides."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from cleanlearn.count import estimate_cv_predicted_probabilities
from runner import datasets
from runner.config import ConfigError, register_configs, validate_config
from runner.experiment.data import load_dataset
from runner.experiment.pipeline import run
from runner.experiment.seeds import derive_seeds
from runner.model.estimators import build_estimator

ROOT = Path(__file__).resolve().parents[2]
CONF_DIR = ROOT / "conf"

register_configs()


def compose_config(*overrides: str, search_path: Path | None = None):
    extra = [f"hydra.searchpath=[file://{search_path}]"] if search_path is not None else []
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=["cache_dir=null", *extra, *overrides])


def make_config(*overrides: str, **kwargs):
    cfg = compose_config(*overrides, **kwargs)
    validate_config(cfg)
    return cfg


def cache_entries(cache_dir: Path, kind: str) -> list[Path]:
    """The stored entries of one kind (directories with a manifest; not lock or staging files)."""
    return [p for p in (cache_dir / kind).iterdir() if (p / "manifest.json").is_file()]


def mixed_table(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """Numeric, text, bool and id columns with empty cells; the label follows age and colour."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "patient": [f"p{i:04d}" for i in range(n)],
        "age": rng.normal(50, 12, n).round(1),
        "colour": rng.choice(["red", "green", "blue"], n),
        "smoker": rng.choice([True, False], n).astype(object),
        "score": rng.normal(size=n),
    })
    frame["label"] = np.where((frame["age"] > 50) ^ (frame["colour"] == "red"), "sick", "well")
    frame.loc[[3, 17, 40], "age"] = np.nan
    frame.loc[[5, 60], "colour"] = None
    frame.loc[[8], "smoker"] = None
    return frame


@pytest.fixture
def table_csv(tmp_path):
    path = tmp_path / "patients.csv"
    mixed_table().to_csv(path, index=False)
    return path


# ---------------------------------------------------------------------------------------
# Tables: categorical, bool and missing values through the default preprocessing
# ---------------------------------------------------------------------------------------


def test_csv_with_categorical_bool_and_missing_values_runs_on_every_row(table_csv, tmp_path):
    cfg = make_config("dataset=csv", f"dataset.path={table_csv}", "dataset.label_column=label",
                      "dataset.id_column=patient", "output.include_features=true", "cleanlearning.cv_n_folds=3")
    # Your own data, your own labels: no noise, no held-out rows.
    assert cfg.noise.name == "none" and cfg.dataset.test_size == 0
    metrics = run(cfg, tmp_path / "out")
    frame = pd.read_csv(tmp_path / "out" / "label_issues.csv", keep_default_na=False)
    table = mixed_table()
    assert metrics["n_examples"] == len(frame) == len(table)
    assert "test_accuracy_baseline" not in metrics and "issue_precision" not in metrics
    assert sorted(frame["index"]) == list(range(len(table)))
    # The id and the example's own columns, joined on the original row.
    assert list(frame.columns[:8]) == ["index", "is_label_issue", "label_quality", "given_label",
                                       "predicted_label", "sample_weight", "patient", "age"]
    np.testing.assert_array_equal(frame["patient"], table["patient"].to_numpy()[frame["index"]])
    np.testing.assert_array_equal(frame["given_label"], table["label"].to_numpy()[frame["index"]])
    # Most likely wrong first, ties by original row.
    quality, index = frame["label_quality"].to_numpy(), frame["index"].to_numpy()
    assert np.all((np.diff(quality) > 0) | ((np.diff(quality) == 0) & (np.diff(index) > 0)))


def test_the_default_preprocessing_is_the_documented_column_transformer_fitted_per_fold(table_csv, tmp_path):
    """The run's pred_probs are those of ColumnTransformer + classifier cloned per fold (built
    here from scikit-learn directly), not those of the same preprocessing fitted once on all rows."""
    cfg = make_config("dataset=csv", f"dataset.path={table_csv}", "dataset.label_column=label",
                      "dataset.drop_columns=[patient]", "cleanlearning.cv_n_folds=3", f"cache_dir={tmp_path / 'c'}")
    run(cfg, tmp_path / "out")
    [entry] = cache_entries(tmp_path / "c", "cv_pred_probs")
    pred_probs = np.load(entry / "pred_probs.npy")

    table = mixed_table()
    X, labels = table.drop(columns=["label", "patient"]), np.unique(table["label"], return_inverse=True)[1]
    preprocess = ColumnTransformer([
        ("numeric", Pipeline([("impute", SimpleImputer(strategy="median", add_indicator=True)),
                              ("scale", StandardScaler())]), make_column_selector(dtype_include=np.number)),
        ("categorical", OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=20, sparse_output=False),
         make_column_selector(dtype_include=["object", "string", "category", "bool"])),
    ])
    classifier = build_estimator(cfg.classifier)
    seed = derive_seeds(cfg.seed).cv
    per_fold = estimate_cv_predicted_probabilities(X, labels, Pipeline([("p", preprocess), ("c", classifier)]),
                                                   cv_n_folds=3, seed=seed)
    np.testing.assert_allclose(pred_probs, per_fold, rtol=1e-9, atol=1e-12)
    leaky = estimate_cv_predicted_probabilities(preprocess.fit_transform(X), labels, classifier,
                                                cv_n_folds=3, seed=seed)
    assert not np.allclose(pred_probs, leaky, rtol=1e-6, atol=1e-9)


def test_no_preprocessing_step_is_fitted_on_rows_it_then_predicts(table_csv, tmp_path, monkeypatch):
    """Spy on every imputer fit: in cross-validation, each sees all rows but its fold's
    held-out ones (a fit on the whole table before CV would see every row)."""
    seen: list[frozenset] = []
    original_fit = SimpleImputer.fit

    def spy(self, X, y=None):
        seen.append(frozenset(X.index))
        return original_fit(self, X, y)

    monkeypatch.setattr(SimpleImputer, "fit", spy)
    cfg = make_config("dataset=csv", f"dataset.path={table_csv}", "dataset.label_column=label",
                      "dataset.drop_columns=[patient]", "cleanlearning.cv_n_folds=4")
    run(cfg, tmp_path / "out")
    all_rows = frozenset(range(len(mixed_table())))
    held_out = [all_rows - rows for rows in seen[:4]]
    assert all(len(rows) == len(all_rows) // 4 for rows in held_out)
    assert frozenset().union(*held_out) == all_rows and sum(map(len, held_out)) == len(all_rows)


def test_standardisation_of_bundled_datasets_is_inside_the_folds(tmp_path):
    cfg = make_config("dataset=wine", "cleanlearning.cv_n_folds=3", f"cache_dir={tmp_path / 'c'}")
    run(cfg, tmp_path / "out")
    [entry] = cache_entries(tmp_path / "c", "cv_pred_probs")
    seeds = derive_seeds(cfg.seed)
    data = load_dataset(cfg.dataset, data_seed=seeds.data, split_seed=seeds.split)
    noisy = pd.read_csv(tmp_path / "out" / "label_issues.csv").sort_values("index")
    position = np.argsort(np.argsort(data.index_train))  # training order -> sorted-index order
    labels = noisy["given_label"].to_numpy()[position]
    expected = estimate_cv_predicted_probabilities(
        data.X_train, labels, Pipeline([("s", StandardScaler()), ("c", build_estimator(cfg.classifier))]),
        cv_n_folds=3, seed=seeds.cv)
    np.testing.assert_allclose(np.load(entry / "pred_probs.npy"), expected, rtol=1e-9, atol=1e-12)


def test_preprocessing_settings_are_part_of_the_cache_key(tmp_path):
    cache = tmp_path / "c"
    for standardize in ("true", "false"):
        run(make_config("dataset=iris", "cleanlearning.cv_n_folds=3", f"dataset.standardize={standardize}",
                        f"cache_dir={cache}"), tmp_path / standardize)
    assert len(cache_entries(cache, "cv_pred_probs")) == 2


def test_preprocess_none_gives_the_classifier_nan_and_categories(table_csv, tmp_path):
    cfg = make_config("dataset=csv", f"dataset.path={table_csv}", "dataset.label_column=label",
                      "dataset.drop_columns=[patient]", "dataset.preprocess=none", "classifier=hist_gradient_boosting",
                      "classifier.max_iter=10", "cleanlearning.cv_n_folds=3")
    assert run(cfg, tmp_path / "out")["n_examples"] == 240


def test_parquet_reads_the_same_table(tmp_path):
    table = mixed_table()
    table.to_parquet(tmp_path / "t.parquet", engine="pyarrow")
    table.to_csv(tmp_path / "t.csv", index=False)
    from_parquet = datasets.parquet(str(tmp_path / "t.parquet"), "label", drop_columns=["patient"])
    from_csv = datasets.csv(str(tmp_path / "t.csv"), "label", drop_columns=["patient"])
    # The same cells (parquet keeps None where the CSV reads NaN).
    pd.testing.assert_frame_equal(from_parquet.features.isna(), from_csv.features.isna())
    pd.testing.assert_frame_equal(from_parquet.features.astype(object).fillna("-"),
                                  from_csv.features.astype(object).fillna("-"), check_dtype=False)
    np.testing.assert_array_equal(from_parquet.labels, from_csv.labels)
    cfg = make_config("dataset=parquet", f"dataset.path={tmp_path / 't.parquet'}", "dataset.label_column=label",
                      "dataset.id_column=patient", "cleanlearning.cv_n_folds=3")
    assert run(cfg, tmp_path / "out")["n_examples"] == 240


def test_csv_test_split_and_noise_on_request(table_csv, tmp_path):
    cfg = make_config("dataset=csv", f"dataset.path={table_csv}", "dataset.label_column=label",
                      "dataset.drop_columns=[patient]", "dataset.test_size=0.25", "noise=symmetric",
                      "cleanlearning.cv_n_folds=3")
    metrics = run(cfg, tmp_path / "out")
    assert metrics["n_examples"] == 180 and metrics["n_test_examples"] == 60
    assert "test_accuracy_cleanlearning" in metrics and "issue_precision" in metrics


def test_instance_noise_uses_the_preprocessed_table(table_csv, tmp_path):
    cfg = make_config("dataset=csv", f"dataset.path={table_csv}", "dataset.label_column=label",
                      "dataset.drop_columns=[patient]", "noise=instance", "cleanlearning.cv_n_folds=3")
    metrics = run(cfg, tmp_path / "out")
    assert 0 < metrics["true_noise_rate"] < 0.5 and "issue_auprc" in metrics


def test_known_error_column_scores_the_detection_without_a_noise_matrix(tmp_path):
    table = mixed_table()
    rng = np.random.default_rng(1)
    wrong = rng.random(len(table)) < 0.15
    table.loc[wrong, "label"] = np.where(table.loc[wrong, "label"] == "sick", "well", "sick")
    table["audited_wrong"] = wrong
    table.to_csv(tmp_path / "t.csv", index=False)
    cfg = make_config("dataset=csv", f"dataset.path={tmp_path / 't.csv'}", "dataset.label_column=label",
                      "dataset.drop_columns=[patient]", "dataset.label_errors=audited_wrong", "cleanlearning.cv_n_folds=3")
    metrics = run(cfg, tmp_path / "out")
    frame = pd.read_csv(tmp_path / "out" / "label_issues.csv")
    assert metrics["true_noise_rate"] == pytest.approx(wrong.mean())
    np.testing.assert_array_equal(frame["is_true_error"], wrong[frame["index"]])
    assert "noise_matrix_error" not in metrics and not (tmp_path / "out" / "true_noise_matrix.csv").exists()
    assert "true_label" not in frame and "audited_wrong" not in frame


def test_true_label_column_scores_the_detection_and_the_noise_matrix(tmp_path):
    table = mixed_table()
    table["truth"] = table["label"]
    flipped = np.arange(len(table)) % 10 == 0
    table.loc[flipped, "label"] = np.where(table.loc[flipped, "label"] == "sick", "well", "sick")
    table.to_csv(tmp_path / "t.csv", index=False)
    cfg = make_config("dataset=csv", f"dataset.path={tmp_path / 't.csv'}", "dataset.label_column=label",
                      "dataset.drop_columns=[patient]", "dataset.true_label_column=truth", "cleanlearning.cv_n_folds=3")
    metrics = run(cfg, tmp_path / "out")
    assert metrics["true_noise_rate"] == pytest.approx(flipped.mean())
    true = pd.read_csv(tmp_path / "out" / "true_noise_matrix.csv", index_col=0)
    expected = pd.crosstab(table["label"], table["truth"], normalize="columns")
    np.testing.assert_allclose(true.to_numpy(), expected.to_numpy())
    assert "noise_matrix_error" in metrics


def test_a_column_neither_numeric_nor_categorical_is_named(tmp_path):
    table = mixed_table().drop(columns=["patient"])
    table["visit"] = pd.date_range("2024-01-01", periods=len(table), freq="D")
    table.to_parquet(tmp_path / "t.parquet", engine="pyarrow")
    cfg = make_config("dataset=parquet", f"dataset.path={tmp_path / 't.parquet'}", "dataset.label_column=label")
    with pytest.raises(ValueError, match=r"t.parquet: column 'visit' has dtype datetime64.*dataset.drop_columns"):
        run(cfg, tmp_path / "out")


def test_digits_keeps_its_raw_images_for_display():
    data = load_dataset(compose_config().dataset, data_seed=0, split_seed=0)
    assert data.dataset.image_shape == (8, 8) and data.dataset.examples.shape == (1797, 8, 8)
    np.testing.assert_array_equal(data.dataset.examples.reshape(1797, 64), data.dataset.features)


# ---------------------------------------------------------------------------------------
# Errors name the file, the column and the first bad line
# ---------------------------------------------------------------------------------------


def test_missing_value_with_preprocess_none_names_file_column_and_line(table_csv, tmp_path):
    cfg = make_config("dataset=csv", f"dataset.path={table_csv}", "dataset.label_column=label",
                      "dataset.drop_columns=[patient,colour,smoker]", "dataset.preprocess=none")
    # Row 3 is the first with an empty cell (age); line 1 is the header, so line 5.
    expected = (f"{table_csv}: column 'age', line 5: empty value, and dataset.preprocess=none with a "
                "classifier that cannot take missing values (LogisticRegression; use dataset.preprocess=auto "
                "to impute, or a classifier such as hist_gradient_boosting)")
    with pytest.raises(ValueError) as error:
        run(cfg, tmp_path / "out")
    assert str(error.value) == expected


def test_text_with_preprocess_none_and_a_numbers_only_classifier_is_refused(table_csv, tmp_path):
    cfg = make_config("dataset=csv", f"dataset.path={table_csv}", "dataset.label_column=label",
                      "dataset.drop_columns=[patient]", "dataset.preprocess=none", "classifier=random_forest")
    with pytest.raises(ValueError, match=rf"^{re.escape(str(table_csv))}: column 'colour', line 2: value '\w+' is "
                                         r"not a number, and dataset.preprocess=none with a classifier that takes"):
        run(cfg, tmp_path / "out")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.assign(label=t["label"].where(t.index != 6)), r"column 'label', line 8: empty label"),
        (lambda t: t.assign(score=t["score"].where(t.index != 9, np.inf)), r"column 'score', line 11: infinite value"),
        (lambda t: t.assign(flag=t["label"] == "sick").assign(flag=lambda f: f["flag"].astype(object).where(
            f.index != 2, "maybe")), r"column 'flag', line 4: label_errors must be true/false; got 'maybe'"),
    ],
)
def test_bad_cells_are_reported_with_their_line(tmp_path, edit, message):
    path = tmp_path / "t.csv"
    edit(mixed_table()).to_csv(path, index=False)
    with pytest.raises(ValueError, match=rf"^{re.escape(str(path))}: {message}"):
        datasets.csv(str(path), "label", label_errors="flag" if "flag" in message else None)


def test_logits_and_csv_files_given_as_pred_probs_get_a_hint(tmp_path):
    logits = np.array([[2.0, -1.0], [0.5, 0.1]])
    np.save(tmp_path / "logits.npy", logits)
    np.save(tmp_path / "labels.npy", np.array([0, 1]))
    with pytest.raises(ValueError, match=r"row 0 of pred_probs is not a probability distribution .* apply a softmax"):
        datasets.precomputed(str(tmp_path / "logits.npy"), str(tmp_path / "labels.npy"))
    np.savetxt(tmp_path / "probs.csv", np.array([[0.9, 0.1], [0.2, 0.8]]), delimiter=",")
    with pytest.raises(ValueError, match=r"dataset.pred_probs=.*probs.csv' is not a .npy file \(it looks like a CSV"):
        datasets.precomputed(str(tmp_path / "probs.csv"), str(tmp_path / "labels.npy"))


# ---------------------------------------------------------------------------------------
# Precomputed pred_probs: as given
# ---------------------------------------------------------------------------------------


def _precomputed_files(tmp_path, dtype=np.float32, n=200, k=3, seed=0):
    rng = np.random.default_rng(seed)
    true = np.arange(n) % k
    logits = rng.normal(size=(n, k)) + 2.0 * np.eye(k)[true]
    pred_probs = (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).astype(dtype)
    labels = true.copy()
    wrong = rng.random(n) < 0.2
    labels[wrong] = (labels[wrong] + 1) % k
    np.save(tmp_path / "p.npy", pred_probs)
    np.save(tmp_path / "l.npy", labels)
    np.save(tmp_path / "e.npy", wrong)
    return pred_probs, labels, wrong


def test_precomputed_keeps_the_dtype_and_memory_maps_on_request(tmp_path):
    pred_probs, _, _ = _precomputed_files(tmp_path)
    loaded = datasets.precomputed(str(tmp_path / "p.npy"), str(tmp_path / "l.npy"))
    assert loaded.pred_probs.dtype == np.float32 and not isinstance(loaded.pred_probs, np.memmap)
    mapped = datasets.precomputed(str(tmp_path / "p.npy"), str(tmp_path / "l.npy"), mmap=True)
    assert isinstance(mapped.pred_probs, np.memmap) and mapped.pred_probs.dtype == np.float32
    np.testing.assert_array_equal(mapped.pred_probs, pred_probs)
    node = OmegaConf.create({"_target_": "runner.datasets.precomputed", "pred_probs": str(tmp_path / "p.npy"),
                             "labels": str(tmp_path / "l.npy"), "mmap": True})
    assert isinstance(load_dataset(node, data_seed=0, split_seed=0).pred_probs, np.memmap)


def test_precomputed_reads_a_zarr_array(tmp_path):
    import zarr  # the [zarr] extra: CI installs it (a missing extra fails here, never skips)
    pred_probs, _, _ = _precomputed_files(tmp_path)
    array = zarr.open_array(str(tmp_path / "p.zarr"), mode="w", shape=pred_probs.shape, chunks=(50, 3),
                            dtype=pred_probs.dtype)
    array[:] = pred_probs
    loaded = datasets.precomputed(str(tmp_path / "p.zarr"), str(tmp_path / "l.npy"))
    assert loaded.pred_probs.dtype == np.float32 and not isinstance(loaded.pred_probs, np.ndarray)
    np.testing.assert_array_equal(loaded.pred_probs[:], pred_probs)
    # A run on the .zarr finds the same issues as on the .npy.
    for name in ("p.zarr", "p.npy"):
        run(make_config("dataset=precomputed", f"dataset.pred_probs={tmp_path / name}",
                        f"dataset.labels={tmp_path / 'l.npy'}"), tmp_path / name.replace(".", "_"))
    assert (tmp_path / "p_zarr" / "label_issues.csv").read_bytes() == (tmp_path / "p_npy" / "label_issues.csv").read_bytes()


def test_precomputed_error_mask_scores_the_detection(tmp_path):
    _, labels, wrong = _precomputed_files(tmp_path)
    cfg = make_config("dataset=precomputed", f"dataset.pred_probs={tmp_path / 'p.npy'}",
                      f"dataset.labels={tmp_path / 'l.npy'}", f"dataset.label_errors={tmp_path / 'e.npy'}")
    assert cfg.noise.name == "none"  # implied by dataset=precomputed
    metrics = run(cfg, tmp_path / "out")
    assert metrics["true_noise_rate"] == pytest.approx(wrong.mean())
    assert "issue_auprc" in metrics and "noise_matrix_error" not in metrics


def test_precomputed_refuses_injected_noise(tmp_path):
    _precomputed_files(tmp_path)
    cfg = compose_config("dataset=precomputed", f"dataset.pred_probs={tmp_path / 'p.npy'}",
                         f"dataset.labels={tmp_path / 'l.npy'}", "noise=symmetric")
    with pytest.raises(ConfigError, match=r"noise must be none for dataset=precomputed .*got noise=symmetric"):
        validate_config(cfg)


@pytest.mark.slow
def test_precomputed_says_an_overridden_classifier_is_unused(tmp_path):
    _precomputed_files(tmp_path)
    command = [sys.executable, "-m", "runner", "dataset=precomputed", f"dataset.pred_probs={tmp_path / 'p.npy'}",
               f"dataset.labels={tmp_path / 'l.npy'}", "classifier=knn", f"hydra.run.dir={tmp_path / 'run'}",
               "cache_dir=null"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    log = (tmp_path / "run" / "runner.log").read_text()
    assert "classifier=knn is not used: dataset=precomputed brings its own pred_probs" in log


# ---------------------------------------------------------------------------------------
# A user's dataset and noise model: one YAML + one function each, no edit of runner/
# ---------------------------------------------------------------------------------------

USER_CODE = '''
import numpy as np

from runner.datasets import Dataset


def blobs(n_per_class, spread=1.0, *, seed):
    rng = np.random.default_rng(seed)
    labels = np.repeat(["a", "b", "c"], n_per_class)
    centres = {"a": (0.0, 0.0), "b": (4.0, 0.0), "c": (0.0, 4.0)}
    features = np.array([centres[y] for y in labels]) + spread * rng.normal(size=(labels.size, 2))
    return Dataset(features=features, labels=labels, ids=np.array([f"id{i}" for i in range(labels.size)]))


def with_gaps(*, seed):
    rng = np.random.default_rng(seed)
    labels = np.arange(90) % 3
    features = labels[:, None] + rng.normal(size=(90, 2))
    features[[7, 30], 1] = np.nan
    return Dataset(features=features, labels=labels, feature_names=["u", "v"])


def flip_to_first(true_labels, *, n_classes, seed, rate):
    rng = np.random.default_rng(seed)
    noisy = np.where(rng.random(true_labels.size) < rate, 0, true_labels)
    matrix = (1 - rate) * np.eye(n_classes)
    matrix[0] += rate
    return noisy, matrix
'''


@pytest.fixture
def user_conf(tmp_path, monkeypatch):
    (tmp_path / "user_code.py").write_text(USER_CODE)
    monkeypatch.syspath_prepend(str(tmp_path))
    conf = tmp_path / "conf"
    (conf / "dataset").mkdir(parents=True)
    (conf / "noise").mkdir()
    (conf / "dataset" / "blobs.yaml").write_text(textwrap.dedent("""\
        defaults:
          - override /noise@_global_.noise: none
          - _self_
        _target_: user_code.blobs
        n_per_class: 40
        spread: 1.0
    """))
    (conf / "noise" / "to_first.yaml").write_text("_target_: user_code.flip_to_first\nname: to_first\nrate: 0.3\n")
    return conf


def test_a_user_dataset_and_noise_model_by_yaml_and_function(user_conf, tmp_path):
    cfg = make_config("dataset=blobs", "cleanlearning.cv_n_folds=3", search_path=user_conf)
    assert cfg.noise.name == "none"
    metrics = run(cfg, tmp_path / "own")
    frame = pd.read_csv(tmp_path / "own" / "label_issues.csv")
    assert metrics["n_examples"] == 120 and "issue_precision" not in metrics  # every row, no noise
    assert list(frame.columns[-1:]) == ["id"]
    np.testing.assert_array_equal(frame["id"], [f"id{i}" for i in frame["index"]])

    cfg = make_config("dataset=blobs", "noise=to_first", "noise.rate=0.2", "cleanlearning.cv_n_folds=3",
                      search_path=user_conf)
    metrics = run(cfg, tmp_path / "noisy")
    frame = pd.read_csv(tmp_path / "noisy" / "label_issues.csv")
    changed = frame["given_label"] != frame["true_label"]
    assert changed.any() and (frame.loc[changed, "given_label"] == "a").all()
    true_matrix = pd.read_csv(tmp_path / "noisy" / "true_noise_matrix.csv", index_col=0).to_numpy()
    np.testing.assert_allclose(true_matrix, [[1, 0.2, 0.2], [0, 0.8, 0], [0, 0, 0.8]])
    assert 0 <= metrics["issue_recall"] <= 1


def test_an_array_with_gaps_is_imputed_per_fold_or_refused_by_row(user_conf, tmp_path):
    (user_conf / "dataset" / "gaps.yaml").write_text("_target_: user_code.with_gaps\npreprocess: auto\n")
    metrics = run(make_config("dataset=gaps", "cleanlearning.cv_n_folds=3", search_path=user_conf), tmp_path / "a")
    assert metrics["n_examples"] == 90
    cfg = make_config("dataset=gaps", "dataset.preprocess=none", search_path=user_conf)
    with pytest.raises(ValueError, match=r"^dataset: column 'v', row 7: empty value, and dataset.preprocess=none"):
        run(cfg, tmp_path / "b")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("+dataset.spred=2", "dataset.spred is not a parameter of the loader user_code.blobs (its parameters: "
                             "n_per_class, spread); got 2; did you mean `spread`?"),
        ("~dataset.n_per_class", "dataset.n_per_class is required by the loader user_code.blobs; set it: "
                                 "dataset.n_per_class=..."),
        ("+dataset.test_size=1.5", "dataset.test_size must be a float in [0, 1); got 1.5"),
    ],
)
def test_a_user_loader_gets_its_arguments_checked_by_signature(user_conf, override, message):
    with pytest.raises(ConfigError) as error:
        validate_config(compose_config("dataset=blobs", override, search_path=user_conf))
    assert str(error.value) == message


@pytest.mark.slow
def test_docs_add_a_dataset_runs_as_written(tmp_path):
    """docs/howto/add-a-dataset.md: its files and its command, run as written."""
    section = (ROOT / "docs" / "howto" / "add-a-dataset.md").read_text()
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)
    for language, body in blocks:
        if language in ("python", "yaml"):
            relative = body.splitlines()[0].removeprefix("# ").strip()
            (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / relative).write_text(body)
    [command] = [body.strip() for language, body in blocks if language == "bash"]
    command = shlex.split(command.replace("$PWD", str(tmp_path)))
    assert command[:3] == ["python", "-m", "runner"]
    argv = [sys.executable, *command[1:], f"hydra.run.dir={tmp_path / 'run'}", "cache_dir=null",
            "cleanlearning.cv_n_folds=3"]
    env = {**__import__("os").environ, "PYTHONPATH": f"{ROOT}:{tmp_path}"}
    result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    frame = pd.read_csv(tmp_path / "run" / "label_issues.csv")
    assert len(frame) == 300 and set(frame["given_label"]) == {"left", "right"}
    assert "is_true_error" in frame  # the command adds noise=symmetric


# ---------------------------------------------------------------------------------------
# Classifier overrides the way users type them
# ---------------------------------------------------------------------------------------


def test_every_constructor_parameter_overrides_without_plus_and_only_set_ones_are_passed():
    from sklearn.ensemble import RandomForestClassifier

    cfg = make_config("classifier=random_forest", "classifier.max_depth=3", "classifier.criterion=entropy")
    estimator = build_estimator(cfg.classifier)
    assert isinstance(estimator, RandomForestClassifier)
    params, defaults = estimator.get_params(), RandomForestClassifier().get_params()
    set_here = {"max_depth": 3, "criterion": "entropy", "n_estimators": 100, "min_samples_leaf": 1,
                "random_state": 0}
    assert {k: params[k] for k in set_here} == set_here
    assert {k: v for k, v in params.items() if k not in set_here} == {
        k: v for k, v in defaults.items() if k not in set_here}
    # Every parameter is in the composed config; those nobody set are ??? (not passed).
    assert set(cfg.classifier) == {"_target_", *defaults}
    assert OmegaConf.is_missing(cfg.classifier, "max_features")


def test_nested_estimator_parameters_override_too():
    cfg = make_config("classifier=svc", "classifier.estimator.C=10", "classifier.estimator.degree=2")
    svc = build_estimator(cfg.classifier).estimator
    assert (svc.C, svc.degree, svc.kernel) == (10, 2, "rbf")


def test_a_typo_lists_the_valid_names():
    with pytest.raises(ConfigError) as error:
        validate_config(compose_config("classifier=random_forest", "classifier.max_dept=3"))
    message = str(error.value)
    assert message.startswith("classifier.max_dept is not a parameter of sklearn.ensemble.RandomForestClassifier")
    assert "valid: n_estimators, criterion, max_depth," in message and len(message.splitlines()) == 1


def test_a_new_target_does_not_silently_keep_another_options_parameters():
    with pytest.raises(ConfigError, match=r"classifier.C is not a parameter of sklearn.linear_model.SGDClassifier"):
        validate_config(compose_config("classifier._target_=sklearn.linear_model.SGDClassifier"))
    cfg = make_config("classifier=custom", "classifier._target_=sklearn.linear_model.SGDClassifier",
                      "classifier.loss=log_loss", "classifier.random_state=3")
    estimator = build_estimator(cfg.classifier)
    assert (type(estimator).__name__, estimator.loss, estimator.random_state, estimator.alpha) == (
        "SGDClassifier", "log_loss", 3, 0.0001)


def test_custom_classifier_needs_a_target():
    with pytest.raises(ConfigError, match=r"classifier._target_ must be an importable class path"):
        validate_config(compose_config("classifier=custom"))


def test_bundled_dataset_keys_keep_their_schema():
    with pytest.raises(ConfigCompositionException):
        compose_config("dataset=csv", "dataset.lable_column=x")
    with pytest.raises(ConfigCompositionException):
        compose_config("dataset=iris", "dataset.test_size=abc")


def test_csv_noise_default_yields_to_the_command_line(table_csv):
    assert compose_config("dataset=csv").noise.name == "none"
    assert compose_config("dataset=csv", "noise=pairflip").noise.name == "pairflip"
    assert compose_config("noise=pairflip", "dataset=csv").noise.name == "pairflip"
    assert compose_config("dataset=iris").noise.name == "asymmetric"
