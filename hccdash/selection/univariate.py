"""Univariate filter: keep features whose univariate test against the outcome has p < threshold.

- binary outcome: two-sided Mann-Whitney U, normal approximation with tie and
  continuity correction (R: ``wilcox.test(x ~ y, exact = FALSE, correct = TRUE)``), or
  one-way ANOVA F test (R: ``oneway.test(x ~ y, var.equal = TRUE)``, = the pooled t-test);
- survival outcome: Wald p of the univariable Cox model of each feature
  (:func:`hccdash.stats.univariable_cox`, R: ``summary(coxph(Surv(time, event) ~ x))``).

``test="auto"`` picks Cox for survival and Mann-Whitney for binary outcomes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from hccdash import stats
from hccdash.selection.base import FeatureFilter
from hccdash.selection.target import binary_array, is_survival, survival_arrays
from hccdash.settings import SelectionSettings

_DEFAULTS = SelectionSettings()
TESTS = ("auto", "mannwhitney", "anova", "cox")


def resolve_test(test: str, survival: bool) -> str:
    """The concrete test for ``test`` given the outcome kind; ValueError for a mismatch."""
    if test not in TESTS:
        raise ValueError(f"Unknown univariate test {test!r}; allowed: {list(TESTS)}")
    if test == "auto":
        return "cox" if survival else "mannwhitney"
    if survival and test != "cox":
        raise ValueError(f"Univariate test {test!r} needs a binary outcome; survival outcomes use 'cox'")
    if not survival and test == "cox":
        raise ValueError("Univariate test 'cox' needs a survival outcome")
    return test


def cox_table(X: pd.DataFrame, y) -> pd.DataFrame:
    """Univariable Cox fit of every feature (coef, se, z, p, ...), Efron ties."""
    time, event = survival_arrays(y)
    return stats.univariable_cox(X, time, event).reindex(X.columns)


def univariate_pvalues(X: pd.DataFrame, y, test: str = "auto") -> pd.Series:
    """p-value of each feature's univariate test (see the module docstring)."""
    test = resolve_test(test, is_survival(y))
    if test == "cox":
        return cox_table(X, y)["p"].astype(float).rename("p")
    values = X.to_numpy(dtype=float)
    outcome = binary_array(y)
    a, b = values[outcome == 1], values[outcome == 0]
    if len(a) == 0 or len(b) == 0:
        raise ValueError("The binary outcome has a single class in the training data")
    with np.errstate(invalid="ignore", divide="ignore"):
        if test == "mannwhitney":
            p = sps.mannwhitneyu(a, b, alternative="two-sided", use_continuity=True,
                                 method="asymptotic", axis=0).pvalue
        else:
            p = sps.f_oneway(a, b, axis=0).pvalue
    return pd.Series(np.asarray(p, dtype=float), index=X.columns, name="p")


class UnivariateFilter(FeatureFilter):
    """Keep features with univariate p < ``p_threshold`` (NaN p, e.g. constant, are dropped)."""

    def __init__(self, p_threshold: float = _DEFAULTS.univariate_p, test: str = _DEFAULTS.univariate_test):
        self.p_threshold = p_threshold
        self.test = test

    def fit_cached(self, X: pd.DataFrame, y, cache):
        """As ``fit``; the univariable Cox table is shared with mRMR's relevance."""
        if resolve_test(self.test, is_survival(y)) == "cox":
            return self.fit_scores(cache.root(("univariable_cox",), cox_table)["p"], X.columns)
        return super().fit_cached(X, y, cache)

    def score_key(self) -> tuple:
        """The p-values depend on the test only."""
        return ("univariate", self.test)

    def score_features(self, X: pd.DataFrame, y=None) -> pd.Series:
        """Univariate p-value of each feature."""
        if y is None:
            raise ValueError("UnivariateFilter needs the outcome y")
        return univariate_pvalues(X, y, self.test)

    def _select(self, columns, scores):
        p = scores.reindex(columns).to_numpy(dtype=float)
        keep = p < self.p_threshold
        self.pvalues_ = pd.Series(p, index=columns, name="p")
        dropped = {c: f"p = {v:.3g} >= {self.p_threshold:g}" for c, v, k in zip(columns, p, keep) if not k}
        return [c for c, k in zip(columns, keep) if k], dropped
