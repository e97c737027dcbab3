"""hccdash.stats.nomogram and .pretty against rms 6.5-0 / base R 4.2.2
(fixture: tests/reference/nomogram/)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.stats import nomogram as nomo
from hccdash.stats.pretty import pretty

FIXTURE = Path(__file__).resolve().parents[1] / "reference" / "nomogram"
R = json.loads((FIXTURE / "nomogram.json").read_text())
GBSG = pd.read_csv(FIXTURE / "gbsg2.csv")
DATA = GBSG.assign(post=(GBSG["menostat"] == "Post").astype(float), pn10=GBSG["pnodes"].clip(upper=10))


def _coef(r_coef: dict) -> dict:
    """rms names (horTh=yes, tgrade=II) -> hccdash's coef: level mappings for factors."""
    coef: dict = {}
    for key, beta in r_coef.items():
        if key == "Intercept":
            continue
        if "=" in key:
            name, level = key.split("=")
            coef.setdefault(name, {})[level] = beta
        else:
            coef[key] = beta
    return coef


MODELS = {
    "cox": dict(coef=_coef(R["cox"]["coef"]), centre=True, intercept=0.0),
    "logistic": dict(coef=_coef(R["logistic"]["coef"]), centre=False, intercept=R["logistic"]["coef"]["Intercept"]),
}


def _axes(model: str) -> nomo.Nomogram:
    spec = MODELS[model]
    return nomo.nomogram_axes(spec["coef"], DATA, spec["intercept"], spec["centre"])


@pytest.mark.parametrize("model", list(MODELS))
def test_axes_against_rms(model):
    """cph(Surv(time, cens) ~ age + tsize + pn10 + horTh + tgrade + post) and
    lrm(cens ~ age + tsize + pn10 + horTh + post) on gbsg2; nomogram(fit, ...):
    ticks exact (age/tsize by pretty(range, 10), pn10's 10 distinct values, post's 0/1,
    factor levels), tick points to 1e-3 (observed 1e-13), scale, lp ticks, total-points axis."""
    expected = R[model]
    got = _axes(model)
    for name, axis in expected["axes"].items():
        assert list(got.axes[name].values) == axis["values"], name
        np.testing.assert_allclose(got.axes[name].points, axis["points"], atol=1e-3, err_msg=name)
    assert got.scale == pytest.approx(expected["sc"], rel=1e-9)
    assert got.lp_at_zero == pytest.approx(expected["intercept"], abs=1e-9)
    np.testing.assert_allclose(got.lp_ticks, expected["lp_at"], atol=1e-12)
    np.testing.assert_allclose(got.total_points, expected["total_points"], atol=1e-12)


@pytest.mark.parametrize("model", list(MODELS))
def test_patient_points_against_rms(model):
    """(predict(fit, d[rows, ], type = "terms", center.terms = FALSE) - info$R[1, ]) * info$sc
    per predictor and their row sums (rows 1, 2, 3, 50, 100, 250, 686): 1e-3 points; total
    points map back to predict(fit, type = "lp") to 1e-9."""
    spec, expected = MODELS[model], R[model]["patients"]
    got = _axes(model)
    for k, row in enumerate(expected["rows"]):
        patient = DATA.iloc[row - 1].to_dict()
        points = nomo.nomogram_points(spec["coef"], DATA, patient, spec["intercept"], spec["centre"])
        for name, values in expected["points"].items():
            assert points[name] == pytest.approx(values[k], abs=1e-3), (row, name)
        assert points["total"] == pytest.approx(expected["total"][k], abs=1e-3)
        assert got.lp_from_points(points["total"]) == pytest.approx(expected["lp"][k], abs=1e-9)


def test_cox_centre_equals_cph_center():
    lp = nomo._linear_predictor(MODELS["cox"]["coef"], DATA, 0.0)
    assert lp.mean() == pytest.approx(R["cox"]["center"], abs=1e-9)


@pytest.mark.parametrize("year", ["y1", "y2", "y3"])
def test_survival_axes_against_rms(year):
    """nomogram(cph, fun = function(x) Survival(fit)(365 * k, x), fun.at = 0.9, ..., 0.1):
    kept ticks exact, their positions (x) to 1e-3 points."""
    baseline = R["cox"]["baseline"][int(year[1]) - 1]
    axis = nomo.survival_axis(_axes("cox"), baseline, np.arange(9, 0, -1) / 10, year)
    expected = R["cox"]["fun"][year]
    np.testing.assert_allclose(axis.values, expected["at"], atol=1e-12)
    np.testing.assert_allclose(axis.points, expected["points"], atol=1e-3)
    np.testing.assert_allclose(
        nomo.survival_from_points(_axes("cox"), axis.points, baseline), axis.values, atol=1e-4
    )


def test_probability_axis_against_rms():
    """nomogram(lrm, fun = plogis, fun.at = 0.9, ..., 0.1): 1e-3 points."""
    axis = nomo.probability_axis(_axes("logistic"), np.arange(9, 0, -1) / 10)
    expected = R["logistic"]["fun"]
    np.testing.assert_allclose(axis.values, expected["at"], atol=1e-12)
    np.testing.assert_allclose(axis.points, expected["points"], atol=1e-3)


@pytest.mark.parametrize("case", R["pretty"], ids=lambda c: "-".join(c["range"]))
def test_pretty_bit_identical_to_r(case):
    """pretty(range) and pretty(range, n = 10), printed with sprintf("%.17g"): exact."""
    values = [float(v) for v in case["range"]]
    assert pretty(values, 10).tolist() == [float(v) for v in case["n10"]]
    assert pretty(values).tolist() == [float(v) for v in case["n5"]]


def test_dummy_and_level_coding_agree():
    """horTh as levels {"yes": b} and as a 0/1 dummy give the same points."""
    data = DATA.assign(horTh_yes=(DATA["horTh"] == "yes").astype(float))
    by_level = nomo.nomogram_points({"age": 0.02, "horTh": {"yes": -0.4}}, data, {"age": 50, "horTh": "no"})
    by_dummy = nomo.nomogram_points({"age": 0.02, "horTh_yes": -0.4}, data, {"age": 50, "horTh_yes": 0.0})
    assert by_level["horTh"] == pytest.approx(by_dummy["horTh_yes"])
    assert by_level["total"] == pytest.approx(by_dummy["total"])


def test_unknown_level_is_named():
    with pytest.raises(ValueError, match="level 'maybe' of 'horTh'"):
        nomo.nomogram_points({"age": 0.02, "horTh": {"yes": -0.4}}, DATA, {"age": 50, "horTh": "maybe"})
