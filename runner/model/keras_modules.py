"""The estimator behind :func:`runner.model.keras_nets.keras_mlp` (imports keras on torch).

Seeding without global state: ``keras.utils.set_random_seed`` would seed Python's
``random``, numpy's and torch's global generators and Keras' own global seed generator, all
of which belong to the user. Instead, each layer's initializer gets an explicit integer seed
derived from the fit's seed (Keras then draws its weights statelessly), and ``model.fit``'s
batch shuffling, which on the torch backend draws from torch's global generator, runs
inside :func:`runner.model.torch_modules.torch_state` (forked, seeded, restored). No
dropout or other random layer is used; a layer that drew from Keras' global seed generator
would make fits irreproducible, and the contract test would catch it.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # before keras' first import (see keras_nets)

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras.wrappers import SKLearnClassifier  # noqa: E402
from sklearn.base import clone  # noqa: E402

from runner.model.torch_modules import fit_seed, torch_state  # noqa: E402

__all__ = ["KerasMLPClassifier"]

if keras.backend.backend() != "torch":
    raise ValueError(
        f"keras_mlp runs Keras on the torch backend, but keras uses {keras.backend.backend()!r} "
        f"(KERAS_BACKEND={os.environ.get('KERAS_BACKEND')!r}, or keras was imported before). "
        "Set KERAS_BACKEND=torch before keras is first imported."
    )


class KerasMLPClassifier(SKLearnClassifier):
    """``keras.wrappers.SKLearnClassifier`` building a seeded MLP, with ``predict_proba``.

    Parameters
    ----------
    hidden : tuple of int; widths of the ReLU layers.
    max_epochs, lr, batch_size, weight_decay : training length, AdamW's learning rate,
        minibatch size, AdamW's weight decay.
    device : ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` (the factory resolves ``"auto"``).
    seed : int; each fit's seed is ``fit_seed(seed, X, y)``.
    threads : int or None; torch's intra-op threads during fit and predict.
    """

    # Read by SKLearnClassifier's fit; the model is built by _get_model from the parameters.
    warm_start = False
    model_kwargs = None
    fit_kwargs = None

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
        # SKLearnClassifier.__init__ stores model/warm_start/...: replaced by these parameters.
        self.hidden = hidden
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.device = device
        self.seed = seed
        self.threads = threads

    def __sklearn_clone__(self):
        # SKLearnClassifier's own clone rebuilds from (model, warm_start, model_kwargs) only.
        return type(self)(**{name: clone(value, safe=False) for name, value in self.get_params(deep=False).items()})

    def _get_model(self, X, y):
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

    def fit(self, X, y, sample_weight=None):
        """Build a new model (fresh seeded weights) and train it; returns self."""
        X = np.asarray(X, dtype=np.float32)
        self._fit_seed = fit_seed(self.seed, X, np.unique(np.asarray(y), return_inverse=True)[1])
        kwargs = {"epochs": self.max_epochs, "batch_size": self.batch_size, "shuffle": True, "verbose": 0}
        if sample_weight is not None:
            kwargs["sample_weight"] = np.asarray(sample_weight, dtype=np.float32).reshape(-1)
        with torch_state(self._fit_seed, self.threads, self.device), keras.device(self.device):
            super().fit(X, y, **kwargs)
        return self

    def predict_proba(self, X):
        """Class probabilities, float64, rows summing to 1 (columns: ``classes_``)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = np.asarray(X, dtype=np.float32)
        with torch_state(None, self.threads, self.device), keras.device(self.device):
            probabilities = np.asarray(self.model_.predict(X, batch_size=self.batch_size, verbose=0), dtype=np.float64)
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def predict(self, X):
        """The most probable class of each example (a value of ``classes_``)."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
