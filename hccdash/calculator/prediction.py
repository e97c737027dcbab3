"""One patient's (or a table of patients') prediction from a registered model.

- :func:`predict_patient`: lp, risk group and cut-off, S(t) at 1/2/3 years with the
  95% CI of ``survfit(coxph, newdata)`` (or the ER probability), each term's contribution
  b (x - training mean), nomogram points, the survival curve;
- :func:`explanation` / :func:`waterfall_figure`: the patient's SHAP-style contributions and waterfall;
- :func:`what_if`: the same patient with one input changed, new beside old;
- :func:`predict_table`: every valid row of a table (``python -m hccdash predict``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hccdash.calculator.inputs import CheckedInputs, InputError, check_inputs
from hccdash.calculator.position import nomogram_points
from hccdash.charts.explanations import waterfall_chart
from hccdash.evaluation.explanations import Explanation, linear_contributions
from hccdash.registry.json_model import JsonModel, horizon_column
from hccdash.settings import CalculatorSettings

_SETTINGS = CalculatorSettings()


@dataclass(frozen=True)
class PatientResult:
    """Everything the calculator shows for one patient."""

    inputs: pd.Series  # the clean inputs, rad-score included
    lp: float
    risk_group: str
    cutoffs: list[float]
    cutoff_method: str
    group_labels: list[str]
    estimates: pd.DataFrame  # Cox: horizon, surv, lower, upper; logistic: horizon, prob, lower, upper
    contributions: pd.DataFrame  # term, value, mean, coef, contribution
    points: pd.DataFrame  # term, points (and the total row)
    curve: pd.DataFrame | None  # time, surv, lower, upper (Cox)
    warnings: pd.DataFrame  # row, column, value, problem
    mahalanobis: float | None


def predict_patient(model: JsonModel, values: Mapping[str, Any], level: float = _SETTINGS.ci_level) -> PatientResult:
    """The calculator's output for one patient (``InputError`` when an input is impossible)."""
    checked = check_inputs(model, values)
    if not checked.ok:
        raise InputError(checked.errors)
    row = checked.clean
    lp = float(model.linear_predictor(row)[0])
    if model.family == "cox":
        surv, lower, upper = model.predict_survival(row, model.horizons, level=level)
        estimates = pd.DataFrame({"horizon": model.horizons, "surv": surv[0], "lower": lower[0], "upper": upper[0]})
        curve = model.survival_curve(row, level=level).drop(columns="row")
    else:
        prob, lower, upper = model.predict_proba(row, level=level)
        estimates = pd.DataFrame({"horizon": [model.spec["endpoint"]["er_horizon"]], "prob": prob,
                                  "lower": lower, "upper": upper})
        curve = None
    distance = checked.mahalanobis.iloc[0]
    return PatientResult(
        inputs=row.iloc[0],
        lp=lp,
        risk_group=str(model.group_of(np.array([lp]))[0]),
        cutoffs=list(model.spec["risk_groups"]["cutoffs"]),
        cutoff_method=model.spec["risk_groups"]["method"],
        group_labels=list(model.spec["risk_groups"]["labels"]),
        estimates=estimates,
        contributions=contributions(model, row),
        points=nomogram_points(model, row),
        curve=curve,
        warnings=checked.warnings,
        mahalanobis=None if pd.isna(distance) else float(distance),
    )


def contributions(model: JsonModel, row: pd.DataFrame) -> pd.DataFrame:
    """Per term: the patient's design value, the training mean, b and b (x - mean)."""
    x = model.design(row)[0]
    terms = model.terms
    return pd.DataFrame({
        "term": terms.index,
        "value": x,
        "mean": terms["mean"].to_numpy(float),
        "coef": terms["coef"].to_numpy(float),
        "contribution": (x - terms["mean"].to_numpy(float)) * terms["coef"].to_numpy(float),
    })



def explanation(model: JsonModel, result: PatientResult) -> Explanation:
    """The patient's SHAP-style contributions (b (x - training mean) per term, from the training mean
    linear predictor: :func:`hccdash.evaluation.explanations.linear_contributions`)."""
    table = result.contributions.set_index("term")
    design = pd.DataFrame([table["value"].to_numpy(float)], index=["patient"], columns=table.index)
    return linear_contributions(design, table["coef"].astype(float), table["mean"].astype(float),
                                float(model.spec["model"]["intercept"] or 0.0))


def waterfall_figure(model: JsonModel, result: PatientResult):
    """The patient's waterfall chart (Altair): from the training mean linear predictor to theirs."""
    explained = explanation(model, result)
    scale = "log hazard ratio" if model.family == "cox" else "log odds"
    return waterfall_chart(explained.patient("patient"), explained.base,
                           ["Contributions of the model's terms", "b x (x - training mean), from the training mean"],
                           scale)


def what_if(
    model: JsonModel, values: Mapping[str, Any], changes: Mapping[str, Any], level: float = _SETTINGS.ci_level
) -> pd.DataFrame:
    """Old and new predictions side by side after changing some inputs (e.g. AFP)."""
    old = predict_patient(model, values, level)
    new = predict_patient(model, {**values, **changes}, level)
    rows = [("linear predictor", old.lp, new.lp), ("risk group", old.risk_group, new.risk_group)]
    value = "surv" if model.family == "cox" else "prob"
    for (_, a), (_, b) in zip(old.estimates.iterrows(), new.estimates.iterrows()):
        label = f"RFS at {a['horizon']:g} months" if value == "surv" else f"ER within {a['horizon']:g} months"
        rows.append((label, a[value], b[value]))
    rows.append(("total points", _total(old.points), _total(new.points)))
    table = pd.DataFrame(rows, columns=["quantity", "before", "after"])
    table["change"] = [
        b - a if isinstance(a, (int, float)) and isinstance(b, (int, float)) else ("" if a == b else "changed")
        for a, b in zip(table["before"], table["after"])
    ]
    return table


def _total(points: pd.DataFrame) -> float:
    return float(points.loc[points["term"] == "total", "points"].iloc[0])


def predict_table(model: JsonModel, data: pd.DataFrame, level: float = _SETTINGS.ci_level,
                  ids: pd.Series | None = None) -> tuple[pd.DataFrame, CheckedInputs]:
    """Predictions for every valid row (``JsonModel.predict_table``) and the check of all rows
    (``ids``: see :func:`check_inputs`)."""
    checked = check_inputs(model, data, ids)
    out = model.predict_table(checked.clean, level=level) if len(checked.clean) else pd.DataFrame()
    return out, checked



def estimate_columns(model: JsonModel) -> list[str]:
    """Output columns of ``predict_table`` besides lp and risk group."""
    if model.family == "cox":
        return [c for h in model.horizons for c in (horizon_column(h), f"{horizon_column(h)}_lower", f"{horizon_column(h)}_upper")]
    return ["er_prob", "er_prob_lower", "er_prob_upper"]

