"""Bootstrap validation indices as ``rms::validate`` (rms 6.5-0): Dxy, Nagelkerke R2,
calibration slope (and intercept for a logistic model).

Indices of a linear predictor ``lp`` on a sample (``measure``, R's ``discrim``):

- Cox (``validate.cph``): Dxy = 2 (C - 1/2), C Harrell's concordance of the risk ``lp``
  (``dxy.cens(lp, Surv, type = "hazard")``: ties in lp count 1/2, as
  :func:`hccdash.stats.harrell_c`); Slope = coefficient of ``coxph(Surv ~ lp)`` (Efron ties);
  R2 = (1 - exp(-LR / n)) / (1 - exp(2 L0 / n)), LR = 2 (L1 - L0) of that refit, L0 the
  null partial log-likelihood (Nagelkerke, as cph's ``stats["R2"]``).
- logistic (``validate.lrm``): Dxy = 2 (AUC - 1/2) (``somers2``, ties 1/2); Intercept and
  Slope of ``lrm.fit(lp, y)``; R2 of that refit, Nagelkerke as ``lrm``'s ``stats["R2"]``.

A constant ``lp`` gives Dxy 0, Slope 1, R2 0 (Intercept 0), as rms does.

Bootstrap (:func:`validate_cph`, :func:`validate_lrm`, R ``validate(fit, method = "boot", B)``):
for each resample (row positions drawn with replacement) the model is refitted on the
resample; ``training`` = indices of its lp on the resample, ``test`` = indices of its lp
(same coefficients) on all rows; optimism = mean(training) - mean(test) over the resamples
whose fit succeeded (an index undefined in a resample is left out of that index's mean, as
predab.resample's ``num``), corrected = apparent - optimism. R's own resamples
(``sample(n, replace = TRUE)``) cannot be drawn in numpy: the functions take the resample
rows, so a fixture can pass R's and the app passes
:func:`hccdash.evaluation.optimism.resample_indices` (the optimism run's). Differences from R
beyond the resamples: every index is computed by refitting on lp (for the training sample R
reads the fit's own log-likelihoods, the same number at convergence), and fits converge to a
relative log-likelihood change of 1e-9 where rms stops at 1e-4 (cph) or 1e-7 (lrm), so R2 and
slopes agree to about 1e-5.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from hccdash.stats.concordance import harrell_c
from hccdash.stats.cox import cox_fit
from hccdash.stats.logistic import logistic_fit
from hccdash.stats.roc import auc

COX_INDICES = ("Dxy", "R2", "Slope")
LOGISTIC_INDICES = ("Dxy", "R2", "Intercept", "Slope")
COLUMNS = ("index.orig", "training", "test", "optimism", "index.corrected", "n")


def nagelkerke_r2(loglik: float, loglik_null: float, n: int) -> float:
    """(1 - exp(-LR / n)) / (1 - exp(2 L0 / n)) with LR = 2 (L1 - L0), as rms's R2."""
    lr = 2.0 * (loglik - loglik_null)
    return float((1 - np.exp(-lr / n)) / (1 - np.exp(2 * loglik_null / n)))


def _constant(lp: np.ndarray) -> bool:
    return np.unique(lp).size < 2


def cox_indices(lp, time, event, ties: str = "efron") -> dict[str, float]:
    """Dxy, R2, Slope of ``lp`` on (time, event) (module docstring)."""
    lp = np.asarray(lp, dtype=float)
    if _constant(lp):
        return {"Dxy": 0.0, "R2": 0.0, "Slope": 1.0}
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        refit = cox_fit(pd.DataFrame({"lp": lp}), time, event, ties)
    return {"Dxy": 2 * (harrell_c(time, event, lp) - 0.5),
            "R2": nagelkerke_r2(refit.loglik_, refit.loglik_null_, lp.size),
            "Slope": float(refit.coef_.iloc[0])}


