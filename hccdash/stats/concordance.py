"""Concordance indices for survival data: Harrell's C (with bootstrap CI and standard error)
and Uno's IPCW C.

Convention everywhere: a HIGHER ``risk`` predicts an EARLIER event (a Cox linear predictor,
a rad-score). This is survival::concordance with ``reverse = TRUE`` and scikit-survival's
``concordance_index_censored``; lifelines' ``concordance_index`` wants the opposite sign.

Pairs (Harrell, as survival::concordance): subjects i, j form a comparable pair, with i the
one that fails first, when

* ``time_i < time_j`` and i had an event, or
* ``time_i == time_j``, i had an event and j was censored (the censored one counts as longer).

Two events at the same time, and two censorings, are never comparable. In a comparable pair
the ranking is concordant when ``risk_i > risk_j``, discordant when ``risk_i < risk_j``, and
a tie in risk counts 1/2::

    C = (concordant + tied_risk / 2) / (concordant + discordant + tied_risk)

All functions build the n x n pair matrices (row = the earlier failure), which costs
O(n^2) memory: fine for cohorts up to a few thousand patients.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats

from hccdash.stats.results import CIndexDifference

_BLOCK = 2048  # rows of the pair matrix built at once


class ConcordanceCI(NamedTuple):
    """Harrell's C with its percentile bootstrap interval."""

    c: float
    lower: float
    upper: float


def _survival_arrays(time, event, risk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated float time, bool event and float risk arrays of one length."""
    t = np.asarray(time, dtype=float).ravel()
    e = np.asarray(event).ravel()
    r = np.asarray(risk, dtype=float).ravel()
    if not (t.size == e.size == r.size):
        raise ValueError(
            f"time, event and risk must have the same length, got {t.size}, {e.size}, {r.size}"
        )
    for name, values in (("time", t), ("risk", r)):
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise ValueError(f"{name} has a missing or infinite value at position {bad[0]}")
    e_num = np.asarray(e, dtype=float)
    bad = np.flatnonzero(~np.isin(e_num, (0.0, 1.0)))
    if bad.size:
        raise ValueError(f"event must be 0/1, got {e[bad[0]]!r} at position {bad[0]}")
    return t, e_num.astype(bool), r


def _pairs(t: np.ndarray, e: np.ndarray, r: np.ndarray, rows: slice):
    """(comparable, score) blocks for the given rows: score is 1 / 0.5 / 0 per comparable pair."""
    ti, ei, ri = t[rows, None], e[rows, None], r[rows, None]
    comparable = ei & ((ti < t) | ((ti == t) & ~e))
    score = np.where(ri > r, 1.0, np.where(ri == r, 0.5, 0.0)) * comparable
    return comparable.astype(float), score


def harrell_c(time, event, risk) -> float:
    """Harrell's C-index, as ``survival::concordance(Surv(time, event) ~ risk, reverse = TRUE)``.

    Pairs and ties as in the module docstring (tied times between two events are not
    comparable; a censored time tied with an event time counts as longer; tied risks count
    1/2). Returns NaN when no pair is comparable. See :func:`bootstrap_c` for its CI and
    :func:`harrell_c_se` for its standard error.
    """
    t, e, r = _survival_arrays(time, event, risk)
    num = den = 0.0
    for start in range(0, t.size, _BLOCK):
        comparable, score = _pairs(t, e, r, slice(start, start + _BLOCK))
        num += score.sum()
        den += comparable.sum()
    return float(num / den) if den > 0 else float("nan")


def harrell_c_se(time, event, risk) -> float:
    """Standard error of Harrell's C by the infinitesimal jackknife, as the ``std`` that
    ``survival::concordance`` prints (``sqrt(fit$var)``).

    With case weights w, C(w) = sum_ij w_i w_j K_ij / sum_ij w_i w_j P_ij (K = pair score,
    P = comparable); the influence of subject k is dC/dw_k at w = 1, and
    var = sum_k (dC/dw_k)^2.
    """
    _, influence = _c_and_influence(*_survival_arrays(time, event, risk))
    return float(np.sqrt(np.sum(influence**2)))


def _c_and_influence(t: np.ndarray, e: np.ndarray, r: np.ndarray) -> tuple[float, np.ndarray]:
    """Harrell's C and each subject's influence dC/dw_k (NaN when no pair is comparable)."""
    comparable, score = _pairs(t, e, r, slice(None))
    num, den = score.sum(), comparable.sum()
    if den == 0:
        return float("nan"), np.full(t.size, np.nan)
    d_num = score.sum(axis=0) + score.sum(axis=1)
    d_den = comparable.sum(axis=0) + comparable.sum(axis=1)
    return float(num / den), (d_num - num / den * d_den) / den


def c_difference_test(time, event, risk_a, risk_b, level: float = 0.95) -> CIndexDifference:
    """Test of the difference of two Harrell C-indices on the same patients (e.g. combined vs
    clinical model), as ``survival::concordance(fit_a, fit_b)`` with the contrast c(1, -1):
    difference = C_a - C_b, its variance c' V c with V the infinitesimal-jackknife covariance
    of the two C's (V_ab = sum_k influence_a,k influence_b,k, the diagonal is
    :func:`harrell_c_se` squared), z = difference / SE, two-sided normal p, Wald CI at
    ``level``. Pairs and ties as :func:`harrell_c` (higher risk = earlier event; tied times of
    two events not comparable; tied risks count 1/2)."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    t, e, ra = _survival_arrays(time, event, risk_a)
    _, _, rb = _survival_arrays(time, event, risk_b)
    c_a, inf_a = _c_and_influence(t, e, ra)
    c_b, inf_b = _c_and_influence(t, e, rb)
    diff = c_a - c_b
    se = float(np.sqrt(np.sum((inf_a - inf_b) ** 2)))
    z = diff / se if se > 0 else float("nan")
    half = stats.norm.ppf(0.5 + level / 2) * se
    p = float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else float("nan")
    return CIndexDifference(c_a=c_a, c_b=c_b, difference=diff, se=se, z=z, p=p,
                            lower=diff - half, upper=diff + half, level=level)


