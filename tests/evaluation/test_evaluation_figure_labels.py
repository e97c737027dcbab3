"""Figures name the variables as the cohort labels them, with units: the nomogram's axes and the
forest plot's rows (Evaluation), the calculator's nomogram axes; never the raw column names when a
label or unit is known."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pandas as pd

from hccdash import calculator
from hccdash.charts.render import vega_spec
from hccdash.evaluation import figures
from hccdash.registry.json_model import JsonModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "registry"))
import registry_standin as standin  # noqa: E402

LABELS = {"AFP": "Alpha-fetoprotein", "age": "Age at treatment", "rad_score": "Rad-score"}
UNITS = {"AFP": "ng/mL", "age": "years"}


def _rows(spec: dict) -> pd.DataFrame:
    return pd.concat([pd.DataFrame(rows) for rows in spec["datasets"].values()], ignore_index=True)


def test_evaluation_nomogram_and_forest_use_labels_and_units(rfs_evaluation):
    e = dataclasses.replace(rfs_evaluation, labels=LABELS, units=UNITS)
    assert "AFP" in set(e.nomogram["axis"]) and "AFP" in set(e.forest["term"])  # the model's own names
    axes = set(_rows(vega_spec(figures.nomogram(e)[0]))["axis"])
    assert "Alpha-fetoprotein (ng/mL)" in axes and "Rad-score" in axes and "AFP" not in axes
    chart, data = figures.forest(e)
    rows = set(_rows(vega_spec(chart))["row"].dropna())
    assert "combined: Alpha-fetoprotein (ng/mL)" in rows and not any(r.endswith(": AFP") for r in rows)
    assert data.set_index("label").loc["Alpha-fetoprotein (ng/mL)", "term"].tolist() == ["AFP", "AFP"]
    plain = set(_rows(vega_spec(figures.nomogram(rfs_evaluation)[0]))["axis"])  # no labels known: the names
    assert "AFP" in plain


def test_calculator_nomogram_axes_carry_units():
    _, spec = standin.cox_standin(standin.synthetic())
    model = JsonModel(spec)
    patient = {"age": 61, "afp": 520.0, "child_pugh": "B", "rad_score": 0.4}
    ticks, marks = calculator.nomogram_figure(model, calculator.predict_patient(model, patient))
    assert {"age (years)", "afp > 400 ng/mL", "child_pugh[B]", "rad_score"} <= set(ticks["axis"])
    assert set(marks["axis"]) <= set(ticks["axis"]) and "age (years)" in set(marks["axis"])
