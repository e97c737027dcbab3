"""LASSO solver: proximal Newton with coordinate descent, working sets and strong rules.

Minimises ``loss(X b) + lam * sum_j pf_j |b_j|`` where ``loss`` is a family of
``lasso_families`` (minus the log-likelihood over n) and ``pf_j`` is 0 for unpenalised
columns (the intercept) and 1 otherwise.

At one lambda (:func:`solve`):

1. Working set W: the features that are non-zero, unpenalised, or pass the sequential
   strong rule ``|gradient_j| > 2 lam - lam_previous`` (Tibshirani et al. 2012).
2. Proximal Newton on W: the exact Hessian of the loss on W gives a quadratic model;
   the LASSO of that model is solved by coordinate descent (covariance updates, as
   glmnet's ``type.gaussian="covariance"``) and then polished exactly by solving the
   linear system of its support and signs; a backtracking line search on the true
   objective keeps every step a descent step. Stops when ``max_j H_jj * step_j^2 < tol``
   (glmnet's criterion with its ``thresh``); the last steps are Newton steps, so the
   error left is of the order of the square of the last step.
3. KKT check on every feature: any inactive feature whose gradient exceeds its
   penalty joins W, and step 2 runs again.

Along a path (:func:`fit_path`) each lambda starts from the previous solution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_TOL = 1e-14  # on H_jj * change_j^2 (loss per row): about 1e-7 on z-scored coefficients
_KKT_SLACK = 1e-9  # relative slack of the KKT checks (rounding of the gradients)
_MAX_NEWTON = 200
_MAX_PASSES = 100_000
_MIN_RATIO = 1e-6  # glmnet.control()$eps: the smallest lambda.min.ratio


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


def solve(
    problem: Problem,
    lam: float,
    beta: np.ndarray,
    working: np.ndarray,
) -> np.ndarray:
    """Minimiser at ``lam``, starting from ``beta`` with working set ``working``."""
    X, pf = problem.X, problem.penalty
    beta = beta.copy()
    eta = X @ beta
    working = np.union1d(working, np.flatnonzero(beta))
    while True:
        eta = _newton_on_set(problem, lam, beta, eta, working)
        grad = problem.gradient(eta)
        outside = np.ones(beta.size, dtype=bool)
        outside[working] = False
        violators = np.flatnonzero(outside & (np.abs(grad) > lam * pf * (1 + _KKT_SLACK)))
        if violators.size == 0:
            return beta
        working = np.union1d(working, violators)


def _newton_on_set(problem: Problem, lam: float, beta: np.ndarray, eta: np.ndarray, W: np.ndarray):
    """Proximal Newton on the coefficients in W (updates ``beta`` in place; returns eta)."""
    family = problem.family
    XW = problem.X[:, W]
    lw = lam * problem.penalty[W]
    for _ in range(_MAX_NEWTON):
        g = XW.T @ family.gradient(eta)
        H = family.hessian(eta, XW)
        bW = beta[W]
        step = quadratic_lasso(H, g, bW, lw, problem.tol * 1e-2) - bW
        hdiag = np.diag(H)
        change = float(np.max(hdiag * step**2)) if step.size else 0.0
        if change == 0.0:
            break
        pen0 = float(lw @ np.abs(bW))
        f0 = family.loss(eta) + pen0
        decrease = float(g @ step) + float(lw @ np.abs(bW + step)) - pen0
        deta = XW @ step
        t = 1.0
        while True:
            trial = bW + t * step
            ft = family.loss(eta + t * deta) + float(lw @ np.abs(trial))
            if ft <= f0 + 1e-4 * t * decrease + 1e-15 * abs(f0) or t < 1e-12:
                break
            t *= 0.5
        beta[W] = trial
        eta = eta + t * deta
        if t * t * change < problem.tol:
            break
    return eta


def quadratic_lasso(H: np.ndarray, g: np.ndarray, b0: np.ndarray, l: np.ndarray, tol: float) -> np.ndarray:
    """argmin_b g'(b - b0) + (b - b0)' H (b - b0) / 2 + sum_j l_j |b_j|.

    First tries the support and signs of ``b0`` (plus the features whose gradient
    exceeds their penalty), solved exactly; otherwise coordinate descent until its
    support is stable, then the same exact polish.
    """
    guess = (b0 != 0) | (l == 0) | (np.abs(g) > l)
    signs = np.where(b0 != 0, np.sign(b0), -np.sign(g))
    exact = _solve_signs(H, g, b0, l, guess, signs)
    if exact is not None:
        return exact
    b = b0.copy()
    cd_tol = max(tol, 1e-8 * float(np.max(np.diag(H)) if H.size else 0.0))
    while True:
        b = _coordinate_descent(H, g, b0, l, b, cd_tol)
        exact = _solve_signs(H, g, b0, l, b != 0, np.sign(b))
        if exact is not None:
            return exact
        if cd_tol <= tol:
            return b
        cd_tol = max(tol, cd_tol * 1e-3)


def _solve_signs(H, g, b0, l, support, signs) -> np.ndarray | None:
    """Solution with the given support and signs if it satisfies every KKT condition."""
    support = support | (l == 0)
    idx = np.flatnonzero(support)
    if idx.size == 0:
        return None
    s = np.where(l[idx] > 0, signs[idx], 0.0)
    if np.any(s[l[idx] > 0] == 0):
        return None
    H_ss = H[np.ix_(idx, idx)]
    rhs = H[idx] @ b0 - g[idx] - l[idx] * s
    try:
        b_s = np.linalg.solve(H_ss, rhs)
    except np.linalg.LinAlgError:
        return None
    penalised = l[idx] > 0
    if np.any(np.sign(b_s[penalised]) != s[penalised]):
        return None
    b = np.zeros_like(b0)
    b[idx] = b_s
    grad = g + H @ (b - b0)
    out = ~support
    if np.any(np.abs(grad[out]) > l[out] * (1 + _KKT_SLACK) + 1e-15):
        return None
    if np.any(np.abs(grad[idx] + l[idx] * s) > 1e-9 * (1.0 + np.abs(l[idx]))):
        return None  # H_ss numerically singular
    return b


def _coordinate_descent(H, g, b0, l, b, tol) -> np.ndarray:
    """Cyclic coordinate descent on the quadratic LASSO (covariance updates)."""
    b = b.copy()
    q = g + H @ (b - b0)  # gradient of the smooth part at b
    hd = np.diag(H).tolist()
    lv = l.tolist()
    everything = range(b.size)
    indices = everything
    full = True
    for _ in range(_MAX_PASSES):
        largest = 0.0
        for j in indices:
            hj = hd[j]
            if hj <= 0.0:
                continue
            bj = b[j]
            z = bj * hj - q[j]
            lj = lv[j]
            new = (z - lj) / hj if z > lj else (z + lj) / hj if z < -lj else 0.0
            if new != bj:
                delta = new - bj
                b[j] = new
                q += delta * H[j]
                change = hj * delta * delta
                if change > largest:
                    largest = change
        if largest < tol:
            if full:
                break
            indices, full = everything, True
        else:
            indices, full = np.flatnonzero((b != 0) | (l == 0)).tolist(), False
    return b


def fit_path(problem: Problem, lambdas: np.ndarray, stop_early: str | None = None) -> PathFit:
    """Solutions along decreasing ``lambdas``, each warm-started from the one before.

    ``stop_early`` ("cox" or "binomial") applies glmnet's rules for its own default
    grid: after 5 lambdas stop when the deviance ratio exceeds 0.99 (Cox) / 0.999, or
    grows by less than 0.1% over the last 4 lambdas relative to its value (Cox) / by
    less than 1e-5 since the previous lambda (binomial).
    """
    X, pf = problem.X, problem.penalty
    family = problem.family
    beta = null_start(problem)
    null_dev = float(family.deviance(X @ beta))
    grad = problem.gradient(X @ beta)
    lam_prev = lambda_max(problem, beta)
    coefs = np.zeros((beta.size, lambdas.size))
    deviance = np.zeros(lambdas.size)
    fitted = lambdas.size
    for k, lam in enumerate(lambdas):
        strong = np.abs(grad) > pf * (2 * lam - lam_prev)
        working = np.flatnonzero(strong | (beta != 0) | (pf == 0))
        beta = solve(problem, lam, beta, working)
        eta = X @ beta
        grad = problem.gradient(eta)
        coefs[:, k] = beta
        deviance[k] = family.deviance(eta)
        lam_prev = lam
        if stop_early and _glmnet_stops(1.0 - deviance[: k + 1] / null_dev, stop_early):
            fitted = k + 1
            break
    return PathFit(lambdas[:fitted], coefs[:, :fitted], deviance[:fitted], null_dev)


def _glmnet_stops(dev_ratio: np.ndarray, family: str) -> bool:
    m = dev_ratio.size
    if m < 5:
        return False
    if family == "cox":
        return bool(
            (dev_ratio[-1] - dev_ratio[-5]) / dev_ratio[-1] < 1e-3 or dev_ratio[-1] > 0.99
        )
    return bool(dev_ratio[-1] - dev_ratio[-2] < 1e-5 or dev_ratio[-1] > 0.999)
