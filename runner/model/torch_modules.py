"""The networks and the skorch estimator behind :mod:`runner.model.torch_nets` (imports torch).

:class:`TorchNetClassifier` is skorch's ``NeuralNetClassifier`` with what CleanLearning's
contract and the runner's "same config and seed give the same bytes" need:

- **Weights initialised in fit** (skorch re-initialises the module on every ``fit`` unless
  ``warm_start``); the module's input shape and class count are read from the data there, so
  the same estimator fits 64 features or 3x32x32 images without being told.
- **Seeding without global state**: each fit and predict runs inside :func:`torch_state`,
  which forks torch's CPU (and the used CUDA device's) random state, seeds the fork, turns
  deterministic algorithms on and caps torch's threads, then restores all four. The fit's
  seed is derived from ``seed`` and a checksum of the training data (:func:`fit_seed`), so the
  folds of one CleanLearning run draw different initial weights and batch orders, while a
  rerun on the same data draws the same.
- **sample_weight**: ``fit(X, y, sample_weight=w)`` weighs each example's cross-entropy (the
  loss is computed unreduced, multiplied by the batch's weights, then averaged), so
  CleanLearning's final fit gets its noise-matrix weights.
- **predict_proba** rows are float64 and sum to 1 (the softmax is float32).
- Labels may be any sortable values; ``predict`` returns them (skorch's returns indices).
- **Your own module**: ``module`` is an ``nn.Module`` class or a callable building one (e.g.
  ``functools.partial(MyNet, width=64)``, what Hydra's ``_partial_: true`` gives), called in
  each fit inside the seeded state. An already built module is refused: its weights were
  drawn once, outside any fit, from the caller's random state.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import os
import zlib
from collections.abc import Iterator, Mapping

import numpy as np
import torch
from skorch import NeuralNetClassifier
from skorch.utils import to_tensor
from torch import nn

from runner.core.runtime import declares_runtime, framework_versions

__all__ = ["CNN", "MLP", "TorchNetClassifier", "fit_seed", "torch_state"]

# Keys of the dict that carries sample weights through skorch's dataset to get_loss.
_DATA, _WEIGHT = "_data", "_sample_weight"


class MLP(nn.Module):
    """Flatten, then ReLU layers of widths ``hidden``, then one logit per class.

    Shapes: (batch, *input_shape) -> (batch, n_classes).
    """

    def __init__(self, input_shape: tuple[int, ...], n_classes: int, hidden: tuple[int, ...] = (128,)):
        super().__init__()
        widths = [math.prod(input_shape), *hidden]
        layers: list[nn.Module] = [nn.Flatten()]
        for n_in, n_out in zip(widths[:-1], widths[1:], strict=True):
            layers += [nn.Linear(n_in, n_out), nn.ReLU()]
        layers.append(nn.Linear(widths[-1], n_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, X):
        return self.layers(X)


class CNN(nn.Module):
    """3x3 convolutions of stride 2 (each halves height and width), a ReLU layer, the logits.

    Strided convolutions rather than pooling: the backward passes of max and adaptive
    pooling on CUDA have no deterministic implementation, and the fit runs with
    ``torch.use_deterministic_algorithms(True)``.
    Shapes: (batch, channels, height, width) -> (batch, n_classes).
    """

    def __init__(
        self, input_shape: tuple[int, ...], n_classes: int, channels: tuple[int, ...] = (16, 32), hidden: int = 64
    ):
        super().__init__()
        if len(input_shape) != 3:
            raise ValueError(
                "CNN needs images of shape (channels, height, width) per example; got examples of shape "
                f"{tuple(input_shape)} (features: use torch_mlp, or images, e.g. dataset.as_images=true for digits)."
            )
        n_channels, height, width = input_shape
        layers: list[nn.Module] = []
        for n_out in channels:
            layers += [nn.Conv2d(n_channels, n_out, kernel_size=3, stride=2, padding=1), nn.ReLU()]
            n_channels, height, width = n_out, (height + 1) // 2, (width + 1) // 2
        layers += [nn.Flatten(), nn.Linear(n_channels * height * width, hidden), nn.ReLU(), nn.Linear(hidden, n_classes)]
        self.layers = nn.Sequential(*layers)

    def forward(self, X):
        return self.layers(X)


def fit_seed(seed: int, X, y) -> int:
    """The seed of one fit: ``seed`` mixed with CRC-32 checksums of the training labels and
    (for an array) features. CleanLearning fits one clone per fold, all with the same
    ``seed``; their training data differ, so their seeds do, deterministically."""
    parts = [int(seed), len(y), zlib.crc32(np.ascontiguousarray(y).view(np.uint8))]
    if isinstance(X, np.ndarray):
        parts.append(zlib.crc32(np.ascontiguousarray(X).view(np.uint8)))
    return int(np.random.SeedSequence(parts).generate_state(1, dtype=np.uint64)[0])


@contextlib.contextmanager
def torch_state(seed: int | None, threads: int | None, device: str) -> Iterator[None]:
    """Within the block: torch's random state forked and seeded with ``seed`` (None: forked,
    not seeded), deterministic algorithms on, ``threads`` intra-op threads (None: unchanged).
    Afterwards the caller's random state, determinism setting and thread count are back.

    Prediction forks too: every DataLoader iteration, shuffled or not, draws a base seed
    from torch's global generator, so an unforked ``predict_proba`` would move the caller's.

    On CUDA only the used device's generator is forked and seeded (``torch.manual_seed``
    would seed every GPU), and ``CUBLAS_WORKSPACE_CONFIG`` is set (if unset) as deterministic
    cuBLAS requires; it takes effect only if CUDA was not used earlier in the process.
    """
    cuda_devices = []
    if str(device).startswith("cuda"):
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        index = torch.device(device).index
        cuda_devices = [torch.cuda.current_device() if index is None else index]
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    n_threads = torch.get_num_threads()
    with torch.random.fork_rng(devices=cuda_devices):
        if seed is not None:
            torch.default_generator.manual_seed(seed)
            for index in cuda_devices:
                with torch.cuda.device(index):
                    torch.cuda.manual_seed(seed)
        try:
            torch.use_deterministic_algorithms(True)
            if threads is not None:
                torch.set_num_threads(threads)
            yield
        finally:
            torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
            if threads is not None:
                torch.set_num_threads(n_threads)


def _as_float32(X):
    """Arrays and frames as float32 (torch's weights are float32); other inputs as given."""
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    if isinstance(X, np.ndarray) and X.dtype != np.float32:
        X = X.astype(np.float32)
    return X


def _runtime(arguments: dict) -> dict:
    """Runtime identity (runner.core.runtime): the device as given (skorch's default cpu),
    the torch and skorch versions, the threads of each fit (None: the process's)."""
    threads = arguments.get("threads")
    return {
        "device": str(arguments.get("device", "cpu")),
        "versions": framework_versions(("torch", "skorch")),
        "threads": threads if threads is not None else torch.get_num_threads(),
    }


@declares_runtime(_runtime)
class TorchNetClassifier(NeuralNetClassifier):
    """skorch's ``NeuralNetClassifier``, seeded per fit, thread-capped, with sample weights.

    Parameters
    ----------
    module : an ``nn.Module`` class, or a callable building one (``functools.partial``). Its
        ``input_shape`` and ``n_classes`` parameters, when it has them and neither the
        partial nor ``module__...`` sets them, are taken from the data in ``fit``.
    seed : int; each fit's seed is :func:`fit_seed` of it and the training data.
    threads : int or None; torch's intra-op threads during fit and predict (None: unchanged).
    **kwargs : skorch's parameters (``max_epochs``, ``lr``, ``batch_size``, ``device``,
        ``module__hidden``, ``optimizer__weight_decay``, ...). The defaults differ from
        skorch's where CleanLearning needs it: cross-entropy on logits, AdamW, no internal
        validation split (every training example is trained on), shuffled batches, silent.
    """

    def __init__(
        self,
        module,
        *args,
        seed: int = 0,
        threads: int | None = 1,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.AdamW,
        train_split=None,
        verbose: int = 0,
        **kwargs,
    ):
        kwargs.setdefault("iterator_train__shuffle", True)
        # Per-example losses: get_loss weighs and averages them.
        kwargs.setdefault("criterion__reduction", "none")
        super().__init__(
            module, *args, criterion=criterion, optimizer=optimizer, train_split=train_split, verbose=verbose, **kwargs
        )
        self.seed = seed
        self.threads = threads

    # -- fit ----------------------------------------------------------------------------

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Initialise the module's weights and train on (X, y), weighing examples by
        ``sample_weight`` (default: all 1). Returns self."""
        X = _as_float32(X)
        classes, codes = np.unique(np.asarray(y), return_inverse=True)
        codes = codes.astype(np.int64)
        # Read by initialize_module (skorch initialises the module before it sees the data).
        self.data_dims_ = {"input_shape": tuple(np.shape(X)[1:]), "n_classes": len(classes)}
        seed = fit_seed(self.seed, X, codes)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float32).reshape(-1)
            if sample_weight.shape != codes.shape:
                raise ValueError(
                    f"sample_weight must have one entry per example ({len(codes)}); got shape {sample_weight.shape}."
                )
            X = {_DATA: X, _WEIGHT: sample_weight}
        with torch_state(seed, self.threads, self.device):
            super().fit(X, codes, **fit_params)
        self.classes_inferred_ = classes  # skorch inferred the codes 0..K-1
        return self

    def initialize_module(self):
        if isinstance(self.module, nn.Module) or not callable(self.module):
            raise TypeError(
                "TorchNetClassifier's module must be an nn.Module class or a callable building one "
                "(in a config: module._target_=pkg.MyNet with module._partial_=true), so that every fit "
                f"draws fresh weights; got {self.module!r}."
            )
        kwargs = self.get_params_for("module")
        try:
            accepted = inspect.signature(self.module).parameters
        except (TypeError, ValueError):  # a callable without a signature: pass nothing extra
            accepted = {}
        bound = getattr(self.module, "keywords", None) or {}  # set by a functools.partial
        for name, value in getattr(self, "data_dims_", {}).items():
            if name in accepted and name not in bound:
                kwargs.setdefault(name, value)
        self.module_ = self.initialized_instance(self.module, kwargs)
        return self

    def infer(self, x, **fit_params):
        if isinstance(x, Mapping) and _WEIGHT in x:
            x = x[_DATA]
        return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        loss = super().get_loss(y_pred, y_true, X=X, training=training)
        if loss.ndim == 0:  # a criterion with its own reduction
            if isinstance(X, Mapping) and _WEIGHT in X:
                raise ValueError("sample_weight needs a criterion with reduction='none'.")
            return loss
        if isinstance(X, Mapping) and _WEIGHT in X:
            loss = loss * to_tensor(X[_WEIGHT], device=self.device)
        return loss.mean()

    # -- predict ------------------------------------------------------------------------

    def predict_proba(self, X):
        """Class probabilities, float64, each row summing to 1 (columns: ``classes_``)."""
        with torch_state(None, self.threads, self.device):
            probabilities = np.asarray(super().predict_proba(_as_float32(X)), dtype=np.float64)
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def predict(self, X):
        """The most probable class of each example (a value of ``classes_``)."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
