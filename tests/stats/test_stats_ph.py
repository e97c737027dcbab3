"""Proportional-hazards test against survival::cox.zph (fixtures in
tests/reference/rms_parity, made by zph.R): every transform, Efron and Breslow ties, tied
event times (rossi's weeks), a two-column term, and the scaled Schoenfeld residuals; the
fit given (not refitted) only when it is the fit of the rows tested."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.stats import cox_fit, kaplan_meier, ph_test, zph
from hccdash.stats.proportional_hazards import transformed_time
from hccdash.stats.survival import km_curve

REF = Path(__file__).resolve().parents[1] / "reference" / "rms_parity"
R = json.loads((REF / "zph.json").read_text())
ROSSI = pd.read_csv(REF / "rossi.csv")
WHAS = pd.read_csv(REF / "whas500.csv")
DATA = {
    "rossi": (ROSSI[["fin", "age", "race", "wexp", "mar", "paro", "prio"]], ROSSI.week, ROSSI.arrest),
    "whas": (WHAS[["age", "bmi", "hr", "sysbp", "diasbp", "gender", "chf", "mitype"]], WHAS.lenfol, WHAS.fstat),
}


def _assert_table(table: pd.DataFrame, ref: dict) -> None:
    assert list(table.index) == ref["term"]
    assert table["df"].tolist() == ref["df"]
    np.testing.assert_allclose(table["chisq"], ref["chisq"], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(table["p"], ref["p"], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("transform", ["km", "rank", "identity", "log"])
@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("data", list(DATA))
def test_ph_test_matches_cox_zph(data, ties, transform):
    """R: cox.zph(coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio,
    rossi, ties = ties), transform = transform) and the same for whas500; chisq to 1e-7
    relative (R's fit stops at its default eps 1e-9; ours is exact: rossi differs by 2e-8)."""
    X, time, event = DATA[data]
    _assert_table(ph_test(X, time, event, transform=transform, ties=ties), R[f"{data}_{ties}_{transform}"])


def test_scaled_schoenfeld_residuals_match_cox_zph():
    """R: z <- cox.zph(fit, transform = "km"); z$x, z$time, z$y (what plot(z) draws), rossi,
    Efron ties: 114 events over 49 distinct weeks."""
    ref = R["rossi_efron_km_resid"]
    result = zph(*DATA["rossi"])
    res = result.residuals
    assert len(res) == 114 and res["time"].nunique() < 114  # tied event times
    np.testing.assert_allclose(res["time"], ref["time"], atol=0)
    np.testing.assert_allclose(res["x"], ref["x"], rtol=1e-12)
    np.testing.assert_allclose(res[ref["terms"]].to_numpy(), np.array(ref["y"]), rtol=1e-6, atol=1e-7)
    assert result.failing == ["age", "wexp"]  # p 0.015 and 0.040 in R


def test_two_column_term_is_one_chi_square_with_two_df():
    """R: cox.zph(coxph(Surv(lenfol, fstat) ~ poly(age, 2) + hr + gender, whas500)) (terms TRUE:
    one row, df 2) and terms = FALSE (a row per column); the design is R's model matrix."""
    d = pd.read_csv(REF / "whas_poly_design.csv")
    X = d[["age_1", "age_2", "hr", "gender"]]
    terms = {"poly(age, 2)": ["age_1", "age_2"], "hr": ["hr"], "gender": ["gender"]}
    _assert_table(ph_test(X, d.lenfol, d.fstat, terms=terms), R["whas_poly_efron_km"])
    by_column = ph_test(X, d.lenfol, d.fstat)
    np.testing.assert_allclose(by_column["chisq"], R["whas_poly_efron_km_columns"]["chisq"], rtol=1e-7)
    residuals = zph(X, d.lenfol, d.fstat, terms=terms).residuals
    assert list(residuals.columns) == ["time", "x", "poly(age, 2)", "hr", "gender"]


def test_km_transform_is_one_minus_survival_just_before_t():
    """By hand: times 1, 2, 2(censored), 3: S(1-) = 1, S(2-) = 3/4, S(3-) = 3/4 * 2/3."""
    g = transformed_time([1, 2, 2, 3], [1, 1, 0, 1], "km")
    np.testing.assert_allclose(g, [0.0, 0.25, 0.25, 0.5])


def test_bad_input_is_named():
    X, time, event = DATA["rossi"]
    with pytest.raises(ValueError, match="transform must be one of"):
        ph_test(X, time, event, transform="sqrt")
    with pytest.raises(ValueError, match=r"missing \['prio'\]"):
        ph_test(X, time, event, terms={"fin": ["fin"], "rest": ["age", "race", "wexp", "mar", "paro"]})
    with pytest.raises(ValueError, match="times > 0"):
        ph_test(X, time * 0, event, transform="log")


def test_every_event_at_one_time_is_refused():
    """g(t) is the same for every event, so the time-varying block of the information is zero."""
    X = pd.DataFrame({"x": [0.1, 0.5, 0.9, 0.3, 0.7, 0.2]})
    with pytest.raises(ValueError, match="singular"):
        ph_test(X, [2, 2, 2, 5, 6, 7], [1, 1, 1, 0, 0, 0])


def test_the_fit_given_is_used_when_it_is_the_fit_of_these_rows():
    """``fit`` (cox.zph's coxph object) skips the refit and gives the same numbers; a fit of other
    rows (same columns, patients and events: the events shuffled) or with other ties is not used."""
    X, time, event = DATA["rossi"]
    own = zph(X, time, event)
    given = zph(X, time, event, fit=cox_fit(X, time, event))
    pd.testing.assert_frame_equal(given.table, own.table, check_exact=True)
    pd.testing.assert_frame_equal(given.residuals, own.residuals, check_exact=True)
    shuffled = np.random.default_rng(0).permutation(event.to_numpy())
    other = cox_fit(X, time, shuffled)
    assert np.abs(other.coef_ - cox_fit(X, time, event).coef_).max() > 0.01
    for fit in (other, cox_fit(X, time, event, ties="breslow"), cox_fit(X.iloc[:-1], time[:-1], event[:-1])):
        pd.testing.assert_frame_equal(zph(X, time, event, fit=fit).table, own.table, check_exact=True)


def test_km_curve_is_the_kaplan_meier_tables_time_and_survival():
    time, event = ROSSI.week, ROSSI.arrest
    times, surv = km_curve(time, event)
    table = kaplan_meier(time, event)
    np.testing.assert_array_equal(times, table["time"])
    np.testing.assert_array_equal(surv, table["surv"])
    with pytest.raises(ValueError, match="time must be finite and >= 0"):
        km_curve([-1.0, 2.0], [1, 0])
