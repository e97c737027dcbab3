"""Test of proportional hazards and scaled Schoenfeld residuals, as ``survival::cox.zph``.

survival 3.x's test (Grambsch & Therneau 1994, as re-implemented in survival 3.0): for the
Cox fit beta-hat, add the time-varying terms x * g(t) and take the score test of their
coefficients gamma = 0 at (beta-hat, 0), one step from the fit, with the full 2p x 2p
information matrix (not the approximation of survival 2.x). Per event e at time t_e, with
Efron's (or Breslow's) risk-set means a_e and weighted variances V_e (the terms of the Cox
information, ties handled exactly as in the fit):

    U_gamma = sum_e g_e (x_e - a_e),   I = [[sum V_e, sum g_e V_e], [sum g_e V_e, sum g_e^2 V_e]]

and a term with columns J gets chisq = u' I[K, K]^-1 u, K = (every beta, gamma_J),
u = (0, U_gamma[J]), df = |J|; GLOBAL uses every gamma (df = p). g = transformed time minus
its mean over the events: "km" 1 - S(t-) (Kaplan-Meier of all rows, just before t), "rank"
(average ranks of all times), "identity", "log".

Scaled Schoenfeld residuals (plot.cox.zph's points): per event, beta + d I^-1 (x_e - mean of
the Efron means at t_e), d = number of events; for a term of several columns the residual is
the term's linear predictor, scaled by its own variance, plus 1 (as cox.zph with terms = TRUE).

:func:`zph` returns both; :func:`ph_test` only the table. R calls matched:
``cox.zph(coxph(Surv(time, event) ~ ., ties = "efron"), transform = transform)``
(tests/reference/rms_parity/zph.R).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from hccdash.stats._fitting import STEP_TOL, design_frame
from hccdash.stats.cox import CoxModel, _event_terms, _information, _risk_sets, _RiskSets, _survival_outcome, cox_fit
from hccdash.stats.survival import km_curve

TRANSFORMS = ("km", "rank", "identity", "log")
PH_ALPHA = 0.05  # p below this: proportional hazards rejected (the app's warning)


@dataclass(frozen=True, eq=False)
class ZphResult:
    """:func:`zph`'s result: ``table`` (one row per term and "GLOBAL": chisq, df, p),
    ``residuals`` (one row per event in time order: time, x = transformed time, then the
    scaled Schoenfeld residual of each term) and the ``transform`` used."""

    table: pd.DataFrame
    residuals: pd.DataFrame
    transform: str

    @property
    def failing(self) -> list[str]:
        """Terms (not GLOBAL) whose p < 0.05."""
        terms, p = self.table.index[:-1], self.table["p"].to_numpy()[:-1]  # GLOBAL is the last row
        return [term for term, failing in zip(terms, p < PH_ALPHA) if failing]


def transformed_time(time, event, transform: str = "km") -> np.ndarray:
    """Each row's g(t) before centring, as cox.zph computes ``ttimes``: "km" = 1 - S(t-) with
    S the Kaplan-Meier of every row (censored too) just before t; "rank" = average ranks of
    all times (R ``rank``); "identity"; "log" (times must be > 0)."""
    t = np.asarray(time, dtype=float)
    if transform == "km":
        times, surv = km_curve(t, event)
        return 1.0 - np.concatenate(([1.0], surv))[np.searchsorted(times, t, side="left")]
    if transform == "rank":
        return stats.rankdata(t, method="average")
    if transform == "identity":
        return t
    if transform == "log":
        if (t <= 0).any():
            raise ValueError(f"transform 'log' needs times > 0; row {int(np.argmax(t <= 0))} has {t[t <= 0][0]}")
        return np.log(t)
    raise ValueError(f"transform must be one of {TRANSFORMS}, got {transform!r}")


def _term_columns(columns: pd.Index, terms: Mapping[str, Sequence[str]] | None) -> dict[str, list[int]]:
    """Column positions per term (default: one term per column); every column in one term."""
    if terms is None:
        return {str(c): [j] for j, c in enumerate(columns)}
    position = {c: j for j, c in enumerate(columns)}
    out: dict[str, list[int]] = {}
    seen: list[str] = []
    for name, cols in terms.items():
        unknown = [c for c in cols if c not in position]
        if unknown or not cols:
            raise ValueError(f"term {name!r} names column(s) {unknown or cols} not in X {list(columns)}")
        out[str(name)] = [position[c] for c in cols]
        seen.extend(cols)
    missing = [c for c in columns if c not in seen]
    repeated = sorted({c for c in seen if seen.count(c) > 1})
    if missing or repeated:
        raise ValueError(f"terms must cover each column of X once: missing {missing}, repeated {repeated}")
    return out


def zph(X, time, event, transform: str = "km", ties: str = "efron",
        terms: Mapping[str, Sequence[str]] | None = None, *, fit: CoxModel | None = None) -> ZphResult:
    """Proportional-hazards test and scaled Schoenfeld residuals of the Cox model of X, as
    ``cox.zph(coxph(Surv(time, event) ~ ., ties = ties), transform = transform)``.

    X: DataFrame or array (no missing values), time and event as for
    :func:`~hccdash.stats.cox.cox_fit` (fitted here, with ``ties`` "efron" or "breslow"; tied
    event times enter the test exactly as in the fit). ``terms`` maps a term name to its
    columns (e.g. the columns of a spline) for one chi-square per term with df = number of
    columns; default one term per column. ``fit``: the Cox fit of these rows you already hold
    (cox.zph's own argument in R): its coefficients are used when it is that fit (same columns,
    rows, events and ties, converged, and its coefficients maximise this partial likelihood:
    the Newton step from them is below 1e-8 sd of each column), else the model is fitted here.
    A singular information matrix (every event at one time, too few events) raises ValueError,
    as R's ``solve`` stops.
    """
    if transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {TRANSFORMS}, got {transform!r}")
    X = design_frame(X)
    groups = _term_columns(X.columns, terms)
    t, e = _survival_outcome(X, time, event)
    rs = _risk_sets(t, e, ties)
    values = X.to_numpy()
    x = (values - values.mean(axis=0))[rs.order]
    at = _at_coefficients(rs, x, fit.coef_.to_numpy()) if _may_be_fit_of(fit, X, e, ties) else None
    if at is None or not at.is_optimum(values.std(axis=0)):
        at = _at_coefficients(rs, x, cox_fit(X, t, e, ties=ties).coef_.to_numpy())
    ttimes = transformed_time(t, e, transform)
    table = _test_table(at, ttimes - ttimes[e == 1].mean(), groups)

    # Schoenfeld residuals: x minus the mean of the tied deaths' Efron means at that time
    p = at.beta.size
    mean_a = np.zeros((rs.times.size, p))
    np.add.at(mean_a, rs.death_group, at.a)
    schoen = x[rs.death_rows] - (mean_a / rs.n_deaths[:, None])[rs.death_group]
    deaths = rs.order[rs.death_rows]
    scaled = _scaled(schoen, at.info, at.beta, groups)
    residuals = pd.DataFrame(np.column_stack([t[deaths], ttimes[deaths], scaled]), columns=["time", "x", *groups])
    return ZphResult(table=table, residuals=residuals, transform=transform)


@dataclass(frozen=True)
class _AtCoefficients:
    """The Cox terms at coefficients ``beta`` on the centred, sorted design ``x``: relative risks
    r, Efron denominators phi and means a per death, and the information matrix."""

    rs: _RiskSets
    x: np.ndarray
    beta: np.ndarray
    r: np.ndarray
    phi: np.ndarray
    a: np.ndarray
    info: np.ndarray

    def is_optimum(self, sd: np.ndarray) -> bool:
        """True when the Newton step from ``beta`` is below 1e-8 sd of every column (the score is
        ~0: ``beta`` maximises this partial likelihood, as a converged fit of these rows does)."""
        score = (self.x[self.rs.death_rows] - self.a).sum(axis=0)
        try:
            step = np.linalg.solve(self.info, score)
        except np.linalg.LinAlgError:
            return False
        return bool(np.all(np.abs(step) * sd < 100 * STEP_TOL))


def _at_coefficients(rs: _RiskSets, x: np.ndarray, beta: np.ndarray) -> _AtCoefficients:
    eta = x @ beta
    r = np.exp(eta - eta.max())
    phi, s1 = _event_terms(rs, x, r)
    a = s1 / phi[:, None]
    return _AtCoefficients(rs, x, beta, r, phi, a, _information(rs, x, r, phi, a))


def _may_be_fit_of(fit: CoxModel | None, X: pd.DataFrame, event: np.ndarray, ties: str) -> bool:
    """A converged fit with X's columns, rows, events and ``ties`` (its coefficients still to check)."""
    return (fit is not None and fit.converged_ and fit.ties == ties and fit.n_ == len(X)
            and fit.n_events_ == int(event.sum()) and list(fit.coef_.index) == list(X.columns))


