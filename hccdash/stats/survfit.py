"""Survival curves of a Cox model for new covariates, as ``survfit(coxph_fit, newdata)``, with
the 95% (or any level) CI of ``conf.type = "log"``: the one implementation behind
:meth:`hccdash.stats.CoxModel.predict_survival` and the registry's model files
(:meth:`hccdash.registry.json_model.JsonModel.predict_survival`).

:class:`CoxBaseline` holds the cumulated baseline quantities of ``survival:::agsurv``
(survtype = vartype = 3 for Efron ties, 2 for Breslow) at the distinct event times, for
covariates at the centre ``c`` (made by :func:`hccdash.stats.cox.cox_baseline`): the cumulative
hazard ``H0(t)``, ``varhaz(t)`` (sum of 1/phi^2, its variance with beta known) and ``xbar(t)``
(sum of (S1_R - l/d S1_D)/phi^2). For a patient x with ``eta = b'(x - c)``:

    S(t | x) = exp(-H0(t) exp(eta))
    var H(t | x) = exp(2 eta) (varhaz(t) + d(t)' V d(t)),   d(t) = xbar(t) - H0(t) (x - c)
    CI: S exp(-/+ z sqrt(var H)), the upper bound capped at 1 (conf.type "log")

with V the coefficient covariance (survfit.coxph's formula). The result does not depend on
the centre as long as the baseline and ``x`` use the same one. Everything is evaluated on the
log scale (``log S = -H0 exp(eta)``), so an extreme patient gets S = 0, lower 0 and a finite
upper bound instead of ``0 * inf = NaN`` (R gives NA where its S underflows to 0). S(t) is a
right-continuous step function: 1 before the first event time, NaN beyond the largest
training time.

Why hand-written, with the Efron baseline of :func:`hccdash.stats.cox.cox_baseline`
(``bench/hand_code.py``): to match R. lifelines' ``CoxPHFitter`` uses Breslow's baseline even with
Efron ties: on the rossi fixture its S(t | x) is up to 1.0e-3 from ``survfit.coxph``, this 1.6e-9;
and it gives no CI for new covariates (survfit's, with the coefficient variance, is above).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hccdash.stats._fitting import check_level


@dataclass(frozen=True, eq=False)
class CoxBaseline:
    """Cumulated baseline quantities at the distinct event times, covariates at ``center``."""

    time: np.ndarray  # distinct event times, ascending
    cumhaz: np.ndarray  # baseline cumulative hazard H0
    varhaz: np.ndarray  # its cumulated variance increments (beta known)
    xbar: np.ndarray  # (times x p) cumulated covariate terms
    center: np.ndarray  # the centre c of the covariates (p)
    max_time: float  # largest training time (event or censoring)
    n_risk: np.ndarray | None = None  # at risk at each event time (from a fit; not in a model file)
    n_event: np.ndarray | None = None  # events at each event time

    def cumulative_hazard(self, times, carry_forward: bool = False) -> np.ndarray:
        """H0 at ``times``: the value at the last event time <= t, 0 before the first; beyond
        ``max_time`` NaN, or with ``carry_forward`` the last value (as R's ``type = "expected"``)."""
        t = _times(times)
        values = _step(self.time, self.cumhaz, t)
        return values if carry_forward else np.where(t > self.max_time, np.nan, values)

    def at(self, times) -> dict[str, np.ndarray]:
        """The baseline step functions at ``times``: ``cumhaz`` and ``varhaz`` (len(times)), ``xbar``
        (len(times) x p), each 0 before the first event time, and ``beyond`` (t past ``max_time``,
        where S is NaN): all :func:`survfit_cox` needs for those times."""
        t = _times(times)
        before, index = _positions(self.time, t)
        return {"cumhaz": np.where(before, 0.0, self.cumhaz[index]), "varhaz": np.where(before, 0.0, self.varhaz[index]),
                "xbar": np.where(before[:, None], 0.0, self.xbar[index]), "beyond": t > self.max_time}

    def table(self) -> pd.DataFrame:
        """time, n_risk, n_event, cumhaz and survival at the centre (``survfit(fit)``)."""
        return pd.DataFrame({"time": self.time, "n_risk": self.n_risk, "n_event": self.n_event,
                             "cumhaz": self.cumhaz, "survival": np.exp(-self.cumhaz)})

    def to_dict(self) -> dict[str, Any]:
        """The model file's ``baseline`` object (the centre is stored with the terms)."""
        return {"time": self.time.tolist(), "cumhaz": self.cumhaz.tolist(), "varhaz": self.varhaz.tolist(),
                "xbar": self.xbar.tolist(), "max_time": float(self.max_time)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], center) -> CoxBaseline:
        """A model file's ``baseline`` object with its terms' training means as the centre."""
        center = np.asarray(center, dtype=float)
        xbar = np.asarray(data["xbar"], dtype=float).reshape(len(data["time"]), center.size)
        return cls(np.asarray(data["time"], float), np.asarray(data["cumhaz"], float),
                   np.asarray(data["varhaz"], float), xbar, center, float(data["max_time"]))


