"""Cox proportional hazards regression, as ``survival::coxph`` and ``survfit.coxph``.

Model: h(t | x) = h0(t) exp(x' beta). beta maximises the partial log-likelihood, with tied
event times handled as R does:

* Efron (default): at an event time with d deaths D among the risk set R, the l-th
  (l = 0..d-1) denominator is  phi_l = sum_R exp(eta) - (l/d) sum_D exp(eta);
  loglik = sum_events eta - sum_(times, l) log phi_l.
* Breslow: phi_l = sum_R exp(eta) for every l.

Newton-Raphson from beta = 0 with step halving, on centred and internally sd-scaled
columns (the result is invariant to both), until the largest step is below 1e-10 per sd of
its column: coefficients are exact to ~1e-10, tighter than coxph's default (which stops on a
relative loglik change of 1e-9) and far tighter than lifelines' default. Standard errors are
sqrt(diag(I^-1)) with I the observed information at the optimum, as coxph's ``fit$var``.
When the loglik flattens while a coefficient keeps moving (monotone likelihood, e.g. a
covariate that perfectly separates early from late failures) the fit stops, as coxph
does, with a warning naming the column: its coefficient is infinite, its SE huge.

:func:`cox_fit` is the function; :class:`CoxModel` its result, and
:func:`univariable_cox` the same fit for every column on its own, vectorised over columns;
:func:`cox_baseline` the baseline hazard of given coefficients (survival curves with their CI:
:mod:`hccdash.stats.survfit`, which says why both are hand-written: lifelines' Breslow baseline
is 1e-3 from survfit.coxph with Efron ties). (About 420 lines, one module: the fit, its baseline and the
univariable screen share the sorted risk-set layout and its Efron sums.)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hccdash.columns import require_columns
from hccdash.stats._fitting import (
    MAX_ITER,
    STEP_TOL,
    check_level,
    constant_columns,
    covariance_from_information,
    dependent_columns,
    design_frame,
    is_flat,
    newton,
    outcome_vector,
    standard_errors,
)
from hccdash.stats.survfit import CoxBaseline, survfit_cox
from hccdash.stats.wald import wald_table

TIES = ("efron", "breslow")


@dataclass(frozen=True)
class _RiskSets:
    """Layout of the sorted (time, event) data shared by likelihood and baseline hazard.

    Rows are sorted by time, deaths before censorings at the same time. Index g runs over
    the distinct event times, index e over the deaths (in sorted order).
    """

    order: np.ndarray  # row permutation giving the sorted layout
    times: np.ndarray  # distinct event times, ascending (g)
    start: np.ndarray  # per g: first sorted row still at risk (time >= times[g])
    n_deaths: np.ndarray  # per g: number of deaths d
    death_rows: np.ndarray  # per e: sorted row of the death
    death_group: np.ndarray  # per e: its g
    frac: np.ndarray  # per e: l/d (Efron) or 0 (Breslow)
    n_times_passed: np.ndarray  # per sorted row: number of event times <= its time


def _risk_sets(time: np.ndarray, event: np.ndarray, ties: str) -> _RiskSets:
    order = np.lexsort((-event, time))
    t, dead = time[order], event[order].astype(bool)
    death_rows = np.flatnonzero(dead)
    times, first_death, n_deaths = np.unique(t[death_rows], return_index=True, return_counts=True)
    death_group = np.repeat(np.arange(times.size), n_deaths)
    rank_in_time = np.arange(death_rows.size) - first_death[death_group]
    frac = rank_in_time / n_deaths[death_group] if ties == "efron" else np.zeros(death_rows.size)
    return _RiskSets(
        order=order,
        times=times,
        start=np.searchsorted(t, times, side="left"),
        n_deaths=n_deaths,
        death_rows=death_rows,
        death_group=death_group,
        frac=frac,
        n_times_passed=np.searchsorted(times, t, side="right"),
    )


def _risk_and_tied_sums(rs: _RiskSets, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per event time: sums of ``a`` (rows in sorted order) over the risk set and over the
    tied deaths (the first rows of the risk set). Accumulated from the last time back, so
    small late risk sets stay exact."""
    tail = np.cumsum(a[::-1], axis=0)[::-1]
    tail = np.concatenate([tail, np.zeros((1, *a.shape[1:]))])
    return tail[rs.start], tail[rs.start] - tail[rs.start + rs.n_deaths]


