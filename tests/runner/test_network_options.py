"""The networks as runner options: configs, seeds, runtime identity, image datasets, own models.

The estimators' own contract (clone, seeds per fold, sample_weight, threads) is
tests/runner/test_networks.py's; this file checks what the runner adds around them, in
process (compose + runner.experiment.pipeline.run), with tiny nets and few epochs.
"""

from __future__ import annotations

import functools
import random
import sys
import textwrap
from importlib import metadata
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from sklearn.datasets import load_digits

torch = pytest.importorskip("torch")  # the test extra installs it: this skip never fires in CI

from _compose import make_config  # noqa: E402

from runner.config import config_problems, register_configs  # noqa: E402
from runner.core.cache import ArrayCache  # noqa: E402
from runner.core.runtime import runtime_identity  # noqa: E402
from runner.datasets.base import call_loader  # noqa: E402
from runner.datasets.image_folder import write_digit_folder  # noqa: E402
from runner.experiment.pipeline import run  # noqa: E402
from runner.model import preprocessing, torch_modules  # noqa: E402
from runner.model.estimators import build_estimator, set_parameters  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
register_configs()




# -- the options' configs ---------------------------------------------------------------


@pytest.mark.parametrize("option", ["torch_mlp", "torch_cnn", "keras_mlp"])
def test_option_takes_the_jobs_seed_and_overridden_hyperparameters(option):
    cfg = make_config(f"classifier={option}", "seed=5", "classifier.max_epochs=3", "classifier.lr=0.01",
                      "classifier.batch_size=16", "classifier.weight_decay=0", "classifier.threads=2")
    with mock.patch("torch.cuda.is_available", return_value=False):
        net = build_estimator(cfg.classifier)
    params = net.get_params()
    assert net.seed == 5 and net.threads == 2 and net.device == "cpu"  # device=auto resolved
    assert params["max_epochs"] == 3 and params["lr"] == 0.01 and params["batch_size"] == 16
    assert params.get("optimizer__weight_decay", params.get("weight_decay")) == 0
    assert make_config(f"classifier={option}").classifier.threads == 1  # one thread per fold worker


def test_option_width_overrides_reach_the_modules():
    mlp = build_estimator(make_config("classifier=torch_mlp", "classifier.hidden=[8,4]").classifier)
    cnn = build_estimator(make_config("classifier=torch_cnn", "classifier.channels=[4]", "classifier.hidden=7").classifier)
    assert mlp.get_params()["module__hidden"] == (8, 4)
    assert cnn.get_params()["module__channels"] == (4,) and cnn.get_params()["module__hidden"] == 7


def test_option_typo_and_bad_device_are_one_line_config_errors():
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        typo = compose("config", overrides=["classifier=torch_cnn", "classifier.epochs=3"])
        device = compose("config", overrides=["classifier=torch_mlp", "classifier.device=tpu"])
    [problem] = config_problems(typo).splitlines()
    assert "classifier.epochs is not a parameter" in problem and "max_epochs" in problem
    [problem] = config_problems(device).splitlines()
    assert "device must be 'auto', 'cpu', 'cuda'" in problem and "'tpu'" in problem


# -- runtime identity in the cache key --------------------------------------------------


def _key(classifier: dict) -> dict:
    return {"classifier": classifier, "data": "fingerprint", "seed": 0}