def survfit_cox(baseline: CoxBaseline, X, coef, cov, times, level: float | None = None):
    """S(t | x) for each row of the design ``X`` (n x p, not centred) at each of ``times``:
    array (n x len(times)), or with ``level`` the tuple (surv, lower, upper) of the log CI,
    as ``summary(survfit(fit, newdata = X, conf.int = level), times = times)`` (module docstring)."""
    steps = baseline.at(times)
    x = np.atleast_2d(np.asarray(X, dtype=float)) - baseline.center
    beta = np.asarray(coef, dtype=float)
    cumhaz0, beyond = steps["cumhaz"], steps["beyond"]
    eta = x @ beta  # centred lp: exp(eta) may overflow, so work on the log scale
    surv = _exp_scaled(eta, -cumhaz0[None, :], beyond)
    if level is None:
        return surv
    check_level(level)
    varhaz, xbar = steps["varhaz"], steps["xbar"]  # xbar: len(times) x p
    d = xbar[None, :, :] - cumhaz0[None, :, None] * x[:, None, :]  # n x times x p
    quad = np.einsum("ntp,pq,ntq->nt", d, np.asarray(cov, dtype=float), d)
    spread = stats.norm.ppf(0.5 + level / 2) * np.sqrt(varhaz[None, :] + quad)  # z se(H(t | x)) / exp(eta)
    lower = _exp_scaled(eta, -cumhaz0[None, :] - spread, beyond)
    upper = np.minimum(_exp_scaled(eta, spread - cumhaz0[None, :], beyond), 1.0)
    return surv, lower, upper


def _times(times) -> np.ndarray:
    t = np.atleast_1d(np.asarray(times, dtype=float))
    if not np.isfinite(t).all():
        raise ValueError(f"times must be finite, got {t}")
    return t


def _positions(grid: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(t before the first grid time, index of the last grid time <= t, clipped at 0)."""
    index = np.searchsorted(grid, t, side="right") - 1
    return index < 0, np.clip(index, 0, None)


def _step(grid: np.ndarray, values: np.ndarray, t: np.ndarray) -> np.ndarray:
    before, index = _positions(grid, t)
    return np.where(before, 0.0, values[index] if len(values) else 0.0)


def _exp_scaled(eta: np.ndarray, a: np.ndarray, beyond: np.ndarray) -> np.ndarray:
    """``exp(exp(eta_i) * a_it)`` (n x times) without ``inf * 0``: a product with ``a = 0`` is 0
    however large ``exp(eta)``; columns ``beyond`` are NaN."""
    a = np.broadcast_to(a, (len(eta), a.shape[-1]))
    with np.errstate(over="ignore", divide="ignore"):
        product = np.sign(a) * np.exp(eta[:, None] + np.log(np.abs(a)))
        out = np.exp(np.where(a == 0, 0.0, product))
    out[:, beyond] = np.nan
    return out