def logistic_indices(lp, y) -> dict[str, float]:
    """Dxy, R2, Intercept, Slope of ``lp`` on the 0/1 outcome ``y`` (module docstring)."""
    lp, y = np.asarray(lp, dtype=float), np.asarray(y, dtype=float)
    if _constant(lp):
        return {"Dxy": 0.0, "R2": 0.0, "Intercept": 0.0, "Slope": 1.0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        refit = logistic_fit(pd.DataFrame({"lp": lp}), y)
    return {"Dxy": 2 * (auc(y, lp) - 0.5), "R2": nagelkerke_r2(refit.loglik_, refit.loglik_null_, lp.size),
            "Intercept": refit.intercept_, "Slope": float(refit.coef_.iloc[0])}


def optimism_table(index: Sequence[str], apparent, training: Sequence, test: Sequence) -> pd.DataFrame:
    """predab.resample's summary: per index (row) apparent, mean training, mean test, optimism,
    corrected and n (resamples where both training and test are defined; NaN marks undefined)."""
    apparent = np.asarray(apparent, dtype=float)
    if not training:
        train = test_ = np.full(apparent.shape, np.nan)
        n = np.zeros(apparent.shape, dtype=int)
    else:
        tr, te = np.asarray(training, dtype=float), np.asarray(test, dtype=float)
        ok = np.isfinite(tr) & np.isfinite(te)
        n = ok.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            train = np.where(ok, tr, 0).sum(axis=0) / n
            test_ = np.where(ok, te, 0).sum(axis=0) / n
    optimism = train - test_
    return pd.DataFrame({"index.orig": apparent, "training": train, "test": test_, "optimism": optimism,
                         "index.corrected": apparent - optimism, "n": n}, index=pd.Index(list(index), name="index"))


def bootstrap_measure(fit: Callable[[np.ndarray], Callable[[np.ndarray], np.ndarray] | None],
                      measure: Callable[[np.ndarray, np.ndarray], np.ndarray],
                      n: int, resamples: Iterable[Sequence[int]]) -> tuple[list, list, int]:
    """(training values, test values, failed fits) over the resamples: ``fit(rows)`` returns a
    predictor of lp for row positions (None when the fit fails), ``measure(rows, lp)`` the
    index vector of that lp on those rows."""
    training, test, failed = [], [], 0
    everyone = np.arange(n)
    for rows in resamples:
        rows = np.asarray(rows, dtype=int)
        predict = fit(rows)
        if predict is None:
            failed += 1
            continue
        training.append(measure(rows, predict(rows)))
        test.append(measure(everyone, predict(everyone)))
    return training, test, failed


def _fit_or_none(fitter, *args):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return fitter(*args)
    except ValueError:  # e.g. a resample without events or with a constant column: left out, as rms's fail
        return None


def validate_cph(X: pd.DataFrame, time, event, resamples: Iterable[Sequence[int]],
                 ties: str = "efron") -> pd.DataFrame:
    """``validate(cph(Surv(time, event) ~ X), method = "boot")`` over the given resamples (row
    positions, 0-based): rows Dxy, R2, Slope; columns as R's (module docstring)."""
    X = pd.DataFrame(X).reset_index(drop=True)
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=float)
    values = X.to_numpy(dtype=float)
    apparent = cox_fit(X, time, event, ties).predict(X)

    def fit(rows):
        model = _fit_or_none(cox_fit, X.iloc[rows], time[rows], event[rows], ties)
        return None if model is None else (lambda r: values[r] @ model.coef_.to_numpy())

    def measure(rows, lp):
        return np.array(list(cox_indices(lp, time[rows], event[rows], ties).values()))

    training, test, _ = bootstrap_measure(fit, measure, len(X), resamples)
    return optimism_table(COX_INDICES, measure(np.arange(len(X)), apparent), training, test)


def validate_lrm(X: pd.DataFrame, y, resamples: Iterable[Sequence[int]]) -> pd.DataFrame:
    """``validate(lrm(y ~ X), method = "boot")`` over the given resamples (0-based row
    positions): rows Dxy, R2, Intercept, Slope (module docstring)."""
    X = pd.DataFrame(X).reset_index(drop=True)
    y = np.asarray(y, dtype=float)
    values = X.to_numpy(dtype=float)
    apparent = logistic_fit(X, y).predict(X)

    def fit(rows):
        model = _fit_or_none(logistic_fit, X.iloc[rows], y[rows])
        return None if model is None else (lambda r: model.intercept_ + values[r] @ model.coef_.to_numpy())

    def measure(rows, lp):
        return np.array(list(logistic_indices(lp, y[rows]).values()))

    training, test, _ = bootstrap_measure(fit, measure, len(X), resamples)
    return optimism_table(LOGISTIC_INDICES, measure(np.arange(len(X)), apparent), training, test)
