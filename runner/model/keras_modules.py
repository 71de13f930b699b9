"""The Keras estimators (imports keras on torch): :class:`KerasNetClassifier` for a model of
your own, :class:`KerasMLPClassifier` behind :func:`runner.model.keras_nets.keras_mlp`.

Seeding without global state: ``keras.utils.set_random_seed`` would seed Python's
``random``, numpy's and torch's global generators and Keras' own global seed generator, all
of which belong to the user. Instead every fit runs inside :func:`keras_state`: Keras draws
the seeds of unseeded initializers and dropout layers from Python's ``random`` and from its
global seed generator, so both are saved, seeded from the fit's seed and restored
afterwards; ``model.fit``'s batch shuffling, which on the torch backend draws from torch's
global generator, runs inside :func:`runner.model.torch_modules.torch_state` (forked,
seeded, restored). A model of your own is therefore reproducible without seeding its layers
(the MLP seeds its initializers explicitly all the same). Not thread-safe: another thread
drawing from Python's ``random`` during a fit would change it (and be changed).
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # before keras' first import (see keras_nets)

import contextlib  # noqa: E402
import inspect  # noqa: E402
import random  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from keras.src.backend.common import global_state  # noqa: E402
from keras.src.random import seed_generator  # noqa: E402
from keras.wrappers import SKLearnClassifier  # noqa: E402
from sklearn.base import clone  # noqa: E402

from runner.core.runtime import declares_runtime, framework_versions  # noqa: E402
from runner.model.torch_modules import fit_seed, torch_state  # noqa: E402

__all__ = ["KerasMLPClassifier", "KerasNetClassifier", "keras_state"]

if keras.backend.backend() != "torch":
    raise ValueError(
        f"keras_mlp runs Keras on the torch backend, but keras uses {keras.backend.backend()!r} "
        f"(KERAS_BACKEND={os.environ.get('KERAS_BACKEND')!r}, or keras was imported before). "
        "Set KERAS_BACKEND=torch before keras is first imported."
    )


@contextlib.contextmanager
def keras_state(seed: int) -> Iterator[None]:
    """Within the block, Python's ``random`` and Keras' global seed generator are seeded from
    ``seed``; afterwards both are as they were (the caller's draws continue unchanged)."""
    python_state = random.getstate()
    generator = global_state.get_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR)
    streams = np.random.SeedSequence(seed).generate_state(2)
    random.seed(int(streams[0]))
    global_state.set_global_attribute(
        seed_generator.GLOBAL_SEED_GENERATOR, seed_generator.SeedGenerator(int(streams[1]) % 2**31 + 1)
    )
    try:
        yield
    finally:
        global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, generator)
        random.setstate(python_state)


def _runtime(arguments: dict) -> dict:
    """Runtime identity (runner.core.runtime): device, keras and torch versions, threads."""
    threads = arguments.get("threads")
    return {
        "device": str(arguments.get("device", "cpu")),
        "versions": framework_versions(("keras", "torch")),
        "threads": threads if threads is not None else torch.get_num_threads(),
    }


