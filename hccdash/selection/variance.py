"""Zero and near-zero variance filter, as ``caret::nearZeroVar``.

For each feature (missing values ignored in the counts, as caret does):

- ``freqRatio`` = count of the most common value / count of the second most common
  (0 when the feature has a single distinct value);
- ``percentUnique`` = 100 x number of distinct values / number of rows (rows with
  missing values included in the denominator, as caret);
- ``zeroVar`` = a single distinct value (or all missing);
- dropped when ``zeroVar`` or (``freqRatio > freq_cut`` and ``percentUnique <= unique_cut``).

R: ``caret::nearZeroVar(x, freqCut = 95/5, uniqueCut = 10, saveMetrics = TRUE)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash.selection.base import FeatureFilter
from hccdash.settings import SelectionSettings

_DEFAULTS = SelectionSettings()


def near_zero_var(X: pd.DataFrame, freq_cut: float = _DEFAULTS.freq_cut,
                  unique_cut: float = _DEFAULTS.unique_cut) -> pd.DataFrame:
    """caret's ``saveMetrics`` table: freqRatio, percentUnique, zeroVar, nzv (one row per feature)."""
    rows = []
    n = len(X)
    for column in X.columns:
        values = X[column].to_numpy(dtype=float)
        values = values[~np.isnan(values)]
        _, counts = np.unique(values, return_counts=True)
        if len(counts) <= 1:
            ratio = 0.0
        else:
            top_two = np.sort(counts)[-2:]
            ratio = top_two[1] / top_two[0]
        rows.append((ratio, 100.0 * len(counts) / n if n else 0.0, len(counts) <= 1))
    table = pd.DataFrame(rows, index=X.columns, columns=["freqRatio", "percentUnique", "zeroVar"])
    table["nzv"] = table["zeroVar"] | ((table["freqRatio"] > freq_cut) & (table["percentUnique"] <= unique_cut))
    return table


class VarianceFilter(FeatureFilter):
    """Drop zero and near-zero variance features (caret's rule); see :func:`near_zero_var`."""

    def __init__(self, freq_cut: float = _DEFAULTS.freq_cut, unique_cut: float = _DEFAULTS.unique_cut):
        self.freq_cut = freq_cut
        self.unique_cut = unique_cut

    def score_key(self) -> tuple:
        """caret's metrics do not depend on the cut-offs."""
        return ("near_zero_var",)

    def score_features(self, X: pd.DataFrame, y=None) -> pd.DataFrame:
        """caret's metrics per feature (no missing values reach here: see ``check_frame``)."""
        return near_zero_var(X, self.freq_cut, self.unique_cut)

    def _select(self, columns, scores):
        table = scores.loc[columns]
        zero = table["zeroVar"].to_numpy()
        near = (table["freqRatio"].to_numpy() > self.freq_cut) & (
            table["percentUnique"].to_numpy() <= self.unique_cut
        )
        dropped = {}
        for name, is_zero, is_near in zip(columns, zero, near):
            if is_zero:
                dropped[name] = "zero variance"
            elif is_near:
                dropped[name] = "near-zero variance"
        return [c for c in columns if c not in dropped], dropped
