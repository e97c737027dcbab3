"""ROC analysis of a binary outcome: curve, AUC, DeLong CI and test, Youden cut-off.

Conventions, as pROC with ``roc(y, score, levels = c(0, 1), direction = "<")``:

- ``y`` is 0 (control) / 1 (case); a higher score means a case (direction ``"<"``:
  controls < threshold <= cases). The app always orients a risk score this way, so no
  direction is ever guessed. pROC's default ``direction = "auto"`` instead picks ``">"``
  when the median control score exceeds the median case score, which turns an AUC below
  0.5 into 1 - AUC; here such a score keeps its AUC below 0.5 (negate it if meant).
- Thresholds are pROC's: ``-inf``, the midpoints between consecutive distinct scores,
  ``+inf``; a patient is positive when ``score >= threshold``.
- Ties in score between a case and a control count 1/2 in the AUC.

DeLong is hand-written because no library the app depends on computes it: scikit-learn's
``roc_auc_score`` gives the AUC alone (no DeLong variance, CI or paired test). This matches
pROC's ``ci.auc(method = "delong")`` to 3e-16 on the gbsg2 fixture (``bench/hand_code.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from hccdash.stats.results import DeLongTest


def _binary(y, *scores) -> tuple[np.ndarray, list[np.ndarray]]:
    """Validate a 0/1 outcome and score vectors of the same length without NaN."""
    y = np.asarray(y, dtype=float)
    if y.ndim != 1 or not np.isin(y, (0.0, 1.0)).all():
        bad = y[~np.isin(y, (0.0, 1.0))][:3] if y.ndim == 1 else y.shape
        raise ValueError(f"y must be a 1-D vector of 0/1, got values {bad}")
    if y.min() == y.max():
        raise ValueError("y needs both cases (1) and controls (0)")
    checked = []
    for i, score in enumerate(scores):
        score = np.asarray(score, dtype=float)
        if score.shape != y.shape:
            raise ValueError(f"score {i} has shape {score.shape}, y has {y.shape}")
        if not np.isfinite(score).all():
            raise ValueError(f"score {i} has non-finite values at rows {np.flatnonzero(~np.isfinite(score))[:5]}")
        checked.append(score)
    return y.astype(bool), checked


def _thresholds(score: np.ndarray) -> np.ndarray:
    """pROC's ``roc.utils.thresholds`` for direction ``"<"``."""
    values = np.unique(score)
    lower = np.concatenate([[-np.inf], values])
    upper = np.concatenate([values, [np.inf]])
    with np.errstate(invalid="ignore", over="ignore"):
        mid = (lower + upper) / 2
        halves = lower / 2 + upper / 2
    mid = np.where(np.abs(mid) > 1e100, halves, mid)
    # a midpoint that rounds onto the lower value is moved up, as pROC does
    lower_tie = mid[1:-1] == values[:-1]
    mid[1:-1][lower_tie] = values[1:][lower_tie]
    return mid


def roc_curve(y, score) -> pd.DataFrame:
    """ROC coordinates at pROC's thresholds (ascending), as ``coords(roc, "all")``.

    Columns ``threshold``, ``sensitivity`` (share of cases with score >= threshold),
    ``specificity`` (share of controls with score < threshold), ``fpr`` = 1 - specificity.
    """
    case, (score,) = _binary(y, score)
    thr = _thresholds(score)
    cases, controls = np.sort(score[case]), np.sort(score[~case])
    sens = 1 - np.searchsorted(cases, thr, side="left") / cases.size
    spec = np.searchsorted(controls, thr, side="left") / controls.size
    return pd.DataFrame({"threshold": thr, "sensitivity": sens, "specificity": spec, "fpr": 1 - spec})


