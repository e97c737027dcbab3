"""Bootstrap-corrected calibration curves as ``rms::calibrate`` (rms 6.5-0).

Cox (:func:`calibrate_cph`, R ``calibrate(cph(..., surv = TRUE, time.inc = u), cmethod = "KM",
method = "boot", u, m, B)``): predicted S(u) of every patient (``survfit(coxph)`` with Efron
ties, as cph's ``surv.summary``); groups cut at ``unique(quantile(c(0, 1, S), 0:g / g))`` with
g = floor(n / m) (``Hmisc::cut2`` intervals [c_i, c_i+1), the last closed); per group the mean
predicted S(u) and the Kaplan-Meier S(u) (``groupkm``: NA for a group of fewer than 2 patients
or when its follow-up ends before u with S > 0). The index of a sample is KM - mean predicted
per group; in each resample the model (refitted on the resample, predictions at u from that
fit) is measured on the resample and on all rows with the ORIGINAL cuts. KM.corrected =
KM - optimism. A sample with fewer than 5 events gives NA (rms's rule).

logistic (:func:`calibrate_lrm`, R ``calibrate(lrm(...), method = "boot", B)``, smoother
lowess): on the grid ``predy`` of 50 points from the 5th smallest to the 5th largest predicted
probability, the index is the ``lowess(p, y, iter = 0)`` curve (R's ``approx`` at ``predy``,
tied x taking the first value, NA outside the data) minus ``predy``; calibrated.corrected =
calibrated.orig - optimism.

Resampling and NA handling are those of :mod:`hccdash.stats.rms_validate` (the resamples are
passed in; an index NA in a resample is left out of that point's mean, column ``n``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from hccdash.stats.calibration import quantile_type7
from hccdash.stats.cox import cox_fit
from hccdash.stats.logistic import logistic_fit
from hccdash.stats.smoothing import lowess
from hccdash.stats.rms_validate import _fit_or_none, bootstrap_measure, optimism_table
from hccdash.stats.survival import km_at

MIN_EVENTS = 5  # calibrate.cph: a sample with fewer events gives NA


def km_cuts(surv_u, m: int) -> np.ndarray:
    """Cut points of calibrate.cph's groups: ``unique(quantile(c(0, 1, S), seq(0, 1, length = g + 1)))``,
    g = max(1, floor(n / m))."""
    surv_u = np.asarray(surv_u, dtype=float)
    g = max(1, surv_u.size // int(m))
    return np.unique(quantile_type7(np.concatenate([[0.0, 1.0], surv_u]), np.linspace(0, 1, g + 1)))


def group_km(pred, time, event, u: float, cuts) -> pd.DataFrame:
    """``groupkm(pred, Surv(time, event), u = u, cuts = cuts)``: per interval mean predicted
    (``x``), patients, events, KM S(u) and its standard error (module docstring)."""
    pred = np.where(np.abs(np.asarray(pred, dtype=float)) < 1e-10, 0.0, np.asarray(pred, dtype=float))
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=float)
    cuts = np.asarray(cuts, dtype=float)
    group = np.clip(np.searchsorted(cuts, pred, side="right") - 1, 0, cuts.size - 2)
    rows = []
    for g in range(cuts.size - 1):
        s = group == g
        n = int(s.sum())
        if n < 2:
            rows.append({"x": float(pred[s].mean()) if n == 1 else np.nan, "n": 0, "events": 0,
                         "KM": np.nan, "std.err": np.nan})
            continue
        km = km_at(time[s], event[s], [u]).iloc[0]
        surv, se = float(km["surv"]), float(km["std_err"])
        observed = time[s]
        last_surv = float(km_at(time[s], event[s], [observed.max()]).iloc[0]["surv"])
        if u > observed.max() + 1e-6 and last_surv > 0:
            surv = se = np.nan
        rows.append({"x": float(pred[s].mean()), "n": n, "events": int(event[s].sum()), "KM": surv,
                     "std.err": se / surv if surv > 0 else np.nan})
    return pd.DataFrame(rows)


def calibrate_cph(X: pd.DataFrame, time, event, u: float, resamples, m: int = 50,
                  ties: str = "efron") -> pd.DataFrame:
    """``calibrate(cph, cmethod = "KM", method = "boot", u, m)`` over the given resamples (0-based
    row positions): one row per group with index.orig, training, test, mean.optimism,
    mean.corrected, n, mean.predicted, KM, KM.corrected, std.err (module docstring)."""
    X = pd.DataFrame(X).reset_index(drop=True)
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=float)
    model = cox_fit(X, time, event, ties)
    surv = model.predict_survival(X, [u])[:, 0]
    cuts = km_cuts(surv, m)

    def fit(rows):
        boot = _fit_or_none(cox_fit, X.iloc[rows], time[rows], event[rows], ties)
        if boot is None or event[rows].sum() < MIN_EVENTS:
            return None
        return lambda r: boot.predict_survival(X.iloc[r], [u])[:, 0]

    def measure(rows, pred):
        if event[rows].sum() < MIN_EVENTS:
            return np.full(cuts.size - 1, np.nan)
        table = group_km(pred, time[rows], event[rows], u, cuts)
        return (table["KM"] - table["x"]).to_numpy()

    apparent = group_km(surv, time, event, u, cuts)
    training, test, _ = bootstrap_measure(fit, measure, len(X), resamples)
    table = optimism_table(range(cuts.size - 1), (apparent["KM"] - apparent["x"]).to_numpy(), training, test)
    out = table[["index.orig", "training", "test"]].copy()
    out["mean.optimism"] = table["optimism"]
    out["mean.corrected"] = table["index.corrected"]
    out["n"] = table["n"]
    out["mean.predicted"] = apparent["x"].to_numpy()
    out["KM"] = apparent["KM"].to_numpy()
    out["KM.corrected"] = out["KM"] - out["mean.optimism"]
    out["std.err"] = apparent["std.err"].to_numpy()
    return out.reset_index(drop=True)


def smooth_at(p, y, predy) -> np.ndarray:
    """``approx(lowess(p, y, iter = 0), xout = predy, ties = function(x) x[1])$y``."""
    sx, sy = lowess(p, y, iter=0)
    ux, first = np.unique(sx, return_index=True)
    uy = sy[first]
    out = np.interp(predy, ux, uy)
    out[(predy < ux[0]) | (predy > ux[-1])] = np.nan
    return out


def calibration_grid(prob) -> np.ndarray:
    """calibrate.default's ``predy``: 50 points from the 5th smallest to the 5th largest."""
    p = np.sort(np.asarray(prob, dtype=float))
    if p.size < 11:
        raise ValueError(f"a bootstrap calibration curve needs more than 10 patients, got {p.size}")
    return np.linspace(p[4], p[-5], 50)


