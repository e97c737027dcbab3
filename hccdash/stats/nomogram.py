"""Nomogram points as R's ``rms::nomogram`` computes them (rms 6.5-0).

Model: lp = intercept + sum_k beta_k x_k. ``coef`` maps each predictor to
- a number beta (numeric predictor, linear term; a 0/1 dummy is simply numeric), or
- a mapping level -> beta (categorical predictor; levels absent from the mapping, such as
  the reference level, have beta 0).
- a :class:`Transformed` (a continuous predictor entering as log(x) or as a restricted cubic
  spline, rms's ``log(x)`` / ``rcs(x, k)``): its contribution beta . columns(x) is computed at
  each tick, so the points are not linear in the value (a spline axis may even turn back, as
  rms draws it; the ticks stay in value order and the points follow the curve).
Interactions, which rms also draws, are not supported.

Each predictor's axis ticks are set by its training values in ``data``, as rms's
``datadist`` does: the sorted distinct values when there are at most 10 of them (rms keeps
``values`` unless there are more than ``n.unique = 10``), else R's ``pretty(range, 10)``;
the levels (pandas categories or sorted distinct values) for a categorical predictor. A log
term's ticks over more than 10 distinct values differ from rms on purpose: rms takes
``pretty(range)``, which starts at 0 for a skewed marker such as AFP, and then stops ("an
infinite axis value has resulted") until values are given; here they are 1, 2, 5 x 10^k (or
10^k alone when that gives more than 12) from the last one at or below the lowest training value to the
first at or above the highest, or, over less than one decade, ``pretty(range)`` without the
ticks <= 0. With the same tick values, the points are rms's (fixture tests/reference/rms_calibrate).
Points of a value: (beta x - min over ticks of beta x) * scale, where
scale = 100 / max over predictors of (max - min of beta x over its ticks), so the predictor
with the widest range spans 0-100. Total points TP map back to lp = lp0 + TP / scale, with
lp0 = intercept + sum_k min beta_k x_k.

For a Cox model rms centres the linear predictor: pass ``centre=True`` (intercept =
- mean training lp, as cph's ``center``) and use the baseline survival at lp = 0
(``Survival(fit)(t, 0)``); S(t | lp) = S0(t)^exp(lp).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from hccdash.columns import check_columns
from hccdash.stats.pretty import pretty
from hccdash.stats.splines import transformed_columns

N_UNIQUE = 10  # rms datadist: distinct values kept as ticks up to this many
NINT = 10  # rms nomogram: pretty(..., n = nint)
MAX_POINTS = 100.0


@dataclass(frozen=True)
class Transformed:
    """The coefficients of a predictor's transformed columns (see
    :func:`hccdash.stats.splines.transformed_columns`): log(x) with ``log``, the rcs basis with
    ``knots`` (of log(x) when both)."""

    coef: tuple[float, ...]
    log: bool = False
    knots: tuple[float, ...] = ()

    def xbeta(self, values) -> np.ndarray:
        """beta . columns(x) for each value (NaN for x <= 0 in a log term)."""
        return transformed_columns(values, self.log, self.knots) @ np.asarray(self.coef, dtype=float)


@dataclass(frozen=True)
class PredictorAxis:
    """One predictor's axis: tick values and their points."""

    name: str
    values: tuple
    points: np.ndarray
    categorical: bool


@dataclass(frozen=True)
class FunctionAxis:
    """An outcome axis (e.g. 3-year RFS): tick values and their positions in total points."""

    label: str
    values: np.ndarray
    points: np.ndarray


@dataclass(frozen=True)
class Nomogram:
    """Axes of a nomogram and the map from total points to the linear predictor."""

    axes: dict[str, PredictorAxis]
    scale: float
    lp_at_zero: float
    lp_ticks: np.ndarray
    total_points: np.ndarray

    def lp_from_points(self, total_points) -> np.ndarray:
        """Linear predictor of a total score: lp0 + points / scale."""
        return self.lp_at_zero + np.asarray(total_points, dtype=float) / self.scale

    def points_from_lp(self, lp) -> np.ndarray:
        return (np.asarray(lp, dtype=float) - self.lp_at_zero) * self.scale


def xbeta(beta: float | Mapping[Any, float] | Transformed, values) -> np.ndarray:
    """beta * x of a numeric predictor, or each level's beta (0 when absent)."""
    if isinstance(beta, Mapping):
        return np.array([float(beta.get(v, 0.0)) for v in values])
    if isinstance(beta, Transformed):
        return beta.xbeta(values)
    return float(beta) * np.asarray(values, dtype=float)


LOG_STEPS = ((1.0, 2.0, 5.0), (1.0,))
MAX_LOG_TICKS = 12


def log_ticks(values) -> np.ndarray:
    """Ticks of a log term's axis over the positive ``values`` (module docstring)."""
    values = np.asarray(values, dtype=float)
    low, high = float(values.min()), float(values.max())
    if low <= 0:
        raise ValueError(f"a log axis needs values > 0, got {low:g}")
    if high < 10 * low:
        ticks = pretty(values, NINT)
        ticks = ticks[ticks > 0]
        return ticks if ticks.size >= 2 else np.array([low, high])
    exponents = range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)
    for steps in LOG_STEPS:
        grid = np.array(sorted(m * 10.0 ** e for e in exponents for m in steps))
        start = grid[grid <= low * (1 + 1e-12)].max()
        end = grid[grid >= high * (1 - 1e-12)].min()
        ticks = grid[(grid >= start) & (grid <= end)]
        if ticks.size <= MAX_LOG_TICKS:
            break
    return ticks


