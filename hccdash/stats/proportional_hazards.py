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
from scipy import stats

from hccdash.stats._fitting import design_frame
from hccdash.stats.cox import _event_terms, _information, _risk_sets, _survival_outcome, cox_fit
from hccdash.stats.survival import kaplan_meier

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
        rows = self.table.drop(index="GLOBAL")
        return list(rows.index[rows["p"] < PH_ALPHA])


def transformed_time(time, event, transform: str = "km") -> np.ndarray:
    """Each row's g(t) before centring, as cox.zph computes ``ttimes``: "km" = 1 - S(t-) with
    S the Kaplan-Meier of every row (censored too) just before t; "rank" = average ranks of
    all times (R ``rank``); "identity"; "log" (times must be > 0)."""
    t = np.asarray(time, dtype=float)
    if transform == "km":
        km = kaplan_meier(t, event)
        before = np.searchsorted(km["time"].to_numpy(), t, side="left")
        return 1.0 - np.concatenate(([1.0], km["surv"].to_numpy()))[before]
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
        terms: Mapping[str, Sequence[str]] | None = None) -> ZphResult:
    """Proportional-hazards test and scaled Schoenfeld residuals of the Cox model of X, as
    ``cox.zph(coxph(Surv(time, event) ~ ., ties = ties), transform = transform)``.

    X: DataFrame or array (no missing values), time and event as for
    :func:`~hccdash.stats.cox.cox_fit` (fitted here, with ``ties`` "efron" or "breslow"; tied
    event times enter the test exactly as in the fit). ``terms`` maps a term name to its
    columns (e.g. the columns of a spline) for one chi-square per term with df = number of
    columns; default one term per column. A singular information matrix (every event at one
    time, too few events) raises ValueError, as R's ``solve`` stops.
    """
    if transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {TRANSFORMS}, got {transform!r}")
    X = design_frame(X)
    groups = _term_columns(X.columns, terms)
    t, e = _survival_outcome(X, time, event)
    model = cox_fit(X, t, e, ties=ties)
    ttimes = transformed_time(t, e, transform)
    g_all = ttimes - ttimes[e == 1].mean()

    rs = _risk_sets(t, e, ties)
    x = (X.to_numpy() - X.to_numpy().mean(axis=0))[rs.order]
    beta = model.coef_.to_numpy()
    eta = x @ beta
    r = np.exp(eta - eta.max())
    phi, s1 = _event_terms(rs, x, r)
    a = s1 / phi[:, None]
    g = g_all[rs.order[rs.death_rows]]
    p = beta.size
    info = np.empty((2 * p, 2 * p))
    info[:p, :p] = _information(rs, x, r, phi, a)
    info[:p, p:] = info[p:, :p] = _information(rs, x, r, phi, a, g)
    info[p:, p:] = _information(rs, x, r, phi, a, g * g)
    u = g @ (x[rs.death_rows] - a)

    chisq, df = [], []
    for cols in [*groups.values(), list(range(p))]:
        keep = np.r_[np.arange(p), p + np.asarray(cols)]
        score = np.r_[np.zeros(p), u[cols]]
        try:
            chisq.append(float(score @ np.linalg.solve(info[np.ix_(keep, keep)], score)))
        except np.linalg.LinAlgError:
            raise ValueError("the information matrix of the time-varying terms is singular (e.g. every event at "
                             "one time, or too few events): the proportional-hazards test is undefined") from None
        df.append(len(cols))
    table = pd.DataFrame({"chisq": chisq, "df": df}, index=pd.Index([*groups, "GLOBAL"], name="term"))
    table["p"] = stats.chi2.sf(table["chisq"], table["df"])

    # Schoenfeld residuals: x minus the mean of the tied deaths' Efron means at that time
    mean_a = np.zeros((rs.times.size, p))
    np.add.at(mean_a, rs.death_group, a)
    schoen = x[rs.death_rows] - (mean_a / rs.n_deaths[:, None])[rs.death_group]
    deaths = rs.order[rs.death_rows]
    residuals = pd.DataFrame({"time": t[deaths], "x": ttimes[deaths]})
    residuals = pd.concat([residuals, _scaled(schoen, info[:p, :p], beta, groups)], axis=1)
    return ZphResult(table=table, residuals=residuals, transform=transform)


def _scaled(schoen: np.ndarray, info: np.ndarray, beta: np.ndarray, groups: dict[str, list[int]]) -> pd.DataFrame:
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
    scaled = np.linalg.solve(vmean, (schoen @ combine).T).T + shift
    return pd.DataFrame(scaled, columns=list(groups))


def ph_test(X, time, event, transform: str = "km", ties: str = "efron",
            terms: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """Test of proportional hazards, one row per term and "GLOBAL" (columns chisq, df, p), as
    ``survival::cox.zph(coxph(Surv(time, event) ~ ., ties = "efron"), transform = "km")$table``
    (survival 3.x's score test; ties Efron by default, Breslow with ``ties="breslow"``;
    transforms "km", "rank", "identity", "log"). See :func:`zph` for the method and the scaled
    Schoenfeld residuals."""
    return zph(X, time, event, transform=transform, ties=ties, terms=terms).table
