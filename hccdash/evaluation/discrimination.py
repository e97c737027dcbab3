"""Discrimination: Harrell's C with bootstrap CI (and Uno's C), time-dependent AUC and ROC,
ROC AUC with DeLong CI, DeLong tests between models, and the confusion-matrix metrics at
the training Youden cut-off.

All statistics come from :mod:`hccdash.stats` (R-checked): ``bootstrap_c`` (percentile CI
of 1000 seeded resamples, vectorised), ``uno_c`` (survival's ``timewt = "n/G2"``),
``time_dependent_auc`` / ``time_dependent_roc`` (riskRegression::Score, IPCW with the
Kaplan-Meier censoring distribution), ``delong_ci`` / ``delong_test`` (pROC),
``youden_cutoff`` and ``classification_metrics``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from hccdash import stats
from hccdash.evaluation.predictions import Prediction
from hccdash.metric_names import discrimination_metric
from hccdash.settings import EvaluationSettings
from hccdash.stats.roc import delong_test

Predictions = Mapping[tuple[str, str], Prediction]


def metric_column(survival: bool) -> str:
    """Name of the discrimination column: ``c_index`` (Cox) or ``auc`` (logistic)."""
    return discrimination_metric("cox" if survival else "logistic")[0]


def discrimination_table(predictions: Predictions, settings: EvaluationSettings,
                         tau: float | None = None) -> pd.DataFrame:
    """Per model and split: n, events, Harrell's C in column ``c_index`` (Cox) or the ROC AUC in
    column ``auc`` (logistic; = C for a binary outcome) with its CI (bootstrap percentile /
    DeLong), and Uno's C when asked."""
    rows = []
    for (model, split), p in predictions.items():
        if p.survival:
            c, lower, upper = stats.bootstrap_c(p.time, p.event, p.lp, settings.n_bootstrap, settings.seed,
                                                settings.ci_level)
            row = {"n": len(p.lp), "events": int(p.event.sum()), metric_column(True): c, "lower": lower,
                   "upper": upper, "ci_method": f"bootstrap percentile ({settings.n_bootstrap})"}
            if settings.uno_c:
                row["uno_c"] = stats.uno_c(p.time, p.event, p.lp, tau)
        else:
            c, lower, upper = stats.delong_ci(p.y, p.lp, settings.ci_level)
            row = {"n": len(p.lp), "events": int(p.y.sum()), metric_column(False): c, "lower": lower,
                   "upper": upper, "ci_method": "DeLong"}
        rows.append({"model": model, "split": split, **row})
    return pd.DataFrame(rows)


def time_auc_table(predictions: Predictions, horizons: Sequence[float]) -> pd.DataFrame:
    """Cumulative / dynamic AUC(t) per model, split and offered horizon (Cox models)."""
    rows = [{"model": m, "split": s, "horizon": float(h), "auc": a}
            for (m, s), p in predictions.items() if p.survival and len(horizons)
            for h, a in zip(horizons, stats.time_dependent_auc(p.time, p.event, p.lp, horizons))]
    return pd.DataFrame(rows, columns=["model", "split", "horizon", "auc"])


def time_roc_curves(predictions: Predictions, horizons: Sequence[float]) -> pd.DataFrame:
    """IPCW ROC coordinates (fpr, tpr) per model, split and horizon, with the AUC in ``label``."""
    parts = []
    for (m, s), p in predictions.items():
        if not p.survival:
            continue
        for h in horizons:
            curve = stats.time_dependent_roc(p.time, p.event, p.lp, h)
            auc = stats.time_dependent_auc(p.time, p.event, p.lp, [h])[0]
            parts.append(curve.assign(model=m, split=s, horizon=float(h), label=f"{m} (AUC {auc:.3f})"))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["threshold", "fpr", "tpr", "model", "split", "horizon", "label"])


def roc_curves(predictions: Predictions) -> pd.DataFrame:
    """ROC coordinates (pROC thresholds) per model and split (logistic models)."""
    parts = []
    for (m, s), p in predictions.items():
        if p.survival:
            continue
        auc = stats.auc(p.y, p.lp)
        curve = stats.roc_curve(p.y, p.lp).sort_values(["fpr", "sensitivity"])
        parts.append(curve.assign(tpr=curve["sensitivity"], model=m, split=s, label=f"{m} (AUC {auc:.3f})"))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["threshold", "sensitivity", "specificity", "fpr", "tpr", "model", "split", "label"])


def _common(a: Prediction, b: Prediction) -> tuple[np.ndarray, np.ndarray]:
    """Positions in a and b of the patients both models predict."""
    common = a.ids.intersection(b.ids, sort=False)
    return a.ids.get_indexer(common), b.ids.get_indexer(common)


def delong_comparisons(predictions: Predictions) -> pd.DataFrame:
    """Paired DeLong test of every pair of logistic models per split (common patients)."""
    rows = []
    splits = sorted({s for _, s in predictions}, key=lambda s: s != "train")
    models = list(dict.fromkeys(m for m, _ in predictions))
    for split in splits:
        for i, ma in enumerate(models):
            for mb in models[i + 1:]:
                a, b = predictions.get((ma, split)), predictions.get((mb, split))
                if a is None or b is None or a.survival:
                    continue
                ia, ib = _common(a, b)
                test = delong_test(a.y[ia], a.lp[ia], b.lp[ib])
                rows.append({"split": split, "model_a": ma, "model_b": mb, "auc_a": test.auc_a,
                             "auc_b": test.auc_b, "z": test.z, "p": test.p, "n": ia.size})
    return pd.DataFrame(rows, columns=["split", "model_a", "model_b", "auc_a", "auc_b", "z", "p", "n"])


def youden_metrics(predictions: Predictions) -> pd.DataFrame:
    """Sensitivity, specificity, PPV, NPV and accuracy at each logistic model's Youden
    cut-off of the TRAINING split (pROC ``coords(roc, "best")``), applied unchanged to
    every split."""
    rows = []
    for (m, s), p in predictions.items():
        if p.survival or (m, "train") not in predictions:
            continue
        train = predictions[(m, "train")]
        threshold = stats.youden_cutoff(train.y, train.lp)[0]
        result = stats.classification_metrics(p.y, p.lp, threshold)
        rows.append({"model": m, "split": s, "threshold (lp, from training)": threshold,
                     "sensitivity": result.sensitivity, "specificity": result.specificity, "ppv": result.ppv,
                     "npv": result.npv, "accuracy": result.accuracy, "tp": result.tp, "fp": result.fp,
                     "tn": result.tn, "fn": result.fn})
    return pd.DataFrame(rows)