def test_cache_key_holds_the_resolved_device_versions_and_threads():
    cache = ArrayCache(None)
    auto = _key({"_target_": "runner.model.torch_nets.torch_cnn", "device": "auto", "threads": 1})
    explicit_cpu = _key({**auto["classifier"], "device": "cpu"})
    with mock.patch("torch.cuda.is_available", return_value=False):
        on_cpu = cache.key_hash("cv_pred_probs", auto)
        identity = runtime_identity(auto)["runner.model.torch_nets.torch_cnn"]
        assert runtime_identity(explicit_cpu) == {"runner.model.torch_nets.torch_cnn": identity}
    with mock.patch("torch.cuda.is_available", return_value=True):
        on_gpu = cache.key_hash("cv_pred_probs", auto)  # the same config, computed elsewhere
        assert runtime_identity(auto)["runner.model.torch_nets.torch_cnn"]["device"] == "cuda"
    assert on_cpu != on_gpu
    assert identity == {"device": "cpu", "threads": 1,
                        "versions": {"torch": metadata.version("torch"), "skorch": metadata.version("skorch")}}
    with mock.patch("torch.cuda.is_available", return_value=False):
        two_threads = cache.key_hash("cv_pred_probs", _key({**auto["classifier"], "threads": 2}))
        real_version = metadata.version

        def other_torch(name):
            return "0.0.1" if name == "torch" else real_version(name)

        with mock.patch("runner.core.runtime.metadata.version", side_effect=other_torch):
            other_version = cache.key_hash("cv_pred_probs", auto)
    assert len({on_cpu, two_threads, other_version}) == 3


def test_runtime_identity_of_keras_custom_and_plain_estimators():
    keras_identity = runtime_identity(_key({"_target_": "runner.model.keras_nets.keras_mlp", "device": "cpu"}))
    assert set(keras_identity["runner.model.keras_nets.keras_mlp"]["versions"]) == {"keras", "torch"}
    # A user's skorch net: its module node runs on the net's device, so only the net counts.
    custom = runtime_identity(_key({
        "_target_": "runner.model.torch_modules.TorchNetClassifier", "device": "cpu",
        "module": {"_target_": "runner.model.torch_modules.MLP", "_partial_": True},
    }))
    assert list(custom) == ["runner.model.torch_modules.TorchNetClassifier"]
    # A framework class that declares nothing: its framework's versions and its device.
    plain = runtime_identity(_key({"_target_": "skorch.NeuralNetClassifier", "device": "cuda"}))
    assert plain["skorch.NeuralNetClassifier"]["device"] == "cuda"
    assert set(plain["skorch.NeuralNetClassifier"]["versions"]) == {"skorch", "torch"}
    # scikit-learn estimators add nothing: their cache keys are as before.
    assert runtime_identity(_key({"_target_": "sklearn.linear_model.LogisticRegression", "C": 1.0})) == {}


# -- images as data ---------------------------------------------------------------------


def test_digits_as_images_are_the_pixels_scaled_and_reach_the_net_unscaled():
    cfg = make_config("dataset=digits", "dataset.as_images=true", "classifier=torch_cnn")
    loaded = call_loader(cfg.dataset, data_seed=0)
    digits = load_digits()
    assert loaded.features.shape == (1797, 1, 8, 8) and loaded.features.dtype == np.float32
    assert np.array_equal(loaded.features[:, 0], (digits.images / 16).astype(np.float32))
    assert np.array_equal(loaded.labels, digits.target)
    net = build_estimator(cfg.classifier)
    # standardize: true in digits.yaml applies to features only; images get no scaler.
    assert preprocessing.with_preprocessing(net, loaded.features, preprocess="auto", standardize=True,
                                            max_categories=20) is net
    logreg = build_estimator(make_config("classifier=logreg").classifier)
    with pytest.raises(ValueError, match=r"images of shape \(1, 8, 8\), and LogisticRegression takes a 2-D"):
        preprocessing.check_features(loaded, preprocess="auto", estimator=logreg)


@pytest.fixture(scope="module")
def small_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("images") / "digits"
    return root, write_digit_folder(root, fraction_moved=0.1, seed=3, n_examples=400)