def _test_table(at: _AtCoefficients, g_all: np.ndarray, groups: dict[str, list[int]]) -> pd.DataFrame:
    """The score test of each term's time-varying coefficients and of all of them (GLOBAL)."""
    rs, x, r, phi, a = at.rs, at.x, at.r, at.phi, at.a
    g = g_all[rs.order[rs.death_rows]]
    p = at.beta.size
    info = np.empty((2 * p, 2 * p))
    info[:p, :p] = at.info
    info[:p, p:] = info[p:, :p] = _information(rs, x, r, phi, a, g)
    info[p:, p:] = _information(rs, x, r, phi, a, g * g)
    u = g @ (x[rs.death_rows] - a)

    chisq, df = [], []
    betas, zeros = np.arange(p), np.zeros(p)
    for cols in [*groups.values(), list(range(p))]:
        keep = np.concatenate([betas, p + np.asarray(cols)])
        score = np.concatenate([zeros, u[cols]])
        try:
            chisq.append(float(score @ np.linalg.solve(info[keep][:, keep], score)))
        except np.linalg.LinAlgError:
            raise ValueError("the information matrix of the time-varying terms is singular (e.g. every event at "
                             "one time, or too few events): the proportional-hazards test is undefined") from None
        df.append(len(cols))
    chisq, df = np.asarray(chisq), np.asarray(df)
    return pd.DataFrame({"chisq": chisq, "df": df, "p": special.chdtrc(df, chisq)},  # = stats.chi2.sf(chisq, df)
                        index=pd.Index([*groups, "GLOBAL"], name="term"), copy=False)  # (new arrays: no copy)


