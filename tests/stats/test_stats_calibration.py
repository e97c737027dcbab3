"""hccdash.stats.calibration against direct R computations (fixture:
tests/reference/calibration/, R 4.2.2, survival 3.5.3)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.stats import calibration

FIXTURE = Path(__file__).resolve().parents[1] / "reference" / "calibration"
R = json.loads((FIXTURE / "calibration.json").read_text())
GBSG = pd.read_csv(FIXTURE / "gbsg2.csv")
PRED = pd.read_csv(FIXTURE / "predictions.csv")
HL_CASES = {"hl": ("prob", 10), "hl_5": ("prob", 5), "hl_tied": ("prob_tied", 10)}


@pytest.mark.parametrize("case", list(HL_CASES))
def test_hosmer_lemeshow_against_r_formula(case):
    """breaks <- unique(quantile(p, 0:g/g, type = 7));
    grp <- cut(p, breaks, include.lowest = TRUE); chisq = sum((O-E)^2/E + ...), df = k - 2
    (p = fitted(glm(cens ~ pnodes + tsize + age + progrec, binomial, gbsg2)); hl_tied uses
    round(pnodes / 60, 2), whose deciles repeat: 7 groups). Tolerance 1e-6."""
    column, groups = HL_CASES[case]
    expected = R[case]
    result = calibration.hosmer_lemeshow(GBSG["cens"], PRED[column], groups)
    assert result.groups == expected["n_groups"]
    assert result.df == expected["df"]
    assert result.chisq == pytest.approx(expected["chisq"], abs=1e-6)
    assert result.p == pytest.approx(expected["p"], abs=1e-6)


@pytest.mark.parametrize("case", list(HL_CASES))
def test_calibration_binary_against_r(case):
    """Group sizes, observed proportion, mean predicted, binom.test(k, n)$conf.int: 1e-6."""
    column, groups = HL_CASES[case]
    expected = R[case]
    table = calibration.calibration_binary(GBSG["cens"], PRED[column], groups)
    np.testing.assert_array_equal(table["n"], expected["n"])
    for key in ("observed", "mean_predicted", "lower", "upper"):
        np.testing.assert_allclose(table[key], expected[key], atol=1e-6, err_msg=key)


def test_calibration_survival_against_r():
    """grp <- cut(s, quantile(s, 0:4/4), include.lowest = TRUE), per group
    summary(survfit(Surv(time, cens) ~ 1, subset = grp == l), times = 1095, extend = TRUE);
    s = S(1095 | x) from survfit(coxph(Surv(time, cens) ~ pnodes + tsize + age + progrec)).
    Tolerance 1e-6."""
    expected = R["surv_1095"]
    table = calibration.calibration_survival(GBSG["time"], GBSG["cens"], PRED["surv_1095"], 1095)
    np.testing.assert_array_equal(table["n"], expected["n"])
    for key in ("mean_predicted", "observed", "lower", "upper"):
        np.testing.assert_allclose(table[key], expected[key], atol=1e-6, err_msg=key)


def test_quantile_type7_matches_numpy_linear():
    x = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
    probs = np.arange(11) / 10
    np.testing.assert_allclose(calibration.quantile_type7(x, probs), np.quantile(x, probs), atol=1e-12)


def test_probability_outside_unit_interval_is_named():
    with pytest.raises(ValueError, match="bad rows \\[2\\]"):
        calibration.hosmer_lemeshow([0, 1, 1], [0.2, 0.5, 1.0])
