"""Variance inflation factors of a model's numeric predictors."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash.stats._fitting import constant_columns, dependent_columns, design_frame


def vif(X) -> pd.Series:
    """VIF_j = 1 / (1 - R_j^2), R_j^2 from the least-squares regression (with intercept) of
    column j on the other columns; computed in closed form as the diagonal of the inverse
    correlation matrix. Equals ``car::vif(lm(y ~ ., data = X))`` for numeric predictors
    (car::vif of a glm or coxph fit weights by the fit's coefficient covariance instead).
    A single column gets 1. Constant or linearly dependent columns raise ValueError naming them.
    """
    X = design_frame(X)
    constant = constant_columns(X)
    if constant:
        raise ValueError(f"column(s) {constant} have zero variance: VIF undefined")
    values = X.to_numpy()
    dependent = dependent_columns(values, list(X.columns))
    if dependent:
        raise ValueError(f"column(s) {dependent} are linear combinations of other columns: VIF infinite")
    corr = np.atleast_2d(np.corrcoef(values, rowvar=False))
    return pd.Series(np.diag(np.linalg.inv(corr)), index=X.columns, name="vif")
