"""LASSO solver: proximal Newton on KKT working sets, warm-started along the path.

Minimises ``loss(X b) + lam * sum_j pf_j |b_j|`` where ``loss`` is a family of
``lasso_families`` (minus the log-likelihood over n) and ``pf_j`` is 0 for unpenalised
columns (the intercept) and 1 otherwise.

At one lambda (:func:`solve`):

1. Working set W: the features that are non-zero or unpenalised at the warm start, plus
   those violating their KKT condition there (``|gradient_j| > lam``: the candidates of
   the sequential strong rule that do need to move), the worst 40 at most.
2. Proximal Newton on W: the Hessian of the loss on W (exact for the Cox partial
   likelihood, risk-set sums by cumulative sums in time order) gives a quadratic model
   whose LASSO is solved exactly (``lasso_qp``: feature-sign search, coordinate descent
   as fallback); a backtracking line search on the true objective keeps every step a
   descent step. The Hessian is reused while each step cuts the KKT residual 3-fold, or
   100-fold on working sets of at most 40 features, where a Hessian costs less than the
   Newton steps that a fresh one saves (it converges quadratically).
   Stops when the largest violation of the optimality conditions on W
   (:func:`kkt_residual`) is below ``tol``: the coefficient error left is about that
   residual over the smallest curvature of the loss.
3. KKT check on every feature: violators join W, and step 2 runs again.

Along a path (:func:`fit_path`) each lambda starts from the previous solutions
extrapolated to it (:func:`_predicted_start`), or from the previous solution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import ThreadpoolController

from hccdash.stats.lasso_qp import KKT_SLACK, Curvature, quadratic_lasso

DEFAULT_TOL = 1e-10  # KKT residual of -loglik/n: about 1e-7 on z-scored coefficients
_MAX_NEWTON = 200
_REUSE_HESSIAN = 0.3  # keep the Hessian while each step cuts the KKT residual 3-fold,
_REUSE_HESSIAN_SMALL = 0.01  # 100-fold on working sets of at most _SMALL_SET features,
_SMALL_SET = 40  # where a Hessian costs less than the Newton steps a fresh one saves
_MAX_NEW = 40  # features added to the working set per KKT round
_MIN_RATIO = 1e-6  # glmnet.control()$eps: the smallest lambda.min.ratio
_BLAS: ThreadpoolController | None = None


@dataclass(frozen=True)
class Problem:
    """Design (n x m, intercept column first for binomial), family and penalty factors."""

    X: np.ndarray
    family: object
    penalty: np.ndarray
    tol: float = DEFAULT_TOL

    def subset(self, rows: np.ndarray) -> "Problem":
        return Problem(self.X[rows], self.family.subset(rows), self.penalty, self.tol)

    def gradient(self, eta: np.ndarray) -> np.ndarray:
        """Gradient of the loss with respect to every coefficient."""
        return self.X.T @ self.family.gradient(eta)


@dataclass(frozen=True)
class PathFit:
    """Coefficients (m x L), deviances and the lambdas actually fitted."""

    lambdas: np.ndarray
    coefs: np.ndarray
    deviance: np.ndarray
    null_deviance: float


def null_start(problem: Problem) -> np.ndarray:
    """The solution at lambda_max: unpenalised columns fitted, the others zero."""
    beta = np.zeros(problem.X.shape[1])
    free = np.flatnonzero(problem.penalty == 0)
    if free.size:
        _newton_on_set(problem, 0.0, beta, problem.X @ beta, free)
    return beta


def lambda_max(problem: Problem, beta_null: np.ndarray) -> float:
    """Smallest lambda whose solution has every penalised coefficient zero."""
    grad = np.abs(problem.gradient(problem.X @ beta_null))
    pen = problem.penalty > 0
    return float(np.max(grad[pen] / problem.penalty[pen]))


def default_grid(problem: Problem, n_lambda: int, lambda_min_ratio: float | None) -> np.ndarray:
    """glmnet's grid: ``n_lambda`` log-spaced lambdas from lambda_max down to
    ``lambda_min_ratio * lambda_max`` (default 0.01 when n < p, else 1e-4; at least 1e-6)."""
    n, p = problem.X.shape[0], int(np.sum(problem.penalty > 0))
    ratio = lambda_min_ratio if lambda_min_ratio is not None else (0.01 if n < p else 1e-4)
    if not 0 < ratio < 1:
        raise ValueError(f"lambda_min_ratio must be in (0, 1), got {ratio}")
    if n_lambda < 1:
        raise ValueError(f"n_lambda must be at least 1, got {n_lambda}")
    top = lambda_max(problem, null_start(problem))
    if not top > 0:
        raise ValueError("every feature's gradient is zero at the null model (no event, or constant features)")
    step = 1.0 / max(n_lambda - 1, 1)
    if problem.family.name == "cox":  # glmnet's Fortran coxnet computes 1/(nlam-1) in single precision
        step = float(np.float32(1.0) / np.float32(max(n_lambda - 1, 1)))
    return top * max(ratio, _MIN_RATIO) ** (np.arange(n_lambda) * step)


def interpolate(lambdas: np.ndarray, coefs: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Coefficients at ``at`` by linear interpolation in lambda between the path's columns,
    clamped to its ends (glmnet's ``predict(fit, s = at)``)."""
    increasing = lambdas[::-1]
    s = np.clip(at, increasing[0], increasing[-1])
    right = np.clip(np.searchsorted(increasing, s), 1, max(increasing.size - 1, 1))
    if increasing.size == 1:
        return np.repeat(coefs, s.size, axis=1)
    left = right - 1
    frac = (s - increasing[left]) / (increasing[right] - increasing[left])
    flipped = coefs[:, ::-1]
    return flipped[:, left] * (1 - frac) + flipped[:, right] * frac


