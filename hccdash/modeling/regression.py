"""One face over the two model families (Cox for RFS, logistic for ER) used by the model stages.

Fits go to :func:`hccdash.stats.cox_fit` (Efron ties by default) or
:func:`hccdash.stats.logistic_fit`; tables are the models' own Wald tables
(:func:`hccdash.stats.wald_table`), as ``summary(coxph(...))`` / ``summary(glm(..., family = binomial))``. A term coded by
several columns (a categorical variable) is tested jointly by the Wald chi-square
b' V^-1 b on its columns (df = number of columns), as ``car::Anova(type = 3, test = "Wald")``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from hccdash import stats
from hccdash.selection.target import binary_array, is_survival, survival_arrays
from hccdash.stats.roc import auc



def family_of(y) -> str:
    """'cox' for a structured survival target, else 'logistic'."""
    return "cox" if is_survival(y) else "logistic"


def ratio_name(family: str) -> str:
    """The ratio column of the coefficient tables: 'hr' for Cox, 'or' for logistic."""
    return "hr" if family == "cox" else "or"


def fit(X: pd.DataFrame, y, ties: str = "efron"):
    """Cox (survival ``y``) or logistic (binary ``y``) fit of ``X``."""
    if is_survival(y):
        time, event = survival_arrays(y)
        return stats.cox_fit(X, time, event, ties=ties)
    return stats.logistic_fit(X, binary_array(y))


def linear_predictor(model, X: pd.DataFrame) -> np.ndarray:
    """x' beta (Cox, not centred) or intercept + x' beta (logistic)."""
    lp = X[list(model.coef_.index)].to_numpy(dtype=float) @ model.coef_.to_numpy()
    return lp + float(getattr(model, "intercept_", 0.0))


def table(model, level: float = 0.95) -> pd.DataFrame:
    """The model's Wald table (:func:`hccdash.stats.wald_table`: coef, hr / or with its CI
    ``hr_lower`` / ``hr_upper`` (``or_...``), se, z, p) without the intercept row."""
    return model.summary(level).loc[list(model.coef_.index)]


def term_p(model, columns: Sequence[str]) -> float:
    """Wald p of the columns of one term (joint chi-square for several columns)."""
    columns = list(columns)
    b = model.coef_[columns].to_numpy(dtype=float)
    cov = model.cov_.loc[columns, columns].to_numpy(dtype=float)
    chisq = float(b @ np.linalg.solve(cov, b))
    return float(sps.chi2.sf(chisq, len(columns)))


def concordance(y, lp) -> float:
    """Harrell's C (survival) or the ROC AUC (binary, = C for a binary outcome); NaN rows dropped."""
    lp = np.asarray(lp, dtype=float)
    keep = np.isfinite(lp)
    if keep.sum() < 2:
        return float("nan")
    if is_survival(y):
        time, event = survival_arrays(y)
        return float(stats.harrell_c(time[keep], event[keep], lp[keep]))
    outcome = binary_array(y)[keep]
    if outcome.min() == outcome.max():
        return float("nan")
    return float(auc(outcome, lp[keep]))