def _scaled(schoen: np.ndarray, info: np.ndarray, beta: np.ndarray, groups: dict[str, list[int]]) -> np.ndarray:
    """cox.zph's scaled residuals: per term, a column (beta_j) or the term's linear predictor
    (several columns, plus 1), times its inverse mean variance (events / information)."""
    p = beta.size
    combine = np.zeros((p, len(groups)))
    shift = np.zeros(len(groups))
    for k, cols in enumerate(groups.values()):
        if len(cols) == 1:
            combine[cols[0], k], shift[k] = 1.0, beta[cols[0]]
        else:
            combine[cols, k], shift[k] = beta[cols], 1.0
    vmean = combine.T @ info @ combine / schoen.shape[0]
    return np.linalg.solve(vmean, (schoen @ combine).T).T + shift


def ph_test(X, time, event, transform: str = "km", ties: str = "efron",
            terms: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """Test of proportional hazards, one row per term and "GLOBAL" (columns chisq, df, p), as
    ``survival::cox.zph(coxph(Surv(time, event) ~ ., ties = "efron"), transform = "km")$table``
    (survival 3.x's score test; ties Efron by default, Breslow with ``ties="breslow"``;
    transforms "km", "rank", "identity", "log"). See :func:`zph` for the method and the scaled
    Schoenfeld residuals."""
    return zph(X, time, event, transform=transform, ties=ties, terms=terms).table
