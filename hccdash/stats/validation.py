"""External validation: a model fitted on development data, judged on new patients.

:func:`validate_cox` for a :class:`~hccdash.stats.cox.CoxModel` (discrimination, calibration
slope, observed / expected events, Brier score and time-dependent AUC at horizons) and
:func:`validate_logistic` for a :class:`~hccdash.stats.logistic.LogisticModel` (AUC with
DeLong CI, calibration intercept and slope, Brier score). The model is used unchanged: its
coefficients and baseline hazard come from the development data only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

from hccdash.stats._fitting import newton
from hccdash.stats.brier import check_horizons, scaled_brier
from hccdash.stats.concordance import harrell_c
from hccdash.stats.cox import CoxModel, cox_fit
from hccdash.stats.logistic import LogisticModel, logistic_fit
from hccdash.stats.roc import delong_ci
from hccdash.stats.survival import as_survival_arrays
from hccdash.stats.time_auc import time_dependent_auc

_Z95 = stats.norm.ppf(0.975)


def _check_rows(X, n: int) -> None:
    if len(X) != n:
        raise ValueError(f"X has {len(X)} rows but the outcome has {n} values")


def validate_cox(model: CoxModel, X, time, event, times) -> dict:
    """Validate a Cox model (from :func:`~hccdash.stats.cox.cox_fit` on the development data)
    on new patients X (the model's columns, by name for a DataFrame) with outcome (time, event),
    at the horizons ``times`` (same unit as time).

    Returns a dict; lp = x' beta (uncentred) of the new patients:

    * ``c_index``: Harrell's C of lp, as ``concordance(Surv(time, event) ~ lp, reverse = TRUE)``
      (two events at one time not comparable; an event tied with a censoring is comparable;
      tied lp count 1/2).
    * ``calibration_slope``, ``calibration_slope_se``: coefficient and SE of
      ``coxph(Surv(time, event) ~ lp)`` (Efron ties; SE from the observed information).
    * ``observed``, ``expected``, ``oe_ratio``, ``oe_lower``, ``oe_upper``: O = number of
      events, E = sum of each patient's cumulative hazard at their own follow-up time from the
      development model (``sum(predict(fit, newdata, type = "expected"))``, the Efron-adjusted
      baseline of ``survfit(fit)``); 95% CI exp(log(O/E) +- 1.96 / sqrt(O)) (Poisson O).
    * ``times``; ``brier``, ``brier_null``, ``ipa`` per horizon: IPCW Brier score of the risks
      1 - S(t | x) of ``survfit(fit, newdata)``, of the Kaplan-Meier null model, and
      IPA = 1 - brier / brier_null, as ``Score(list(1 - S), Surv(time, event) ~ 1,
      metrics = "brier", cens.model = "km", summary = "ipa")`` (see :mod:`hccdash.stats.brier`
      for ties and weights).
    * ``td_auc`` per horizon: cumulative / dynamic AUC of lp, as
      :func:`~hccdash.stats.time_auc.time_dependent_auc` (``Score(..., metrics = "auc")``).

    Raises ValueError when X lacks a model column (named), when the new data have no events
    (C-index and calibration slope undefined), or when a horizon lies beyond the last follow-up
    of the new data or of the development data (both named).
    """
    time, event = as_survival_arrays(time, event)
    _check_rows(X, time.size)
    lp = model.predict(X)
    if event.sum() == 0:
        raise ValueError(
            "the validation data have no events: the C-index and the calibration slope are undefined"
        )
    horizons = check_horizons(time, times)
    late = horizons > model.max_time_
    if late.any():
        raise ValueError(
            f"horizon {horizons[late][0]:g} is beyond the last follow-up of the development data "
            f"({model.max_time_:g}): the model predicts no survival there"
        )
    slope = cox_fit(pd.DataFrame({"lp": lp}), time, event, ties="efron")
    observed = float(event.sum())
    expected = float(model.expected(X, time).sum())
    half_width = _Z95 / np.sqrt(observed)
    brier = scaled_brier(time, event, model.predict_survival(X, horizons), horizons)
    return {
        "c_index": harrell_c(time, event, lp),
        "calibration_slope": float(slope.coef_["lp"]),
        "calibration_slope_se": float(slope.se_["lp"]),
        "observed": observed,
        "expected": expected,
        "oe_ratio": observed / expected,
        "oe_lower": observed / expected * np.exp(-half_width),
        "oe_upper": observed / expected * np.exp(half_width),
        "times": horizons,
        "brier": brier["brier"].to_numpy(),
        "brier_null": brier["brier_null"].to_numpy(),
        "ipa": brier["ipa"].to_numpy(),
        "td_auc": time_dependent_auc(time, event, lp, horizons),
    }


def _offset_intercept(y: np.ndarray, offset: np.ndarray) -> float:
    """Intercept a of ``glm(y ~ offset(offset), family = binomial)``: the root of
    sum(y - expit(a + offset)) = 0, by the shared Newton-Raphson with step halving."""

    def derivatives(a: np.ndarray):
        eta = a[0] + offset
        p = expit(eta)
        loglik = float(np.sum(y * eta - np.logaddexp(0.0, eta)))
        return loglik, np.array([np.sum(y - p)]), np.array([[np.sum(p * (1 - p))]])

    return float(newton(derivatives, 1).beta[0])


def validate_logistic(model: LogisticModel, X, y) -> dict:
    """Validate a logistic model (from :func:`~hccdash.stats.logistic.logistic_fit` on the
    development data) on new patients X (the model's columns) with 0/1 outcome y.

    Returns a dict; lp = intercept + x' beta of the development model, p = expit(lp):

    * ``auc``, ``auc_lower``, ``auc_upper``: AUC of p (case-control ties count 1/2) with
      DeLong's 95% CI, as ``ci.auc(roc(y, p, levels = c(0, 1), direction = "<"),
      method = "delong")`` (pROC).
    * ``calibration_intercept``: intercept of ``glm(y ~ offset(lp), family = binomial)``
      (calibration-in-the-large; 0 when the mean risk is right).
    * ``calibration_slope``: slope of ``glm(y ~ lp, family = binomial)`` (1 when the spread is
      right).
    * ``brier``: mean((y - p)^2).

    Raises ValueError when X lacks a model column (named) or y lacks cases or controls (AUC
    and calibration undefined).
    """
    y = np.asarray(y, dtype=float).ravel()
    _check_rows(X, y.size)
    lp = model.predict(X)
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        raise ValueError(f"y must be 0/1: got {y[bad][0]} at row {np.flatnonzero(bad)[0]}")
    if y.min() == y.max():
        raise ValueError(
            f"y has only {'cases' if y[0] == 1 else 'controls'} ({y.size} patients): "
            "the AUC and the calibration intercept and slope are undefined"
        )
    p = expit(lp)
    auc, lower, upper = delong_ci(y, p)
    slope = logistic_fit(pd.DataFrame({"lp": lp}), y)
    return {
        "auc": auc,
        "auc_lower": lower,
        "auc_upper": upper,
        "calibration_intercept": _offset_intercept(y, lp),
        "calibration_slope": float(slope.coef_["lp"]),
        "brier": float(np.mean((y - p) ** 2)),
    }