def solve(problem: Problem, lam: float, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimiser at ``lam`` warm-started from ``beta``, and its linear predictor.

    Working set: the non-zero and unpenalised coefficients of ``beta`` plus the features
    violating their KKT condition (``|gradient_j| > lam``; at most the 40 worst per
    round), solved; repeated until no feature outside the working set violates it.
    """
    X, pf, family = problem.X, problem.penalty, problem.family
    beta = beta.copy()
    eta = X @ beta
    working = np.flatnonzero((beta != 0) | (pf == 0))
    known = _derivatives(family, eta)
    bound = lam * pf * (1 + KKT_SLACK)
    solved = False
    while True:
        excess = np.abs(X.T @ known[1]) - bound
        excess[working] = 0.0
        violators = np.flatnonzero(excess > 0)
        if solved and violators.size == 0:
            return beta, eta
        if violators.size > _MAX_NEW:  # the worst ones first: keeps the Hessian small
            violators = violators[np.argsort(-excess[violators])[:_MAX_NEW]]
        working = np.union1d(working, violators)
        eta, known = _newton_on_set(problem, lam, beta, eta, working, known)
        solved = True


def _derivatives(family, eta: np.ndarray) -> tuple:
    """The family's ``parts`` at eta and d loss / d eta there."""
    parts = family.parts(eta)
    return parts, family.gradient(eta, parts)


def _newton_on_set(problem: Problem, lam: float, beta: np.ndarray, eta: np.ndarray, W: np.ndarray,
                   known: tuple | None = None) -> tuple[np.ndarray, tuple]:
    """Proximal Newton on the coefficients in W (updates ``beta`` in place). Returns eta and
    :func:`_derivatives` there (``known``, if given, are those at the given eta)."""
    family = problem.family
    XW = problem.X[:, W]
    lw = lam * problem.penalty[W]
    curvature, last = None, np.inf
    reuse = _REUSE_HESSIAN_SMALL if W.size <= _SMALL_SET else _REUSE_HESSIAN
    loss = None  # the loss at eta, known after the first line search
    for _ in range(_MAX_NEWTON):
        if known is None:
            known = _derivatives(family, eta)
        g = XW.T @ known[1]
        bW = beta[W]
        residual = kkt_residual(g, bW, lw)
        if residual <= problem.tol:
            break
        if curvature is None or residual > reuse * last:
            curvature = Curvature(family.hessian(eta, XW, known[0]))
        last = residual
        step = quadratic_lasso(curvature, g, bW, lw) - bW
        if not np.any(step):
            break
        pen0 = float(lw @ np.abs(bW))
        f0 = (family.loss(eta) if loss is None else loss) + pen0
        decrease = float(g @ step) + float(lw @ np.abs(bW + step)) - pen0
        deta = XW @ step
        t = 1.0
        while True:
            trial = bW + t * step
            loss = family.loss(eta + t * deta)
            ft = loss + float(lw @ np.abs(trial))
            if ft <= f0 + 1e-4 * t * decrease + 1e-15 * abs(f0) or t < 1e-12:
                break
            t *= 0.5
        beta[W] = trial
        eta = eta + t * deta
        known = None
    return eta, _derivatives(family, eta) if known is None else known


def fit_on_rows(
    problem: Problem, rows: np.ndarray | None, lambdas: np.ndarray | None, grid: tuple[int, float | None]
) -> PathFit:
    """The path on ``rows`` (None: all): on ``lambdas`` if given, else on the default
    ``grid = (n_lambda, lambda_min_ratio)`` with glmnet's early stopping."""
    sub = problem if rows is None else problem.subset(rows)
    with _blas_controller().limit(limits=1, user_api="blas"):  # small matrices: BLAS threads only contend
        if lambdas is not None:
            return fit_path(sub, lambdas)
        return fit_path(sub, default_grid(sub, *grid), stop_early=sub.family.name)


def _blas_controller() -> ThreadpoolController:
    """The BLAS libraries loaded (numpy's and scipy's, looked up once: a new look-up per fit
    cost about a millisecond, more than a small fit's Newton steps)."""
    global _BLAS
    if _BLAS is None:
        _BLAS = ThreadpoolController()
    return _BLAS


def kkt_residual(grad: np.ndarray, beta: np.ndarray, penalty: np.ndarray) -> float:
    """Largest violation of the optimality conditions: ``|grad_j + pen_j sign(b_j)|`` for
    non-zero b_j (``|grad_j|`` if unpenalised), ``|grad_j| - pen_j`` for zero ones."""
    on = (beta != 0) | (penalty == 0)
    violation = np.where(on, np.abs(grad + penalty * np.sign(beta)), np.abs(grad) - penalty)
    return float(violation.max(initial=0.0))


def fit_path(problem: Problem, lambdas: np.ndarray, stop_early: str | None = None) -> PathFit:
    """Solutions along decreasing ``lambdas``, each warm-started from the one before.

    ``stop_early`` ("cox" or "binomial") applies glmnet's rules for its own default
    grid: after 5 lambdas stop when the deviance ratio exceeds 0.99 (Cox) / 0.999, or
    grows by less than 0.1% over the last 4 lambdas relative to its value (Cox) / by
    less than 1e-5 since the previous lambda (binomial).
    """
    family = problem.family
    beta = null_start(problem)
    null_dev = float(family.deviance(problem.X @ beta))
    coefs = np.zeros((beta.size, lambdas.size))
    deviance = np.zeros(lambdas.size)
    fitted = lambdas.size
    for k, lam in enumerate(lambdas):
        beta, eta = solve(problem, lam, _predicted_start(lambdas[max(k - 3, 0):k], coefs[:, max(k - 3, 0):k], lam, beta))
        coefs[:, k] = beta
        deviance[k] = family.deviance(eta)
        if stop_early and _glmnet_stops(1.0 - deviance[: k + 1] / null_dev, stop_early):
            fitted = k + 1
            break
    return PathFit(lambdas[:fitted], coefs[:, :fitted], deviance[:fitted], null_dev)


def _predicted_start(lams: np.ndarray, betas: np.ndarray, lam: float, last: np.ndarray) -> np.ndarray:
    """Warm start at ``lam``: the trailing previous solutions (columns of ``betas`` at ``lams``,
    up to 3, the last one ``last``) that share the last one's support and signs, extrapolated
    by the polynomial through them if there are 2 or more and it keeps those signs; else
    ``last``. Only the number of Newton steps depends on it, not the solution."""
    signs = np.sign(betas)
    same = (signs == signs[:, -1:]).all(axis=0)
    size = int(np.argmin(same[::-1])) if not same.all() else lams.size  # trailing columns like the last
    if size < 2:
        return last
    nodes = lams[-size:]
    weights = np.ones(size)  # Lagrange basis polynomials of the nodes, at lam
    for i in range(size):
        for j in range(size):
            if i != j:
                weights[i] *= (lam - nodes[j]) / (nodes[i] - nodes[j])
    start = betas[:, -size:] @ weights
    return start if np.array_equal(np.sign(start), signs[:, -1]) else last


def _glmnet_stops(dev_ratio: np.ndarray, family: str) -> bool:
    m = dev_ratio.size
    if m < 5:
        return False
    if family == "cox":
        return bool(
            (dev_ratio[-1] - dev_ratio[-5]) / dev_ratio[-1] < 1e-3 or dev_ratio[-1] > 0.99
        )
    return bool(dev_ratio[-1] - dev_ratio[-2] < 1e-5 or dev_ratio[-1] > 0.999)
