"""The Cox baseline table a model file carries, as survival's ``agsurv`` computes it.

For coefficients ``b`` fitted on design ``X`` (centred at ``c``, R's ``fit$means``),
risk ``r_i = exp(b'(x_i - c))``. At each distinct event time with ``d`` events, risk-set
sums ``S0, S1`` and event sums ``E0, E1`` of ``r`` and ``r x`` (x centred); Efron's
approximation uses ``a_j = S0 - (j/d) E0`` and ``s_j = S1 - (j/d) E1`` for
``j = 0..d-1`` (Breslow: ``a_j = S0``, ``s_j = S1``):

- hazard increment ``sum_j 1 / a_j``; variance increment ``sum_j 1 / a_j^2``;
  covariate term ``sum_j s_j / a_j^2``; cumulated, these are ``cumhaz``, ``varhaz`` and
  ``xbar`` of ``survival:::agsurv`` (survtype = vartype = 3 for Efron ties).

``survfit(coxph_fit, newdata)`` combines them with the coefficient covariance into
S(t) and its standard error (see :class:`hccdash.registry.json_model.JsonModel`).
``hccdash.stats.cox.CoxModel`` computes the same pieces internally but exposes only the
cumulative hazard (``baseline_survival_``); the model file needs all three.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CoxBaseline:
    """Cumulative baseline quantities at the distinct event times (covariates at ``center``)."""

    time: np.ndarray  # distinct event times
    cumhaz: np.ndarray  # baseline cumulative hazard
    varhaz: np.ndarray  # cumulated variance increments (beta known)
    xbar: np.ndarray  # (times x p) cumulated covariate terms
    center: np.ndarray  # training column means
    max_time: float  # largest training time (follow-up, event or censoring)


def cox_baseline(
    X: np.ndarray, time: np.ndarray, event: np.ndarray, coef: np.ndarray, ties: str = "efron"
) -> CoxBaseline:
    """Baseline table of the Cox model ``coef`` on its training design ``X`` (n x p)."""
    X = np.asarray(X, dtype=float)
    time = np.asarray(time, dtype=float)
    event = np.asarray(event).astype(bool)
    coef = np.asarray(coef, dtype=float)
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow', got {ties!r}")
    center = X.mean(axis=0)
    x = X - center
    risk = np.exp(x @ coef)
    event_times = np.unique(time[event])
    increments = np.zeros((len(event_times), 2 + x.shape[1]))
    for k, t in enumerate(event_times):
        at_risk, dead = time >= t, (time == t) & event
        s0, s1 = risk[at_risk].sum(), risk[at_risk] @ x[at_risk]
        e0, e1 = risk[dead].sum(), risk[dead] @ x[dead]
        d = int(dead.sum())
        f = np.arange(d)[:, None] / d if ties == "efron" else np.zeros((d, 1))
        a = s0 - f[:, 0] * e0
        s = s1[None, :] - f * e1[None, :]
        increments[k, 0] = (1 / a).sum()
        increments[k, 1] = (1 / a**2).sum()
        increments[k, 2:] = (s / a[:, None] ** 2).sum(axis=0)
    cum = np.cumsum(increments, axis=0)
    return CoxBaseline(event_times, cum[:, 0], cum[:, 1], cum[:, 2:], center, float(time.max()))