def _ticks(beta: float | Mapping[Any, float], column: pd.Series) -> tuple[tuple, bool]:
    column = column.dropna()
    if column.empty:
        raise ValueError(f"predictor {column.name!r} has no training values")
    if isinstance(beta, Mapping):
        levels = column.cat.categories if isinstance(column.dtype, pd.CategoricalDtype) else sorted(column.unique())
        return tuple(levels), True
    if not pd.api.types.is_numeric_dtype(column):
        raise ValueError(f"predictor {column.name!r} is not numeric; give its beta as a mapping level -> beta")
    distinct = np.unique(column.to_numpy(dtype=float))
    if distinct.size <= N_UNIQUE:
        return tuple(distinct), False
    if isinstance(beta, Transformed) and beta.log:
        return tuple(log_ticks(distinct)), False
    return tuple(pretty(distinct, NINT)), False


def _linear_predictor(coef: Mapping[str, Any], data: pd.DataFrame, intercept: float) -> np.ndarray:
    return intercept + sum(xbeta(beta, data[name].to_numpy()) for name, beta in coef.items())


def nomogram_axes(coef: Mapping[str, Any], data: pd.DataFrame, intercept: float = 0.0,
                  centre: bool = False, values: Mapping[str, Sequence[Any]] | None = None) -> Nomogram:
    """Axes as ``rms::nomogram(fit)``: per-predictor ticks and points, lp ticks
    (``pretty(range(training lp), 10)``) and the total-points axis
    (``pretty(c(0, max(100, scale * max(lp ticks - lp0))), 10)``). ``values`` gives a
    predictor's ticks, as ``rms::nomogram(fit, name = values)`` does."""
    check_columns(data, coef, what="predictor", needed_by="the nomogram's coefficients", table="data")
    lp = _linear_predictor(coef, data, intercept)
    if centre:
        intercept, lp = intercept - lp.mean(), lp - lp.mean()
    given = values or {}
    ticks = {name: (tuple(given[name]), isinstance(beta, Mapping)) if name in given else _ticks(beta, data[name])
             for name, beta in coef.items()}
    contributions = {name: xbeta(coef[name], ticked) for name, (ticked, _) in ticks.items()}
    widest = max(x.max() - x.min() for x in contributions.values())
    if widest <= 0:
        raise ValueError("all coefficients are zero over the data: no nomogram scale")
    scale = MAX_POINTS / widest
    lp_at_zero = intercept + sum(x.min() for x in contributions.values())
    axes = {
        name: PredictorAxis(name, ticked, (contributions[name] - contributions[name].min()) * scale, cat)
        for name, (ticked, cat) in ticks.items()
    }
    lp_ticks = pretty(lp, NINT)
    total_max = MAX_POINTS if len(coef) == 1 else max(MAX_POINTS, scale * (lp_ticks.max() - lp_at_zero))
    return Nomogram(axes, scale, lp_at_zero, lp_ticks, pretty([0.0, total_max], NINT))


def nomogram_points(coef: Mapping[str, Any], data: pd.DataFrame, patient: Mapping[str, Any],
                    intercept: float = 0.0, centre: bool = False,
                    values: Mapping[str, Sequence[Any]] | None = None) -> dict[str, float]:
    """Points of each predictor for one patient and their sum under ``"total"``."""
    nomogram = nomogram_axes(coef, data, intercept, centre, values)
    points = {}
    for name, beta in coef.items():
        if name not in patient:
            raise ValueError(f"patient has no value for predictor {name!r}")
        axis, value = nomogram.axes[name], patient[name]
        if axis.categorical and value not in axis.values and value not in beta:
            raise ValueError(f"level {value!r} of {name!r} is not among {list(axis.values)}")
        lowest = xbeta(beta, axis.values).min()
        points[name] = float((xbeta(beta, [value])[0] - lowest) * nomogram.scale)
    points["total"] = float(sum(points.values()))
    return points


def function_axis(nomogram: Nomogram, fun: Callable[[np.ndarray], np.ndarray], at, label: str) -> FunctionAxis:
    """Outcome axis as rms places ``fun.at`` ticks: fun is evaluated on 1000 lp values
    spanning the lp ticks and inverted by linear interpolation (R's ``approx``); ticks
    outside that range are dropped."""
    grid = np.linspace(nomogram.lp_ticks.min(), nomogram.lp_ticks.max(), 1000)
    values = fun(grid)
    order = np.argsort(values, kind="stable")
    at = np.asarray(at, dtype=float)
    inside = (at >= values.min()) & (at <= values.max())
    lp = np.interp(at[inside], values[order], grid[order])
    return FunctionAxis(label, at[inside], nomogram.points_from_lp(lp))


def survival_axis(nomogram: Nomogram, baseline_surv: float, at, label: str) -> FunctionAxis:
    """S(t) axis of a Cox nomogram: S(t | lp) = S0(t)^exp(lp), S0(t) = survival at lp 0."""
    return function_axis(nomogram, lambda lp: baseline_surv ** np.exp(lp), at, label)


def probability_axis(nomogram: Nomogram, at, label: str = "Probability") -> FunctionAxis:
    """Predicted probability axis of a logistic nomogram: 1 / (1 + exp(-lp))."""
    return function_axis(nomogram, expit, at, label)


def survival_from_points(nomogram: Nomogram, total_points, baseline_surv: float) -> np.ndarray:
    """S(t) of a total score: S0(t)^exp(lp(total points))."""
    return baseline_surv ** np.exp(nomogram.lp_from_points(total_points))
