"""R's ``lowess(x, y, f = 2/3, iter, delta = 0.01 * diff(range(x)))``: a port of R's
``clowess`` (W. S. Cleveland's algorithm, ``src/library/stats/src/lowess.c``), tricube
weights, local linear fits, points within ``delta`` of the last fitted x interpolated,
``iter`` robustness iterations with bisquare weights. Returns x sorted (ties kept, in R's
``order``) and the fitted values, as R's list(x, y).
"""

from __future__ import annotations

import numpy as np


def _lowest(x, y, n, xs, nleft, nright, w, userw, rw):
    """Fitted value at xs from the points nleft..nright (0-based, ties on the right picked up),
    or None when every weight is zero."""
    rng = x[n - 1] - x[0]
    h = max(xs - x[nleft], x[nright] - xs)
    h9, h1 = 0.999 * h, 0.001 * h
    a = 0.0
    j = nleft
    while j < n:
        w[j] = 0.0
        r = abs(x[j] - xs)
        if r <= h9:
            w[j] = 1.0 if r <= h1 else (1.0 - (r / h) ** 3) ** 3
            if userw:
                w[j] *= rw[j]
            a += w[j]
        elif x[j] > xs:
            break
        j += 1
    nrt = j - 1
    if a <= 0.0:
        return None
    sl = slice(nleft, nrt + 1)
    w[sl] /= a
    if h > 0.0:
        centre = float(np.dot(w[sl], x[sl]))
        b = xs - centre
        c = float(np.dot(w[sl], (x[sl] - centre) ** 2))
        if np.sqrt(c) > 0.001 * rng:
            w[sl] *= b / c * (x[sl] - centre) + 1.0
    return float(np.dot(w[sl], y[sl]))


def lowess(x, y, f: float = 2 / 3, iter: int = 3, delta: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(sorted x, fitted y) as R's ``lowess`` (module docstring)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x {x.shape} and y {y.shape} must be 1-D of equal length")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("lowess: x and y must be finite")
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    n = x.size
    if delta is None:
        delta = 0.01 * (x[-1] - x[0]) if n else 0.0
    if n < 2:
        return x, y.copy()
    ys, rw, res = np.zeros(n), np.ones(n), np.zeros(n)
    ns = max(2, min(n, int(f * n + 1e-7)))
    for it in range(iter + 1):
        nleft, nright, last, i = 0, ns - 1, -1, 0
        while True:
            if nright < n - 1:
                if x[i] - x[nleft] > x[nright + 1] - x[i]:
                    nleft += 1
                    nright += 1
                    continue
            fitted = _lowest(x, y, n, x[i], nleft, nright, res, it > 0, rw)
            ys[i] = y[i] if fitted is None else fitted
            if last < i - 1:
                denom = x[i] - x[last]
                for j in range(last + 1, i):
                    alpha = (x[j] - x[last]) / denom
                    ys[j] = alpha * ys[i] + (1.0 - alpha) * ys[last]
            last = i
            cut = x[last] + delta
            i = last + 1
            while i < n:
                if x[i] > cut:
                    break
                if x[i] == x[last]:
                    ys[i] = ys[last]
                    last = i
                i += 1
            i = max(last + 1, i - 1)
            if last >= n - 1:
                break
        res = y - ys
        if it >= iter:
            break
        sc = float(np.sum(np.abs(res))) / n
        m1 = n // 2
        partitioned = np.sort(np.abs(res))
        cmad = 3.0 * (partitioned[m1] + partitioned[m1 - 1]) if n % 2 == 0 else 6.0 * partitioned[m1]
        if cmad < 1e-7 * sc:
            break
        c9, c1 = 0.999 * cmad, 0.001 * cmad
        r = np.abs(res)
        rw = np.where(r <= c1, 1.0, np.where(r <= c9, (1.0 - (r / cmad) ** 2) ** 2, 0.0))
        res = np.zeros(n)
    return x, ys
