"""Generated data: sklearn.datasets.make_classification, from the run's data seed."""

from __future__ import annotations

from dataclasses import dataclass

from omegaconf import DictConfig

from runner.core.checks import check, is_int, is_real
from runner.datasets.base import Dataset, FeatureDatasetConfig, dataset_loader

__all__ = ["SyntheticDatasetConfig", "synthetic"]


@dataclass
class SyntheticDatasetConfig(FeatureDatasetConfig):
    """sklearn.datasets.make_classification, seeded from the top-level seed."""

    _target_: str = "runner.datasets.synthetic"
    name: str = "synthetic"
    n_samples: int = 1000
    n_features: int = 20
    n_informative: int = 10
    n_classes: int = 4
    n_clusters_per_class: int = 1
    class_sep: float = 1.0


def _check_synthetic(dataset: DictConfig) -> list[str]:
    def at_least(low):
        return lambda v: is_int(v) and v >= low

    problems = check(dataset, "dataset", "n_classes", at_least(2), "an int >= 2")
    problems += check(dataset, "dataset", "n_features", at_least(1), "an int >= 1")
    problems += check(dataset, "dataset", "n_clusters_per_class", at_least(1), "an int >= 1")
    problems += check(dataset, "dataset", "class_sep", lambda v: is_real(v) and v > 0, "a float > 0")
    if problems:
        return problems
    problems += check(
        dataset, "dataset", "n_informative", lambda v: is_int(v) and 1 <= v <= dataset.n_features,
        f"an int in [1, dataset.n_features={dataset.n_features}]",
    )
    # make_classification places one hypercube vertex per cluster.
    needed = dataset.n_classes * dataset.n_clusters_per_class
    if not problems and needed > 2**dataset.n_informative:
        problems.append(
            f"dataset.n_informative must satisfy n_classes * n_clusters_per_class <= 2**n_informative "
            f"({needed} > 2**{dataset.n_informative}); got {dataset.n_informative}"
        )
    # Each class needs a few examples in every CV fold and in the test split.
    problems += check(
        dataset, "dataset", "n_samples", at_least(10 * dataset.n_classes),
        f"an int >= 10 * n_classes = {10 * dataset.n_classes}",
    )
    return problems


@dataset_loader(schema=SyntheticDatasetConfig, schema_name="synthetic", check=_check_synthetic,
                n_classes=lambda node: node.n_classes)
def synthetic(
    n_samples: int = 1000,
    n_features: int = 20,
    n_informative: int = 10,
    n_classes: int = 4,
    n_clusters_per_class: int = 1,
    class_sep: float = 1.0,
    *,
    seed: int,
) -> Dataset:
    """sklearn.datasets.make_classification, generated from the run's data seed."""
    from sklearn import datasets as sklearn_datasets
    features, labels = sklearn_datasets.make_classification(
        n_samples=n_samples, n_features=n_features, n_informative=n_informative, n_redundant=0,
        n_classes=n_classes, n_clusters_per_class=n_clusters_per_class, class_sep=class_sep,
        random_state=seed,
    )
    return Dataset(features=features, labels=labels)