def _bootstrap_counts(n: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot x n) multiplicities of the subjects in each bootstrap resample."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)


def bootstrap_c(
    time, event, risk, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> ConcordanceCI:
    """Harrell's C with a percentile bootstrap confidence interval.

    The comparable-pair and score matrices are computed once; a bootstrap resample with
    multiplicities w (w_i = times subject i is drawn, multinomial(n, 1/n)) has
    C_b = w' K w / w' P w, so all resamples are two matrix products (no refit, no loop).
    A subject paired with its own copy is never comparable (same time, same risk), exactly as
    when the resampled data are passed to :func:`harrell_c`. Bounds are the (1 - level)/2 and
    (1 + level)/2 quantiles of the C_b (numpy's default = R's ``quantile`` type 7); resamples
    without a comparable pair are skipped. Seeded by ``seed`` (numpy ``default_rng``).
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    t, e, r = _survival_arrays(time, event, risk)
    comparable, score = _pairs(t, e, r, slice(None))
    den_all = comparable.sum()
    if den_all == 0:
        raise ValueError("no comparable pair: Harrell's C is undefined (no events?)")
    w = _bootstrap_counts(t.size, n_boot, seed)
    num = np.einsum("bj,bj->b", w @ score.T, w)
    den = np.einsum("bj,bj->b", w @ comparable.T, w)
    valid = den > 0
    boot = num[valid] / den[valid]
    alpha = (1 - level) / 2
    lower, upper = np.quantile(boot, [alpha, 1 - alpha])
    return ConcordanceCI(float(score.sum() / den_all), float(lower), float(upper))


def _censoring_survival_before(t: np.ndarray, e: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Kaplan-Meier of the censoring distribution, G(s-), just before each ``at``.

    As survival::concordance (its fastkm1): a death tied with a censoring happens first, so
    at a censoring time s the factor is 1 - c(s) / (n(>= s) - d(s)).
    """
    times = np.unique(t)
    pos = np.searchsorted(times, t)
    n_at_or_after = t.size - np.searchsorted(np.sort(t), times, side="left")
    deaths = np.bincount(pos[e], minlength=times.size)
    censored = np.bincount(pos[~e], minlength=times.size)
    exposed = n_at_or_after - deaths
    factor = 1.0 - censored / np.where(exposed > 0, exposed, 1)
    surv = np.cumprod(factor)
    idx = np.searchsorted(times, at, side="left")  # times strictly before
    return np.concatenate(([1.0], surv))[idx]


def uno_c(time, event, risk, tau: float | None = None) -> float:
    """Uno's IPCW concordance, as ``survival::concordance(Surv(time, event) ~ risk,
    reverse = TRUE, timewt = "n/G2", ymax = tau)``.

    C = sum_ij w_i K_ij / sum_ij w_i P_ij with the pairs K, P of :func:`harrell_c` restricted
    to earlier failures at ``time_i <= tau`` (default: no truncation), and weight
    w_i = 1 / G(time_i-)^2, where G is the Kaplan-Meier estimate of the censoring
    distribution fitted on the same data, a death tied with a censoring counted first
    (Uno et al. 2011, Stat Med 30:1105). Tied risks count 1/2, as for Harrell's C.
    """
    t, e, r = _survival_arrays(time, event, risk)
    comparable, score = _pairs(t, e, r, slice(None))
    if tau is not None:
        keep = (t <= tau)[:, None]
        comparable, score = comparable * keep, score * keep
    g = _censoring_survival_before(t, e, t)
    weight = np.where(g > 0, 1.0 / np.where(g > 0, g, 1.0) ** 2, 0.0)
    den = weight @ comparable.sum(axis=1)
    return float(weight @ score.sum(axis=1) / den) if den > 0 else float("nan")

