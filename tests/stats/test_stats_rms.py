"""hccdash.stats splines, lowess, rms_validate and rms_calibrate against rms 6.5-0 / Hmisc 4.8-0
(fixture: tests/reference/rms_calibrate/, made by rms_calibrate.R on the HCC-TACE-Seg table).

What is compared: knots and basis exactly (1e-12); lowess exactly; the bootstrap tables of
``validate`` and ``calibrate`` with R's OWN resamples (the fixture regenerates them after the
same ``set.seed``: predab.resample draws only ``sample(n, replace = TRUE)`` per resample), so
apparent, training, test, optimism and corrected values are compared element by element. The
tolerance for Cox is 2e-4: cph stops iterating at a relative log-likelihood change of 1e-4
(coefficients differ by up to 1e-4 from the fully converged fit used here); for lrm 1e-6.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash import stats
from hccdash.stats.smoothing import lowess
from hccdash.stats.rms_calibrate import calibrate_cph, calibrate_lrm
from hccdash.stats.rms_validate import cox_indices, logistic_indices, validate_cph, validate_lrm
from hccdash.stats.splines import rcs_basis, rcs_knots, rcs_names

FIXTURE = Path(__file__).resolve().parents[1] / "reference" / "rms_calibrate"
R = json.loads((FIXTURE / "rms_calibrate.json").read_text())
DATA = pd.read_csv(FIXTURE / "hcc_tace.csv")
ER = DATA[DATA["er52"].notna()].reset_index(drop=True)


def _floats(values) -> np.ndarray:
    return np.array([np.nan if v in ("NA", None) else float(v) for v in values])


def _resamples(name: str) -> np.ndarray:
    """R's resample rows, one per resample, 0-based."""
    return pd.read_csv(FIXTURE / f"{name}_resamples.csv").to_numpy().T - 1


def _design(frame: pd.DataFrame, knots: int, sex: bool) -> pd.DataFrame:
    """rcs(age, knots) + log(afp) (+ sex), columns named as rms names them."""
    X = pd.DataFrame(rcs_basis(frame["age"], rcs_knots(frame["age"], knots)), columns=rcs_names("age", knots))
    X["afp"] = np.log(frame["afp"].to_numpy())
    if sex:
        X["sex"] = frame["sex"].to_numpy()
    return X


KNOT_DATA = {"age": DATA["age"], "log_afp": np.log(DATA["afp"]), "size": DATA["size"],
             "afp5": np.maximum(DATA["afp"], 5), "clip": np.round(DATA["age"] / 10)}