def _at_deaths(rs: _RiskSets, a: np.ndarray) -> np.ndarray:
    """Per death e: the risk-set sum of ``a`` minus f_e times the tied deaths' sum (the
    Efron term of that death; Breslow: f = 0)."""
    at_risk, tied = _risk_and_tied_sums(rs, a)
    g = rs.death_group
    f = rs.frac.reshape(-1, *([1] * (a.ndim - 1)))
    return at_risk[g] - f * tied[g]


def _event_terms(rs: _RiskSets, X: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per death e: the denominator phi_e and numerator S1_R - f_e S1_D (sorted rows)."""
    return _at_deaths(rs, r), _at_deaths(rs, r[:, None] * X)


def _derivatives(rs: _RiskSets, X: np.ndarray, beta: np.ndarray):
    """Partial loglik, score and observed information at beta (X sorted as rs)."""
    eta = X @ beta
    r = np.exp(eta - eta.max())  # the partial likelihood is invariant to a shift of eta
    phi, s1 = _event_terms(rs, X, r)
    a = s1 / phi[:, None]
    loglik = eta[rs.death_rows].sum() - eta.max() * rs.death_rows.size - np.log(phi).sum()
    score = X[rs.death_rows].sum(axis=0) - a.sum(axis=0)
    return loglik, score, _information(rs, X, r, phi, a)


def _information(rs: _RiskSets, X: np.ndarray, r: np.ndarray, phi: np.ndarray, a: np.ndarray,
                 c: np.ndarray | None = None) -> np.ndarray:
    """sum_e c_e ((S2_R - f_e S2_D)/phi_e - a_e a_e'): the observed information (c = 1), or its
    time-weighted blocks (cox.zph's c = g(t_e), g(t_e)^2), written as X' diag(w) X without
    p x p risk-set sums (X, r sorted as rs; phi, a per death from :func:`_event_terms`)."""
    c = np.ones(phi.size) if c is None else c
    per_time = np.bincount(rs.death_group, c / phi, minlength=rs.times.size)
    passed = np.concatenate(([0.0], np.cumsum(per_time)))[rs.n_times_passed]
    weight = r * passed
    weight[rs.death_rows] -= r[rs.death_rows] * np.bincount(
        rs.death_group, c * rs.frac / phi, minlength=rs.times.size
    )[rs.death_group]
    return X.T @ (weight[:, None] * X) - a.T @ (c[:, None] * a)


def _baseline(rs: _RiskSets, Xc: np.ndarray, beta: np.ndarray, time: np.ndarray, center: np.ndarray) -> CoxBaseline:
    """survival:::agsurv (survtype = vartype = 3 for Efron, 2 for Breslow) on the rows of ``Xc``
    (sorted as ``rs``, centred at ``center``); per event time: hazard = sum_l 1/phi_l,
    varhaz = sum_l 1/phi_l^2, xbar = sum_l (S1_R - l/d S1_D)/phi_l^2, then cumulated."""
    r = np.exp(Xc @ beta)
    phi, s1 = _event_terms(rs, Xc, r)
    g, n_g = rs.death_group, rs.times.size
    xbar = np.zeros((n_g, Xc.shape[1]))
    np.add.at(xbar, g, s1 / phi[:, None] ** 2)
    return CoxBaseline(
        time=rs.times,
        cumhaz=np.cumsum(np.bincount(g, 1.0 / phi, minlength=n_g)),
        varhaz=np.cumsum(np.bincount(g, 1.0 / phi**2, minlength=n_g)),
        xbar=np.cumsum(xbar, axis=0),
        center=np.asarray(center, dtype=float),
        max_time=float(time.max()),
        n_risk=(time.size - rs.start).astype(float),
        n_event=rs.n_deaths.astype(float),
    )


def cox_baseline(X, time, event, coef, ties: str = "efron", center=None) -> CoxBaseline:
    """The baseline of the Cox model ``coef`` on its training design ``X`` (n x p), covariates
    at ``center`` (default: the column means), as ``survival:::agsurv`` computes it for
    ``survfit``; :func:`~hccdash.stats.survfit.survfit_cox` turns it into S(t | x) with its CI.
    :func:`cox_fit` computes the same for its own coefficients (centre ``means_``)."""
    _check_ties(ties)
    X = np.atleast_2d(np.asarray(X, dtype=float))
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    center = X.mean(axis=0) if center is None else np.asarray(center, dtype=float)
    rs = _risk_sets(t, e, ties)
    return _baseline(rs, (X - center)[rs.order], np.asarray(coef, dtype=float), t, center)


@dataclass(frozen=True, eq=False)
class CoxModel:
    """A fitted Cox model (made by :func:`cox_fit`).

    Attributes: ``coef_``, ``se_`` (Series by column), ``cov_`` (DataFrame, coxph's
    ``fit$var``), ``hazard_ratio_``, ``loglik_`` and ``loglik_null_`` (coxph's
    ``fit$loglik``), ``n_``, ``n_events_``, ``n_params_``, ``means_`` (the centring point,
    coxph's ``fit$means``: each column's training mean, but 0 for 0/1 columns), ``ties``,
    ``n_iter_``, ``converged_``, ``max_time_``. Methods: :meth:`summary`, :meth:`predict`,
    :meth:`predict_survival`, :meth:`expected`; table :attr:`baseline_survival_`.
    """

    coef_: pd.Series
    se_: pd.Series
    cov_: pd.DataFrame
    loglik_: float
    loglik_null_: float
    n_: int
    n_events_: int
    means_: pd.Series
    ties: str
    n_iter_: int
    converged_: bool
    _baseline: CoxBaseline = field(repr=False)

    @property
    def hazard_ratio_(self) -> pd.Series:
        return np.exp(self.coef_)

    @property
    def n_params_(self) -> int:
        return int(self.coef_.size)

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """One row per column: coef, hr, hr_lower, hr_upper (Wald CI at ``level``), se, z, p
        (two-sided Wald), as ``summary(coxph(...))``."""
        check_level(level)
        return wald_table(self.coef_, self.se_, level, "hr")

    def _design(self, X) -> np.ndarray:
        """X's model columns (by name for a DataFrame, by position for an array)."""
        if isinstance(X, pd.DataFrame):
            X = require_columns(X, self.coef_.index, what="model column", needed_by="the Cox model", table="X_new")
        values = design_frame(X, "X_new").to_numpy()
        if values.shape[1] != self.n_params_:
            raise ValueError(f"X_new has {values.shape[1]} columns, the model {self.n_params_}")
        return values

    def predict(self, X, centered: bool = False) -> np.ndarray:
        """Linear predictor x' beta (``centered=False``, the default: the rad-score
        convention, what :func:`~hccdash.stats.concordance.harrell_c` takes), or
        (x - means_)' beta (``centered=True``: R's ``predict(fit, newdata, type = "lp")``, which
        centres at coxph's ``fit$means``; 0/1 columns are not centred)."""
        x = self._design(X)
        if centered:
            x = x - self.means_.to_numpy()
        return x @ self.coef_.to_numpy()

    @property
    def baseline_survival_(self) -> pd.DataFrame:
        """At each distinct event time: n_risk, n_event, cumulative hazard and survival for a
        subject with every covariate at ``means_`` (training means, 0 for 0/1 columns), as
        ``survfit(fit)`` without newdata (Efron-adjusted hazard for Efron ties)."""
        return self._baseline.table()

    @property
    def max_time_(self) -> float:
        """The largest training follow-up time: :meth:`predict_survival` gives NaN beyond it."""
        return self._baseline.max_time

    def expected(self, X, time) -> np.ndarray:
        """Each row's cumulative hazard at its own follow-up time, Lambda0(time_i)
        exp((x_i - means_)' beta) (the expected number of events), as R
        ``predict(fit, newdata, type = "expected")``: Lambda0 the baseline of ``survfit(fit)``
        (Efron-adjusted for Efron ties), carried forward beyond the last training time as R does."""
        t = np.asarray(time, dtype=float).ravel()
        x = self._design(X) - self.means_.to_numpy()
        if t.size != x.shape[0] or not np.isfinite(t).all():
            raise ValueError(f"time must be {x.shape[0]} finite values, got {t.size}")
        return self._baseline.cumulative_hazard(t, carry_forward=True) * np.exp(x @ self.coef_.to_numpy())

    def predict_survival(self, X_new, times, level: float | None = None):
        """S(t | x) for each row of X_new at each of ``times``: array (n_new x len(times)),
        or with ``level`` the tuple (surv, lower, upper), as
        ``summary(survfit(fit, newdata = X_new, conf.int = level), times = times)``.

        S(t | x) = exp(-Lambda0(t) exp((x - means)' beta)), Lambda0 from the Efron-adjusted
        (Efron ties) or Breslow increments; the curve is a step function of the event times.
        CI: conf.type = "log" with survfit.coxph's variance, which includes the variance V of
        beta (:func:`hccdash.stats.survfit.survfit_cox`). Times beyond the largest training
        time give NaN.
        """
        return survfit_cox(self._baseline, self._design(X_new), self.coef_.to_numpy(), self.cov_.to_numpy(),
                           times, level)


def _survival_outcome(X: pd.DataFrame, time, event) -> tuple[np.ndarray, np.ndarray]:
    t = outcome_vector(time, "time", X)
    e = outcome_vector(event, "event", X, binary=True)
    if e.sum() == 0:
        raise ValueError("event has no events (all 0): a Cox model cannot be fitted")
    return t, e


def _check_ties(ties: str) -> None:
    if ties not in TIES:
        raise ValueError(f"ties must be one of {TIES}, got {ties!r}")


def cox_fit(X, time, event, ties: str = "efron") -> CoxModel:
    """Fit a Cox model, as ``coxph(Surv(time, event) ~ ., data = X, ties = ties)``.

    X: DataFrame (names kept) or array (columns x0, x1, ...), numeric, no missing values;
    time, event: sequences as long as X (a Series must share X's index), event 0/1.
    Raises ValueError for a constant column or linearly dependent columns (coxph would give NA),
    naming them; warns, naming the column(s), when the fit does not converge, typically a
    monotone likelihood (perfect separation: the coefficient is infinite).
    """
    _check_ties(ties)
    X = design_frame(X)
    t, e = _survival_outcome(X, time, event)
    constant = constant_columns(X)
    if constant:
        raise ValueError(f"column(s) {constant} have zero variance: a Cox model cannot use them")
    values = X.to_numpy()
    dependent = dependent_columns(values, list(X.columns))
    if dependent:
        raise ValueError(f"column(s) {dependent} are linear combinations of other columns")
    means = values.mean(axis=0)
    scale = values.std(axis=0)
    rs = _risk_sets(t, e, ties)
    z = ((values - means) / scale)[rs.order]
    fit = newton(lambda beta: _derivatives(rs, z, beta), z.shape[1])
    if not fit.converged:
        suspects = list(X.columns[fit.diverging]) or list(X.columns)
        warnings.warn(
            f"Cox fit did not converge in {fit.n_iter} iterations; coefficient(s) of {suspects} "
            "may be infinite (monotone likelihood, e.g. perfect separation)",
            RuntimeWarning,
            stacklevel=2,
        )
    beta = fit.beta / scale
    cov = covariance_from_information(fit.info) / np.outer(scale, scale)
    names = X.columns
    # coxph's fit$means: 0/1 columns are not centred (their "mean" is 0)
    binary = np.all((values == 0) | (values == 1), axis=0)
    center = np.where(binary, 0.0, means)
    xc_sorted = (values - center)[rs.order]
    return CoxModel(
        coef_=pd.Series(beta, index=names, name="coef"),
        se_=pd.Series(standard_errors(cov), index=names, name="se"),
        cov_=pd.DataFrame(cov, index=names, columns=names),
        loglik_=float(fit.loglik),
        loglik_null_=float(fit.loglik_start),
        n_=int(len(X)),
        n_events_=int(e.sum()),
        means_=pd.Series(center, index=names, name="mean"),
        ties=ties,
        n_iter_=fit.n_iter,
        converged_=fit.converged,
        _baseline=_baseline(rs, xc_sorted, beta, t, center),
    )


_UNIVARIABLE_BLOCK = 2000  # columns fitted at once by univariable_cox


def _univariable_derivatives(rs: _RiskSets, Z: np.ndarray, beta: np.ndarray):
    """Partial loglik, score and information of the one-column models beta_k * Z[:, k]."""
    eta = Z * beta
    top = eta.max(axis=0)
    r = np.exp(eta - top)
    rz = r * Z
    phi, s1, s2 = _at_deaths(rs, r), _at_deaths(rs, rz), _at_deaths(rs, rz * Z)
    a = s1 / phi
    loglik = eta[rs.death_rows].sum(axis=0) - top * rs.death_rows.size - np.log(phi).sum(axis=0)
    score = Z[rs.death_rows].sum(axis=0) - a.sum(axis=0)
    info = (s2 / phi - a * a).sum(axis=0)
    return loglik, score, info


def _univariable_newton(rs: _RiskSets, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column-wise Newton-Raphson with step halving, the iterates of
    :func:`~hccdash.stats._fitting.newton` for each column alone (same stopping rules).
    Returns beta, information and convergence flags."""
    beta = np.zeros(Z.shape[1])
    loglik, score, info = _univariable_derivatives(rs, Z, beta)
    active = np.ones(beta.size, dtype=bool)
    converged = np.zeros(beta.size, dtype=bool)
    previous = np.full(beta.size, np.inf)
    for _ in range(MAX_ITER):
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(active, score / info, 0.0)
        step[~np.isfinite(step)] = 0.0
        for _ in range(60):
            new = _univariable_derivatives(rs, Z, beta + step)
            worse = ~(np.isfinite(new[0]) & (new[0] >= loglik - 1e-12 * np.abs(loglik)))
            if not worse.any():
                break
            step[worse] /= 2
        gain = new[0] - loglik
        beta = beta + step
        loglik, score, info = new
        done = active & (np.abs(step) < STEP_TOL)
        converged |= done
        active &= ~done & ~is_flat(gain, loglik, step, previous)
        previous = step
        if not active.any():
            break
    return beta, info, converged


def univariable_cox(X, time, event, ties: str = "efron", level: float = 0.95) -> pd.DataFrame:
    """One Cox model per column of X, vectorised over columns (the univariable screen).

    Returns a DataFrame indexed by column: coef, hr, hr_lower, hr_upper (Wald CI at
    ``level``), se, z, p (Wald), converged; each row equals :func:`cox_fit` on that column
    alone (``coxph(Surv(time, event) ~ x, ties = ties)``). Constant columns get NaN (and
    converged False); a warning names columns that did not converge (e.g. separation).
    """
    _check_ties(ties)
    check_level(level)
    X = design_frame(X)
    t, e = _survival_outcome(X, time, event)
    values = X.to_numpy()
    means, scale = values.mean(axis=0), values.std(axis=0)
    constant = scale == 0
    scale[constant] = 1.0
    rs = _risk_sets(t, e, ties)
    beta, info, converged = np.empty(values.shape[1]), np.empty(values.shape[1]), np.empty(
        values.shape[1], dtype=bool
    )
    for start in range(0, values.shape[1], _UNIVARIABLE_BLOCK):
        cols = slice(start, start + _UNIVARIABLE_BLOCK)
        Z = ((values[:, cols] - means[cols]) / scale[cols])[rs.order]
        beta[cols], info[cols], converged[cols] = _univariable_newton(rs, Z)
    converged &= ~constant
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(constant, np.nan, 1.0 / np.sqrt(info) / scale)
    coef = np.where(constant, np.nan, beta / scale)
    failed = list(X.columns[~converged & ~constant])
    if failed:
        warnings.warn(
            f"univariable Cox did not converge for {len(failed)} column(s), e.g. {failed[:10]}; "
            "their coefficients may be infinite (monotone likelihood)",
            RuntimeWarning,
            stacklevel=2,
        )
    table = wald_table(pd.Series(coef, index=X.columns), pd.Series(se, index=X.columns), level, "hr")
    table["converged"] = converged
    return table
