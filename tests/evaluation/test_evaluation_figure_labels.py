"""Figures name the variables as the cohort labels them, with units: the nomogram's axes and the
forest plot's rows (Evaluation), the calculator's nomogram axes; never the raw column names when a
label or unit is known."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import json

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from evaluation_fixtures import COHORT, SOURCE
from synthetic_cohort import import_synthetic_cohort

from hccdash import calculator, paths
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


@pytest.mark.slow
def test_the_evaluation_page_draws_the_cohorts_labels(hccdash_home, tmp_path):
    labels = {k: v for k, v in LABELS.items() if k != "rad_score"}  # the cohort's variables
    import_synthetic_cohort(COHORT, SOURCE, tmp_path, n=120, p=40, seed=5, n_latent=12, units=UNITS, labels=labels)
    at = AppTest.from_file(str(paths.PROJECT_DIR / "app.py"), default_timeout=300)
    at.session_state["cohort"] = COHORT
    at.run()
    at.switch_page("pages/4_evaluation.py").run()
    assert not at.exception, at.exception
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    titles = [str(spec.get("title", "")) for spec in specs]
    drawn = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for chart in at.get("vega_lite_chart")
             for d in chart.proto.datasets]
    axes = {a for frame in drawn if "axis" in frame for a in frame["axis"]}
    assert "Alpha-fetoprotein (ng/mL)" in axes and "AFP" not in axes  # the nomogram
    rows = {r for frame in drawn if "row" in frame for r in frame["row"].dropna()}
    assert any(r.endswith("Alpha-fetoprotein (ng/mL)") for r in rows)  # the forest plot
    assert any("Nomogram" in t for t in titles)
    assert "Alpha-fetoprotein" in at.selectbox(key="ev_sub_var").options  # the subgroups' variable, by its label
