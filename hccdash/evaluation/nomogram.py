"""The combined model's nomogram as ``rms::nomogram`` lays it out, as a tick table.

Axes, top to bottom: Points (0-100), one axis per model column (a log or spline clinical
term: one axis in the variable's own values, its points nonlinear in them; its training values
set the ticks, the widest beta*x range spans 0-100: :func:`hccdash.stats.nomogram_axes`,
centred linear predictor as cph), Total points, then the outcome axes: S(t) at each
horizon for Cox (``survival_axis`` with S0(t) the survival at the centred lp = 0) or the
ER probability for logistic (``probability_axis``). Every tick has ``x`` on the common
0-100 drawing scale; total-points positions are rescaled by 100 / max total points.

Total points range (:func:`covering_axes`): rms draws ``pretty(c(0, max(100, sc *
max(lp.at - Intercept))), nint)`` with ``lp.at = pretty(range(training lp))``, which stops
short of what the predictor axes can add up to when no training patient is extreme on
every predictor (a patient with 172 points would fall off a 0-130 axis). hccdash extends
the axis to ``pretty(c(0, sum of each axis's maximum points))`` and the outcome axes to
the linear predictors of 0 and of that maximum, so every combination read off the axes
lands on the total and outcome axes. Where rms's range is already wider, it is kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hccdash import stats
from hccdash.modeling.pipeline import RadiomicsNomogram
from hccdash.stats.nomogram import NINT, Nomogram, Transformed, xbeta
from hccdash.stats.pretty import pretty

OUTCOME_TICKS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def turns_back(points) -> bool:
    """True for an axis whose points are not monotone in its values (a U-shaped spline): its ticks
    fold back over each other, so only labels :func:`spaced_labels` apart are written."""
    steps = np.diff(np.asarray(points, dtype=float))
    return bool((steps > 1e-12).any() and (steps < -1e-12).any())


def spaced_labels(xs, gap: float = 4.5) -> list[bool]:
    """Which ticks (in value order) get a label, so that labels stay ``gap`` points apart from the last
    labelled one (the others stay ticks)."""
    keep, last = [], -np.inf
    for x in np.asarray(xs, dtype=float):
        keep.append(bool(abs(x - last) >= gap))
        if keep[-1]:
            last = x
    return keep


def _label(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float, np.floating, np.integer)) else str(value)


def _baseline_at(model: RadiomicsNomogram, horizon: float, lp_shift: float) -> float:
    """S(t) at the centred lp = 0: the survival at the training means raised to exp(shift)."""
    table = model.baseline_survival_
    idx = np.searchsorted(table["time"].to_numpy(), horizon, side="right") - 1
    s_means = 1.0 if idx < 0 else float(table["survival"].to_numpy()[idx])
    return s_means ** np.exp(lp_shift)


def covering_axes(nomo: Nomogram) -> Nomogram:
    """``nomo`` with the total-points axis spanning 0 to the sum of every predictor axis's
    maximum points (rms's range when that is wider) and the linear-predictor range of the
    outcome axes spanning those totals (module docstring)."""
    reachable = float(sum(axis.points.max() for axis in nomo.axes.values()))
    total = pretty([0.0, max(reachable, float(nomo.total_points.max()))], NINT)
    ends = nomo.lp_from_points([0.0, total.max()])
    lp_range = np.array([min(nomo.lp_ticks.min(), ends[0]), max(nomo.lp_ticks.max(), ends[1])])
    return dataclasses.replace(nomo, lp_ticks=lp_range, total_points=total)


def _design(model: RadiomicsNomogram, frame: pd.DataFrame) -> pd.DataFrame:
    """The combined model's columns of ``frame`` (rows with every value)."""
    design = model.combined_design(frame).dropna()
    design.columns = [str(c) for c in design.columns]
    return design


def axis_inputs(model: RadiomicsNomogram, design: pd.DataFrame,
                frame: pd.DataFrame) -> tuple[dict[str, Any], pd.DataFrame]:
    """(coef, values) of the nomogram's axes: one axis per model column, except a log or spline
    clinical term, which is ONE axis in the variable's own values (its columns' coefficients as a
    :class:`~hccdash.stats.nomogram.Transformed`, drawn nonlinear as rms::nomogram draws rcs / log)."""
    beta = {str(k): float(v) for k, v in model.combined_.model_.coef_.items()}
    terms = {} if model.clinical_ is None else {
        term.columns[0]: term for term in (model.clinical_.terms_[v] for v in model.clinical_.selected_)
        if term.transformed}
    skip = {c for term in terms.values() for c in term.columns}
    coef: dict[str, Any] = {}
    values: dict[str, pd.Series] = {}
    for column in design.columns:
        if column in terms:
            term = terms[column]
            coef[term.variable] = Transformed(tuple(beta[c] for c in term.columns), term.log, term.knots)
            values[term.variable] = pd.to_numeric(frame.loc[design.index, term.variable]).astype(float)
        elif column not in skip:
            coef[column], values[column] = beta[column], design[column]
    return coef, pd.DataFrame(values, index=design.index)


@dataclass(frozen=True)
class _Layout:
    """The combined model's nomogram drawn from the training rows (see :func:`nomogram_ticks`)."""

    model: RadiomicsNomogram
    coef: dict[str, Any]
    nomo: Nomogram
    shift: float  # Cox: mean training lp minus the lp at the covariate means (0 for logistic)

    def baseline(self, horizon: float) -> float:
        """S(t) at the centred lp = 0 (Cox)."""
        return _baseline_at(self.model, horizon, self.shift)

    def total_points(self, values: pd.DataFrame) -> np.ndarray:
        """Each row's total points (``values``: :func:`axis_inputs`): the sum over axes of
        (beta x - lowest beta x of the axis) * scale."""
        total = np.zeros(len(values))
        for name, axis in self.nomo.axes.items():
            beta = self.coef[name]
            lowest = xbeta(beta, axis.values).min()
            total += (xbeta(beta, values[name].to_numpy(float)) - lowest) * self.nomo.scale
        return total


def _layout(model: RadiomicsNomogram, train_frame: pd.DataFrame) -> _Layout:
    fit = model.combined_.model_
    design = _design(model, train_frame)
    coef, values = axis_inputs(model, design, train_frame)
    survival = model.is_survival
    intercept = 0.0 if survival else float(fit.intercept_)
    nomo = covering_axes(stats.nomogram_axes(coef, values, intercept=intercept, centre=survival))
    shift = float(np.mean(fit.predict(design)) - fit.means_.to_numpy() @ fit.coef_.to_numpy()) if survival else 0.0
    return _Layout(model, coef, nomo, shift)


def nomogram_ticks(model: RadiomicsNomogram, train_frame: pd.DataFrame, horizons: Sequence[float]) -> pd.DataFrame:
    """Long table: axis, order (top = 0), kind ('points', 'predictor', 'total', 'outcome'),
    label, value, x (0-100)."""
    layout = _layout(model, train_frame)
    nomo = layout.nomo
    rows = [{"axis": "Points", "order": 0, "kind": "points", "label": f"{v:g}", "value": float(v), "x": float(v)}
            for v in range(0, 101, 10)]
    for k, (name, axis) in enumerate(nomo.axes.items(), start=1):
        shown = spaced_labels(axis.points) if turns_back(axis.points) else [True] * len(axis.points)
        rows += [{"axis": name, "order": k, "kind": "predictor", "label": _label(v) if keep else "", "value": v,
                  "x": float(p)} for v, p, keep in zip(axis.values, axis.points, shown)]
    total_max = float(nomo.total_points.max())
    order = len(nomo.axes) + 1
    rows += [{"axis": "Total points", "order": order, "kind": "total", "label": f"{v:g}", "value": float(v),
              "x": float(v) * 100 / total_max} for v in nomo.total_points]
    if model.is_survival:
        outcome = [stats.survival_axis(nomo, layout.baseline(h), OUTCOME_TICKS, f"{h:g}-month RFS probability")
                   for h in horizons]
    else:
        outcome = [stats.probability_axis(nomo, OUTCOME_TICKS, "ER probability")]
    for k, axis in enumerate(outcome, start=order + 1):
        rows += [{"axis": axis.label, "order": k, "kind": "outcome", "label": f"{v:g}", "value": float(v),
                  "x": float(p) * 100 / total_max} for v, p in zip(axis.values, axis.points)]
    return pd.DataFrame(rows)


CHECK_COLUMNS = ["split", "n", "total_points_min", "total_points_max", "total_axis_max", "beyond_total_axis",
                 "beyond_predictor_axes", "max_abs_difference"]


def nomogram_check(model: RadiomicsNomogram, train_frame: pd.DataFrame, frames: Mapping[str, pd.DataFrame],
                   horizons: Sequence[float]) -> pd.DataFrame:
    """The nomogram (drawn from ``train_frame``) read for every patient of each set in ``frames``:
    per set n, the range of the total points against the total-points axis, the patients off
    that axis (below 0 or above its end) and those with a numeric predictor beyond the ticks of its axis (a value outside the
    training range: the nomogram cannot be read for them), and the largest absolute difference
    between the outcome read off the nomogram (S(t) = S0(t)^exp(lp of the total points) at every
    horizon for Cox, expit(lp) for logistic) and the model's own prediction (``predict_survival``
    / ``predict_proba``) — 0 up to rounding when the nomogram reproduces the model."""
    if model.combined_.model_ is None:
        return pd.DataFrame(columns=CHECK_COLUMNS)
    layout = _layout(model, train_frame)
    nomo = layout.nomo
    rows = []
    for name, frame in frames.items():
        design = _design(model, frame)
        axis_values = axis_inputs(model, design, frame)[1]
        total = layout.total_points(axis_values)
        lp = nomo.lp_from_points(total)
        beyond = np.zeros(len(design), dtype=bool)
        for axis_name, axis in nomo.axes.items():
            values = axis_values[axis_name].to_numpy(float)
            beyond |= (values < min(axis.values)) | (values > max(axis.values))
        if model.is_survival:
            read = np.column_stack([layout.baseline(h) ** np.exp(lp) for h in horizons]) if len(horizons) else None
            own = model.predict_survival(frame.loc[design.index], list(horizons)) if len(horizons) else None
        else:
            read, own = 1.0 / (1.0 + np.exp(-lp)), model.predict_proba(frame.loc[design.index])[:, 1]
        found = read is not None and len(design) > 0
        rows.append({"split": name, "n": len(design),
                     "total_points_min": float(total.min()) if len(total) else np.nan,
                     "total_points_max": float(total.max()) if len(total) else np.nan,
                     "total_axis_max": float(nomo.total_points.max()),
                     "beyond_total_axis": int(((total < 0) | (total > nomo.total_points.max())).sum()),
                     "beyond_predictor_axes": int(beyond.sum()),
                     "max_abs_difference": float(np.max(np.abs(read - own))) if found else np.nan})
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)
