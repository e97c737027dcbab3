"""The effect of moving one predictor from a low to a high value, as ``rms``'s ``summary(fit)``
reports it (default ``q.effect = c(.25, .75)``: the inter-quartile range of the training values).

For a predictor entering through several columns (a restricted cubic spline) or a transformed one
(log), the effect on the linear predictor is d'b with d = columns(high) - columns(low); its
standard error sqrt(d' V d) (V the coefficients' covariance), Wald CI effect -/+ z se, and the
hazard (odds) ratio exp(effect) with exp of the CI; p is the two-sided Wald p of d'b (summary.rms
prints no p). :func:`interquartile_range` gives R's type-7 quartiles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from hccdash.stats.calibration import quantile_type7


@dataclass(frozen=True)
class Effect:
    """One summary.rms row pair: low, high, effect (lp scale), se, lower, upper, ratio with its CI, p."""

    low: float
    high: float
    effect: float
    se: float
    lower: float
    upper: float
    p: float

    @property
    def ratio(self) -> float:
        return float(np.exp(self.effect))

    @property
    def ratio_lower(self) -> float:
        return float(np.exp(self.lower))

    @property
    def ratio_upper(self) -> float:
        return float(np.exp(self.upper))


def interquartile_range(values) -> tuple[float, float]:
    """(25th, 75th) type-7 percentiles of the non-missing values, rms datadist's effect limits."""
    x = np.asarray(values, dtype=float)
    low, high = quantile_type7(x[~np.isnan(x)], np.array([0.25, 0.75]))
    return float(low), float(high)


def contrast_effect(coef, cov, low_row, high_row, low: float, high: float, level: float = 0.95) -> Effect:
    """The effect d'b of the columns going from ``low_row`` to ``high_row`` (module docstring)."""
    d = np.asarray(high_row, dtype=float) - np.asarray(low_row, dtype=float)
    b = np.asarray(coef, dtype=float)
    effect = float(d @ b)
    se = float(np.sqrt(d @ np.asarray(cov, dtype=float) @ d))
    z = float(sps.norm.ppf(0.5 + level / 2))
    p = float(2 * sps.norm.sf(abs(effect) / se)) if se > 0 else float("nan")
    return Effect(low, high, effect, se, effect - z * se, effect + z * se, p)
