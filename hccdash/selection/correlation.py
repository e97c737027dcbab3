"""Correlation filter: drop one feature of each highly correlated pair, as ``caret::findCorrelation``.

The correlation matrix is Spearman's (Pearson on average ranks, as ``cor(method =
"spearman")``) or Pearson's, on the training rows. A pair whose correlation is undefined
(a constant feature) counts as uncorrelated (0). Which feature of a pair goes follows
caret 6.0 exactly (``caret:::findCorrelation_exact`` / ``findCorrelation_fast``):

- **exact** (caret's default below 100 features): order the features by their mean
  absolute correlation with the others, decreasing (ties keep input order); walk the
  pairs (i, j > i) in that order; when both are still in and ``|r_ij| > cutoff``, compare
  ``mn1`` = mean |r| of row i over the features still in with ``mn2`` = the mean |r| of
  the whole remaining matrix without row j (caret's ``mean(x2[-j, ])``, quirk kept), and
  drop i when ``mn1 > mn2``, else j. Stops when no remaining pair exceeds the cutoff.
- **fast** (caret's default from 100 features): rank the column means of |r| (diagonal
  included); for every pair above the cutoff drop the member with the higher rank
  (the row member on ties); all flagged features go at once.

R: ``caret::findCorrelation(cor(x, method = "spearman"), cutoff = 0.9, exact = ncol(x) < 100)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from hccdash.selection.base import FeatureFilter
from hccdash.settings import SelectionSettings

_DEFAULTS = SelectionSettings()
_EXACT_BELOW = 100  # caret: exact = ncol(x) < 100
METHODS = ("spearman", "pearson")


def correlation_matrix(X: pd.DataFrame, method: str = _DEFAULTS.correlation_method) -> pd.DataFrame:
    """Spearman or Pearson correlation matrix of the columns of ``X`` (undefined pairs = 0)."""
    if method not in METHODS:
        raise ValueError(f"Unknown correlation method {method!r}; allowed: {list(METHODS)}")
    values = X.to_numpy(dtype=float)
    if method == "spearman":
        values = rankdata(values, axis=0)
    centred = values - values.mean(axis=0)
    norms = np.sqrt((centred**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = (centred.T @ centred) / np.outer(norms, norms)
    corr[~np.isfinite(corr)] = 0.0
    np.clip(corr, -1.0, 1.0, out=corr)
    np.fill_diagonal(corr, 1.0)
    return pd.DataFrame(corr, index=X.columns, columns=X.columns)


def submatrix(corr: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """``corr.loc[columns, columns]`` as a new array (numpy takes, rows then columns: the root
    matrix is large and a two-axis fancy index is several times slower)."""
    at = corr.index.get_indexer(columns)
    if (at < 0).any():
        raise KeyError(f"Not in the correlation matrix: {[c for c, i in zip(columns, at) if i < 0][:5]}")
    return corr.to_numpy().take(at, axis=0).take(at, axis=1)


def find_correlation(corr: np.ndarray, cutoff: float, exact: bool | None = None) -> list[int]:
    """Positions of the features to drop, as ``caret::findCorrelation`` (set, sorted)."""
    corr = np.array(corr, dtype=float)
    return CorrelatedPairs.of(corr, exact_rule(corr.shape[0], exact)).drop_positions(cutoff)


def exact_rule(n_columns: int, exact: bool | None = None) -> bool:
    """Whether caret's exact rule applies: ``exact`` if given, else caret's default (below 100 columns)."""
    return n_columns < _EXACT_BELOW if exact is None else bool(exact)


def _find_exact(corr: np.ndarray, cutoff: float) -> list[int]:
    p = corr.shape[0]
    off = corr.copy()
    np.fill_diagonal(off, 0.0)
    order = np.argsort(-off.sum(axis=0) / (p - 1), kind="stable")
    x = corr[np.ix_(order, order)]
    x2 = x.copy()
    np.fill_diagonal(x2, 0.0)
    alive = np.ones(p, dtype=bool)
    above = np.triu(x > cutoff, k=1)
    n_above = int(above.sum())
    row_sums = x2.sum(axis=1)  # sums over alive, off-diagonal entries
    row_counts = np.full(p, p - 1.0)
    total_sum, total_count = row_sums.sum(), row_counts.sum()

    def remove(k: int) -> None:
        nonlocal n_above, total_sum, total_count
        others = alive.copy()
        others[k] = False
        n_above -= int(above[k, others].sum() + above[others, k].sum())
        # removing k takes out its row (row_sums[k]) and its column (x2[others, k])
        total_sum -= row_sums[k] + x2[others, k].sum()
        total_count -= row_counts[k] + others.sum()
        row_sums[others] -= x2[others, k]
        row_counts[others] -= 1
        alive[k] = False

    for i in range(p - 1):
        if n_above == 0:
            break
        if not alive[i]:
            continue
        for j in range(i + 1, p):
            if not (alive[i] and alive[j]) or x[i, j] <= cutoff:
                continue
            mn1 = row_sums[i] / row_counts[i]
            mn2 = (total_sum - row_sums[j]) / (total_count - row_counts[j])
            remove(i if mn1 > mn2 else j)
    return order[~alive].tolist()


@dataclass(frozen=True)
class CorrelatedPairs:
    """What :func:`find_correlation` needs of one column set's absolute correlation matrix, at any
    cutoff, computed once (a threshold move then reads it) with each column's strongest partner
    (the first on ties).

    Fast rule: a pair i < j above the cutoff drops j if its mean-|r| rank is higher, else i; so a
    column k is dropped exactly when some column ranked below it, or ranked the same and placed
    after it, correlates with it above the cutoff. ``dropped_above[k]``, the largest |r| of k
    with those columns, is the cutoff below which k is dropped. Exact rule: the matrix itself."""

    strongest: np.ndarray  # |r| with the strongest partner
    partner: np.ndarray
    dropped_above: np.ndarray | None = None  # fast rule
    matrix: np.ndarray | None = None  # exact rule

    @classmethod
    def of(cls, corr: np.ndarray, exact: bool) -> "CorrelatedPairs":
        """The pairs of a correlation matrix (a new array: it is overwritten)."""
        absolute = np.abs(corr, out=corr)
        p = absolute.shape[0]
        diagonal = absolute.diagonal().copy()
        np.fill_diagonal(absolute, -1.0)  # no column is its own partner
        partner = absolute.argmax(axis=1) if p else np.zeros(0, dtype=int)
        strongest = absolute[np.arange(p), partner]
        np.fill_diagonal(absolute, diagonal)
        if exact:
            return cls(strongest, partner, matrix=absolute)
        rank = np.unique(absolute.mean(axis=0), return_inverse=True)[1]  # as.numeric(as.factor(colMeans))
        position = np.empty(p, dtype=int)
        position[np.lexsort((-np.arange(p), rank))] = np.arange(p)  # by rank, then later columns first
        absolute *= position[None, :] < position[:, None]  # row k: the columns that drop k with them
        return cls(strongest, partner, dropped_above=absolute.max(axis=1, initial=0.0))

    def drop_positions(self, cutoff: float) -> list[int]:
        """:func:`find_correlation` at ``cutoff`` (sorted positions)."""
        if self.matrix is not None:
            return sorted(_find_exact(self.matrix, cutoff)) if self.matrix.shape[0] > 1 else []
        return np.flatnonzero(self.dropped_above > cutoff).tolist()


class CorrelationFilter(FeatureFilter):
    """Drop one feature of each pair with ``|r| > threshold`` (see :func:`find_correlation`).

    ``exact``: None follows caret (exact below 100 features, fast from 100), or force
    True / False.
    """

    def __init__(self, threshold: float = _DEFAULTS.correlation_threshold,
                 method: str = _DEFAULTS.correlation_method, exact: bool | None = None):
        self.threshold = threshold
        self.method = method
        self.exact = exact

    def fit_cached(self, X: pd.DataFrame, y, cache):
        """As ``fit``, with the correlation matrix of all root columns (shared with mRMR) and the
        :class:`CorrelatedPairs` of ``X``'s columns (3 numbers per column; the matrix for the exact
        rule, below 100 columns) kept in the cache: a threshold move reads them."""
        corr = cache.root(("correlation", self.method), lambda X_, y_: correlation_matrix(X_, self.method))
        columns = [str(c) for c in X.columns]
        exact = exact_rule(len(columns), self.exact)
        pairs = cache.get(("correlated pairs", self.method, exact, tuple(columns)),
                          lambda: CorrelatedPairs.of(submatrix(corr, columns), exact))
        return self.fit_scores(pairs, columns)

    def score_features(self, X: pd.DataFrame, y=None) -> pd.DataFrame:
        """The correlation matrix of the training features."""
        return correlation_matrix(X, self.method)

    def _select(self, columns, scores):
        """``scores``: a correlation matrix with (at least) ``columns``, or their :class:`CorrelatedPairs`."""
        pairs = scores if isinstance(scores, CorrelatedPairs) else CorrelatedPairs.of(
            submatrix(scores, columns), exact_rule(len(columns), self.exact))
        drop = pairs.drop_positions(self.threshold)
        kept_mask = np.ones(len(columns), dtype=bool)
        kept_mask[drop] = False
        dropped = {columns[k]: f"|{self.method} r| > {self.threshold:g} with "
                               f"{columns[pairs.partner[k]] if pairs.strongest[k] > self.threshold else '?'}"
                   for k in drop}
        return [c for c, keep in zip(columns, kept_mask) if keep], dropped
