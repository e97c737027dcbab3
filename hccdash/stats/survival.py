"""Kaplan-Meier curves, log-rank tests, maximally selected log-rank cut-off, group HR.

Right-censored data: ``time`` >= 0, ``event`` 1 = event (recurrence), 0 = censored. A
patient censored at t is still at risk at t (censorings after events at tied times), as in
R's survival package.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from hccdash.stats.cox import cox_fit
from hccdash.stats.results import LogRankTest


def as_survival_arrays(time, event) -> tuple[np.ndarray, np.ndarray]:
    """Validated float arrays (time >= 0, event 0/1); ValueError names the bad rows."""
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    if time.ndim != 1 or time.shape != event.shape:
        raise ValueError(f"time {time.shape} and event {event.shape} must be 1-D of equal length")
    bad = ~np.isfinite(time) | (time < 0)
    if bad.any():
        raise ValueError(f"time must be finite and >= 0; bad rows {np.flatnonzero(bad)[:5]}: {time[bad][:5]}")
    if not np.isin(event, (0.0, 1.0)).all():
        rows = np.flatnonzero(~np.isin(event, (0.0, 1.0)))
        raise ValueError(f"event must be 0/1; bad rows {rows[:5]}: {event[rows][:5]}")
    return time, event


def _km_counts(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per distinct observed time: the time, n_risk, n_event and n_total (events + censorings)."""
    times, inverse = np.unique(time, return_inverse=True)
    n_event = np.bincount(inverse, weights=event, minlength=times.size)
    n_total = np.bincount(inverse, minlength=times.size).astype(float)
    n_risk = time.size - np.concatenate([[0.0], np.cumsum(n_total)[:-1]])
    return times, n_risk, n_event, n_total


def _product_limit(n_risk: np.ndarray, n_event: np.ndarray) -> np.ndarray:
    """Kaplan-Meier S at each distinct time: prod(1 - d/n) up to it."""
    return np.cumprod(1 - n_event / n_risk)


def km_curve(time, event) -> tuple[np.ndarray, np.ndarray]:
    """(distinct observed times, Kaplan-Meier S at each): the ``time`` and ``surv`` columns of
    :func:`kaplan_meier` as arrays, without its table and CI (a fraction of its cost)."""
    times, n_risk, n_event, _ = _km_counts(*as_survival_arrays(time, event))
    return times, _product_limit(n_risk, n_event)


def _km_table(time: np.ndarray, event: np.ndarray) -> pd.DataFrame:
    """Per distinct observed time: n_risk, n_event, n_censor, surv and Greenwood's sum."""
    times, n_risk, n_event, n_total = _km_counts(time, event)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = _product_limit(n_risk, n_event)
        greenwood = np.cumsum(n_event / (n_risk * (n_risk - n_event)))
    return pd.DataFrame({
        "time": times, "n_risk": n_risk, "n_event": n_event, "n_censor": n_total - n_event,
        "surv": surv, "greenwood": greenwood,
    })


def _log_ci(surv: np.ndarray, greenwood: np.ndarray, conf_level: float) -> tuple[np.ndarray, np.ndarray]:
    """survfit's conf.type = "log": exp(log S -/+ z sqrt(Greenwood)), upper capped at 1."""
    z = stats.norm.ppf(0.5 + conf_level / 2)
    se = np.sqrt(greenwood)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.where(surv > 0, np.exp(np.log(surv) - z * se), np.nan)
        upper = np.where(surv > 0, np.minimum(np.exp(np.log(surv) + z * se), 1.0), np.nan)
    return lower, upper


