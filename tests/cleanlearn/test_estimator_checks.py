"""scikit-learn's estimator checks on CleanLearning (the reference fails 24 of 48 of them).

Two wrapped classifiers: LogisticRegression (the brief's target: every check passes) and a
DecisionTreeClassifier (no coef_, piecewise-constant probabilities, a different filter
setting). Warnings about tiny data (shrunk folds, too few examples per class) are expected
on the checks' 10-30-row datasets.
"""

from __future__ import annotations

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from cleanlearn import CleanLearning


@pytest.mark.filterwarnings("ignore::UserWarning")
@parametrize_with_checks(
    [
        CleanLearning(LogisticRegression()),
        CleanLearning(
            DecisionTreeClassifier(random_state=0),
            seed=1,
            cv_n_folds=3,
            find_label_issues_kwargs={"filter_by": "both"},
        ),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
