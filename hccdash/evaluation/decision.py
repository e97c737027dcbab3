"""Decision curve analysis: net benefit = TP/n - FP/n x pt / (1 - pt) of treating the
patients whose predicted event probability is >= pt, against treat-all and treat-none.
Logistic: :func:`hccdash.stats.decision_curve`; Cox: the survival version at a horizon
(:func:`hccdash.stats.net_benefit_survival`, event probability 1 - S(t), Kaplan-Meier
observed risk in the treated group)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from hccdash import stats
from hccdash.evaluation.predictions import Prediction


def thresholds(spec: tuple[float, float, float]) -> np.ndarray:
    """Threshold probabilities first, first + step, ..., last (settings' ``dca_thresholds``)."""
    first, last, step = spec
    if not (0 < first <= last < 1 and step > 0):
        raise ValueError(f"dca_thresholds must be (first, last, step) with 0 < first <= last < 1, got {spec}")
    return np.round(np.arange(first, last + step / 2, step), 10)


def decision_curves(predictions: Mapping[tuple[str, str], Prediction], horizons: Sequence[float],
                    pts: np.ndarray) -> pd.DataFrame:
    """Long table: model, split, horizon (NaN for logistic), threshold, ``net_benefit`` of
    the model, ``treat_all``, ``treat_none``."""
    parts = []
    for (m, s), p in predictions.items():
        if p.survival:
            for h in horizons:
                prob = p.event_probability(h)
                ok = np.isfinite(prob)
                curve = stats.net_benefit_survival(p.time[ok], p.event[ok], np.clip(prob[ok], 0, 1), h, pts)
                parts.append(curve.rename(columns={"model": "net_benefit"}).assign(model=m, split=s, horizon=float(h)))
        else:
            curve = stats.decision_curve(p.y, p.prob, pts).rename(columns={"model": "net_benefit"})
            parts.append(curve.assign(model=m, split=s, horizon=np.nan))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