@pytest.mark.parametrize("variable", sorted(KNOT_DATA))
@pytest.mark.parametrize("k", range(3, 8))
def test_rcs_knots_match_rcspline_eval(variable, k):
    """Hmisc::rcspline.eval(x, nk = k, knots.only = TRUE): quantiles (age, n = 105), the
    5th-smallest rule (size, 53 values), the tied-minimum rule (afp5) and interior values (clip)."""
    np.testing.assert_allclose(rcs_knots(KNOT_DATA[variable], k), _floats(R["knots"][variable][f"nk{k}"]),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", [4, 5])
def test_rcs_basis_matches_rcspline_eval(k):
    ref = R["basis"][f"nk{k}"]
    expected = np.column_stack([_floats(c) for c in ref["matrix"]])
    np.testing.assert_allclose(rcs_basis(ref["x"], _floats(ref["knots"])), expected, rtol=1e-12, atol=1e-12)


def test_rcs_refuses_bad_knot_counts_and_few_values():
    with pytest.raises(ValueError, match="3 to 7 knots"):
        rcs_knots(DATA["age"], 8)
    with pytest.raises(ValueError, match="age.*at least 6"):
        rcs_knots([1, 2, 3, np.nan], 3, name="age")
    with pytest.raises(ValueError, match="fewer than 3 distinct knots"):
        rcs_knots([1, 1, 1, 2, 2, 2, 3, 3, 4], 3)


def test_cph_with_spline_and_log_terms_matches_coefficients():
    fit = stats.cox_fit(_design(DATA, 4, True), DATA["time"], DATA["event"])
    np.testing.assert_allclose(fit.coef_.to_numpy(), list(R["cox"]["coef"].values()), atol=2e-4)
    np.testing.assert_allclose(fit.loglik_, R["cox"]["loglik"][1], atol=1e-6)
    surv = fit.predict_survival(_design(DATA, 4, True), [52])[:, 0]
    np.testing.assert_allclose(surv, R["cox"]["predicted_u"], atol=1e-4)


@pytest.mark.parametrize("pairs", ["plain", "robust"])
def test_lowess_matches_r(pairs):
    ref = R["lowess"] if pairs == "plain" else R["lowess"]["robust"]
    x, y = lowess(_floats(ref["x"]), _floats(ref["y"]), iter=0 if pairs == "plain" else 3)
    np.testing.assert_array_equal(x, _floats(ref["fit_x"]))
    np.testing.assert_allclose(y, _floats(ref["fit_y"]), rtol=0, atol=1e-12)


def _r_validate(ref: dict, rows) -> pd.DataFrame:
    table = pd.DataFrame({k: v for k, v in ref.items() if k != "index"}, index=ref["index"])
    return table.loc[list(rows)]


def test_validate_cph_matches_rms_with_its_resamples():
    result = validate_cph(_design(DATA, 4, True), DATA["time"], DATA["event"], _resamples("cox_validate"))
    expected = _r_validate(R["cox"]["validate"], result.index)
    np.testing.assert_allclose(result.to_numpy(dtype=float), expected[list(result.columns)].to_numpy(dtype=float),
                               atol=2e-4)
    assert result.loc["Slope", "index.corrected"] == pytest.approx(0.5924, abs=2e-4)


def test_validate_lrm_matches_rms_with_its_resamples():
    result = validate_lrm(_design(ER, 3, False), ER["er52"], _resamples("logistic_validate"))
    expected = _r_validate(R["logistic"]["validate"], result.index)
    np.testing.assert_allclose(result.to_numpy(dtype=float), expected[list(result.columns)].to_numpy(dtype=float),
                               atol=1e-6)


def test_indices_of_a_constant_predictor_are_rms_defaults():
    assert cox_indices(np.zeros(10), np.arange(1, 11), np.ones(10)) == {"Dxy": 0.0, "R2": 0.0, "Slope": 1.0}
    assert logistic_indices(np.ones(6), [0, 1, 0, 1, 1, 0])["Slope"] == 1.0


def test_calibrate_cph_matches_rms_km_method():
    result = calibrate_cph(_design(DATA, 4, True), DATA["time"], DATA["event"], 52, _resamples("cox_calibrate"), m=25)
    expected = pd.DataFrame(R["cox"]["calibrate"])
    np.testing.assert_array_equal(result["n"], expected["n"])
    np.testing.assert_allclose(result.to_numpy(dtype=float), expected[list(result.columns)].to_numpy(dtype=float),
                               atol=2e-4)


def test_calibrate_lrm_matches_rms_lowess_method():
    result = calibrate_lrm(_design(ER, 3, False), ER["er52"], _resamples("logistic_calibrate"))
    expected = pd.DataFrame(R["logistic"]["calibrate"])
    columns = list(expected.columns)
    np.testing.assert_array_equal(result["n"], expected["n"])
    np.testing.assert_allclose(result[columns].to_numpy(dtype=float), expected[columns].to_numpy(dtype=float),
                               atol=1e-6)


NOMOGRAM = R["nomogram"]


def _cox_nomogram_coef() -> dict:
    """rms's cph coefficients of rcs(age, 4) + log(afp) + sex as hccdash nomogram coefficients."""
    from hccdash.stats.nomogram import Transformed

    c = R["cox"]["coef"]
    return {"age": Transformed((c["age"], c["age'"], c["age''"]), knots=tuple(_floats(R["cox"]["knots"]))),
            "afp": Transformed((c["afp"],), log=True), "sex": c["sex"]}


def test_nomogram_of_spline_and_log_terms_matches_rms():
    """rms::nomogram(cph(... rcs(age, 4) + log(afp) + sex), afp = ticks): nonlinear axes, scale, patients."""
    ticks = {"afp": NOMOGRAM["axes"]["afp"]["values"]}
    nomo = stats.nomogram_axes(_cox_nomogram_coef(), DATA, centre=True, values=ticks)
    assert nomo.scale == pytest.approx(NOMOGRAM["sc"], rel=1e-12)
    for name in ("age", "afp", "sex"):
        np.testing.assert_allclose(nomo.axes[name].values, NOMOGRAM["axes"][name]["values"])
        np.testing.assert_allclose(nomo.axes[name].points, NOMOGRAM["axes"][name]["points"], atol=1e-9)
    for i, row in enumerate(NOMOGRAM["patients"]["rows"]):
        points = stats.nomogram_points(_cox_nomogram_coef(), DATA, DATA.iloc[row - 1].to_dict(), centre=True,
                                       values=ticks)
        assert points["age"] == pytest.approx(NOMOGRAM["patients"]["age"][i], abs=1e-9)
        assert points["afp"] == pytest.approx(NOMOGRAM["patients"]["afp"][i], abs=1e-9)


def test_log_axis_ticks_cover_the_range_where_rms_stops():
    """rms's default afp ticks (pretty(range) from 0) give log(0) and rms stops; hccdash's log ticks."""
    from hccdash.stats.nomogram import log_ticks

    np.testing.assert_array_equal(log_ticks(DATA["afp"]), 10.0 ** np.arange(0, 7))
    np.testing.assert_array_equal(log_ticks([3, 700]), [2, 5, 10, 20, 50, 100, 200, 500, 1000])
    np.testing.assert_array_equal(log_ticks([20, 80]), np.arange(20, 81, 5))
    nomo = stats.nomogram_axes(_cox_nomogram_coef(), DATA, centre=True)
    assert nomo.axes["afp"].values[0] == 1.0 and np.all(np.isfinite(nomo.axes["afp"].points))
    with pytest.raises(ValueError, match="values > 0"):
        log_ticks([0, 10, 100])


@pytest.mark.parametrize("family", ["cox", "logistic"])
def test_interquartile_effects_match_summary_rms(family):
    """summary(fit): age (rcs) and afp (log) from the lower to the upper quartile, with rms's own coefficients
    and covariance (cph: rcs(age, 4) + log(afp) + sex; lrm: rcs(age, 3) + log(afp))."""
    ref = R[family]
    coef = ref["coef"] if family == "cox" else {k: v for k, v in ref["effect_coef"].items() if k != "Intercept"}
    names = list(coef)
    var = np.array(ref["var"], dtype=float)
    if family == "logistic":
        var = var[1:, 1:]  # without the intercept
    frame = DATA if family == "cox" else ER
    knots = rcs_knots(frame["age"], 4 if family == "cox" else 3)
    for variable, columns in (("age", [n for n in names if n.startswith("age")]), ("afp", ["afp"])):
        expected = ref["effects"][variable]
        low, high = stats.interquartile_range(frame[variable])
        assert (low, high) == pytest.approx((expected["low"], expected["high"]), abs=1e-12)
        if variable == "age":
            rows = rcs_basis([low, high], knots)
        else:
            rows = np.log([[low], [high]])
        idx = [names.index(c) for c in columns]
        effect = stats.contrast_effect([coef[c] for c in columns], var[np.ix_(idx, idx)], rows[0], rows[1], low, high)
        for key, value in (("effect", effect.effect), ("se", effect.se), ("lower", effect.lower),
                           ("upper", effect.upper), ("ratio", effect.ratio), ("ratio_lower", effect.ratio_lower),
                           ("ratio_upper", effect.ratio_upper)):
            assert value == pytest.approx(expected[key], rel=1e-9), (variable, key)
