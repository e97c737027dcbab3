"""Random-forest importance selection of the top k features (optional step, as study 002).

- binary outcome: ``sklearn.ensemble.RandomForestClassifier``, impurity (Gini) importance;
- survival outcome: ``sksurv.ensemble.RandomSurvivalForest`` (log-rank splits), whose
  impurity importance scikit-survival does not define, so the importance is the mean
  drop in Harrell's C when the feature is permuted (``sklearn.inspection.
  permutation_importance`` on the training rows, ``n_repeats`` permutations).

Seeded by ``random_state``; ties keep the earlier column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.inspection import permutation_importance
from sksurv.ensemble import RandomSurvivalForest

from hccdash.selection.base import FeatureFilter
from hccdash.selection.target import binary_array, is_survival
from hccdash.settings import SelectionSettings

_DEFAULTS = SelectionSettings()


def forest_importance(X: pd.DataFrame, y, n_estimators: int = 200, min_samples_leaf: int = 5,
                      n_repeats: int = 3, random_state: int = _DEFAULTS.seed, n_jobs: int = 1) -> pd.Series:
    """Importance of each feature (see the module docstring)."""
    values = X.to_numpy(dtype=float)
    if is_survival(y):
        forest = RandomSurvivalForest(n_estimators=n_estimators, min_samples_leaf=min_samples_leaf,
                                      random_state=random_state, n_jobs=n_jobs).fit(values, y)
        importance = permutation_importance(forest, values, y, n_repeats=n_repeats,
                                            random_state=random_state).importances_mean
    else:
        forest = RandomForestClassifier(n_estimators=n_estimators, min_samples_leaf=min_samples_leaf,
                                        random_state=random_state, n_jobs=n_jobs).fit(values, binary_array(y))
        importance = forest.feature_importances_
    return pd.Series(importance, index=X.columns, name="importance")


class RFImportanceSelector(FeatureFilter):
    """Keep the ``k`` most important features by random-forest importance (None keeps all)."""

    def __init__(self, k: int | None = _DEFAULTS.rf_k, n_estimators: int = 200, min_samples_leaf: int = 5,
                 n_repeats: int = 3, random_state: int = _DEFAULTS.seed, n_jobs: int = 1):
        self.k = k
        self.n_estimators = n_estimators
        self.min_samples_leaf = min_samples_leaf
        self.n_repeats = n_repeats
        self.random_state = random_state
        self.n_jobs = n_jobs

    def score_features(self, X: pd.DataFrame, y=None) -> pd.Series:
        """Forest importance of each feature of ``X`` (depends on the whole set of columns)."""
        if y is None:
            raise ValueError("RFImportanceSelector needs the outcome y")
        return forest_importance(X, y, self.n_estimators, self.min_samples_leaf, self.n_repeats,
                                 self.random_state, self.n_jobs)

    def fit_cached(self, X: pd.DataFrame, y, cache):
        """As ``fit``; importance depends on the whole column set, so it is keyed by it."""
        key = ("forest", self.n_estimators, self.min_samples_leaf, self.n_repeats, self.random_state,
               tuple(X.columns))
        return self.fit_scores(cache.get(key, lambda: self.score_features(X, y)), X.columns)

    def _select(self, columns, scores):
        importance = scores.reindex(columns).to_numpy(dtype=float)
        self.importance_ = pd.Series(importance, index=columns, name="importance")
        if self.k is None or self.k >= len(columns):
            return list(columns), {}
        top = set(np.argsort(-importance, kind="stable")[: int(self.k)].tolist())
        dropped = {c: f"not in forest top {self.k}" for i, c in enumerate(columns) if i not in top}
        return [c for i, c in enumerate(columns) if i in top], dropped
