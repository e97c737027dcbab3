"""KM curves mark every censoring time with a tick on the curve, as R's
``plot(survfit(Surv(time, event) ~ 1), mark.time = TRUE)``; checked on the chart's data."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from hccdash.charts.evaluation import CENSOR_TICK, km_chart
from hccdash.charts.render import chart_svg, vega_spec
from hccdash.evaluation.risk_groups import at_risk_table, km_curves

# R: summary(survfit(Surv(c(1, 2, 2, 3, 4, 5), c(1, 0, 1, 0, 1, 0)) ~ 1), censored = TRUE)
#   time 1 2 3 4 5; n.censor 0 1 1 0 1; surv 0.833333 0.666667 0.666667 0.333333 0.333333 (R 4, survival 3)
TIME = np.array([1, 2, 2, 3, 4, 5, 1.5, 2.5, 6, 7], float)
EVENT = np.array([1, 0, 1, 0, 1, 0, 1, 1, 0, 1])
HIGH = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1])  # low: the R example; high: censored at 6 only


def _censor_layer(spec: dict) -> pd.DataFrame:
    top = spec["vconcat"][0]
    layers = [layer for layer in top["layer"] if isinstance(layer["mark"], dict) and layer["mark"].get("shape") == CENSOR_TICK]
    assert len(layers) == 1
    return pd.DataFrame(spec["datasets"][layers[0]["data"]["name"]])


def test_censoring_ticks_sit_on_the_curve_at_each_censoring_time():
    curves = km_curves(TIME, EVENT, HIGH, "train")
    low = curves[curves["group"] == "low"]
    assert low["n_censor"].tolist() == [0, 0, 1, 1, 0, 1]  # time 0, then R's n.censor
    spec = vega_spec(km_chart(curves, at_risk_table(TIME, HIGH, [0.0, 3.0, 6.0], "train"), "KM"))
    ticks = _censor_layer(spec).sort_values(["group", "time"])
    assert ticks[["group", "time", "n_censor"]].values.tolist() == [
        ["high", 6.0, 1], ["low", 2.0, 1], ["low", 3.0, 1], ["low", 5.0, 1]]
    np.testing.assert_allclose(ticks["surv"], [1 / 2, 2 / 3, 2 / 3, 1 / 3], rtol=1e-12)  # high: 3/4 * 2/3 at 6


def test_the_exported_figure_draws_one_tick_per_censoring_time():
    curves = km_curves(TIME, EVENT, HIGH, "train")
    svg = chart_svg(km_chart(curves, at_risk_table(TIME, HIGH, [0.0, 3.0, 6.0], "train"), "KM"))
    ticks = re.findall(r'<path aria-label="([^"]*)"[^>]*aria-roledescription="point"[^>]*d="M0,-[\d.]+L0,[\d.]+"', svg)
    assert len(ticks) == 4 and sorted(re.search(r"time: ([\d.]+)", t).group(1) for t in ticks) == ["2", "3", "5", "6"]


def test_curves_without_censoring_counts_draw_no_ticks():
    curves = km_curves(TIME, EVENT, HIGH, "train").drop(columns="n_censor")
    spec = vega_spec(km_chart(curves, at_risk_table(TIME, HIGH, [0.0, 3.0], "train"), "KM"))
    assert not any(isinstance(layer["mark"], dict) and layer["mark"].get("shape") == CENSOR_TICK
                   for layer in spec["vconcat"][0]["layer"])
