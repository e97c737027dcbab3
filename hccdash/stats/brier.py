"""Brier score of predicted survival with inverse probability of censoring weights (IPCW),
and its scaled form against the Kaplan-Meier null model (IPA).

Conventions, as ``riskRegression::Score(..., metrics = "brier", cens.model = "km")``: at
horizon t, with predicted risk F_i = 1 - S_i(t),

* cases (time_i <= t with an event, a tie with t included) contribute (1 - F_i)^2 / G(time_i-);
* controls (time_i > t) contribute F_i^2 / G(t);
* patients censored at or before t contribute 0;

Brier(t) = (sum of contributions) / n over all n patients. G is the reverse Kaplan-Meier
estimate of the censoring distribution, as ``prodlim(..., reverse = TRUE)``: at a time with c
censorings, d events and n at risk it drops by the factor 1 - c / (n - d) (an event tied with a
censoring is taken to come first). G(time_i-) is its left limit (prodlim's
``predictSurvIndividual(lag = 1)``), G(t) its right-continuous value at t.

The null model predicts F(t) = 1 - KM(t) for everyone, KM the Kaplan-Meier estimate on the
same data (riskRegression's "Null model" row); IPA = 1 - Brier / Brier_null.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash.stats.survival import as_survival_arrays, km_survival
from hccdash.stats.time_auc import _reverse_km, _weights


def check_horizons(time: np.ndarray, times) -> np.ndarray:
    """``times`` as a 1-D float array of finite horizons >= 0, none beyond the last follow-up
    ``max(time)`` (ValueError naming the horizon and the maximum follow-up)."""
    horizons = np.atleast_1d(np.asarray(times, dtype=float))
    if horizons.ndim != 1 or horizons.size == 0:
        raise ValueError(f"times must be a non-empty 1-D list of horizons, got shape {horizons.shape}")
    bad = ~np.isfinite(horizons) | (horizons < 0)
    if bad.any():
        raise ValueError(f"horizons must be finite and >= 0, got {horizons[bad][0]}")
    beyond = horizons > time.max()
    if beyond.any():
        raise ValueError(
            f"horizon {horizons[beyond][0]:g} is beyond the last follow-up ({time.max():g}): "
            "the Brier score and AUC are not estimable there"
        )
    return horizons


def _survival_matrix(surv, n: int, k: int) -> np.ndarray:
    values = np.asarray(surv, dtype=float)
    if values.ndim == 1 and k == 1:
        values = values[:, None]
    if values.shape != (n, k):
        raise ValueError(f"surv must be n x len(times) = {n} x {k}, got shape {values.shape}")
    bad = ~np.isfinite(values) | (values < 0) | (values > 1)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"surv must be probabilities in [0, 1]: got {values[row, col]} at row {row}, column {col}"
        )
    return values


def _brier_at(time: np.ndarray, event: np.ndarray, surv: np.ndarray, t: float) -> float:
    case_weight, control = _weights(time, event, t)  # 1/G(T_i-) for cases, 0 otherwise
    censoring_times, g = _reverse_km(time, event)
    g_t = np.concatenate(([1.0], g))[np.searchsorted(censoring_times, t, side="right")]
    cases = np.sum(case_weight * surv**2)
    controls = np.sum((1 - surv[control]) ** 2) / g_t if control.any() else 0.0
    return float((cases + controls) / time.size)


def brier_score(time, event, surv, times) -> np.ndarray:
    """IPCW Brier score at each of ``times`` (module docstring), as R
    ``Score(list(model = 1 - surv), Surv(time, event) ~ 1, data, times = times,
    metrics = "brier", cens.model = "km")$Brier$score`` (the model rows).

    ``surv``: n x len(times) predicted S(t_k | x_i) (e.g. :meth:`CoxModel.predict_survival`).
    Ties: an event at exactly t is a case, a censoring at exactly t contributes 0; cases are
    weighted by G just before their time, controls by G at t. Raises ValueError for a horizon
    beyond the last follow-up (naming both) or a malformed ``surv``.
    See :func:`scaled_brier` for the null model and IPA.
    """
    time, event = as_survival_arrays(time, event)
    horizons = check_horizons(time, times)
    surv = _survival_matrix(surv, time.size, horizons.size)
    return np.array([_brier_at(time, event, surv[:, k], t) for k, t in enumerate(horizons)])


def scaled_brier(time, event, surv, times) -> pd.DataFrame:
    """Brier score, the null model's Brier score and IPA = 1 - brier / brier_null per horizon:
    DataFrame with columns time, brier, brier_null, ipa, as R ``Score(..., metrics = "brier",
    cens.model = "km", summary = "ipa")$Brier$score`` (Brier of the model and of the
    "Null model" row, and the model's IPA).

    The null model predicts S(t) = KM(t) for every patient, KM the Kaplan-Meier estimate of
    these same data (prodlim's; censorings at t are still at risk at t). Same weights, ties and
    errors as :func:`brier_score`.
    """
    time, event = as_survival_arrays(time, event)
    horizons = check_horizons(time, times)
    brier = brier_score(time, event, surv, horizons)
    km = np.broadcast_to(km_survival(time, event, horizons), (time.size, horizons.size))
    null = brier_score(time, event, km, horizons)
    with np.errstate(divide="ignore", invalid="ignore"):
        ipa = 1 - brier / null
    return pd.DataFrame({"time": horizons, "brier": brier, "brier_null": null, "ipa": ipa})
