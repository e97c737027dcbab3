"""Spearman correlation of the rad-score with clinical and pathology variables.

Numeric variables as they are; ordered categories and two-level categories by their
level codes (rank order); unordered categories with more than two levels have no order,
so they are listed with a note instead of a coefficient. rho and its two-sided p are
``cor.test(x, y, method = "spearman", exact = FALSE)`` (scipy.stats.spearmanr).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps


def _ranked(values: pd.Series) -> tuple[pd.Series | None, str]:
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories
        if values.cat.ordered or len(cats) <= 2:
            codes = values.cat.codes.astype(float).where(values.notna())
            return codes, " < ".join(map(str, cats))
        return None, "unordered categories: no rank correlation"
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().sum() == 0:
        return None, "not numeric"
    return numeric.astype(float), ""


def rad_score_correlations(rad_score: pd.Series, clinical: pd.DataFrame) -> pd.DataFrame:
    """One row per clinical column: n, Spearman rho, p, note (level order used). A constant
    rad-score (no radiomic feature) ranks nobody: every row says so."""
    rows = []
    if rad_score.nunique(dropna=True) < 2:
        return pd.DataFrame({"variable": list(clinical.columns), "n": 0, "rho": np.nan, "p": np.nan,
                             "note": "the rad-score is constant (no radiomic feature): no correlation"},
                            columns=["variable", "n", "rho", "p", "note"])
    for name in clinical.columns:
        ranked, note = _ranked(clinical[name])
        if ranked is None:
            rows.append({"variable": name, "n": 0, "rho": np.nan, "p": np.nan, "note": note})
            continue
        both = pd.concat([rad_score.rename("_score"), ranked.rename("_x")], axis=1).dropna()
        if len(both) < 3 or both["_x"].nunique() < 2:
            rows.append({"variable": name, "n": len(both), "rho": np.nan, "p": np.nan,
                         "note": "fewer than 3 patients or a constant variable"})
            continue
        rho, p = sps.spearmanr(both["_score"], both["_x"])
        rows.append({"variable": name, "n": len(both), "rho": float(rho), "p": float(p), "note": note})
    return pd.DataFrame(rows, columns=["variable", "n", "rho", "p", "note"])