def calibrate_lrm(X: pd.DataFrame, y, resamples) -> pd.DataFrame:
    """``calibrate(lrm, method = "boot")`` over the given resamples (0-based row positions):
    columns predy, calibrated.orig, calibrated.corrected, index.orig, training, test, optimism,
    index.corrected, n (module docstring)."""
    X = pd.DataFrame(X).reset_index(drop=True)
    y = np.asarray(y, dtype=float)
    values = X.to_numpy(dtype=float)
    model = logistic_fit(X, y)
    prob = model.predict_proba(X)
    predy = calibration_grid(prob)

    def fit(rows):
        boot = _fit_or_none(logistic_fit, X.iloc[rows], y[rows])
        return None if boot is None else (lambda r: expit(boot.intercept_ + values[r] @ boot.coef_.to_numpy()))

    def measure(rows, p):
        return smooth_at(p, y[rows], predy) - predy

    training, test, _ = bootstrap_measure(fit, measure, len(X), resamples)
    table = optimism_table(range(predy.size), measure(np.arange(len(X)), prob), training, test)
    calibrated = table["index.orig"].to_numpy() + predy
    out = pd.DataFrame({"predy": predy, "calibrated.orig": calibrated,
                        "calibrated.corrected": calibrated - table["optimism"].to_numpy()})
    return pd.concat([out, table.reset_index(drop=True)], axis=1)