@declares_runtime(_runtime)
class KerasNetClassifier(SKLearnClassifier):
    """``keras.wrappers.SKLearnClassifier`` for a Keras model of your own: seeded per fit,
    thread-capped, with ``predict_proba`` and ``sample_weight``, for features or images.

    Parameters
    ----------
    model : a callable ``model(X=..., y=..., **model_kwargs)`` returning a *compiled* Keras
        model whose output is one probability per class (softmax), as Keras' wrapper takes.
        ``X`` is (n, n_values) float32 (images come flattened), ``y`` one-hot. If it accepts
        ``input_shape``, it gets the shape of one example (e.g. ``(1, 8, 8)``; start with
        ``keras.layers.Reshape(input_shape)``); if it accepts ``seed``, the fit's seed.
    model_kwargs : dict or None; more keyword arguments of ``model``.
    max_epochs, batch_size : training length and minibatch size (also of ``predict_proba``).
    device : ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    seed : int; each fit's seed is ``fit_seed(seed, X, y)``, applied by :func:`keras_state`
        and :func:`~runner.model.torch_modules.torch_state`.
    threads : int or None; torch's intra-op threads during fit and predict.
    """

    # Read by SKLearnClassifier's fit; the model is built by _get_model from the parameters.
    warm_start = False
    fit_kwargs = None

    def __init__(self, model=None, model_kwargs=None, max_epochs=30, batch_size=64, device="cpu", seed=0, threads=1):
        # SKLearnClassifier.__init__ stores model/warm_start/...: replaced by these parameters.
        self.model = model
        self.model_kwargs = model_kwargs
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.device = device
        self.seed = seed
        self.threads = threads

    def __sklearn_clone__(self):
        # SKLearnClassifier's own clone rebuilds from (model, warm_start, model_kwargs) only.
        return type(self)(**{name: clone(value, safe=False) for name, value in self.get_params(deep=False).items()})

    def _get_model(self, X, y):
        if not callable(self.model) or isinstance(self.model, keras.Model):
            raise TypeError(
                "KerasNetClassifier's model must be a function building a compiled Keras model (in a config: "
                f"model._target_=pkg.build with model._partial_=true), so that every fit draws fresh weights; got {self.model!r}."
            )
        kwargs = dict(self.model_kwargs or {})
        accepted = inspect.signature(self.model).parameters
        if "input_shape" in accepted:
            kwargs.setdefault("input_shape", self._input_shape)
        if "seed" in accepted:
            kwargs.setdefault("seed", self._fit_seed)
        return self.model(X=X, y=y, **kwargs)

    def fit(self, X, y, sample_weight=None):
        """Build a new model (fresh seeded weights) and train it; returns self."""
        X = np.asarray(X, dtype=np.float32)
        self._input_shape = tuple(X.shape[1:])
        X = X.reshape(len(X), -1)  # the wrapper's checks take a 2-D table
        self._fit_seed = fit_seed(self.seed, X, np.unique(np.asarray(y), return_inverse=True)[1])
        kwargs = {"epochs": self.max_epochs, "batch_size": self.batch_size, "shuffle": True, "verbose": 0}
        if sample_weight is not None:
            kwargs["sample_weight"] = np.asarray(sample_weight, dtype=np.float32).reshape(-1)
        # keras_state inside keras.device: its seed generator's state lives on the device.
        with torch_state(self._fit_seed, self.threads, self.device), keras.device(self.device), \
                keras_state(self._fit_seed):
            super().fit(X, y, **kwargs)
        return self

    def predict_proba(self, X):
        """Class probabilities, float64, rows summing to 1 (columns: ``classes_``)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = np.asarray(X, dtype=np.float32)
        X = X.reshape(len(X), -1)
        with torch_state(None, self.threads, self.device), keras.device(self.device):
            probabilities = np.asarray(self.model_.predict(X, batch_size=self.batch_size, verbose=0), dtype=np.float64)
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def predict(self, X):
        """The most probable class of each example (a value of ``classes_``)."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class KerasMLPClassifier(KerasNetClassifier):
    """A seeded Keras MLP (flatten, ReLU layers of widths ``hidden``, softmax), AdamW.

    Parameters
    ----------
    hidden : tuple of int; widths of the ReLU layers.
    max_epochs, lr, batch_size, weight_decay : training length, AdamW's learning rate,
        minibatch size, AdamW's weight decay.
    device : ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` (the factory resolves ``"auto"``).
    seed : int; each fit's seed is ``fit_seed(seed, X, y)``.
    threads : int or None; torch's intra-op threads during fit and predict.
    """

    model = None  # built by _get_model from the parameters below
    model_kwargs = None

    def __init__(
        self,
        hidden=(128,),
        max_epochs=30,
        lr=1e-3,
        batch_size=64,
        weight_decay=1e-4,
        device="cpu",
        seed=0,
        threads=1,
    ):
        self.hidden = hidden
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.device = device
        self.seed = seed
        self.threads = threads

    def _get_model(self, X, y):
        # Explicit initializer seeds: the weights do not depend on keras_state at all.
        n_layers = len(self.hidden) + 1
        seeds = np.random.SeedSequence(self._fit_seed).generate_state(n_layers)
        layers = [keras.Input(shape=X.shape[1:]), keras.layers.Flatten()]
        for width, layer_seed in zip(self.hidden, seeds[:-1], strict=True):
            initializer = keras.initializers.GlorotUniform(seed=int(layer_seed))
            layers.append(keras.layers.Dense(width, activation="relu", kernel_initializer=initializer))
        initializer = keras.initializers.GlorotUniform(seed=int(seeds[-1]))
        layers.append(keras.layers.Dense(y.shape[1], activation="softmax", kernel_initializer=initializer))
        model = keras.Sequential(layers)
        optimizer = keras.optimizers.AdamW(learning_rate=self.lr, weight_decay=self.weight_decay)
        model.compile(optimizer=optimizer, loss="categorical_crossentropy")
        return model
