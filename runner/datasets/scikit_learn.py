"""Datasets bundled with scikit-learn (no download): digits, iris, wine, breast_cancer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from runner.datasets.base import Dataset, FeatureDatasetConfig, dataset_loader

__all__ = ["DigitsDatasetConfig", "SklearnDatasetConfig", "breast_cancer", "digits", "iris", "wine"]


@dataclass
class SklearnDatasetConfig(FeatureDatasetConfig):
    """A dataset bundled with scikit-learn (no download)."""


@dataclass
class DigitsDatasetConfig(SklearnDatasetConfig):
    """digits, as 64 features or (``as_images``) as 1x8x8 images for a convolutional network."""

    as_images: bool = False


def _bundled(n_classes: int):
    return dataset_loader(schema=SklearnDatasetConfig, schema_name="sklearn", n_classes=lambda node: n_classes)


def _bunch(bunch) -> Dataset:
    return Dataset(features=bunch.data, labels=bunch.target, feature_names=list(bunch.feature_names))


@dataset_loader(schema=DigitsDatasetConfig, schema_name="digits", n_classes=lambda node: 10)
def digits(as_images: bool = False) -> Dataset:
    """8x8 handwritten digits; the raw images are kept for display (features get standardised).

    ``as_images``: the features are (n, 1, 8, 8) float32 images in [0, 1] (the pixel values
    0..16 divided by 16), the layout of ``classifier=torch_cnn``; images reach the classifier
    as loaded (no per-fold standardisation, runner.model.preprocessing).
    """
    from sklearn import datasets as sklearn_datasets
    bunch = sklearn_datasets.load_digits()
    if as_images:
        images = (bunch.images / 16.0).astype(np.float32)[:, None]  # (n, channels=1, 8, 8)
        return Dataset(features=images, labels=bunch.target, examples=bunch.images,
                       image_shape=bunch.images.shape[1:])
    return Dataset(
        features=bunch.data, labels=bunch.target, feature_names=list(bunch.feature_names),
        examples=bunch.images, image_shape=bunch.images.shape[1:],
    )


@_bundled(n_classes=3)
def iris() -> Dataset:
    from sklearn import datasets as sklearn_datasets
    return _bunch(sklearn_datasets.load_iris())


@_bundled(n_classes=3)
def wine() -> Dataset:
    from sklearn import datasets as sklearn_datasets
    return _bunch(sklearn_datasets.load_wine())


@_bundled(n_classes=2)
def breast_cancer() -> Dataset:
    from sklearn import datasets as sklearn_datasets
    return _bunch(sklearn_datasets.load_breast_cancer())

