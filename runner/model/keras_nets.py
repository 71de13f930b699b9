"""Keras 3 classifiers on the torch backend: the factory behind ``classifier=keras_mlp``.

Like :mod:`runner.model.torch_nets`, this module imports neither keras nor torch: the
estimator lives in :mod:`runner.model.keras_modules`, imported when the factory is called.

Why Keras 3's own wrapper and not SciKeras: SciKeras 0.13.0 (its last release) puts
``ClassifierMixin`` after ``BaseEstimator`` in ``KerasClassifier``'s bases. On scikit-learn
1.6.1, ``is_classifier(KerasClassifier(...))`` and ``cross_val_predict`` raise
``AttributeError: 'super' object has no attribute '__sklearn_tags__'``; on 1.9.1 nothing
raises but ``is_classifier`` is False and the tags lose the classifier type (so, e.g.,
``cross_val_predict(cv=5)`` splits without stratifying). ``keras.wrappers.SKLearnClassifier``
(Keras >= 3.8, SciKeras' successor) orders its bases correctly but, in Keras 3.15.1, has no
``predict_proba``, its ``clone`` drops ``fit_kwargs`` and its ``fit`` writes its keyword
arguments into ``fit_kwargs``; :class:`~runner.model.keras_modules.KerasNetClassifier`
subclasses it and fixes the three.

Backend: ``KERAS_BACKEND`` must name the backend before keras is first imported in the
process. :mod:`runner.model.keras_modules` sets it to ``torch`` if unset, before importing
keras (also in joblib's worker processes, which import that module to unpickle the
estimator). If keras was already imported with another backend, or ``KERAS_BACKEND`` names
another one, building the estimator fails with a ValueError saying so.
"""

from __future__ import annotations

from collections.abc import Sequence

from runner.core.runtime import declares_runtime
from runner.model.torch_nets import _training_options, _widths, network_runtime

__all__ = ["keras_mlp", "keras_runtime"]

INSTALL_HINT = 'pip install -e ".[keras]"'


def keras_runtime(arguments: dict) -> dict:
    """The runtime identity of a Keras network: device, keras and torch versions, threads."""
    return network_runtime(arguments, frameworks=("keras", "torch"))


@declares_runtime(keras_runtime)
def keras_mlp(
    hidden: Sequence[int] = (128,),
    max_epochs: int = 30,
    lr: float = 1e-3,
    batch_size: int = 64,
    weight_decay: float = 1e-4,
    device: str = "auto",
    seed: int = 0,
    threads: int | None = 1,
):
    """A Keras multilayer perceptron (flatten, ReLU layers of widths ``hidden``, softmax),
    AdamW, cross-entropy; parameters as :func:`runner.model.torch_nets.torch_mlp`.

    Returns
    -------
    runner.model.keras_modules.KerasMLPClassifier
    """
    hidden = _widths(hidden, "hidden")
    try:  # first: without keras or torch, the hint names the [keras] extra
        from runner.model import keras_modules
    except ImportError as error:
        raise ImportError(f"keras_mlp needs Keras 3 and PyTorch: {INSTALL_HINT}") from error
    options = _training_options(max_epochs, lr, batch_size, weight_decay, device, seed, threads)
    options["weight_decay"] = options.pop("optimizer__weight_decay")
    return keras_modules.KerasMLPClassifier(hidden=hidden, **options)
