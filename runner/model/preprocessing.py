"""Preprocessing as part of the model: fitted inside each cross-validation fold, never before.

``with_preprocessing(estimator, features, dataset_cfg)`` returns
``Pipeline([("preprocess", ...), ("classifier", estimator)])``; CleanLearning clones it per
fold, so the imputer, encoder and scaler of a fold see that fold's training rows only (fitting
them on the whole training split first would leak the held-out rows' statistics into the
held-out predictions). Which transformer applies to which column is decided from the column
dtypes with ``make_column_selector`` (scikit-learn's "Column Transformer with Mixed Types"):

- numeric columns: median imputation with a missing-value indicator
  (``SimpleImputer(strategy="median", add_indicator=True)``), then ``StandardScaler`` when
  ``dataset.standardize`` is true;
- categorical columns (text, bool, pandas category): ``OneHotEncoder`` with at most
  ``dataset.max_categories`` columns per feature (rarer categories are grouped into one
  "infrequent" column, unseen ones land there too); an empty cell is its own category.

``dataset.preprocess: none`` passes the features to the classifier as they are (for
classifiers that take NaN and categories themselves, e.g. HistGradientBoostingClassifier):
text and bool columns are then given the pandas dtype ``category``.

Images (an array of more than two dimensions, e.g. ``(n, channels, height, width)`` from
``dataset=image_folder`` or ``dataset.as_images=true``) reach the classifier as loaded: their
loader scales the pixels, and a per-pixel scaler would undo what a convolution relies on.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from runner.datasets import Dataset

__all__ = [
    "PREPROCESS",
    "WeightedPipeline",
    "allows_nan",
    "check_features",
    "is_images",
    "prepare_features",
    "takes_categories",
    "with_preprocessing",
]

PREPROCESS = ("auto", "none")
NUMERIC = make_column_selector(dtype_include=np.number)
CATEGORICAL = make_column_selector(dtype_include=["object", "string", "category", "bool"])


def prepare_features(features, preprocess: str):
    """The features as the pipeline takes them: a float ndarray, or a DataFrame whose text and
    bool columns are categories when the classifier gets them raw (preprocess=none)."""
    if not isinstance(features, pd.DataFrame):
        features = np.asarray(features)
        if is_images(features) and features.dtype.kind == "f":
            return features  # float32 images stay float32 (a network's dtype; half the memory)
        return features.astype(np.float64)
    if preprocess == "none":
        categorical = [c for c in features.columns if c in CATEGORICAL(features)]
        return features.astype(dict.fromkeys(categorical, "category")) if categorical else features
    return features


class WeightedPipeline(Pipeline):
    """A Pipeline whose ``fit`` names ``sample_weight``, passed on to the classifier step.

    CleanLearning weights its final fit by the estimated noise rates only when ``clf.fit``
    has a ``sample_weight`` parameter; ``Pipeline.fit(X, y, **params)`` hides it. Used only
    when the classifier's own fit takes ``sample_weight`` (a plain Pipeline otherwise).
    """

    def fit(self, X, y=None, sample_weight=None, **params):
        if sample_weight is not None:
            params[f"{self.steps[-1][0]}__sample_weight"] = sample_weight
        return super().fit(X, y, **params)


def with_preprocessing(estimator, features, *, preprocess: str, standardize: bool, max_categories: int):
    """``estimator`` behind the per-fold preprocessing of ``features`` (itself when none is needed)."""
    steps = preprocessor(features, preprocess=preprocess, standardize=standardize,
                         max_categories=max_categories)
    if steps is None:
        return estimator
    weighted = "sample_weight" in inspect.signature(estimator.fit).parameters
    return (WeightedPipeline if weighted else Pipeline)([("preprocess", steps), ("classifier", estimator)])


def preprocessor(features, *, preprocess: str, standardize: bool, max_categories: int):
    """The unfitted transformer for ``features`` (None: the classifier takes them as they are)."""
    if preprocess == "none" or is_images(features):
        return None
    if not isinstance(features, pd.DataFrame):
        steps = []
        if np.isnan(features).any():
            steps.append(("impute", SimpleImputer(strategy="median", add_indicator=True)))
        if standardize:
            steps.append(("scale", StandardScaler()))
        return Pipeline(steps) if steps else None
    numeric_steps = [("impute", SimpleImputer(strategy="median", add_indicator=True))]
    if standardize:
        numeric_steps.append(("scale", StandardScaler()))
    encoder = OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=max_categories,
                            sparse_output=False)
    return ColumnTransformer(
        [("numeric", Pipeline(numeric_steps), NUMERIC), ("categorical", encoder, CATEGORICAL)],
        remainder="drop", verbose_feature_names_out=False,
    )


def is_images(features) -> bool:
    """Whether ``features`` are images: an array with more than two dimensions."""
    return not isinstance(features, pd.DataFrame) and np.ndim(features) > 2


def allows_nan(estimator) -> bool:
    """Whether ``estimator`` takes missing values itself (scikit-learn's input tag)."""
    try:
        return bool(estimator.__sklearn_tags__().input_tags.allow_nan)
    except AttributeError:
        return False


def takes_categories(estimator) -> bool:
    """Whether ``estimator`` encodes pandas categories itself (a ``categorical_features``
    parameter, as HistGradientBoostingClassifier's ``"from_dtype"``)."""
    return "categorical_features" in estimator.get_params(deep=False)


def check_features(dataset: Dataset, *, preprocess: str, estimator) -> None:
    """Refuse features the pipeline cannot take, naming the file, the column and the first line.

    Every row of the dataset is checked (not only the training part), so the line named is the
    file's first bad one.
    """
    features = dataset.features
    if is_images(features):
        _check_images(dataset, estimator)
        return
    if not isinstance(features, pd.DataFrame):
        if preprocess == "none" and not allows_nan(estimator):
            bad = np.isnan(np.asarray(features, dtype=np.float64))
            if bad.any():
                row, column = np.argwhere(bad)[0]
                name = dataset.feature_names[column] if dataset.feature_names is not None else f"#{column}"
                raise ValueError(f"{dataset.where(int(row), str(name))}: empty value, and "
                                 f"{_NO_NAN_HINT.format(type(estimator).__name__)}")
        return
    handled = set(NUMERIC(features)) | set(CATEGORICAL(features))
    other = [c for c in features.columns if c not in handled]
    if other:
        raise ValueError(
            f"{dataset.source or 'dataset'}: column {other[0]!r} has dtype {features[other[0]].dtype}, "
            "neither numeric nor categorical (text, bool, category); convert it or list it in "
            "dataset.drop_columns"
        )
    categorical = CATEGORICAL(features)
    if preprocess == "none" and categorical and not takes_categories(estimator):
        column = categorical[0]
        row = int(np.flatnonzero(features[column].notna().to_numpy())[0]) if features[column].notna().any() else 0
        raise ValueError(
            f"{dataset.where(row, str(column))}: value {features[column].iloc[row]!r} is not a number, and "
            f"dataset.preprocess=none with a classifier that takes numbers only ({type(estimator).__name__}; "
            "use dataset.preprocess=auto to one-hot encode, or a classifier such as hist_gradient_boosting)"
        )
    if preprocess == "none" and not allows_nan(estimator):
        missing = features.isna().to_numpy()
        if missing.any():
            row, column = np.argwhere(missing)[0]
            raise ValueError(f"{dataset.where(int(row), str(features.columns[column]))}: empty value, and "
                             f"{_NO_NAN_HINT.format(type(estimator).__name__)}")


def _check_images(dataset: Dataset, estimator) -> None:
    """Refuse images for scikit-learn's own estimators (they take a 2-D table) and NaN pixels."""
    shape = tuple(np.shape(dataset.features)[1:])
    if type(estimator).__module__.startswith("sklearn."):
        raise ValueError(
            f"{dataset.source or 'the dataset'}'s examples are images of shape {shape}, and "
            f"{type(estimator).__name__} takes a 2-D table of features; use classifier=torch_cnn "
            "(or torch_mlp / keras_mlp, which flatten), or features (e.g. dataset.as_images=false)"
        )
    bad = np.isnan(np.asarray(dataset.features, dtype=np.float64).reshape(len(dataset.features), -1))
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        where = f"image {dataset.ids[row]!r}" if dataset.ids is not None else dataset.where(row)
        raise ValueError(f"{where}: the image holds NaN pixels")


_NO_NAN_HINT = ("dataset.preprocess=none with a classifier that cannot take missing values ({}; use "
                "dataset.preprocess=auto to impute, or a classifier such as hist_gradient_boosting)")
