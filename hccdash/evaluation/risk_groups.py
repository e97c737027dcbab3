"""Risk groups: a cut-off of the score learned on the training split only and applied
unchanged to every other split; Kaplan-Meier curves with a number-at-risk table, log-rank
test and hazard ratio per split; subgroup analysis by a clinical variable.

Cut-off methods: ``median`` (training median of the score) or ``maxstat`` (maximally
selected log-rank statistic, ``maxstat.test(smethod = "LogRank", minprop)``, via
:func:`hccdash.stats.max_logrank`), both by :func:`training_cutoff`, which the Evaluation
page and a model saved without a chosen cut-off (``hccdash.registry.model_file``) share; a
model saved from the Evaluation page may also use a training percentile
(:func:`percentile_cutoff`) or a typed value (:class:`RiskCutoff`). High risk = score >
cut-off, as maxstat groups.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hccdash import stats
from hccdash.stats.likelihood import likelihood_ratio_test

METHODS = ("median", "maxstat")  # learned on the training split by training_cutoff
GROUPS = ("low", "high")

CUTOFF_METHODS = {
    "median": "median of the training linear predictor",
    "maxstat": "maximally selected log-rank on the training split",
    "given": "value given by the user",
}
PERCENTILE_RE = re.compile(r"^percentile_(\d{1,2}(?:\.\d+)?)$")  # percentile_75: 75th percentile of training


@dataclass(frozen=True)
class RiskCutoff:
    """The risk-group cut-off a user chose (Evaluation page): how it was found (a key of
    :data:`CUTOFF_METHODS`, or ``percentile_<q>``) and its value on the model's linear
    predictor, learned on the training split only. High risk = linear predictor > value."""

    method: str
    value: float

    def __post_init__(self) -> None:
        if self.method not in CUTOFF_METHODS and not PERCENTILE_RE.match(self.method):
            raise ValueError(f"Unknown risk cut-off method {self.method!r}; allowed: {list(CUTOFF_METHODS)} "
                             "or percentile_<q> (0 < q < 100)")
        if not isinstance(self.value, (int, float)) or not np.isfinite(self.value):
            raise ValueError(f"Risk cut-off must be a finite number, got {self.value!r}")


def cutoff_description(method: str) -> str:
    """How a model file's risk-group cut-off was found, in words (the method key when unknown)."""
    percentile = PERCENTILE_RE.match(method)
    if percentile:
        return f"percentile {percentile[1]} of the training linear predictor"
    return CUTOFF_METHODS.get(method, method)


def training_cutoff(time, event, score, method: str, minprop: float) -> float:
    """The cut-off of ``score`` learned on the training rows: its median, or the maxstat cut-off
    with ``minprop`` (the settings' ``evaluation.maxstat_minprop``)."""
    if method == "median":
        return float(np.median(np.asarray(score, dtype=float)))
    if method == "maxstat":
        return stats.max_logrank_cutoff(time, event, score, minprop)
    raise ValueError(f"Unknown risk cut-off method {method!r}; allowed: {list(METHODS)}")


def percentile_cutoff(score, q: float) -> float:
    """The ``q``-th percentile (0 < q < 100) of the training ``score``: R's
    ``quantile(score, q / 100, type = 7)`` (numpy's linear interpolation)."""
    if not 0 < q < 100:
        raise ValueError(f"Risk cut-off percentile must lie strictly between 0 and 100, got {q}")
    return float(np.percentile(np.asarray(score, dtype=float), q))


def assign(score, cutoff: float) -> np.ndarray:
    """1 = high risk (score > cut-off), 0 = low."""
    return (np.asarray(score, dtype=float) > cutoff).astype(int)


@dataclass(frozen=True)
class GroupComparison:
    """High vs low risk group on one split."""

    split: str
    n_low: int
    n_high: int
    chisq: float
    p_logrank: float
    hr: float
    hr_lower: float
    hr_upper: float
    p_hr: float


def km_curves(time, event, high, label: str = "") -> pd.DataFrame:
    """Step-function data of the KM curve of each group: group, time, surv, lower, upper, n_censor
    (patients censored at that time, drawn as ticks on the curve; the first row is time 0 with S = 1)."""
    parts = []
    for code, group in enumerate(GROUPS):
        inside = np.asarray(high) == code
        if not inside.any():
            continue
        km = stats.kaplan_meier(np.asarray(time)[inside], np.asarray(event)[inside])
        start = pd.DataFrame({"time": [0.0], "surv": [1.0], "lower": [1.0], "upper": [1.0], "n_censor": [0]})
        parts.append(pd.concat([start, km[["time", "surv", "lower", "upper", "n_censor"]]], ignore_index=True)
                     .assign(group=group, split=label))
    return pd.concat(parts, ignore_index=True)


