"""Datasets bundled with scikit-learn (no download): digits, iris, wine, breast_cancer."""

from __future__ import annotations

from dataclasses import dataclass

from sklearn import datasets as sklearn_datasets

from runner.datasets.base import Dataset, FeatureDatasetConfig, dataset_loader

__all__ = ["SklearnDatasetConfig", "breast_cancer", "digits", "iris", "wine"]


@dataclass
class SklearnDatasetConfig(FeatureDatasetConfig):
    """A dataset bundled with scikit-learn (no download)."""


def _bundled(n_classes: int):
    return dataset_loader(schema=SklearnDatasetConfig, schema_name="sklearn", n_classes=lambda node: n_classes)


def _bunch(bunch) -> Dataset:
    return Dataset(features=bunch.data, labels=bunch.target, feature_names=list(bunch.feature_names))


@_bundled(n_classes=10)
def digits() -> Dataset:
    """8x8 handwritten digits; the raw images are kept for display (features get standardised)."""
    bunch = sklearn_datasets.load_digits()
    return Dataset(
        features=bunch.data, labels=bunch.target, feature_names=list(bunch.feature_names),
        examples=bunch.images, image_shape=bunch.images.shape[1:],
    )


@_bundled(n_classes=3)
def iris() -> Dataset:
    return _bunch(sklearn_datasets.load_iris())


@_bundled(n_classes=3)
def wine() -> Dataset:
    return _bunch(sklearn_datasets.load_wine())


@_bundled(n_classes=2)
def breast_cancer() -> Dataset:
    return _bunch(sklearn_datasets.load_breast_cancer())

