"""Model-building charts: the data they draw."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash.charts import model as charts


def _datasets(chart) -> list[list[dict]]:
    return list(chart.to_dict()["datasets"].values())


def test_cv_curve_marks_lambda_min_1se_and_the_chosen_lambda():
    path = pd.DataFrame({"lambda": [0.4, 0.2, 0.1, 0.05], "cvm": [10.0, 9.0, 9.5, 9.8], "cvsd": [0.5] * 4,
                         "n_features": [0, 1, 2, 3]})
    path["log_lambda"] = np.log(path["lambda"])
    chart = charts.cv_curve_chart(path, lambda_min=0.2, lambda_1se=0.4, chosen=0.1)
    rows = [row for data in _datasets(chart) for row in data]
    marks = {row["mark"]: row["log_lambda"] for row in rows if "mark" in row}
    assert marks == {"lambda.min": np.log(0.2), "lambda.1se": np.log(0.4)}
    chosen = [data for data in _datasets(chart) if len(data) == 1 and "cvm" in data[0]]
    assert chosen and chosen[0][0]["lambda"] == 0.1


def test_path_frame_keeps_features_that_enter():
    coef = pd.DataFrame([[0.0, 0.0, 0.1], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]],
                        index=["a", "never", "intercept"], columns=[0.3, 0.2, 0.1])
    long = charts.path_frame(coef)
    assert set(long["feature"]) == {"a"}
    assert long["lambda"].tolist() == [0.3, 0.2, 0.1]


def test_coefficient_chart_shows_stability_beside():
    coef = pd.Series({"f1": 0.5, "f2": -0.2})
    chart = charts.coefficient_chart(coef, {"f1": 0.9})
    rows = [row for data in _datasets(chart) for row in data]
    assert {r["feature"]: r["stability"] for r in rows} == {"f1": 0.9, "f2": 0.0}
    assert len(chart.to_dict()["hconcat"]) == 2
    assert "hconcat" not in charts.coefficient_chart(coef).to_dict()


def test_funnel_chart_lists_every_step():
    funnel = pd.DataFrame({"step": ["input", "lasso"], "features": [100, 5], "label": ["all features", "LASSO"]})
    rows = [row for data in _datasets(charts.funnel_chart(funnel)) for row in data]
    assert [(r["label"], r["features"]) for r in rows] == [("all features", 100), ("LASSO", 5)]


def test_funnel_axis_ticks_at_powers_of_ten():
    """symlog's default ticks bunch up at the right end (0, 1,600, 3,200 and a comb of grid lines)."""
    funnel = pd.DataFrame({"step": ["input", "lasso"], "features": [3948, 12], "label": ["all features", "LASSO"]})
    x = charts.funnel_chart(funnel).to_dict()["layer"][0]["encoding"]["x"]
    assert x["axis"]["values"] == [0, 1, 10, 100, 1000]


def test_coefficient_path_lines_are_stroked_beside_the_chosen_lambda_rule():
    """The path lines and the lambda rule each keep their colour scale: a shared one (domain
    lambda.min / lambda.1se / chosen) left every path line without a stroke, on screen and in
    PNG / SVG."""
    import re

    from hccdash.charts.render import chart_svg

    coef = pd.DataFrame([[0.0, 0.2, 0.4], [0.0, 0.0, -0.3]], index=["a", "b"], columns=[0.3, 0.2, 0.1])
    chart = charts.coefficient_path_chart(coef, chosen=0.2)
    assert chart.to_dict()["resolve"]["scale"]["color"] == "independent"
    lines = re.findall(r'<path[^>]*aria-roledescription="line mark"[^>]*>', chart_svg(chart))
    assert len(lines) == 2
    assert all(re.search(r'stroke="#[0-9a-f]{6}"', line) for line in lines)
