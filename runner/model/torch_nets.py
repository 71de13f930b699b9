"""PyTorch classifiers through skorch: the factories behind ``classifier=torch_mlp`` and ``torch_cnn``.

This module imports neither torch nor skorch (nor Hydra): the runner can read the factories'
signatures at start-up for its schemas without paying torch's 1-2 s import, or failing when
the ``[torch]`` extra is not installed. The network classes and the estimator live in
:mod:`runner.model.torch_modules`, imported when a factory is called.

Each factory returns a :class:`~runner.model.torch_modules.TorchNetClassifier` (a skorch
``NeuralNetClassifier``) whose hyperparameters are plain constructor parameters, so
``sklearn.base.clone`` (one clone per CleanLearning fold) copies them and the weights are
created in ``fit``, never shared. What each fit does to torch's global state, it undoes:
see :func:`runner.model.torch_modules.torch_state`.

Example (no Hydra)::

    from cleanlearn.classification import CleanLearning
    from runner.model.torch_nets import torch_cnn
    cl = CleanLearning(torch_cnn(max_epochs=10, seed=0), seed=0, n_jobs=2)
    issues = cl.find_label_issues(images, labels)   # images: (n, channels, height, width)
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

from runner.core.runtime import declares_runtime, framework_versions

__all__ = ["network_runtime", "resolve_device", "torch_cnn", "torch_mlp"]

INSTALL_HINT = 'pip install -e ".[torch]"'


def network_runtime(arguments: dict[str, Any], frameworks=("torch", "skorch")) -> dict[str, Any]:
    """The runtime identity of a network (runner.core.runtime): the device that computes
    (``auto`` resolved here), the frameworks' versions and the threads of each fit."""
    threads = arguments.get("threads")
    return {
        "device": resolve_device(arguments.get("device", "auto")),
        "versions": framework_versions(frameworks),
        # None keeps the process's setting: what torch would use in this process.
        "threads": threads if threads is not None else _import_torch().get_num_threads(),
    }


def resolve_device(device: str) -> str:
    """``"auto"`` becomes ``"cuda"`` when ``torch.cuda.is_available()``, else ``"cpu"``.

    Any other value (``"cpu"``, ``"cuda"``, ``"cuda:1"``) is returned as given. The factories
    resolve it when they build the estimator, so the estimator's ``device`` parameter, and
    hence the job's identity, holds the device that actually computes.
    """
    if not isinstance(device, str) or not (device in ("auto", "cpu") or device.startswith("cuda")):
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:<index>'; got {device!r}.")
    if device != "auto":
        return device
    torch = _import_torch()
    return "cuda" if torch.cuda.is_available() else "cpu"


@declares_runtime(network_runtime)
def torch_mlp(
    hidden: Sequence[int] = (128,),
    max_epochs: int = 30,
    lr: float = 1e-3,
    batch_size: int = 64,
    weight_decay: float = 1e-4,
    device: str = "auto",
    seed: int = 0,
    threads: int | None = 1,
):
    """A multilayer perceptron on features (any input shape is flattened): ReLU layers of
    ``hidden`` widths, AdamW, cross-entropy.

    Parameters
    ----------
    hidden : widths of the hidden layers, e.g. ``[128]`` or ``[256, 128]``.
    max_epochs, lr, batch_size : training length, AdamW's learning rate, minibatch size
        (also the batch size of ``predict_proba``).
    weight_decay : AdamW's decoupled weight decay.
    device : ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:N"``.
    seed : the fit's random stream (weights, shuffling) derives from it and the training data.
    threads : torch's intra-op threads during fit and predict (restored after); None keeps
        the process's setting. Results on CPU can differ across thread counts.

    Returns
    -------
    runner.model.torch_modules.TorchNetClassifier
    """
    hidden = _widths(hidden, "hidden")
    options = _training_options(max_epochs, lr, batch_size, weight_decay, device, seed, threads)
    modules = _import_modules()
    return modules.TorchNetClassifier(modules.MLP, module__hidden=hidden, **options)


@declares_runtime(network_runtime)
def torch_cnn(
    channels: Sequence[int] = (16, 32),
    hidden: int = 64,
    max_epochs: int = 20,
    lr: float = 2e-3,
    batch_size: int = 64,
    weight_decay: float = 1e-4,
    device: str = "auto",
    seed: int = 0,
    threads: int | None = 1,
):
    """A small convolutional network for images of shape (channels, height, width), from
    8x8 digits to about 32x32: one 3x3 convolution of stride 2 per entry of ``channels``,
    then a ReLU layer of ``hidden`` units. Parameters as :func:`torch_mlp`, plus

    Parameters
    ----------
    channels : output channels of the convolutions; each halves the height and width.
    hidden : width of the fully connected layer after them.

    Returns
    -------
    runner.model.torch_modules.TorchNetClassifier
    """
    channels = _widths(channels, "channels")
    if not isinstance(hidden, Integral) or isinstance(hidden, bool) or hidden < 1:
        raise ValueError(f"hidden must be a positive integer; got {hidden!r}.")
    options = _training_options(max_epochs, lr, batch_size, weight_decay, device, seed, threads)
    modules = _import_modules()
    return modules.TorchNetClassifier(
        modules.CNN, module__channels=channels, module__hidden=int(hidden), **options
    )


# -- shared checks ------------------------------------------------------------------------


def _widths(values, name: str) -> tuple[int, ...]:
    """A list of positive ints (Hydra gives a ListConfig) as a tuple, or a ValueError."""
    try:
        widths = tuple(values)
    except TypeError:
        widths = None
    if not widths or not all(isinstance(w, Integral) and not isinstance(w, bool) and w >= 1 for w in widths):
        raise ValueError(f"{name} must be a non-empty list of positive integers; got {values!r}.")
    return tuple(int(w) for w in widths)


def _training_options(max_epochs, lr, batch_size, weight_decay, device, seed, threads) -> dict:
    def positive_int(value, name):
        if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}.")
        return int(value)

    if not isinstance(lr, Real) or not lr > 0:
        raise ValueError(f"lr must be a positive number; got {lr!r}.")
    if not isinstance(weight_decay, Real) or not weight_decay >= 0:
        raise ValueError(f"weight_decay must be a number >= 0; got {weight_decay!r}.")
    if not isinstance(seed, Integral) or isinstance(seed, bool) or not 0 <= seed < 2**63:
        raise ValueError(f"seed must be an integer in [0, 2**63); got {seed!r}.")
    return {
        "max_epochs": positive_int(max_epochs, "max_epochs"),
        "lr": float(lr),
        "batch_size": positive_int(batch_size, "batch_size"),
        "optimizer__weight_decay": float(weight_decay),
        "device": resolve_device(device),
        "seed": int(seed),
        "threads": None if threads is None else positive_int(threads, "threads"),
    }


def _import_torch():
    try:
        import torch
    except ImportError as error:
        raise ImportError(f"the torch classifiers need PyTorch and skorch: {INSTALL_HINT}") from error
    return torch


def _import_modules():
    _import_torch()
    try:
        from runner.model import torch_modules
    except ImportError as error:
        raise ImportError(f"the torch classifiers need PyTorch and skorch: {INSTALL_HINT}") from error
    return torch_modules
