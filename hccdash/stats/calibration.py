"""Calibration: Hosmer-Lemeshow test, grouped observed-vs-predicted tables.

Groups are cut at quantiles of the prediction as R's
``cut(p, quantile(p, 0:g / g), include.lowest = TRUE)`` (type-7 quantiles, intervals
closed on the right, the first also on the left). Where tied predictions make breaks
coincide, R's ``cut`` stops with "'breaks' are not unique"; here duplicate breaks are
dropped (``unique(quantile(...))``), so fewer than g groups may result and the actual
number of groups is reported and used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from hccdash.stats.results import HosmerLemeshowTest
from hccdash.stats.survival import as_survival_arrays, km_at


def quantile_type7(x: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """R's ``quantile(x, probs, type = 7)``, with R's arithmetic (1 - h) x[lo] + h x[hi]."""
    x = np.sort(np.asarray(x, dtype=float))
    index = (x.size - 1) * np.asarray(probs, dtype=float)
    lo, hi = np.floor(index).astype(int), np.ceil(index).astype(int)
    h = index - lo
    q = x[lo].copy()
    blend = (index > lo) & (x[hi] != q)
    q[blend] = (1 - h[blend]) * q[blend] + h[blend] * x[hi[blend]]
    return q


def quantile_groups(pred, groups: int) -> np.ndarray:
    """Group number 0 .. k-1 of each prediction (k <= groups: duplicate breaks and, with
    few patients, intervals holding no prediction are dropped)."""
    pred = np.asarray(pred, dtype=float)
    breaks = np.unique(quantile_type7(pred, np.arange(groups + 1) / groups))
    if breaks.size < 2:
        raise ValueError(f"all {pred.size} predictions are equal ({pred[0]}): no quantile groups")
    # (b_k, b_k+1], the first interval closed on the left too
    codes = np.clip(np.searchsorted(breaks, pred, side="left") - 1, 0, breaks.size - 2)
    return np.unique(codes, return_inverse=True)[1]


def _binary(y, prob) -> tuple[np.ndarray, np.ndarray]:
    y, prob = np.asarray(y, dtype=float), np.asarray(prob, dtype=float)
    if y.shape != prob.shape or y.ndim != 1:
        raise ValueError(f"y {y.shape} and prob {prob.shape} must be 1-D of equal length")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"y must be 0/1; bad rows {np.flatnonzero(~np.isin(y, (0.0, 1.0)))[:5]}")
    bad = ~((prob > 0) & (prob < 1))
    if bad.any():
        raise ValueError(f"prob must lie in (0, 1); bad rows {np.flatnonzero(bad)[:5]}: {prob[bad][:5]}")
    return y, prob


def hosmer_lemeshow(y, prob, groups: int = 10) -> HosmerLemeshowTest:
    """Hosmer-Lemeshow goodness of fit: over the k quantile groups (module docstring),
    chisq = sum_g (O_g - E_g)^2 / E_g + ((n_g - O_g) - (n_g - E_g))^2 / (n_g - E_g), with
    O_g the events and E_g the sum of predicted probabilities; df = k - 2. Equals
    ResourceSelection::hoslem.test(y, prob, g) when the deciles are distinct.
    """
    y, prob = _binary(y, prob)
    g = quantile_groups(prob, groups)
    n = np.bincount(g).astype(float)
    observed, expected = np.bincount(g, weights=y), np.bincount(g, weights=prob)
    chisq = float(((observed - expected) ** 2 / expected + (observed - expected) ** 2 / (n - expected)).sum())
    df = n.size - 2
    return HosmerLemeshowTest(chisq, df, float(stats.chi2.sf(chisq, df)), n.size)


def calibration_binary(y, prob, groups: int = 10, conf_level: float = 0.95) -> pd.DataFrame:
    """Per quantile group: n, mean predicted probability, observed proportion and its
    Clopper-Pearson exact CI (as R's ``binom.test(k, n)$conf.int``)."""
    y, prob = _binary(y, prob)
    g = quantile_groups(prob, groups)
    n = np.bincount(g)
    k = np.bincount(g, weights=y)
    alpha = 1 - conf_level
    lower = np.where(k > 0, stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
    upper = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    return pd.DataFrame({
        "group": np.arange(n.size) + 1, "n": n,
        "mean_predicted": np.bincount(g, weights=prob) / n, "observed": k / n,
        "lower": lower, "upper": upper,
    })


def calibration_survival(
    time, event, surv_pred_at_t, t: float, groups: int = 4, conf_level: float = 0.95
) -> pd.DataFrame:
    """Predicted vs Kaplan-Meier observed S(t) by quantile groups of predicted S(t).

    Per group: n, events, mean predicted S(t), Kaplan-Meier S(t) within the group and its
    "log" CI (as R ``summary(survfit(Surv(time, event) ~ 1, subset = group), times = t,
    extend = TRUE)``). The grouped "predicted vs KM-observed" plot, as rms::calibrate's
    quantile-group approach (rms cuts with Hmisc::cut2; here the type-7 quantile cut).
    """
    time, event = as_survival_arrays(time, event)
    pred = np.asarray(surv_pred_at_t, dtype=float)
    if pred.shape != time.shape or not np.isfinite(pred).all():
        raise ValueError(f"surv_pred_at_t must be finite and as long as time ({time.size})")
    g = quantile_groups(pred, groups)
    rows = []
    for k in range(g.max() + 1):
        inside = g == k
        km = km_at(time[inside], event[inside], [t], conf_level).iloc[0]
        rows.append({
            "group": k + 1, "n": int(inside.sum()), "events": int(event[inside].sum()),
            "mean_predicted": float(pred[inside].mean()), "observed": km["surv"],
            "lower": km["lower"], "upper": km["upper"],
        })
    return pd.DataFrame(rows)
