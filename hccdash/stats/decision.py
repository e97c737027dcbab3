"""Decision curve analysis (Vickers & Elkin 2006; survival version Vickers et al. 2008).

A patient is "treated" (called high risk) when the predicted probability of the event is
>= the threshold probability pt, as R's dcurves / rmda. Net benefit weighs false
positives by the odds of the threshold: NB(pt) = TP/n - FP/n * pt / (1 - pt).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash.stats.survival import as_survival_arrays, km_survival


def _thresholds(thresholds) -> np.ndarray:
    pt = np.atleast_1d(np.asarray(thresholds, dtype=float))
    bad = ~((pt > 0) & (pt < 1))
    if bad.any():
        raise ValueError(f"threshold probabilities must lie in (0, 1), got {pt[bad][:5]}")
    return pt


def _probabilities(prob, n: int) -> np.ndarray:
    prob = np.asarray(prob, dtype=float)
    if prob.shape != (n,) or not ((prob >= 0) & (prob <= 1)).all():
        raise ValueError(f"predicted probabilities must be {n} values in [0, 1]")
    return prob


def net_benefit(y, prob, thresholds) -> np.ndarray:
    """Net benefit of treating patients with prob >= pt: TP/n - FP/n * pt / (1 - pt)."""
    y = np.asarray(y, dtype=float)
    if y.ndim != 1 or not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y must be a 1-D vector of 0/1")
    prob = _probabilities(prob, y.size)
    pt = _thresholds(thresholds)
    treated = prob[None, :] >= pt[:, None]
    tp = (treated & (y == 1)).sum(1)
    fp = (treated & (y == 0)).sum(1)
    return tp / y.size - fp / y.size * pt / (1 - pt)


def decision_curve(y, prob, thresholds) -> pd.DataFrame:
    """Net benefit of the model, of treating everybody (prevalence - (1 - prevalence)
    pt/(1 - pt)) and of treating nobody (0), per threshold."""
    pt = _thresholds(thresholds)
    y = np.asarray(y, dtype=float)
    return pd.DataFrame({
        "threshold": pt,
        "model": net_benefit(y, prob, pt),
        "treat_all": net_benefit(y, np.ones(y.size), pt),
        "treat_none": np.zeros(pt.size),
    })


def net_benefit_survival(time, event, prob_event_at_t, t: float, thresholds) -> pd.DataFrame:
    """Decision curve for a time-to-event outcome at horizon t (Vickers et al. 2008, as
    dcurves' ``dca(Surv(time, event) ~ p, time = t)`` / the ``stdca`` macro).

    With the treated group P = {prob >= pt}, its share q = |P| / n and its Kaplan-Meier
    survival S_P(t): TP/n = (1 - S_P(t)) q and FP/n = S_P(t) q, so
    NB(pt) = (1 - S_P(t)) q - S_P(t) q pt / (1 - pt) (0 when nobody is treated). Treat-all
    uses the Kaplan-Meier S(t) of everybody (q = 1).
    """
    time, event = as_survival_arrays(time, event)
    prob = _probabilities(prob_event_at_t, time.size)
    pt = _thresholds(thresholds)
    odds = pt / (1 - pt)

    def survival_of(treated: np.ndarray) -> tuple[float, float]:
        """(q, S_P(t)) of the treated group P."""
        if not treated.any():
            return 0.0, 0.0
        return treated.mean(), km_survival(time[treated], event[treated], [t])[0]

    def benefit(q: float, s: float, weight: np.ndarray) -> np.ndarray:
        return (1 - s) * q - s * q * weight

    # one Kaplan-Meier fit per distinct treated group, not per threshold
    groups = {}
    model = np.empty(pt.size)
    for i, p in enumerate(pt):
        treated = prob >= p
        key = int(treated.sum())
        if key not in groups:
            groups[key] = survival_of(treated)
        model[i] = benefit(*groups[key], odds[i])
    q_all, s_all = survival_of(np.ones(time.size, dtype=bool))
    return pd.DataFrame({
        "threshold": pt,
        "model": model,
        "treat_all": benefit(q_all, s_all, odds),
        "treat_none": np.zeros(pt.size),
    })
