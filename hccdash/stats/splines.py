"""Restricted cubic splines as ``rms::rcs`` builds them (``Hmisc::rcspline.eval``, Hmisc 4.8-0).

Knots (:func:`rcs_knots`, R ``rcspline.eval(x, nk = k, knots.only = TRUE)``, the call
``rcs(x, k)`` makes) are Harrell's default quantiles of the non-missing values (type-7
``quantile``):

====  ==========================================
k     quantiles
====  ==========================================
3     0.10 0.50 0.90
4     0.05 0.35 0.65 0.95
5     0.05 0.275 0.50 0.725 0.95
6     0.05 0.23 0.41 0.59 0.77 0.95
7     0.025 0.1833 0.3417 0.50 0.6583 0.8167 0.975
====  ==========================================

with R's special cases: fewer than 100 values -> the outer knots are the 5th smallest and
5th largest value; at most k + 2 distinct values -> the interior distinct values; the
lowest (highest) value holding at least ``fractied`` (5%) of the values while no interior
value does -> the first (last) knot is the next distinct value and the other knots are
quantiles of the values strictly inside; quantiles that tie -> 2k quantiles; duplicates
removed. Fewer than 3 distinct knots is an error.

Basis (:func:`rcs_basis`, ``rcspline.eval(x, knots, inclx = TRUE)``, norm = 2): the
columns x, then for j = 1 .. k - 2

    ((x - t_j)+^3 - (x - t_{k-1})+^3 (t_k - t_j) / (t_k - t_{k-1})
                  + (x - t_k)+^3 (t_{k-1} - t_j) / (t_k - t_{k-1})) / (t_k - t_1)^2

(each power term divided by (t_k - t_1)^(2/3) before cubing, as R computes it). The columns
are named as rms names them: ``age``, ``age'``, ``age''``, ...; the curve is linear beyond the
outer knots.
"""

from __future__ import annotations

import numpy as np

from hccdash.stats.calibration import quantile_type7

MIN_KNOTS, MAX_KNOTS = 3, 7
FRACTIED = 0.05


def _outer(k: int) -> float:
    return 0.025 if k > 6 else (0.05 if k > 3 else 0.1)


def rcs_knots(x, n_knots: int = 5, fractied: float = FRACTIED, name: str = "x") -> np.ndarray:
    """Knot locations of ``rcs(x, n_knots)`` (module docstring); ``name`` is used in messages."""
    if not MIN_KNOTS <= int(n_knots) <= MAX_KNOTS:
        raise ValueError(f"{name}: a restricted cubic spline takes {MIN_KNOTS} to {MAX_KNOTS} knots, got {n_knots}")
    k = int(n_knots)
    xx = np.asarray(x, dtype=float)
    xx = xx[~np.isnan(xx)]
    if xx.size < 6:
        raise ValueError(f"{name}: a spline needs at least 6 non-missing values to place knots, got {xx.size}")
    xu = np.unique(xx)
    if xu.size - 2 <= k:
        knots = xu[1:-1]
    else:
        outer = _outer(k)
        first, last, nke = [], [], k
        n = xx.size
        if 0 < fractied < 1:
            f = np.unique(xx, return_counts=True)[1] / n
            if f[1:-1].max() < fractied:
                if f[0] >= fractied:
                    first = [xx[xx > xx.min()].min()]
                    xx = xx[xx > first[0]]
                    nke -= 1
                if f[-1] >= fractied:
                    last = [xx[xx < xx.max()].max()]
                    xx = xx[xx < last[0]]
                    nke -= 1
        if nke == 1:
            knots = np.array([np.median(xx)])
        elif xu.size <= nke:
            knots = xu
        else:
            p = np.linspace(0.5, 1 - outer, nke) if nke == 2 else np.linspace(outer, 1 - outer, nke)
            knots = quantile_type7(xx, p)
            if np.unique(knots).size < min(nke, 3):
                knots = quantile_type7(xx, np.linspace(outer, 1 - outer, 2 * nke))
                if first and np.unique(knots).size < 3:
                    mid = (first[0] + last[0]) / 2 if last else np.median(xx)
                    knots = np.sort([first[0], mid, last[0] if last else quantile_type7(xx, [1 - outer])[0]])
                if np.unique(knots).size < 3:
                    raise ValueError(f"{name}: fewer than 3 distinct knots can be placed ({np.unique(knots)})")
            if xx.size < 100:
                xs = np.sort(xx)
                knots = knots.copy()
                if not first:
                    knots[0] = xs[4]
                if not last:
                    knots[nke - 1] = xs[-5]
        knots = np.concatenate([first, knots, last])
    knots = np.unique(knots)
    if knots.size < 3:
        raise ValueError(f"{name}: fewer than 3 distinct knots can be placed; its distinct values are {xu[:10]}")
    return knots


def rcs_basis(x, knots) -> np.ndarray:
    """(n, k - 1) basis of ``rcspline.eval(x, knots, inclx = TRUE)``: x then k - 2 nonlinear
    columns (module docstring); NaN rows stay NaN."""
    x = np.asarray(x, dtype=float)
    t = np.asarray(knots, dtype=float)
    k = t.size
    if k < 3:
        raise ValueError(f"a restricted cubic spline needs at least 3 knots, got {k}")
    kd = (t[-1] - t[0]) ** (2 / 3)

    def cube(knot):
        return np.maximum((x - knot) / kd, 0) ** 3

    columns = [x]
    for j in range(k - 2):
        columns.append(cube(t[j]) + ((t[-2] - t[j]) * cube(t[-1]) - (t[-1] - t[j]) * cube(t[-2])) / (t[-1] - t[-2]))
    return np.column_stack(columns)


def rcs_names(name: str, n_knots: int) -> tuple[str, ...]:
    """Column names as rms gives them: ``name``, ``name'``, ``name''``, ... (k - 1 names)."""
    return tuple(name + "'" * j for j in range(int(n_knots) - 1))


def positive_log(x) -> np.ndarray:
    """Natural log of ``x``, NaN where x <= 0 or missing (a log term's value for such a patient)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(invalid="ignore"):
        positive = x > 0
    return np.where(positive, np.log(np.where(positive, x, 1.0)), np.nan)


def transformed_columns(x, log: bool = False, knots=()) -> np.ndarray:
    """(n, columns) model columns of a continuous predictor: x, log(x) (:func:`positive_log`), or the
    restricted cubic spline basis of either (:func:`rcs_basis`) when ``knots`` are given."""
    values = positive_log(x) if log else np.asarray(x, dtype=float)
    return rcs_basis(values, knots) if len(knots) else values[:, None]
