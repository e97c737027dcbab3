"""hccdash.stats.survival against R survival 3.5.3 and maxstat 0.7.25
(fixture: tests/reference/survival/)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.stats import survival

FIXTURE = Path(__file__).resolve().parents[1] / "reference" / "survival"
R = json.loads((FIXTURE / "survival.json").read_text())
ROSSI = pd.read_csv(FIXTURE / "rossi.csv")
GBSG = pd.read_csv(FIXTURE / "gbsg2.csv")
DATA = {"rossi": (ROSSI, "week", "arrest"), "gbsg": (GBSG, "time", "cens")}


def _surv(name):
    frame, time, event = DATA[name]
    return frame, frame[time].to_numpy(float), frame[event].to_numpy(float)


GROUPS = {
    "rossi_fin": ("rossi", lambda d: d["fin"].to_numpy()),
    "rossi_prio3": ("rossi", lambda d: np.minimum(d["prio"].to_numpy(), 3)),
    "gbsg_tgrade": ("gbsg", lambda d: d["tgrade"].to_numpy()),
}


@pytest.mark.parametrize("case", list(GROUPS))
def test_logrank_against_survdiff(case):
    """survdiff(Surv(week, arrest) ~ fin, rossi), ~ pmin(prio, 3) (4 groups) and
    survdiff(Surv(time, cens) ~ tgrade, gbsg2) (3 groups): chisq, df, p to 1e-6."""
    name, make_group = GROUPS[case]
    frame, time, event = _surv(name)
    result = survival.logrank(time, event, make_group(frame))
    expected = R["survdiff"][case]
    assert result["chisq"] == pytest.approx(expected["chisq"], abs=1e-6)
    assert result["df"] == expected["df"]
    assert result["p"] == pytest.approx(expected["p"], abs=1e-6)
    np.testing.assert_allclose(list(result["expected"].values()), expected["expected"], atol=1e-6)
    assert list(result["observed"].values()) == expected["observed"]
    assert [str(k) for k in result["observed"]] == expected["groups"]


@pytest.mark.parametrize("name", ["rossi", "gbsg"])
def test_km_at_times_against_survfit(name):
    """summary(survfit(Surv(time, event) ~ 1, conf.type = "log"), times = ..., extend = TRUE):
    surv, std.err, lower, upper, n.risk to 1e-6 (times include 0, non-event times and a
    time beyond follow-up)."""
    _, time, event = _surv(name)
    expected = R["survfit"][name]
    got = survival.km_at(time, event, expected["times"])
    for column in ("surv", "std_err", "lower", "upper", "n_risk"):
        np.testing.assert_allclose(got[column], expected[column], atol=1e-6, err_msg=column)
    np.testing.assert_allclose(survival.km_survival(time, event, expected["times"]), expected["surv"], atol=1e-6)


@pytest.mark.parametrize("name", ["rossi", "gbsg"])
def test_kaplan_meier_table_against_survfit(name):
    """summary(survfit(Surv(time, event) ~ 1), censored = TRUE): every row to 1e-6."""
    _, time, event = _surv(name)
    expected = pd.DataFrame(R["survfit"][name]["table"])
    got = survival.kaplan_meier(time, event)
    assert len(got) == len(expected)
    for column in expected:
        np.testing.assert_allclose(got[column], expected[column], atol=1e-6, err_msg=column)


def test_km_conf_level_90_against_survfit():
    """summary(survfit(Surv(week, arrest) ~ 1, rossi, conf.int = 0.90), times = c(10, 30, 50))."""
    _, time, event = _surv("rossi")
    expected = R["survfit"]["rossi_90"]
    got = survival.km_at(time, event, expected["times"], conf_level=0.90)
    np.testing.assert_allclose(got["lower"], expected["lower"], atol=1e-6)
    np.testing.assert_allclose(got["upper"], expected["upper"], atol=1e-6)


def test_logrank_scores_against_exactranktests():
    """exactRankTests::cscores(Surv(week, arrest), type = "LogRank") (maxstat's scores,
    with their tie handling) on rossi (many tied weeks): 1e-12."""
    _, time, event = _surv("rossi")
    np.testing.assert_allclose(survival.logrank_scores(time, event), R["logrank_scores_rossi"], atol=1e-12)


MAXSTAT = {
    "gbsg_pnodes": ("gbsg", "pnodes"), "gbsg_progrec": ("gbsg", "progrec"),
    "gbsg_age": ("gbsg", "age"), "rossi_prio": ("rossi", "prio"), "rossi_age": ("rossi", "age"),
}


@pytest.mark.parametrize("case", list(MAXSTAT))
def test_max_logrank_against_maxstat(case):
    """maxstat.test(Surv(time, event) ~ score, data, smethod = "LogRank",
    pmethod = "Lau92" / "Lau94", minprop = 0.1, maxprop = 0.9) and minprop 0.25 /
    maxprop 0.75: cutoff exact, statistic to 1e-6, p to relative 1e-6."""
    name, column = MAXSTAT[case]
    frame, time, event = _surv(name)
    score = frame[column].to_numpy(float)
    expected = R["maxstat"][case]
    result = survival.max_logrank(time, event, score, minprop=0.1)
    assert result.cutoff == expected["cutoff"]
    assert result.statistic == pytest.approx(expected["statistic"], abs=1e-6)
    assert result.p == pytest.approx(expected["p_lau92"], rel=1e-6, abs=0)
    assert result.n_low == (score <= result.cutoff).sum()
    lau94 = survival.max_logrank(time, event, score, minprop=0.1, p_method="Lau94")
    assert lau94.p == pytest.approx(expected["p_lau94"], rel=1e-6, abs=0)
    narrow = survival.max_logrank(time, event, score, minprop=0.25)
    assert narrow.cutoff == expected["cutoff_025"]
    assert narrow.statistic == pytest.approx(expected["statistic_025"], abs=1e-6)
    assert narrow.p == pytest.approx(expected["p_lau92_025"], rel=1e-6, abs=0)
    assert survival.max_logrank_cutoff(time, event, score) == expected["cutoff"]


HR = {
    "rossi_fin": ("rossi", lambda d: d["fin"].to_numpy()),
    "gbsg_pnodes3": ("gbsg", lambda d: d["pnodes"].to_numpy() > 3),
}


@pytest.mark.parametrize("case", list(HR))
def test_hazard_ratio_groups_against_coxph(case):
    """summary(coxph(Surv(week, arrest) ~ fin, rossi)) and
    coxph(Surv(time, cens) ~ I(pnodes > 3), gbsg2) (Efron ties): HR, CI, Wald p to 1e-6."""
    name, make_group = HR[case]
    frame, time, event = _surv(name)
    got = survival.hazard_ratio_groups(time, event, make_group(frame))
    expected = R["hr"][case]
    assert (got.hr, got.lower, got.upper, got.p) == pytest.approx(
        (expected["hr"], expected["lower"], expected["upper"], expected["p"]), abs=1e-6
    )


def test_number_at_risk_counts_ties_at_t():
    assert survival.number_at_risk([1, 2, 2, 3, 5], [0, 2, 2.5, 6]).tolist() == [5, 4, 2, 0]


def test_bad_event_names_rows():
    with pytest.raises(ValueError, match="event must be 0/1; bad rows \\[1\\]"):
        survival.km_survival([1, 2], [1, 2], [1])
