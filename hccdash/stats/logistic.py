"""Logistic regression by maximum likelihood, as ``glm(y ~ ., family = binomial)``.

Model: logit P(y = 1 | x) = intercept + x' beta. Fitted by Newton-Raphson (= IRLS for the
canonical logit link) from zero with step halving, on centred and internally sd-scaled
columns (the fit is invariant to both), until the largest step is below 1e-10 per sd of its
column: tighter than glm's default (relative deviance change 1e-8). Standard errors are
sqrt(diag((X' W X)^-1)) at the optimum, as ``vcov(glm(...))``; CIs are Wald
(``confint.default``), p-values two-sided Wald z tests (``summary(glm(...))``).

:func:`logistic_fit` is the function; :class:`LogisticModel` its result.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from hccdash.columns import require_columns
from hccdash.stats._fitting import (
    check_level,
    constant_columns,
    covariance_from_information,
    dependent_columns,
    design_frame,
    newton,
    outcome_vector,
    standard_errors,
)
from hccdash.stats.wald import wald_table

INTERCEPT = "intercept"
_EXTREME_PROB = 10 * np.finfo(float).eps  # glm.fit's threshold for its 'numerically 0 or 1' warning


def _derivatives(Z: np.ndarray, y: np.ndarray, beta: np.ndarray):
    """Log-likelihood, score and information at beta (Z has a leading column of ones)."""
    eta = Z @ beta
    p = expit(eta)
    info = Z.T @ ((p * (1 - p))[:, None] * Z)
    return float(np.sum(y * eta - np.logaddexp(0.0, eta))), Z.T @ (y - p), info


@dataclass(frozen=True, eq=False)
class LogisticModel:
    """A fitted logistic model (made by :func:`logistic_fit`).

    Attributes: ``intercept_`` (float), ``coef_`` (Series by column, no intercept), ``se_``
    and ``cov_`` (indexed ``"intercept"`` then the columns, as ``vcov(glm)``), ``loglik_``,
    ``loglik_null_`` (intercept-only model), ``n_``, ``n_events_`` (number of y = 1),
    ``n_iter_``, ``converged_``.
    """

    intercept_: float
    coef_: pd.Series
    se_: pd.Series
    cov_: pd.DataFrame
    loglik_: float
    loglik_null_: float
    n_: int
    n_events_: int
    n_iter_: int
    converged_: bool

    @property
    def odds_ratio_(self) -> pd.Series:
        return np.exp(self.coef_)

    @property
    def n_params_(self) -> int:
        """Number of coefficients besides the intercept."""
        return int(self.coef_.size)

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Rows ``"intercept"`` and each column: coef, or, or_lower, or_upper (Wald CI at
        ``level``), se, z, p, as ``summary(glm)`` with ``exp(confint.default(fit))``."""
        check_level(level)
        coef = pd.concat([pd.Series({INTERCEPT: self.intercept_}), self.coef_])
        return wald_table(coef, self.se_, level, "or")

    def predict(self, X) -> np.ndarray:
        """Linear predictor intercept + x' beta (glm's ``predict(fit, newdata)``, link scale);
        a DataFrame is matched to the model columns by name, an array by position."""
        if isinstance(X, pd.DataFrame):
            X = require_columns(X, self.coef_.index, what="model column", needed_by="the logistic model", table="X")
        values = design_frame(X).to_numpy()
        if values.shape[1] != self.n_params_:
            raise ValueError(f"X has {values.shape[1]} columns, the model {self.n_params_}")
        return self.intercept_ + values @ self.coef_.to_numpy()

    def predict_proba(self, X) -> np.ndarray:
        """P(y = 1 | x) for each row (1-d array), glm's ``predict(fit, newdata, type = "response")``."""
        return expit(self.predict(X))


def logistic_fit(X, y) -> LogisticModel:
    """Fit ``glm(y ~ ., data = X, family = binomial)``.

    X: DataFrame (names kept) or array (columns x0, x1, ...), numeric, no missing values;
    y: 0/1 as long as X (a Series must share X's index), both classes present.
    Raises ValueError for a constant column or linearly dependent columns (glm gives NA),
    naming them. Warns, naming the column(s), when the fit does not converge (complete or
    quasi-complete separation: the estimates are infinite), and, as glm does, when fitted
    probabilities are numerically 0 or 1.
    """
    X = design_frame(X)
    if INTERCEPT in X.columns:
        raise ValueError(f"X has a column named {INTERCEPT!r}: the intercept is added by the fit")
    yv = outcome_vector(y, "y", X, binary=True)
    if yv.min() == yv.max():
        raise ValueError(f"y has a single class ({yv[0]:g}): a logistic model cannot be fitted")
    constant = constant_columns(X)
    if constant:
        raise ValueError(f"column(s) {constant} have zero variance: a logistic model cannot use them")
    values = X.to_numpy()
    dependent = dependent_columns(values, list(X.columns))
    if dependent:
        raise ValueError(f"column(s) {dependent} are linear combinations of other columns")
    means, scale = values.mean(axis=0), values.std(axis=0)
    Z = np.column_stack([np.ones(len(X)), (values - means) / scale])
    fit = newton(lambda beta: _derivatives(Z, yv, beta), Z.shape[1])
    if not fit.converged:
        suspects = list(X.columns[fit.diverging[1:]]) or list(X.columns)
        warnings.warn(
            f"logistic fit did not converge in {fit.n_iter} iterations; coefficient(s) of {suspects} "
            "may be infinite (complete or quasi-complete separation)",
            RuntimeWarning,
            stacklevel=2,
        )
    elif np.any(np.abs(Z @ fit.beta) > -np.log(_EXTREME_PROB)):
        warnings.warn("fitted probabilities numerically 0 or 1 occurred", RuntimeWarning, stacklevel=2)
    # back to the original scale: x_s = (x - m) / s, so beta = beta_s / s and
    # intercept = beta_s0 - sum(beta_s * m / s); the same linear map J carries the covariance
    J = np.diag(np.concatenate(([1.0], 1.0 / scale)))
    J[0, 1:] = -means / scale
    beta = J @ fit.beta
    cov = J @ covariance_from_information(fit.info) @ J.T
    names = [INTERCEPT, *X.columns]
    p_bar = yv.mean()
    return LogisticModel(
        intercept_=float(beta[0]),
        coef_=pd.Series(beta[1:], index=X.columns, name="coef"),
        se_=pd.Series(standard_errors(cov), index=names, name="se"),
        cov_=pd.DataFrame(cov, index=names, columns=names),
        loglik_=float(fit.loglik),
        loglik_null_=float(len(yv) * (p_bar * np.log(p_bar) + (1 - p_bar) * np.log(1 - p_bar))),
        n_=int(len(X)),
        n_events_=int(yv.sum()),
        n_iter_=fit.n_iter,
        converged_=fit.converged,
    )
