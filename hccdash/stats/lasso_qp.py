"""The quadratic LASSO inside each proximal Newton step, solved exactly.

    argmin_b  g'(b - b0) + (b - b0)' H (b - b0) / 2 + sum_j l_j |b_j|     (l_j = 0: free)

Feature-sign search (Lee, Battle, Raina & Ng, NIPS 2006), started from ``b0``'s support
and signs: on the active set with signs s the minimiser solves the linear system
``H_AA b_A = (H b0)_A - g_A - l_A s_A``; a discrete line search towards it (its end and
every point where a coefficient crosses zero) keeps the true objective decreasing and
drops the coefficients that reach zero; when the active set is optimal, the worst
violator ``|gradient_j| > l_j`` joins it with sign ``-sign(gradient_j)``. Finite and exact
(up to rounding); coordinate descent (glmnet's covariance updates) is the fallback if
it stalls.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg.lapack import dpotrf, dpotrs

KKT_SLACK = 1e-9  # relative slack of the KKT checks (rounding of the gradients)
_RIDGE = 1e-12  # relative to the mean of diag(H): keeps H_AA invertible
_MAX_PASSES = 1000  # coordinate descent fallback only
_MAX_FACTORS = 16


class Curvature:
    """The Hessian H of a quadratic model (plus a tiny ridge that keeps every principal
    submatrix positive definite) and the Cholesky factors of the submatrices solved so far,
    reused while the proximal Newton steps keep the same H and active set."""

    def __init__(self, H: np.ndarray):
        self.H = np.array(H, dtype=float)
        if self.H.size:
            self.H.flat[:: self.H.shape[0] + 1] += _RIDGE * float(self.H.diagonal().mean())
        self._factors: dict[bytes, np.ndarray] = {}

    def solve(self, idx: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        """Solve ``H[idx, idx] x = rhs`` (LAPACK's Cholesky ``potrf`` / ``potrs`` called
        directly, as scipy's ``cho_factor`` / ``cho_solve`` do, without their checks: the
        matrices are small and the wrappers' overhead was most of the cost)."""
        key = idx.tobytes()
        factor = self._factors.get(key)
        if factor is None:
            if len(self._factors) >= _MAX_FACTORS:
                self._factors.clear()
            block = self.H if idx.size == self.H.shape[0] else self.H[np.ix_(idx, idx)]
            factor, info = dpotrf(block, lower=1, clean=0)
            if info > 0:
                raise np.linalg.LinAlgError(f"{info}-th leading minor of the Hessian is not positive definite")
            self._factors[key] = factor
        return dpotrs(factor, rhs, lower=1)[0]


def quadratic_lasso(curvature: Curvature, g: np.ndarray, b0: np.ndarray, l: np.ndarray) -> np.ndarray:
    """argmin_b g'(b - b0) + (b - b0)' H (b - b0) / 2 + sum_j l_j |b_j|."""
    k = b0.size
    if k == 0:
        return b0.copy()
    same_signs = _keeping_signs(curvature, g, b0, l)
    if same_signs is not None:
        return same_signs
    H = curvature.H
    free = l == 0
    b = b0.copy()
    Hb0 = H @ b0
    active = (b != 0) | free
    entering = np.zeros(k)  # sign given to a coefficient that joins the active set at zero
    scale = 1e-13 * (1.0 + float(l @ np.abs(b0)) + abs(float(g @ b0)))  # rounding of objective changes
    optimal_on_active = not active.any()
    for _ in range(10 * k + 100):
        if not optimal_on_active:
            idx = np.flatnonzero(active)
            s = np.where(free[idx], 0.0, np.where(b[idx] != 0, np.sign(b[idx]), entering[idx]))
            try:
                target = curvature.solve(idx, Hb0[idx] - g[idx] - l[idx] * s)
            except np.linalg.LinAlgError:
                break
            moved, change, optimal_on_active = _line_search(H, g + H @ b - Hb0, l, b, idx, target)
            if change > scale:
                break  # stalled: let coordinate descent finish
            b[idx] = moved
            active = (b != 0) | free
            entering[b != 0] = 0.0
            continue
        grad = g + H @ b - Hb0
        excess = np.where(active, -np.inf, np.abs(grad) - l * (1 + KKT_SLACK))
        worst = int(np.argmax(excess))
        if excess[worst] <= 0:
            return b
        active[worst] = True
        entering[worst] = -np.sign(grad[worst])
        optimal_on_active = False
    return _coordinate_descent(H, g, b0, l, b)


def _keeping_signs(curvature: Curvature, g: np.ndarray, b0: np.ndarray, l: np.ndarray) -> np.ndarray | None:
    """The minimiser if it has ``b0``'s support and signs (the usual case within a proximal
    Newton run: one linear solve instead of the search), else None.

    On the orthant of those signs the objective is a quadratic whose minimiser solves
    ``H_AA b_A = (H b0)_A - g_A - l_A s_A`` (A: non-zero or free coefficients of b0); it is
    the minimiser of the whole problem if it keeps the signs and every other coefficient
    meets its KKT condition ``|gradient_j| <= l_j`` there."""
    free = l == 0
    active = (b0 != 0) | free
    if not active.any():
        return None
    idx = np.flatnonzero(active)
    H = curvature.H
    signs = np.sign(b0[idx])  # free coefficients have l = 0: their sign does not count
    try:
        target = curvature.solve(idx, (H @ b0)[idx] - g[idx] - l[idx] * signs)
    except np.linalg.LinAlgError:
        return None
    if ((np.sign(target) != signs) & ~free[idx]).any():
        return None
    b = b0.copy()
    b[idx] = target
    d = b - b0
    Hd = H @ d
    gradient = g + Hd
    if (np.abs(gradient[~active]) > l[~active] * (1 + KKT_SLACK)).any():
        return None
    penalty0 = float(l @ np.abs(b0))
    change = float(g @ d) + 0.5 * float(d @ Hd) + float(l @ np.abs(b)) - penalty0
    scale = 1e-13 * (1.0 + penalty0 + abs(float(g @ b0)))  # as in the search: rounding
    return b if change <= scale else None


def _line_search(H, gradient, l, b, idx, target) -> tuple[np.ndarray, float, bool]:
    """Best point of the segment from ``b[idx]`` to ``target`` (the active coefficients):
    its end or a point where a coefficient crosses zero. Along the segment the objective
    changes by ``t g'd + t^2 d'Hd / 2 + sum l (|start + t d| - |start|)`` (``gradient`` g at
    ``b``), so each candidate costs O(k).

    Returns the point, its change of objective, and whether it is the end with no sign
    changed (then the active set is solved)."""
    start, l = b[idx], l[idx]
    d = np.zeros_like(b)
    d[idx] = target - start
    slope, curve = float(gradient @ d), float(d @ (H @ d))
    d = d[idx]
    penalty0 = float(l @ np.abs(start))

    def change(t: float, moved: np.ndarray) -> float:
        return t * slope + 0.5 * t * t * curve + float(l @ np.abs(moved)) - penalty0

    crossing = (start != 0) & (np.sign(target) != np.sign(start)) & (l > 0)
    if not crossing.any():
        return target, change(1.0, target), True
    cross_at = np.full(start.size, np.inf)
    cross_at[crossing] = start[crossing] / (start[crossing] - target[crossing])
    best, best_change = start, np.inf
    for t in np.unique(np.r_[cross_at[crossing], 1.0]):
        moved = start + t * d
        moved[cross_at == t] = 0.0
        value = change(t, moved)
        if value < best_change:
            best, best_change = moved, value
    return best, best_change, False


def _coordinate_descent(H, g, b0, l, b, tol: float = 1e-20) -> np.ndarray:
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
