"""Shared machinery of the feature filters: pandas in, the surviving columns out.

Every filter splits its work in two, so the model builder can cache the expensive part:

- ``score_features(X, y)`` computes per-feature (or pairwise) statistics on ``X``;
- ``fit_scores(scores, columns)`` fits the filter from those statistics.

``fit(X, y)`` is exactly ``fit_scores(score_features(X, y), X.columns)``. Because the
statistics are per column (or per pair of columns), statistics computed once on a
superset of columns give the same fit (this is what ``hccdash.modeling.cache`` uses).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from hccdash.columns import require_columns


def check_frame(X, where: str) -> pd.DataFrame:
    """``X`` as a numeric DataFrame without missing values; ValueError naming the problem."""
    if not isinstance(X, pd.DataFrame):
        raise ValueError(f"{where}: X must be a pandas DataFrame with feature names, got {type(X).__name__}")
    if X.shape[1] == 0:
        raise ValueError(f"{where}: X has no feature columns left")
    values = X.to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"{where}: feature '{X.columns[col]}' has a missing or infinite value for patient "
            f"'{X.index[row]}' ({int(bad.any(axis=0).sum())} feature(s) affected)"
        )
    return X


class FeatureFilter(TransformerMixin, BaseEstimator):
    """Base class: subclasses implement ``score_features`` and ``_select``."""

    def score_features(self, X: pd.DataFrame, y=None):
        """Per-feature statistics of ``X`` (Series / DataFrame indexed by feature)."""
        raise NotImplementedError

    def _select(self, columns: list[str], scores) -> tuple[list[str], dict[str, str]]:
        """(kept columns in input order, {dropped column: reason})."""
        raise NotImplementedError

    def fit(self, X: pd.DataFrame, y=None):
        """Fit on the training features ``X`` (and target ``y`` where the filter uses it)."""
        X = check_frame(X, type(self).__name__)
        return self.fit_scores(self.score_features(X, y), X.columns)

    def score_key(self) -> tuple:
        """What the statistics of ``score_features`` depend on besides the data (cache key)."""
        return (type(self).__name__,)

    def fit_cached(self, X: pd.DataFrame, y, cache):
        """``fit`` reading the statistics from a :class:`hccdash.modeling.cache.StageCache`
        (computed once on the cache's root columns; ``X``'s columns are a subset of them)."""
        return self.fit_scores(cache.root(self.score_key(), self.score_features), X.columns)

    def fit_scores(self, scores, columns: Sequence[str]):
        """Fit from statistics computed by ``score_features`` on these or more columns."""
        columns = [str(c) for c in columns]
        kept, dropped = self._select(columns, scores)
        self.feature_names_in_ = np.asarray(columns, dtype=object)
        self.n_features_in_ = len(columns)
        self.selected_features_ = list(kept)
        self.dropped_ = dict(dropped)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """The selected columns of ``X``."""
        check_is_fitted(self, "selected_features_")
        return require_columns(X, self.selected_features_, what="selected feature", needed_by=type(self).__name__)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the selected features."""
        check_is_fitted(self, "selected_features_")
        return np.asarray(self.selected_features_, dtype=object)

    def set_output(self, *, transform=None):
        """Output is always pandas (kept for ``Pipeline.set_output`` compatibility)."""
        return self