def kaplan_meier(time, event, conf_level: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier table, as R ``summary(survfit(Surv(time, event) ~ 1), censored = TRUE)``.

    One row per distinct observed time: time, n_risk, n_event, n_censor, surv =
    prod(1 - d/n), std_err = S sqrt(sum d / (n (n - d))) (Greenwood, as summary's std.err),
    lower/upper = the "log" CI (survfit's default conf.type), upper capped at 1.
    """
    time, event = as_survival_arrays(time, event)
    table = _km_table(time, event)
    lower, upper = _log_ci(table["surv"].to_numpy(), table["greenwood"].to_numpy(), conf_level)
    with np.errstate(invalid="ignore"):  # S = 0: Greenwood is infinite, std_err NaN as in R
        table["std_err"] = table["surv"] * np.sqrt(table["greenwood"])
    table["lower"], table["upper"] = lower, upper
    return table.drop(columns="greenwood")


def km_at(time, event, times, conf_level: float = 0.95) -> pd.DataFrame:
    """S(t) with std_err and log CI at the given times, as
    ``summary(survfit(Surv(time, event) ~ 1), times = times, extend = TRUE)``.

    Right-continuous step function: the value at the last observed time <= t; 1 (with
    std_err 0) before the first; beyond the last follow-up the last value (extend = TRUE).
    """
    time, event = as_survival_arrays(time, event)
    table = _km_table(time, event)
    times = np.asarray(times, dtype=float)
    idx = np.searchsorted(table["time"].to_numpy(), times, side="right") - 1
    surv = np.where(idx >= 0, table["surv"].to_numpy()[idx], 1.0)
    greenwood = np.where(idx >= 0, table["greenwood"].to_numpy()[idx], 0.0)
    lower, upper = _log_ci(surv, greenwood, conf_level)
    with np.errstate(invalid="ignore"):
        std_err = surv * np.sqrt(greenwood)
    return pd.DataFrame({
        "time": times, "n_risk": number_at_risk(time, times), "surv": surv,
        "std_err": std_err, "lower": lower, "upper": upper,
    })


def km_survival(time, event, times) -> np.ndarray:
    """Kaplan-Meier S(t) at ``times`` (see :func:`km_at`, which adds CIs)."""
    return km_at(time, event, times)["surv"].to_numpy()


def number_at_risk(time, times) -> np.ndarray:
    """Patients still at risk at each of ``times``: count of time >= t."""
    ordered = np.sort(np.asarray(time, dtype=float))
    return ordered.size - np.searchsorted(ordered, np.asarray(times, dtype=float), side="left")


def logrank(time, event, group) -> LogRankTest:
    """k-group log-rank test, as R ``survdiff(Surv(time, event) ~ group)``.

    At each distinct event time with d events among n at risk (n_g in group g):
    E_g += d n_g / n; V_gh += d (n - d) / (n - 1) * n_g / n * (1[g = h] - n_h / n).
    chisq = (O - E)' V^+ (O - E) (generalised inverse, equal to survdiff's drop-one
    form), df = (number of groups with E > 0) - 1, p = P(chi2_df > chisq).
    Returns a :class:`LogRankTest` (chisq, df, p, observed = {level: O}, expected = {level: E});
    ``result["p"]`` reads it as the dict it used to be.
    """
    time, event = as_survival_arrays(time, event)
    group = np.asarray(group)
    if group.shape != time.shape:
        raise ValueError(f"group has shape {group.shape}, time has {time.shape}")
    if pd.isna(group).any():
        raise ValueError(f"group is missing at rows {np.flatnonzero(pd.isna(group))[:5]}")
    levels, g = np.unique(group, return_inverse=True)
    if levels.size < 2:
        raise ValueError(f"logrank needs at least two groups, got {list(levels)}")
    event_times = np.unique(time[event == 1])
    at_risk = np.stack([number_at_risk(time[g == k], event_times) for k in range(levels.size)]).astype(float)
    deaths = np.stack([
        np.bincount(np.searchsorted(event_times, time[(g == k) & (event == 1)]), minlength=event_times.size)
        for k in range(levels.size)
    ]).astype(float)
    n, d = at_risk.sum(0), deaths.sum(0)
    share = at_risk / n
    observed, expected = deaths.sum(1), (share * d).sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(n > 1, d * (n - d) / (n - 1), 0.0)
    var = np.diag((w * share).sum(1)) - (w * share) @ share.T
    diff = observed - expected
    chisq = float(diff @ np.linalg.pinv(var) @ diff)
    df = int((expected > 0).sum() - 1)
    return LogRankTest(chisq, df, float(stats.chi2.sf(chisq, df)),
                       dict(zip(levels.tolist(), observed.tolist())), dict(zip(levels.tolist(), expected.tolist())))


def logrank_scores(time, event) -> np.ndarray:
    """Log-rank scores as maxstat uses them (``exactRankTests::cscores(Surv, "LogRank")``).

    a_i = event_i - sum_{j: t_j <= t_i} event_j / (N - r_j + 1), where r_j is the rank of
    t_j with ties given the highest rank of their group (so tied events share the divisor
    N - r + 1, not the number at risk n(t): this is exactRankTests' tie handling).
    """
    time, event = as_survival_arrays(time, event)
    ordered = np.sort(time)
    rank = np.searchsorted(ordered, time, side="right")  # highest rank within ties
    fact = event / (time.size - rank + 1)
    order = np.argsort(time, kind="stable")
    return event - np.cumsum(fact[order])[rank - 1]


@dataclass(frozen=True)
class MaxLogrank:
    """Maximally selected log-rank statistic (groups score <= cutoff vs > cutoff)."""

    cutoff: float
    statistic: float
    p: float
    p_method: str
    n_low: int
    n_high: int


def max_logrank(
    time, event, score, minprop: float = 0.1, maxprop: float | None = None, p_method: str = "Lau92"
) -> MaxLogrank:
    """Maximally selected log-rank statistic, as R
    ``maxstat.test(Surv(time, event) ~ score, smethod = "LogRank", pmethod = p_method,
    minprop = minprop, maxprop = maxprop)`` (maxprop defaults to 1 - minprop).

    With log-rank scores a (:func:`logrank_scores`) sorted by score, for each candidate cut
    (a distinct observed score leaving m patients at or below it, floor(N minprop) <= m <=
    floor(N maxprop), m >= 1), S_m = sum of the first m scores, E = m/N sum(a),
    V = m (N - m) / (N^2 (N - 1)) (N sum(a^2) - sum(a)^2) (permutation variance), and the
    statistic is max |S_m - E| / sqrt(V); the first (lowest) maximising cut wins.
    p: "Lau92" (Lausen & Schumacher 1992 approximation) or "Lau94" (Lausen, Sauerbrei &
    Schumacher 1994 improved Bonferroni); maxstat's exact "HL" and Monte-Carlo p values
    are not provided.
    """
    time, event = as_survival_arrays(time, event)
    score = np.asarray(score, dtype=float)
    if score.shape != time.shape or not np.isfinite(score).all():
        raise ValueError("score must be finite and as long as time")
    maxprop = 1 - minprop if maxprop is None else maxprop
    a = logrank_scores(time, event)
    order = np.argsort(score, kind="stable")
    x, y = score[order], a[order]
    n = x.size
    m = np.flatnonzero(np.concatenate([[True], x[1:] != x[:-1]]))  # obs before each new value
    if minprop == 0 and maxprop == 1:
        m = m[1:]
    else:
        m = m[(m >= max(1, math.floor(n * minprop))) & (m <= math.floor(n * maxprop))]
    if m.size == 0:
        raise ValueError(f"no cut-off of score leaves {minprop:.0%} of {n} patients on each side")
    total = y.sum()
    expected = m / n * total
    var = m * (n - m) / (n**2 * (n - 1)) * (n * (y**2).sum() - total**2)
    test = np.abs((np.cumsum(y)[m - 1] - expected) / np.sqrt(var))
    best = int(np.flatnonzero(test == test.max())[0])
    statistic = float(test[best])
    p = _p_lausen(statistic, n, m, minprop, maxprop, p_method)
    return MaxLogrank(float(x[m[best] - 1]), statistic, p, p_method, int(m[best]), int(n - m[best]))


def _p_lausen(b: float, n: int, m: np.ndarray, minprop: float, maxprop: float, method: str) -> float:
    """maxstat's pLausen92 / pLausen94."""
    if method == "Lau92":
        if b < 1:
            return 1.0
        db = stats.norm.pdf(b)
        p = 4 * db / b + db * (b - 1 / b) * math.log(maxprop * (1 - minprop) / ((1 - maxprop) * minprop))
        return max(p, 0.0)
    if method == "Lau94":
        m1, m2 = m[:-1].astype(float), m[1:].astype(float)
        t = np.sqrt(1 - m1 * (n - m2) / ((n - m1) * m2))
        d = np.sum(1 / np.pi * np.exp(-b**2 / 2) * (t - (b**2 / 4 - 1) * t**3 / 6))
        return float(1 - (stats.norm.cdf(b) - stats.norm.cdf(-b)) + d)
    raise ValueError(f"p_method must be 'Lau92' or 'Lau94', got {method!r}")


def max_logrank_cutoff(time, event, score, minprop: float = 0.1) -> float:
    """Cut-off of :func:`max_logrank` (high-risk group: score > cutoff)."""
    return max_logrank(time, event, score, minprop).cutoff


@dataclass(frozen=True)
class HazardRatio:
    """Cox hazard ratio of the high group vs the low group, Wald CI and p."""

    hr: float
    lower: float
    upper: float
    p: float
    coef: float
    se: float


def hazard_ratio_groups(time, event, group, conf_level: float = 0.95) -> HazardRatio:
    """HR of high (group 1 / True) vs low (0 / False) from a one-covariate Cox model, as R
    ``coxph(Surv(time, event) ~ group)`` (Efron ties): HR = exp(b), CI exp(b -/+ z se),
    Wald p = 2 Phi(-|b / se|)."""
    time, event = as_survival_arrays(time, event)
    x = np.asarray(group, dtype=float)
    if x.shape != time.shape or not np.isin(x, (0.0, 1.0)).all():
        raise ValueError("group must be 0/1 (or bool: True = high) and as long as time")
    row = cox_fit(pd.DataFrame({"high": x}), time, event, ties="efron").summary(conf_level).iloc[0]
    return HazardRatio(
        float(row["hr"]), float(row["hr_lower"]), float(row["hr_upper"]), float(row["p"]),
        float(row["coef"]), float(row["se"]),
    )
