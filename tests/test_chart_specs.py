"""Vega-Lite specs the pages cache and compose (hccdash.charts.render): stable dataset names,
a chosen-lambda marker laid over a cached base, every row kept."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from hccdash.charts import model as charts
from hccdash.charts.render import chart_svg, overlay, vega_spec


def _path(n: int = 12) -> pd.DataFrame:
    lam = np.exp(np.linspace(0.0, -4.0, n))
    return pd.DataFrame({"lambda": lam, "log_lambda": np.log(lam), "cvm": np.linspace(10.0, 9.0, n),
                         "cvsd": np.full(n, 0.3), "n_features": np.arange(n)})


def _drawn(chart) -> str:
    """The chart's SVG, numbers to 6 significant digits (Vega's scale arithmetic differs in the last
    digits with the order datasets are listed in)."""
    return re.sub(r"-?\d+\.\d+", lambda m: f"{float(m.group()):.6g}", chart_svg(chart))


def _without_data(spec: dict) -> dict:
    return {k: v for k, v in spec.items() if k != "datasets"}


def test_chosen_lambda_point_over_the_cached_cv_curve_is_the_full_chart():
    path = _path()
    lam = path["lambda"].to_numpy()
    full = vega_spec(charts.cv_curve_chart(path, lam[5], lam[3], lam[7]))
    composed = overlay(vega_spec(charts.cv_curve_chart(path, lam[5], lam[3])),
                       vega_spec(charts.chosen_lambda_point(path, lam[7])))
    assert composed == full
    assert _drawn(composed) == _drawn(charts.cv_curve_chart(path, lam[5], lam[3], lam[7]))
    diamond = composed["datasets"][composed["layer"][-1]["data"]["name"]]
    assert diamond == [{"lambda": lam[7], "log_lambda": np.log(lam[7]), "cvm": path["cvm"][7]}]


def test_chosen_lambda_rule_over_the_cached_path_is_the_full_chart():
    lam = _path()["lambda"].to_numpy()
    coef = pd.DataFrame(np.random.default_rng(0).normal(size=(3, len(lam))), index=list("abc"), columns=lam)
    composed = overlay(vega_spec(charts.coefficient_path_chart(coef)), vega_spec(charts.chosen_lambda_rule(lam[4])))
    assert composed == vega_spec(charts.coefficient_path_chart(coef, lam[4]))
    assert _drawn(composed) == _drawn(charts.coefficient_path_chart(coef, lam[4]))
    assert composed["resolve"] == {"scale": {"color": "independent"}}  # the path lines keep their stroke


def test_another_chosen_lambda_changes_only_the_markers_rows():
    """What Streamlit needs to update the drawn chart's data instead of drawing it anew."""
    path = _path()
    lam = path["lambda"].to_numpy()
    base = vega_spec(charts.cv_curve_chart(path, lam[5], lam[3]))
    one, other = (overlay(base, vega_spec(charts.chosen_lambda_point(path, lam[i]))) for i in (2, 9))
    assert _without_data(one) == _without_data(other)
    changed = [name for name in one["datasets"] if one["datasets"][name] != other["datasets"][name]]
    assert changed == [one["layer"][-1]["data"]["name"]]


def test_datasets_are_named_in_order_of_use():
    funnel = pd.DataFrame({"step": ["input", "lasso"], "features": [100, 5], "label": ["all features", "LASSO"]})
    spec = vega_spec(charts.funnel_chart(funnel))
    assert list(spec["datasets"]) == ["rows_0"]
    assert spec["datasets"]["rows_0"][1] == {"step": "lasso", "features": 5, "label": "LASSO", "order": 1}
    fewer = vega_spec(charts.funnel_chart(funnel.assign(features=[100, 3])))
    assert _without_data(fewer) == _without_data(spec) and fewer["datasets"] != spec["datasets"]


def test_every_row_is_kept_and_missing_values_are_null():
    """Altair's default transformer refuses more than 5,000 rows (preset 000's path: 11,100)."""
    lam = np.exp(np.linspace(0.0, -6.0, 100))
    coef = pd.DataFrame(np.random.default_rng(1).normal(size=(120, 100)), columns=lam)
    spec = vega_spec(charts.coefficient_path_chart(coef, lam[3]))
    assert sorted(len(rows) for rows in spec["datasets"].values()) == [1, 12_000]
    cv = _path().assign(cvsd=lambda f: f["cvsd"].where(f.index != 2))
    rows = vega_spec(charts.cv_curve_chart(cv, 0.5, 0.6))["datasets"]["rows_0"]
    assert rows[2]["cvsd"] is None and rows[2]["lower"] is None and rows[3]["cvsd"] == pytest.approx(0.3)


def test_overlay_refuses_what_it_cannot_lay_over():
    funnel = pd.DataFrame({"step": ["input"], "features": [10], "label": ["all features"]})
    single = vega_spec(charts.chosen_lambda_rule(0.1))
    with pytest.raises(ValueError, match="layered base"):
        overlay(single, single)
    with pytest.raises(ValueError, match="single-view"):
        overlay(vega_spec(charts.cv_curve_chart(_path(), 0.5, 0.6)), vega_spec(charts.funnel_chart(funnel)))


def test_a_spec_drawn_from_a_shared_object_is_built_once_while_it_lives():
    """page_parts.spec_of keeps a spec per owner object and name (no hashing of the owner's data) and
    forgets the owner's specs when it is gone."""
    import gc

    from page_parts import _specs_of, spec_of

    class Fit:  # a fitted object several sessions share
        pass

    fit, other, built = Fit(), Fit(), []
    build = lambda: built.append(1) or {"n": len(built)}  # noqa: E731
    assert spec_of(fit, "curve", build) is spec_of(fit, "curve", build)
    assert spec_of(fit, ("curve", 0.1), build)["n"] == 2 and spec_of(other, "curve", build)["n"] == 3
    assert len(built) == 3
    owner = id(fit)
    del fit
    gc.collect()
    assert not [key for key in _specs_of if key[0] == owner]
    assert spec_of(other, "curve", build)["n"] == 3