def test_image_folder_option_loads_names_files_and_truth(small_folder):
    root, table = small_folder
    cfg = make_config("dataset=image_folder", f"dataset.path={root}", "dataset.size=[8,8]",
                      "dataset.grayscale=true", "dataset.true_labels_csv=true_labels.csv")
    assert cfg.noise.name == "none" and cfg.dataset.test_size == 0  # the user's own labels
    loaded = call_loader(cfg.dataset, data_seed=0)
    truth = table.set_index("file").loc[loaded.ids]
    assert loaded.features.shape == (400, 1, 8, 8) and loaded.examples.shape == (400, 8, 8)
    assert list(loaded.labels) == list(truth["given_label"]) and list(loaded.true_labels) == list(truth["true_label"])
    rgb = call_loader(make_config("dataset=image_folder", f"dataset.path={root}").dataset, data_seed=0)
    assert rgb.features.shape == (400, 3, 32, 32) and rgb.examples.shape == (400, 32, 32, 3)


def test_image_folder_option_checks_name_the_key(small_folder, tmp_path):
    root, _ = small_folder
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        def problems(*overrides):
            found = config_problems(compose("config", overrides=["cache_dir=null", "dataset=image_folder", *overrides]))
            return [] if found is None else found.splitlines()

        assert problems() == ["dataset.path is required for dataset=image_folder; got ??? (set dataset.path=FOLDER)"]
        assert "must be an existing folder" in problems(f"dataset.path={tmp_path / 'nope'}")[0]
        (tmp_path / "flat").mkdir()
        assert "has no class subfolders" in problems(f"dataset.path={tmp_path / 'flat'}")[0]
        assert "dataset.size must be [height, width]" in problems(f"dataset.path={root}", "dataset.size=[8,0]")[0]
        assert "dataset.true_labels_csv must be a CSV" in problems(f"dataset.path={root}",
                                                                   "dataset.true_labels_csv=missing.csv")[0]
        assert problems(f"dataset.path={root}", "classifier=torch_cnn") == []


def test_image_folder_run_flags_the_moved_files_and_reports_them(small_folder, tmp_path):
    root, table = small_folder
    cfg = make_config("dataset=image_folder", f"dataset.path={root}", "dataset.size=[8,8]", "dataset.grayscale=true",
                      "dataset.true_labels_csv=true_labels.csv", "classifier=torch_cnn", "classifier.max_epochs=15",
                      "cleanlearning.cv_n_folds=3")
    metrics = run(cfg, tmp_path)
    issues = pd.read_csv(tmp_path / "label_issues.csv")
    moved = set(table.loc[table["moved"], "file"])
    flagged = set(issues.loc[issues["is_label_issue"], "id"])
    # 40 moved files among 400; flagging 40 at random would catch about 4 of them.
    assert len(flagged & moved) >= 0.6 * len(moved) and len(flagged & moved) >= 0.6 * len(flagged)
    assert metrics["issue_recall"] == pytest.approx(len(flagged & moved) / len(moved))
    from runner.report.run import write_run_report

    OmegaConf.save(cfg, tmp_path / "resolved_config.yaml", resolve=True)  # as the job wrapper does
    html = write_run_report(tmp_path).read_text()
    body = html[html.index("</nav>"):]  # the sections, after the nav line of their headings
    section = body[body.index("Image files flagged"):body.index("True errors missed")]
    worst = issues[issues["is_label_issue"]].sort_values("label_quality", kind="stable")["id"].head(50)
    assert all(file in section for file in worst) and section.count('class="file-thumb"') == len(worst)


# -- a user's own models ----------------------------------------------------------------


@pytest.fixture(scope="module")
def user_package(tmp_path_factory):
    """A module of the user's own networks, outside the repository, importable."""
    folder = tmp_path_factory.mktemp("user_package")
    (folder / "user_nets.py").write_text(textwrap.dedent(
        """
        import math
        from torch import nn

        class TinyNet(nn.Module):
            def __init__(self, input_shape, n_classes, width=8):
                super().__init__()
                self.layers = nn.Sequential(nn.Flatten(), nn.Linear(math.prod(input_shape), width), nn.ReLU(),
                                            nn.Linear(width, n_classes))

            def forward(self, X):
                return self.layers(X)
        """
    ))
    (folder / "user_keras.py").write_text(textwrap.dedent(
        """
        import keras

        def build(X, y, input_shape, width=8):
            # Unseeded initializers and dropout: the runner's fit seeds them.
            model = keras.Sequential([keras.Input(shape=X.shape[1:]), keras.layers.Reshape(input_shape),
                                      keras.layers.Flatten(), keras.layers.Dense(width, activation="relu"),
                                      keras.layers.Dropout(0.2), keras.layers.Dense(y.shape[1], activation="softmax")])
            model.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy")
            return model
        """
    ))
    sys.path.insert(0, str(folder))
    yield folder
    sys.path.remove(str(folder))


