"""Calibration of each model on each split.

Cox: at each offered horizon t, predicted S(t) (``survfit(coxph, newdata)``) against the
Kaplan-Meier S(t) within quantile groups of the prediction, with the KM "log" CI
(:func:`hccdash.stats.calibration_survival`). Logistic: mean predicted probability against
the observed proportion per decile group (Clopper-Pearson CI) and the Hosmer-Lemeshow test
(groups cut at the deciles of the prediction, df = groups - 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from hccdash import stats
from hccdash.evaluation.predictions import Prediction
from hccdash.settings import EvaluationSettings
from hccdash.stats.calibration import hosmer_lemeshow, quantile_groups


def calibration_tables(predictions: Mapping[tuple[str, str], Prediction], horizons: Sequence[float],
                       settings: EvaluationSettings) -> pd.DataFrame:
    """Grouped observed vs predicted per model, split (and horizon for Cox). For Cox the
    columns are on the event scale too: ``predicted_event`` = 1 - mean S(t),
    ``observed_event`` = 1 - KM S(t)."""
    parts = []
    for (m, s), p in predictions.items():
        if p.survival:
            for h in horizons:
                pred = p.surv[:, p.horizons.index(h)]
                ok = np.isfinite(pred)
                table = stats.calibration_survival(p.time[ok], p.event[ok], pred[ok], h,
                                                   settings.calibration_groups, settings.ci_level)
                parts.append(table.assign(model=m, split=s, horizon=float(h)))
        else:
            table = stats.calibration_binary(p.y, np.clip(p.prob, 1e-12, 1 - 1e-12), settings.hl_groups,
                                             settings.ci_level)
            parts.append(table.assign(model=m, split=s, horizon=np.nan))
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True)


MIN_EXPECTED = 1.0  # expected events / non-events per group below this: chi-square approximation unreliable
MIN_EVENTS = 10  # fewer events in the split: the test has too little information


def hosmer_lemeshow_warning(model: str, split: str, y: np.ndarray, prob: np.ndarray, groups: int) -> str:
    """Why the Hosmer-Lemeshow p of these predictions should not be trusted, naming the
    numbers ("" when every group expects at least 1 event and 1 non-event and there are at
    least 10 events)."""
    g = quantile_groups(prob, groups)
    expected = np.bincount(g, weights=prob)
    expected_non = np.bincount(g).astype(float) - expected
    events = int(np.sum(y))
    if expected.min() >= MIN_EXPECTED and expected_non.min() >= MIN_EXPECTED and events >= MIN_EVENTS:
        return ""
    return (f"Hosmer-Lemeshow, {model} on {split}: {events} events in {len(y)} patients; the smallest expected "
            f"count of a group is {expected.min():.2f} events and {expected_non.min():.2f} non-events "
            f"(the chi-square approximation needs at least {MIN_EXPECTED:g} in every group and "
            f"{MIN_EVENTS} events): its p-value is unreliable; read the calibration plot.")


def hosmer_lemeshow_table(predictions: Mapping[tuple[str, str], Prediction], groups: int) -> pd.DataFrame:
    """Hosmer-Lemeshow chi-square, df = groups used - 2 (as ``ResourceSelection::hoslem.test``),
    p, groups used and a warning (:func:`hosmer_lemeshow_warning`) per logistic model and split."""
    rows = []
    for (m, s), p in predictions.items():
        if p.survival:
            continue
        prob = np.clip(p.prob, 1e-12, 1 - 1e-12)
        result = hosmer_lemeshow(p.y, prob, groups)
        rows.append({"model": m, "split": s, "chisq": result.chisq, "df": result.df, "p": result.p,
                     "groups": result.groups, "warning": hosmer_lemeshow_warning(m, s, p.y, prob, groups)})
    return pd.DataFrame(rows, columns=["model", "split", "chisq", "df", "p", "groups", "warning"])