def _placements(case: np.ndarray, score: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """AUC and DeLong's placement values (V10 per case, V01 per control), from midranks."""
    m, n = case.sum(), (~case).sum()
    rank_all = stats.rankdata(score)
    v10 = (rank_all[case] - stats.rankdata(score[case])) / n
    v01 = 1 - (rank_all[~case] - stats.rankdata(score[~case])) / m
    return float(v10.mean()), v10, v01


def auc(y, score) -> float:
    """Area under the ROC curve = P(score_case > score_control) + 1/2 P(tie) (Mann-Whitney)."""
    case, (score,) = _binary(y, score)
    return _placements(case, score)[0]


def delong_ci(y, score, level: float = 0.95) -> tuple[float, float, float]:
    """AUC with DeLong's CI, as pROC ``ci.auc(roc(y, score, direction = "<"), method = "delong")``.

    var(AUC) = S10/m + S01/n, with S10 and S01 the sample variances (denominator m-1,
    n-1) of the placement values of the m cases and n controls; the CI is
    AUC +/- z_{(1+level)/2} sqrt(var), clipped to [0, 1] as pROC does.
    """
    case, (score,) = _binary(y, score)
    theta, v10, v01 = _placements(case, score)
    se = np.sqrt(v10.var(ddof=1) / v10.size + v01.var(ddof=1) / v01.size)
    z = stats.norm.ppf(0.5 + level / 2)
    return theta, float(max(theta - z * se, 0.0)), float(min(theta + z * se, 1.0))


def delong_test(y, score_a, score_b) -> DeLongTest:
    """Paired DeLong test, as pROC ``roc.test(roc_a, roc_b, method = "delong", paired = TRUE)``.

    z = (AUC_a - AUC_b) / sqrt(V_a + V_b - 2 C_ab), where V and C come from the covariance
    matrices of the placement values (S10/m + S01/n); p = 2 Phi(-|z|).
    """
    case, (score_a, score_b) = _binary(y, score_a, score_b)
    a, b = _placements(case, score_a), _placements(case, score_b)
    cov = np.cov(np.vstack([a[1], b[1]])) / a[1].size + np.cov(np.vstack([a[2], b[2]])) / a[2].size
    diff = a[0] - b[0]
    sd = np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    z = 0.0 if diff == 0 and sd == 0 else diff / sd
    return DeLongTest(a[0], b[0], float(z), float(2 * stats.norm.sf(abs(z))))


def youden_cutoff(y, score) -> tuple[float, float, float]:
    """Threshold maximising sensitivity + specificity, as pROC
    ``coords(roc, "best", best.method = "youden")``.

    Returns (threshold, sensitivity, specificity). When several thresholds tie, pROC returns
    all of them; this returns the first in pROC's (ascending) order, i.e. the lowest.
    """
    curve = roc_curve(y, score)
    crit = curve["sensitivity"].to_numpy() + curve["specificity"].to_numpy()
    best = curve.iloc[int(np.flatnonzero(crit == crit.max())[0])]
    return float(best["threshold"]), float(best["sensitivity"]), float(best["specificity"])


@dataclass(frozen=True)
class ClassificationMetrics:
    """Confusion-matrix summary at one threshold (positive when score >= threshold)."""

    threshold: float
    tp: int
    fp: int
    tn: int
    fn: int
    sensitivity: float
    specificity: float
    ppv: float
    npv: float
    accuracy: float


def classification_metrics(y, score, threshold: float) -> ClassificationMetrics:
    """Sensitivity TP/(TP+FN), specificity TN/(TN+FP), PPV TP/(TP+FP), NPV TN/(TN+FN) and
    accuracy (TP+TN)/n; PPV or NPV is NaN when nobody is called positive or negative."""
    case, (score,) = _binary(y, score)
    pos = score >= threshold
    tp, fp = int((pos & case).sum()), int((pos & ~case).sum())
    fn, tn = int((~pos & case).sum()), int((~pos & ~case).sum())
    return ClassificationMetrics(
        float(threshold), tp, fp, tn, fn,
        _share(tp, fn), _share(tn, fp), _share(tp, fp), _share(tn, fn), (tp + tn) / case.size,
    )


def _share(a: int, b: int) -> float:
    return a / (a + b) if a + b else float("nan")
