"""Where a patient sits on the model's nomogram: points per term and in total, and the axes
(ticks and the patient's marks) of the calculator's nomogram chart, drawn as the
evaluation page draws the fitted pipeline's (``rms::nomogram``)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hccdash import stats
from hccdash.display import term_label
from hccdash.evaluation.nomogram import covering_axes, spaced_labels  # as the evaluation page draws it
from hccdash.registry.json_model import JsonModel
from hccdash.stats.nomogram import (MAX_POINTS, NINT, Nomogram, Transformed, nomogram_axes, probability_axis,
                                    survival_axis)
from hccdash.stats.pretty import pretty

if TYPE_CHECKING:
    from hccdash.calculator.prediction import PatientResult


def _transformed(term: dict[str, Any]) -> bool:
    return term["type"] == "spline" or bool(term.get("log"))


def nomogram_coef(model: JsonModel) -> dict[str, Any]:
    """Each nomogram axis's coefficient: a term's b, or for a log / spline predictor ONE axis named
    by the predictor whose columns' coefficients form a :class:`~hccdash.stats.nomogram.Transformed`
    (its points nonlinear in the value, as rms::nomogram draws rcs / log terms)."""
    coef: dict[str, Any] = {}
    terms = model.spec["model"]["terms"]
    for term in terms:
        if not _transformed(term):
            coef[term["name"]] = float(term["coef"])
        elif term["predictor"] not in coef:
            group = sorted((t for t in terms if t["predictor"] == term["predictor"]), key=lambda t: t.get("basis", 0))
            coef[term["predictor"]] = Transformed(tuple(float(t["coef"]) for t in group), bool(term.get("log")),
                                                  tuple(term.get("knots") or ()))
    return coef


def nomogram_data(model: JsonModel) -> pd.DataFrame:
    """A frame of each axis's support (the values that set its nomogram axis as rms does; a log /
    spline predictor's in its own values)."""
    axes: dict[str, list[float]] = {}
    for t in model.spec["model"]["terms"]:
        axes.setdefault(t["predictor"] if _transformed(t) else t["name"], t["axis"])
    length = max(len(a) for a in axes.values())
    return pd.DataFrame({name: list(a) + [a[-1]] * (length - len(a)) for name, a in axes.items()})


def nomogram_points(model: JsonModel, row: pd.DataFrame) -> pd.DataFrame:
    """Points per axis and the total, as rms::nomogram (see ``hccdash.stats.nomogram_points``): a
    term's design value, or a log / spline predictor's own value."""
    x = model.design(row)[0]
    patient = dict(zip(model.terms.index, x))
    coef = nomogram_coef(model)
    patient.update({name: float(pd.to_numeric(row[name]).iloc[0]) for name, beta in coef.items()
                    if isinstance(beta, Transformed)})
    points = stats.nomogram_points(coef, nomogram_data(model), {name: patient[name] for name in coef})
    return pd.DataFrame({"term": list(points), "points": [float(v) for v in points.values()]})


SURVIVAL_TICKS = (0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05)
PROBABILITY_TICKS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def nomogram(model: JsonModel) -> Nomogram:
    """The model's nomogram axes as the evaluation page draws them (rms::nomogram; a Cox
    model's linear predictor centred at the training mean, as cph), with the lp and
    total-points axes set by the training linear predictor's range, widened to cover every
    combination of the predictor axes (``hccdash.evaluation.nomogram.covering_axes``)."""
    shift = _lp_centre(model)
    intercept = -shift if model.family == "cox" else model.spec["model"]["intercept"]
    axes = nomogram_axes(nomogram_coef(model), nomogram_data(model), intercept=intercept)
    lp_ticks = pretty(np.asarray(model.spec["model"]["lp_range"]) - shift, NINT)
    total_max = MAX_POINTS if len(model.terms) == 1 else max(MAX_POINTS, axes.scale * (lp_ticks.max() - axes.lp_at_zero))
    return covering_axes(replace(axes, lp_ticks=lp_ticks, total_points=pretty([0.0, total_max], NINT)))


