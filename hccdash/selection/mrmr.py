"""Max-relevance min-redundancy (mRMR) selection of the top k features, MIQ scheme.

Estimators (the continuous-feature variant of Peng, Long & Ding 2005):

- relevance of feature f: binary outcome: the one-way ANOVA F statistic of f between
  the two classes (``sklearn.feature_selection.f_classif``); survival outcome: the
  univariable Cox Wald chi-square z^2 of f (:func:`hccdash.stats.univariable_cox`);
- redundancy of f against the selected set S: mean |r(f, s)| over s in S, with r the
  Spearman (default) or Pearson correlation of the training rows (the same matrix as
  the correlation filter's).

The first feature is the most relevant; each next one maximises the quotient (MIQ)
relevance / redundancy (a redundancy of 0 counts as 1e-12). Ties go to the earlier
column. ``k`` larger than the number of features keeps them all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_selection import f_classif

from hccdash.selection.base import FeatureFilter
from hccdash.selection.correlation import correlation_matrix, submatrix
from hccdash.selection.target import binary_array, is_survival
from hccdash.selection.univariate import cox_table
from hccdash.settings import SelectionSettings

_DEFAULTS = SelectionSettings()
_TINY = 1e-12


def cox_relevance(table: pd.DataFrame) -> pd.Series:
    """Wald z^2 from a univariable Cox table (NaN, e.g. constant, = 0)."""
    return (table["z"].astype(float) ** 2).fillna(0.0).rename("relevance")


def relevance(X: pd.DataFrame, y) -> pd.Series:
    """mRMR relevance of each feature: Cox Wald z^2 (survival) or ANOVA F (binary)."""
    if is_survival(y):
        return cox_relevance(cox_table(X, y))
    with np.errstate(invalid="ignore", divide="ignore"):
        f, _ = f_classif(X.to_numpy(dtype=float), binary_array(y))
    return pd.Series(np.nan_to_num(f, nan=0.0), index=X.columns, name="relevance")


def mrmr_order(rel: np.ndarray, abs_corr: np.ndarray, k: int) -> list[int]:
    """Positions of the first ``k`` features picked by MIQ, in the order picked."""
    p = len(rel)
    k = min(k, p)
    if k <= 0:
        return []
    chosen = [int(np.argmax(rel))]
    redundancy_sum = abs_corr[chosen[0]].copy()
    available = np.ones(p, dtype=bool)
    available[chosen[0]] = False
    while len(chosen) < k:
        quotient = rel / np.maximum(redundancy_sum / len(chosen), _TINY)
        quotient[~available] = -np.inf
        best = int(np.argmax(quotient))
        chosen.append(best)
        available[best] = False
        redundancy_sum += abs_corr[best]
    return chosen


class MRMRSelector(FeatureFilter):
    """Keep the top ``k`` features by mRMR (MIQ); see the module docstring."""

    def __init__(self, k: int = _DEFAULTS.mrmr_k, method: str = _DEFAULTS.correlation_method):
        self.k = k
        self.method = method

    def score_features(self, X: pd.DataFrame, y=None) -> dict[str, pd.DataFrame | pd.Series]:
        """Relevance of each feature and the correlation matrix."""
        if y is None:
            raise ValueError("MRMRSelector needs the outcome y")
        return {"relevance": relevance(X, y), "corr": correlation_matrix(X, self.method)}

    def fit_cached(self, X: pd.DataFrame, y, cache):
        """As ``fit``; shares the correlation matrix and the univariable Cox table."""
        rel = (cox_relevance(cache.root(("univariable_cox",), cox_table)) if is_survival(y)
               else cache.root(("relevance",), relevance))
        corr = cache.root(("correlation", self.method), lambda X_, y_: correlation_matrix(X_, self.method))
        return self.fit_scores({"relevance": rel, "corr": corr}, X.columns)

    def _select(self, columns, scores):
        if self.k is None or int(self.k) < 1:
            raise ValueError(f"mRMR k must be a positive integer, got {self.k!r}")
        rel = scores["relevance"].reindex(columns).to_numpy(dtype=float)
        corr = np.abs(submatrix(scores["corr"], columns))
        order = mrmr_order(rel, corr, int(self.k))
        self.order_ = [columns[i] for i in order]
        self.relevance_ = pd.Series(rel, index=columns, name="relevance")
        picked = set(self.order_)
        dropped = {c: f"not in mRMR top {self.k}" for c in columns if c not in picked}
        return [c for c in columns if c in picked], dropped