CUSTOM = {
    "torch": ["classifier._target_=runner.model.torch_modules.TorchNetClassifier",
              "classifier.module._target_=user_nets.TinyNet", "classifier.module._partial_=true",
              "classifier.module.width=16", "classifier.max_epochs=4", "classifier.seed=${seed}"],
    "keras": ["classifier._target_=runner.model.keras_modules.KerasNetClassifier",
              "classifier.model._target_=user_keras.build", "classifier.model._partial_=true",
              "classifier.model.width=16", "classifier.max_epochs=4", "classifier.seed=${seed}"],
}


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_custom_model_with_a_nested_target_runs_reproducibly(user_package, framework, tmp_path):
    overrides = ["classifier=custom", *CUSTOM[framework], "cleanlearning.cv_n_folds=3"]
    random.seed(11)
    before = random.random()
    random.seed(11)
    first = run(make_config(*overrides), tmp_path / "a")
    assert random.random() == before  # the fits left the caller's Python random stream alone
    run(make_config(*overrides), tmp_path / "b")
    assert (tmp_path / "a" / "label_issues.csv").read_bytes() == (tmp_path / "b" / "label_issues.csv").read_bytes()
    assert first["test_accuracy_cleanlearning"] > 0.7 and first["issue_recall"] > 0.5  # it learned
    third = run(make_config(*overrides, "seed=1"), tmp_path / "c")
    assert third["test_accuracy_baseline"] != first["test_accuracy_baseline"] or \
        (tmp_path / "c" / "label_issues.csv").read_bytes() != (tmp_path / "a" / "label_issues.csv").read_bytes()
    # The user's module source is part of the cache key's code identity; the net's runtime too.
    key = {"classifier": set_parameters(make_config(*overrides).classifier)}
    from runner.core.cache import code_identity

    assert any(name.startswith("user_") for name in code_identity(key)) and runtime_identity(key)


def test_an_already_built_module_is_refused_a_partial_gets_the_data_shape(user_package):
    import user_nets

    X, y = load_digits(return_X_y=True)
    with pytest.raises(TypeError, match=r"module must be an nn.Module class or a callable.*_partial_=true"):
        torch_modules.TorchNetClassifier(user_nets.TinyNet((64,), 10), max_epochs=1).fit(X[:100], y[:100])
    net = torch_modules.TorchNetClassifier(functools.partial(user_nets.TinyNet, width=5), max_epochs=1)
    net.fit(X[:100], y[:100])
    assert net.module_.layers[1].in_features == 64 and net.module_.layers[1].out_features == 5


def test_keras_net_gets_the_input_shape_and_leaves_python_random_alone(user_package):
    import user_keras

    from runner.model.keras_modules import KerasNetClassifier

    images = (load_digits().images[:200, None] / 16).astype(np.float32)  # (200, 1, 8, 8)
    y = load_digits().target[:200]
    state = random.getstate()
    net = KerasNetClassifier(model=user_keras.build, model_kwargs={"width": 8}, max_epochs=2)
    first = net.fit(images, y).predict_proba(images)
    assert random.getstate() == state
    assert net.model_.layers[0].target_shape == (1, 8, 8)
    assert first.tobytes() == KerasNetClassifier(model=user_keras.build, model_kwargs={"width": 8},
                                                 max_epochs=2).fit(images, y).predict_proba(images).tobytes()