def _lp_centre(model: JsonModel) -> float:
    """Mean training linear predictor b'mean of a Cox model (0 for logistic)."""
    return float(model.terms["mean"].to_numpy(float) @ model.coef.to_numpy()) if model.family == "cox" else 0.0


LP_COLUMN = "linear predictor"  # the column name of a linear predictor outside its training range
OUTSIDE = "outside the training range"


def nomogram_figure(model: JsonModel, result: PatientResult | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long frames for the nomogram chart: ticks (axis, order, label, x) and the patient's
    marks (axis, x, label, outside), x on the 0-100 points scale (total-points based axes
    rescaled), each predictor's axis named by its label and unit (``AFP (ng/mL)``,
    :func:`hccdash.display.term_label`). A mark is ``outside`` when its input (the linear
    predictor, for Total points) lies outside the training range or its points fall beyond the
    axis; it is then put at the nearer end of its axis, and its label says so."""
    nom = nomogram(model)
    total_max = float(nom.total_points.max())
    rows: list[dict[str, Any]] = []
    order = 0

    def add(axis: str, labels, xs) -> None:
        nonlocal order
        shown = spaced_labels(xs)
        rows.extend({"axis": axis, "order": order, "label": lab if keep else "", "x": float(x)}
                    for lab, x, keep in zip(labels, xs, shown))
        order += 1

    add("Points", [f"{v:g}" for v in pretty([0, MAX_POINTS], NINT)], pretty([0, MAX_POINTS], NINT))
    for name, axis in nom.axes.items():
        add(name, [f"{v:.4g}" for v in axis.values], axis.points)
    add("Total points", [f"{v:g}" for v in nom.total_points], nom.total_points * MAX_POINTS / total_max)
    for fa in _outcome_axes(model, nom):
        add(fa.label, [f"{v:g}" for v in fa.values], fa.points * MAX_POINTS / total_max)
    ticks = pd.DataFrame(rows, columns=["axis", "order", "label", "x"])
    predictors = model.predictors
    labels, units = predictors["label"].to_dict(), predictors["unit"].to_dict()
    shown = {name: term_label(name, labels, units) for name in nom.axes}
    if result is None:
        return ticks.replace({"axis": shown}), pd.DataFrame(columns=["axis", "x", "label", "outside"])
    per_term = result.points.set_index("term")["points"]
    flagged = set(result.warnings["column"])
    predictor = model.terms["predictor"]
    places = [(name, per_term[name], per_term[name], predictor.get(name, name) in flagged) for name in nom.axes]
    places.append(("Total points", per_term["total"] * MAX_POINTS / total_max, per_term["total"], LP_COLUMN in flagged))
    ends = ticks.groupby("axis")["x"].agg(["min", "max"])
    marks = []
    for axis, x, points, flagged_input in places:
        low, high = ends.at[axis, "min"], ends.at[axis, "max"]
        outside = bool(flagged_input or not low - 1e-9 <= x <= high + 1e-9)
        marks.append({"axis": axis, "x": float(np.clip(x, low, high)), "outside": outside,
                      "label": f"{points:.1f} pts" + (f" ({OUTSIDE})" if outside else "")})
    marks = pd.DataFrame(marks, columns=["axis", "x", "label", "outside"])
    return ticks.replace({"axis": shown}), marks.replace({"axis": shown})


def _outcome_axes(model: JsonModel, nom: Nomogram) -> list:
    if model.family == "logistic":
        horizon = model.spec["endpoint"]["er_horizon"]
        return [probability_axis(nom, PROBABILITY_TICKS, f"ER within {horizon:g} months")]
    axes = []
    for h in model.horizons:
        s0 = baseline_at_zero(model, h)
        if np.isfinite(s0):
            axes.append(survival_axis(nom, s0, SURVIVAL_TICKS, f"RFS at {h:g} months"))
    return axes


def baseline_at_zero(model: JsonModel, horizon: float) -> float:
    """S(horizon) at the centred linear predictor 0 (covariates at their training means); NaN
    beyond the training follow-up."""
    return float(np.exp(-model.baseline().cumulative_hazard([horizon])[0]))


