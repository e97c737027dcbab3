"""External validation (validate_cox, validate_logistic) and the IPCW Brier score against R:
a Cox and a logistic model developed on survival::rotterdam and validated on survival::gbsg
(fixtures in tests/reference/validation: make_data.R wrote the CSVs, validation.R read them
and wrote validation.json; versions in VERSIONS.txt)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.stats import (
    brier_score,
    cox_fit,
    logistic_fit,
    scaled_brier,
    validate_cox,
    validate_logistic,
)

REF = Path(__file__).resolve().parents[1] / "reference" / "validation"
R = json.loads((REF / "validation.json").read_text())
DEV = pd.read_csv(REF / "rotterdam.csv")
VAL = pd.read_csv(REF / "gbsg.csv")
VARS = ["age", "meno", "size_20_50", "size_gt50", "grade3", "nodes", "lpgr", "hormon"]
DEV5, VAL5 = DEV.dropna(subset=["rfs5"]), VAL.dropna(subset=["rfs5"])
SURV = np.array(R["cox"]["surv"])  # survfit(fit, newdata = gbsg) at 1, 3, 5 years (686 x 3)
REL = 1e-6  # keys computed from given predictions
REL_FIT = 1e-5  # keys that are (or rest on) a coefficient fitted on the validation data


@pytest.fixture(scope="module")
def cox_model():
    return cox_fit(DEV[VARS], DEV["time"], DEV["event"])


@pytest.fixture(scope="module")
def cox_result(cox_model):
    return validate_cox(cox_model, VAL[VARS], VAL["time"], VAL["event"], R["cox"]["times"])


@pytest.fixture(scope="module")
def logistic_model():
    return logistic_fit(DEV5[VARS], DEV5["rfs5"])


def test_development_models_match_r(cox_model, logistic_model):
    """coxph(Surv(time, event) ~ age + meno + size_20_50 + size_gt50 + grade3 + nodes + lpgr
    + hormon, rotterdam, ties = "efron") and glm(rfs5 ~ ..., binomial, rotterdam without NA):
    coefficients to 1e-5 relative, so the validation below starts from R's model."""
    np.testing.assert_allclose(cox_model.coef_[VARS], [R["cox"]["coef"][v] for v in VARS], rtol=REL_FIT)
    np.testing.assert_allclose(cox_model.predict(VAL[VARS]), R["cox"]["lp"], rtol=REL_FIT)
    np.testing.assert_allclose(cox_model.predict_survival(VAL[VARS], R["cox"]["times"]), SURV, rtol=REL_FIT)
    np.testing.assert_allclose(
        logistic_model.coef_[VARS], [R["logistic"]["coef"][v] for v in VARS], rtol=REL_FIT
    )
    assert logistic_model.intercept_ == pytest.approx(R["logistic"]["intercept"], rel=REL_FIT)


@pytest.mark.parametrize(
    "key, rel",
    [
        ("c_index", REL),
        ("calibration_slope", REL_FIT),
        ("calibration_slope_se", REL_FIT),
        ("observed", REL),
        ("expected", REL_FIT),
        ("oe_ratio", REL_FIT),
        ("oe_lower", REL_FIT),
        ("oe_upper", REL_FIT),
        ("brier", REL_FIT),
        ("brier_null", REL),
        ("ipa", REL_FIT),
        ("td_auc", REL),
    ],
)
def test_validate_cox_against_r(cox_result, key, rel):
    """R (validation.R), fit = the rotterdam coxph above, val = gbsg, lp = x' coef(fit):
    c_index = concordance(Surv(time, event) ~ lp, val, reverse = TRUE)$concordance;
    calibration_slope(_se) = coef and sqrt(vcov) of coxph(Surv(time, event) ~ lp, val);
    expected = sum(predict(fit, newdata = val, type = "expected")), O = sum(event),
    oe_* = O/E * exp(c(0, -1, 1) * qnorm(0.975) / sqrt(O));
    S = t(summary(survfit(fit, newdata = val), times = c(1, 3, 5) * 365.25)$surv);
    Score(list(model = 1 - S), Surv(time, event) ~ 1, val, times = c(1, 3, 5) * 365.25,
    metrics = c("auc", "brier"), cens.model = "km", summary = "ipa"): brier / IPA of the
    model row, brier_null of the "Null model" row, td_auc = AUC of the model row."""
    np.testing.assert_allclose(cox_result[key], R["cox"][key], rtol=rel)


def test_expected_events_carry_the_baseline_forward(cox_model):
    """predict(fit, newdata = gbsg[1:3, ] with time = c(100, 7043, 14086), type = "expected"):
    7043 days is the last development time; beyond it R carries the baseline hazard forward."""
    late = R["cox"]["expected_late"]
    got = cox_model.expected(VAL[VARS].iloc[:3], late["time"])
    np.testing.assert_allclose(got, late["expected"], rtol=REL_FIT)


