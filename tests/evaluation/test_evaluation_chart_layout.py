"""Evaluation charts read at 1400 px with two splits side by side: titles wrap into short
lines, the KM legend does not stick out to the right, and each model keeps one colour
across ROC, calibration and forest plots (clinical, radiomics, combined order)."""

from __future__ import annotations

import pandas as pd

from hccdash.charts import evaluation as charts
from hccdash.evaluation import figures

MAX_LINE = 70  # characters of a title line that fit above a 360 px chart


def _title_lines(spec: dict) -> list[str]:
    title = spec["title"]
    text = title["text"] if isinstance(title, dict) else title
    return [text] if isinstance(text, str) else list(text)


def test_km_title_wraps_and_legend_on_top(rfs_evaluation):
    chart, _ = figures.km(rfs_evaluation, "combined", "validation")
    spec = chart.to_dict()
    top = spec["vconcat"][0]
    lines = _title_lines(top)
    assert len(lines) == 2 and all(len(line) <= MAX_LINE for line in lines), lines
    assert lines[1].startswith("HR high vs low ")
    colour = top["layer"][1]["encoding"]["color"]
    assert colour["legend"]["orient"] == "top" and colour["legend"]["symbolOpacity"] == 1


def test_er_calibration_title_one_line_per_model(er_evaluation):
    chart, _ = figures.calibration(er_evaluation, "validation")
    lines = _title_lines(chart.to_dict())
    assert lines[0] == "Calibration, validation"
    assert [line.split(":")[0] for line in lines[1:]] == ["clinical", "radiomics", "combined"]
    assert all(len(line) <= MAX_LINE for line in lines)
    assert all(line.split("Hosmer-Lemeshow ")[1].startswith(("p = ", "p < 0.001")) for line in lines[1:])
    assert not any("e-" in line for line in lines)  # no 2e-163


def test_roc_and_forest_colours_follow_the_model_order():
    curves = pd.DataFrame({"fpr": [0.0, 1.0] * 3, "tpr": [0.0, 1.0] * 3,
                           "model": ["combined"] * 2 + ["clinical"] * 2 + ["radiomics"] * 2,
                           "label": ["combined (AUC 0.800)"] * 2 + ["clinical (AUC 0.700)"] * 2
                           + ["radiomics (AUC 0.750)"] * 2})
    colour = charts.roc_chart(curves, "ROC").to_dict()["layer"][1]["encoding"]["color"]
    assert colour["sort"] == ["clinical (AUC 0.700)", "radiomics (AUC 0.750)", "combined (AUC 0.800)"]

    forest = pd.DataFrame({"term": ["rad_score", "AFP"], "ratio": [2.0, 1.1], "lower": [1.5, 0.9],
                           "upper": [3.0, 1.3], "p": [0.001, 0.3], "measure": "HR", "model": ["combined", "clinical"]})
    colour = charts.forest_chart(forest, "HR").to_dict()["layer"][2]["encoding"]["color"]
    assert colour["sort"] == ["clinical", "radiomics", "deep", "combined"]  # the DL score model sits between


def test_forest_rows_get_a_step_height_and_every_label():
    """A fixed pixel height is squashed by Streamlit (rows overlap); a step height is not."""
    forest = pd.DataFrame({"term": [f"x{i}" for i in range(7)], "ratio": 1.5, "lower": 1.1, "upper": 2.0,
                           "p": 0.01, "measure": "HR"})
    spec = charts.forest_chart(forest, "HR").to_dict()
    assert spec["height"] == {"step": 26}
    assert spec["layer"][1]["encoding"]["y"]["axis"]["labelOverlap"] is False


def test_km_ticks_are_the_at_risk_times_and_rows_follow_the_legend(rfs_evaluation):
    """At-risk counts every 12 months sit under the x ticks (0, 12, 24, ...), not between
    5-month ticks; legend and at-risk rows both list low, then high."""
    chart, curves = figures.km(rfs_evaluation, "combined", "validation")
    spec = chart.to_dict()
    top, table = spec["vconcat"]
    at_risk = figures._rows(rfs_evaluation.risk_groups["combined"].at_risk, split="validation")
    times = sorted(t for t in at_risk["time"].unique() if t <= curves["time"].max())
    assert times[:3] == [0.0, 12.0, 24.0]
    for layer in top["layer"]:
        assert layer["encoding"]["x"]["axis"]["values"] == times
    assert table["encoding"]["x"]["axis"]["values"] == times
    assert table["encoding"]["y"]["sort"] == ["low", "high"]
    assert top["layer"][1]["encoding"]["color"]["scale"]["domain"] == ["low", "high"]
