"""hccdash.stats.time_auc against riskRegression 2022.11.28 (fixture: tests/reference/time_auc/)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.stats import time_auc

FIXTURE = Path(__file__).resolve().parents[1] / "reference" / "time_auc"
R = json.loads((FIXTURE / "time_auc.json").read_text())
GBSG = pd.read_csv(FIXTURE / "gbsg2.csv")
ROSSI = pd.read_csv(FIXTURE / "rossi.csv")
CASES = {
    "gbsg_pnodes": (GBSG["time"], GBSG["cens"], GBSG["pnodes"]),
    "gbsg_lp": (GBSG["time"], GBSG["cens"], 0.05 * GBSG["pnodes"] + 0.01 * GBSG["tsize"] - 0.002 * GBSG["progrec"]),
    "rossi_prio": (ROSSI["week"], ROSSI["arrest"], ROSSI["prio"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_time_dependent_auc_against_score(case):
    """Score(list(model = matrix(risk, n, length(times))), Surv(time, status) ~ 1, data,
    times = times, metrics = "auc", cens.model = "km"): AUC at 4 horizons to 1e-6
    (pnodes and prio are heavily tied: ties count 1/2)."""
    time, event, risk = CASES[case]
    got = time_auc.time_dependent_auc(time, event, risk, R[case]["times"])
    np.testing.assert_allclose(got, R[case]["auc"], atol=1e-6)


@pytest.mark.parametrize("case", list(CASES))
def test_roc_area_equals_auc(case):
    time, event, risk = CASES[case]
    t = R[case]["times"][1]
    roc = time_auc.time_dependent_roc(time, event, risk, t)
    area = np.trapezoid(roc["tpr"], roc["fpr"])
    assert area == pytest.approx(R[case]["auc"][1], abs=1e-9)
    assert roc["tpr"].iloc[-1] == pytest.approx(1.0) and roc["fpr"].iloc[-1] == pytest.approx(1.0)


def test_no_controls_gives_nan():
    got = time_auc.time_dependent_auc([1, 2, 3], [1, 1, 0], [3, 2, 1], [1.5, 5])
    assert got[0] == pytest.approx(1.0) and np.isnan(got[1])


@pytest.mark.parametrize("case", ["gbsg_lp", "rossi_prio"])
def test_time_dependent_roc_against_score(case):
    """Score(..., times = t, metrics = "auc", plots = "roc", cens.model = "km")$ROC$plotframe:
    per distinct risk (descending) TPR and FPR, to 1e-6 (t = 730 days / 20 weeks)."""
    time, event, risk = CASES[case]
    expected = R["roc"][case]
    roc = time_auc.time_dependent_roc(time, event, risk, expected["t"]).iloc[1:]
    np.testing.assert_allclose(roc["threshold"], expected["risk"], atol=1e-12)
    np.testing.assert_allclose(roc["tpr"], expected["tpr"], atol=1e-6)
    np.testing.assert_allclose(roc["fpr"], expected["fpr"], atol=1e-6)
