"""The Wald coefficient table of a Cox or logistic model, as ``summary(coxph(...))`` /
``summary(glm(..., family = binomial))`` with ``exp(confint.default(...))``: the one table behind
``CoxModel.summary``, ``LogisticModel.summary``, the model-building tables and the registry's
term table.

For each coefficient b with standard error se: the ratio exp(b) (hazard ratio ``hr`` or odds
ratio ``or``) with its Wald CI exp(b -/+ z se), z = b / se and the two-sided p = 2 Phi(-|z|),
z the normal quantile of ``level`` (0.95: 1.959964).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

RATIOS = ("hr", "or")


def wald_table(coef: pd.Series, se: pd.Series, level: float = 0.95, ratio: str = "hr") -> pd.DataFrame:
    """Columns coef, ``ratio`` (``hr`` or ``or``: exp(coef)), ``{ratio}_lower`` and ``{ratio}_upper``
    (Wald CI at ``level``), se, z and p, one row per coefficient (index kept)."""
    if ratio not in RATIOS:
        raise ValueError(f"ratio must be one of {RATIOS}, got {ratio!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    z = stats.norm.ppf(0.5 + level / 2)
    wald = coef / se
    with np.errstate(over="ignore"):  # an infinite upper bound is the right answer there
        lower, upper = np.exp(coef - z * se), np.exp(coef + z * se)
    return pd.DataFrame(
        {
            "coef": coef,
            ratio: np.exp(coef),
            f"{ratio}_lower": lower,
            f"{ratio}_upper": upper,
            "se": se,
            "z": wald,
            "p": 2 * stats.norm.sf(np.abs(wald)),
        }
    )
