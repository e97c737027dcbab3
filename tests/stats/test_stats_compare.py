"""Model comparison against R (fixtures in tests/reference/rms_parity, made by compare.R):
Hmisc::improveProb (NRI, IDI), the same at a survival horizon, and survival::concordance(fit1,
fit2) for the difference of two correlated C-indices."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hccdash.stats import c_difference_test, cox_fit, harrell_c, harrell_c_se, reclassification, reclassification_at

REF = Path(__file__).resolve().parents[1] / "reference" / "rms_parity"
R = json.loads((REF / "compare.json").read_text())
PRED = pd.read_csv(REF / "compare_predictions.csv")
WHAS = pd.read_csv(REF / "whas500.csv")
ROSSI = pd.read_csv(REF / "rossi.csv")
FIELDS = {"nri": "nri", "nri_se": "se_nri", "nri_z": "z_nri", "nri_events": "nri_ev",
          "nri_events_se": "se_nri_ev", "nri_nonevents": "nri_ne", "nri_nonevents_se": "se_nri_ne",
          "idi": "idi", "idi_se": "se_idi", "idi_z": "z_idi", "n": "n", "n_events": "na"}


def _assert_improve_prob(result, ref: dict) -> None:
    for ours, theirs in FIELDS.items():
        assert result[ours] == pytest.approx(ref[theirs], rel=1e-9, abs=1e-12), ours


@pytest.mark.parametrize("case, old, new", [("binary", "p_old", "p_new"), ("binary_rounded", "p_old2", "p_new2")])
def test_reclassification_matches_improve_prob(case, old, new):
    """R: improveProb(x1 = p_old, x2 = p_new, y = death1y), glm probabilities of death within a
    year in whas500 (age + gender vs + hr + bmi + chf); "rounded": both to 2 decimals, so 28
    patients are not reclassified (d = 0 counts in neither direction)."""
    result = reclassification(PRED.death1y, PRED[old], PRED[new])
    _assert_improve_prob(result, R[case])
    if case == "binary_rounded":
        assert (PRED[old] == PRED[new]).sum() == 28
    assert result.nri == pytest.approx(result.nri_events + result.nri_nonevents)
    assert result.nri_p == pytest.approx(2 * stats.norm.sf(R[case]["z_nri"]), rel=1e-9)


def test_reclassification_at_horizon_among_known_status():
    """R: improveProb(x1 = r_old[known], x2 = r_new[known], y = status[known]), r = 1 - S(442 | x)
    of two Cox models (whas500); at 442 days one patient has an event (status 1) and one is
    censored (status 0, kept); 31 censored earlier are excluded."""
    ref = R["horizon"]
    result = reclassification_at(PRED.lenfol, PRED.fstat, PRED.r_old, PRED.r_new, ref["horizon"])
    _assert_improve_prob(result, ref)
    assert result.excluded == ref["excluded"] == 31


def test_reclassification_by_hand_and_bad_input():
    """Events: up, up, down -> 1/3; non-events: down, tie, up, down -> 1/4; IDI by hand."""
    y = [1, 1, 1, 0, 0, 0, 0]
    old = np.array([0.2, 0.3, 0.5, 0.4, 0.2, 0.1, 0.6])
    new = np.array([0.4, 0.4, 0.3, 0.2, 0.2, 0.3, 0.5])
    result = reclassification(y, old, new)
    assert result.nri_events == pytest.approx(1 / 3) and result.nri_nonevents == pytest.approx(1 / 4)
    d = new - old
    assert result.idi == pytest.approx(d[:3].mean() - d[3:].mean())
    with pytest.raises(ValueError, match="p_new must be probabilities in \\[0, 1\\], got 1.5 at position 2"):
        reclassification(y, old, [0.1, 0.2, 1.5, 0.1, 0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match="p_old has a missing or infinite value at position 0"):
        reclassification(y, [np.nan, *old[1:]], new)
    with pytest.raises(ValueError, match="y must be 0/1, got 2.0 at position 1"):
        reclassification([1, 2, 1, 0, 0, 0, 0], old, new)


@pytest.mark.parametrize("case", ["c_whas", "c_rossi"])
def test_c_difference_matches_concordance_of_two_fits(case):
    """R: cc <- concordance(fit1, fit2); contrast c(1, -1) with vcov(cc) (the infinitesimal
    jackknife); fits: whas500 age + gender + hr + bmi + chf vs age + gender, rossi all seven vs
    age + prio (rossi's weeks: many tied event times). Risks are R's linear predictors."""
    ref = R[case]
    data, time, event = (WHAS, "lenfol", "fstat") if case == "c_whas" else (ROSSI, "week", "arrest")
    result = c_difference_test(data[time], data[event], ref["lp1"], ref["lp2"])
    assert (result.c_a, result.c_b) == pytest.approx(tuple(ref["c"]), abs=1e-12)
    for name in ("difference", "se", "z", "p", "lower", "upper"):
        assert result[name] == pytest.approx(ref[name], rel=1e-9, abs=1e-13), name
    var = np.array(ref["var"])
    assert harrell_c_se(data[time], data[event], ref["lp1"]) ** 2 == pytest.approx(var[0, 0], rel=1e-10)


def test_c_difference_from_our_own_cox_fits():
    """The app's path: both models fitted by cox_fit (Efron) give R's difference to 1e-9."""
    ref = R["c_whas"]
    big = cox_fit(WHAS[["age", "gender", "hr", "bmi", "chf"]], WHAS.lenfol, WHAS.fstat)
    small = cox_fit(WHAS[["age", "gender"]], WHAS.lenfol, WHAS.fstat)
    result = c_difference_test(WHAS.lenfol, WHAS.fstat, big.predict(WHAS), small.predict(WHAS), level=0.9)
    assert result.difference == pytest.approx(ref["difference"], abs=1e-9)
    assert result.se == pytest.approx(ref["se"], rel=1e-7)
    assert result.upper - result.lower == pytest.approx(2 * 1.6448536269514722 * ref["se"], rel=1e-7)


def test_same_risk_twice_has_no_difference():
    time, event, risk = ROSSI.week, ROSSI.arrest, ROSSI.prio
    result = c_difference_test(time, event, risk, risk)
    assert result.difference == 0 and result.se == 0 and np.isnan(result.p)
    assert result.c_a == harrell_c(time, event, risk)