@pytest.mark.parametrize("data", ["days", "months"])
def test_brier_score_against_score(data):
    """Score(list(model = 1 - S), Surv(time, event) ~ 1, gbsg, times, metrics = "brier",
    cens.model = "km", summary = "ipa")$Brier$score, with S the 686 x 3 survfit predictions:
    in days at 1, 3, 5 years, and with time_months = round(days / 30.4375) at 12, 36, 60
    months, where events and censorings tie with each other and with each horizon (the left
    limit G(T-), the factor 1 - c/(n - d) and 'time <= t is a case' each move the months
    values by more than 1e-5)."""
    time, expected = (VAL["time"], R["cox"]) if data == "days" else (VAL["time_months"], R["brier_months"])
    times = expected["times"]
    np.testing.assert_allclose(brier_score(time, VAL["event"], SURV, times), expected["brier"], rtol=REL)
    table = scaled_brier(time, VAL["event"], SURV, times)
    np.testing.assert_allclose(table["time"], times)
    for key in ("brier", "brier_null", "ipa"):
        np.testing.assert_allclose(table[key], expected[key], rtol=REL)


def test_brier_score_by_hand():
    """time 1, 2, 2, 3 with events 1, 1, 0, 0 at t = 2. Censoring KM: G = 1 until 2, where the
    censoring among 3 at risk, 1 of them dying then, halves it (1 - 1/(3 - 1)). Cases at 1 and 2
    weigh 1/G(T-) = 1, the censoring at 2 weighs 0, the control at 3 weighs 1/G(2) = 2:
    Brier = (0.2^2 + 0.4^2 + 2 * 0.3^2) / 4 = 0.095."""
    got = brier_score([1, 2, 2, 3], [1, 1, 0, 0], [[0.2], [0.4], [0.9], [0.7]], [2])
    assert got[0] == pytest.approx(0.095, rel=1e-12)


def test_validate_logistic_against_r(logistic_model):
    """R (validation.R), lfit = glm(rfs5 ~ age + meno + size_20_50 + size_gt50 + grade3 + nodes
    + lpgr + hormon, binomial, rotterdam), val5 = gbsg without NA rfs5 (censored within 5 years),
    lp = predict(lfit, newdata = val5), p = plogis(lp):
    ci.auc(roc(rfs5, p, levels = c(0, 1), direction = "<"), method = "delong");
    calibration_intercept = coef(glm(rfs5 ~ offset(lp), binomial, val5));
    calibration_slope = coef(glm(rfs5 ~ lp, binomial, val5))[2]; brier = mean((rfs5 - p)^2)."""
    got = validate_logistic(logistic_model, VAL5[VARS], VAL5["rfs5"])
    assert len(VAL5) == R["logistic"]["n"]
    for key in ("auc", "auc_lower", "auc_upper", "brier"):
        assert got[key] == pytest.approx(R["logistic"][key], rel=REL), key
    for key in ("calibration_intercept", "calibration_slope"):
        assert got[key] == pytest.approx(R["logistic"][key], rel=REL_FIT), key


def test_missing_model_column_is_named(cox_model, logistic_model):
    X = VAL[VARS].drop(columns="lpgr")
    with pytest.raises(ValueError, match="lpgr"):
        validate_cox(cox_model, X, VAL["time"], VAL["event"], [365.25])
    with pytest.raises(ValueError, match="lpgr"):
        validate_logistic(logistic_model, VAL5[VARS].drop(columns="lpgr"), VAL5["rfs5"])


def test_no_events_is_refused(cox_model, logistic_model):
    with pytest.raises(ValueError, match="no events.*C-index and the calibration slope are undefined"):
        validate_cox(cox_model, VAL[VARS], VAL["time"], np.zeros(len(VAL)), [365.25])
    with pytest.raises(ValueError, match="only controls.*undefined"):
        validate_logistic(logistic_model, VAL5[VARS], np.zeros(len(VAL5)))


def test_horizon_beyond_follow_up_names_both(cox_model):
    with pytest.raises(ValueError, match=r"horizon 3000 is beyond the last follow-up \(2659\)"):
        validate_cox(cox_model, VAL[VARS], VAL["time"], VAL["event"], [365.25, 3000])
    with pytest.raises(ValueError, match=r"horizon 3000 is beyond the last follow-up \(2659\)"):
        brier_score(VAL["time"], VAL["event"], np.full((len(VAL), 1), 0.5), [3000])
    # new data followed longer than the development data
    with pytest.raises(ValueError, match=r"horizon 8000 .* development data \(7043\)"):
        validate_cox(cox_model, VAL[VARS], VAL["time"] * 4, VAL["event"], [8000])


def test_bad_predictions_are_refused():
    with pytest.raises(ValueError, match="686 x 3"):
        brier_score(VAL["time"], VAL["event"], SURV[:, :2], R["cox"]["times"])
    bad = SURV.copy()
    bad[5, 1] = 1.5
    with pytest.raises(ValueError, match="1.5 at row 5, column 1"):
        brier_score(VAL["time"], VAL["event"], bad, R["cox"]["times"])