def at_risk_table(time, high, times: Sequence[float], label: str = "") -> pd.DataFrame:
    """Number at risk per group at ``times``: group, time, n."""
    rows = []
    for code, group in enumerate(GROUPS):
        t = np.asarray(time)[np.asarray(high) == code]
        rows += [{"group": group, "time": float(x), "n": int(n), "split": label}
                 for x, n in zip(times, stats.number_at_risk(t, times))]
    return pd.DataFrame(rows)


def compare_groups(time, event, high, label: str, level: float) -> GroupComparison:
    """Log-rank test (survdiff) and Cox HR of high vs low (Efron, Wald CI)."""
    high = np.asarray(high)
    n_high = int(high.sum())
    if n_high in (0, high.size):
        nan = float("nan")
        return GroupComparison(label, high.size - n_high, n_high, nan, nan, nan, nan, nan, nan)
    test = stats.logrank(time, event, high)
    hr = stats.hazard_ratio_groups(time, event, high, level)
    return GroupComparison(label, high.size - n_high, n_high, test["chisq"], test["p"], hr.hr, hr.lower,
                           hr.upper, hr.p)


@dataclass(frozen=True)
class RiskGroups:
    """Cut-off (from training), its method, and per split: curves, at-risk table, comparison."""

    cutoff: float
    method: str
    curves: pd.DataFrame
    at_risk: pd.DataFrame
    comparisons: pd.DataFrame


def risk_groups(splits: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], method: str, minprop: float,
                table_times: Sequence[float], level: float) -> RiskGroups:
    """``splits`` maps split -> (time, event, score), training first under ``"train"``; the
    cut-off is learned on ``"train"`` only."""
    if "train" not in splits:
        raise ValueError("risk groups need the training split to learn the cut-off")
    cutoff = training_cutoff(*splits["train"], method, minprop)
    curves, tables, rows = [], [], []
    for name, (time, event, score) in splits.items():
        high = assign(score, cutoff)
        curves.append(km_curves(time, event, high, name))
        tables.append(at_risk_table(time, high, table_times, name))
        rows.append(compare_groups(time, event, high, name, level).__dict__)
    return RiskGroups(cutoff, method, pd.concat(curves, ignore_index=True), pd.concat(tables, ignore_index=True),
                      pd.DataFrame(rows))


def subgroup_analysis(time, event, high, subgroup: pd.Series, level: float) -> tuple[pd.DataFrame, float]:
    """HR of high vs low risk within each level of ``subgroup`` (rows with a value), and the
    interaction p: LR test of ``coxph(S ~ high * subgroup)`` against ``coxph(S ~ high + subgroup)``.

    A numeric subgroup variable with more than 5 distinct values is split at its median
    (``<= median`` / ``> median``). Returns (table, interaction p; NaN when not estimable).
    """
    values = pd.Series(subgroup).reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(values) and values.nunique() > 5:
        median = values.median()
        values = values.map(lambda v: np.nan if pd.isna(v) else (f"<= {median:.4g}" if v <= median else f"> {median:.4g}"))
    keep = values.notna().to_numpy()
    time, event, high = np.asarray(time)[keep], np.asarray(event)[keep], np.asarray(high)[keep]
    labels = values[keep].astype(str).to_numpy()
    rows = []
    for level_name in pd.unique(labels):
        inside = labels == level_name
        comparison = compare_groups(time[inside], event[inside], high[inside], str(level_name), level)
        rows.append({"subgroup": level_name, "n": int(inside.sum()), "events": int(event[inside].sum()),
                     "hr": comparison.hr, "lower": comparison.hr_lower, "upper": comparison.hr_upper,
                     "p": comparison.p_hr})
    return pd.DataFrame(rows), _interaction_p(time, event, high, labels)


def _interaction_p(time, event, high, labels) -> float:
    dummies = pd.get_dummies(pd.Series(labels), drop_first=True, dtype=float)
    if dummies.empty:
        return float("nan")
    main = pd.concat([pd.Series(high, name="high", dtype=float), dummies], axis=1)
    interaction = dummies.mul(main["high"], axis=0).add_prefix("high:")
    try:
        small = stats.cox_fit(main, time, event)
        big = stats.cox_fit(pd.concat([main, interaction], axis=1), time, event)
    except ValueError:  # a subgroup without both risk groups: the interaction is not estimable
        return float("nan")
    return likelihood_ratio_test(small, big).p
