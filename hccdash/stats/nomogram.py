"""Nomogram points as R's ``rms::nomogram`` computes them (rms 6.5-0).

Model: lp = intercept + sum_k beta_k x_k. ``coef`` maps each predictor to
- a number beta (numeric predictor, linear term; a 0/1 dummy is simply numeric), or
- a mapping level -> beta (categorical predictor; levels absent from the mapping, such as
  the reference level, have beta 0).
Nonlinear terms (splines) and interactions, which rms also draws, are not supported.

Each predictor's axis ticks are set by its training values in ``data``, as rms's
``datadist`` does: the sorted distinct values when there are at most 10 of them (rms keeps
``values`` unless there are more than ``n.unique = 10``), else R's ``pretty(range, 10)``;
the levels (pandas categories or sorted distinct values) for a categorical predictor.
Points of a value: (beta x - min over ticks of beta x) * scale, where
scale = 100 / max over predictors of (max - min of beta x over its ticks), so the predictor
with the widest range spans 0-100. Total points TP map back to lp = lp0 + TP / scale, with
lp0 = intercept + sum_k min beta_k x_k.

For a Cox model rms centres the linear predictor: pass ``centre=True`` (intercept =
- mean training lp, as cph's ``center``) and use the baseline survival at lp = 0
(``Survival(fit)(t, 0)``); S(t | lp) = S0(t)^exp(lp).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from hccdash.stats.pretty import pretty

N_UNIQUE = 10  # rms datadist: distinct values kept as ticks up to this many
NINT = 10  # rms nomogram: pretty(..., n = nint)
MAX_POINTS = 100.0


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


def _xbeta(beta: float | Mapping[Any, float], values) -> np.ndarray:
    """beta * x of a numeric predictor, or each level's beta (0 when absent)."""
    if isinstance(beta, Mapping):
        return np.array([float(beta.get(v, 0.0)) for v in values])
    return float(beta) * np.asarray(values, dtype=float)


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
    return tuple(distinct if distinct.size <= N_UNIQUE else pretty(distinct, NINT)), False


def _linear_predictor(coef: Mapping[str, Any], data: pd.DataFrame, intercept: float) -> np.ndarray:
    return intercept + sum(_xbeta(beta, data[name].to_numpy()) for name, beta in coef.items())


def nomogram_axes(coef: Mapping[str, Any], data: pd.DataFrame, intercept: float = 0.0,
                  centre: bool = False) -> Nomogram:
    """Axes as ``rms::nomogram(fit)``: per-predictor ticks and points, lp ticks
    (``pretty(range(training lp), 10)``) and the total-points axis
    (``pretty(c(0, max(100, scale * max(lp ticks - lp0))), 10)``)."""
    missing = [name for name in coef if name not in data.columns]
    if missing:
        raise ValueError(f"predictors {missing} of coef are not columns of data ({list(data.columns)})")
    lp = _linear_predictor(coef, data, intercept)
    if centre:
        intercept, lp = intercept - lp.mean(), lp - lp.mean()
    ticks = {name: _ticks(beta, data[name]) for name, beta in coef.items()}
    xbeta = {name: _xbeta(coef[name], values) for name, (values, _) in ticks.items()}
    widest = max(x.max() - x.min() for x in xbeta.values())
    if widest <= 0:
        raise ValueError("all coefficients are zero over the data: no nomogram scale")
    scale = MAX_POINTS / widest
    lp_at_zero = intercept + sum(x.min() for x in xbeta.values())
    axes = {
        name: PredictorAxis(name, values, (xbeta[name] - xbeta[name].min()) * scale, cat)
        for name, (values, cat) in ticks.items()
    }
    lp_ticks = pretty(lp, NINT)
    total_max = MAX_POINTS if len(coef) == 1 else max(MAX_POINTS, scale * (lp_ticks.max() - lp_at_zero))
    return Nomogram(axes, scale, lp_at_zero, lp_ticks, pretty([0.0, total_max], NINT))


def nomogram_points(coef: Mapping[str, Any], data: pd.DataFrame, patient: Mapping[str, Any],
                    intercept: float = 0.0, centre: bool = False) -> dict[str, float]:
    """Points of each predictor for one patient and their sum under ``"total"``."""
    nomogram = nomogram_axes(coef, data, intercept, centre)
    points = {}
    for name, beta in coef.items():
        if name not in patient:
            raise ValueError(f"patient has no value for predictor {name!r}")
        axis, value = nomogram.axes[name], patient[name]
        if axis.categorical and value not in axis.values and value not in beta:
            raise ValueError(f"level {value!r} of {name!r} is not among {list(axis.values)}")
        lowest = _xbeta(beta, axis.values).min()
        points[name] = float((_xbeta(beta, [value])[0] - lowest) * nomogram.scale)
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
