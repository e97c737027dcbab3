"""Updating against R (tests/reference/updating/updating.R, recorded in updating.json; versions in
VERSIONS.txt): a Cox and a logistic model developed on Rotterdam, stored as JSON model files,
validated and updated on the GBSG cohort stored here, must give R's updated predictions::

    f0 <- coxph(Surv(tm, event) ~ lp, data = val, init = 1, control = coxph.control(iter.max = 0))
    f1 <- coxph(Surv(tm, event) ~ lp, data = val)           # logistic recalibration
    f2 <- coxph(Surv(tm, event) ~ age + meno + ..., data = val)   # refit
    summary(survfit(f, newdata = val[1:5, ]), times = c(12, 36, 60))
    glm(rfs5 ~ offset(lp), binomial); glm(rfs5 ~ lp, binomial); glm(rfs5 ~ age + ..., binomial)

(f0 is coxph(Surv ~ offset(lp)) with the coefficient held at 1: the same baseline, which
survfit() with newdata computes correctly.)"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.cohort import EventCoding, guess_mapping, import_cohort, read_table, remap
from hccdash.registry import registry
from hccdash.registry.json_model import JsonModel
from hccdash.registry.model_file import ModelParts, build_spec
from hccdash.stats import cox_fit, logistic_fit
from hccdash.validation.inputs import assemble, plan_validation
from hccdash.validation.report import validation_report
from hccdash.validation.updating import update_model

REF = Path(__file__).resolve().parents[1] / "reference"
R = json.loads((REF / "updating" / "updating.json").read_text())
VARS = ["age", "meno", "size_20_50", "size_gt50", "grade3", "nodes", "lpgr", "hormon"]
MONTH = 30.4375
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")


def _read(name: str) -> pd.DataFrame:
    frame = pd.read_csv(REF / "validation" / name)
    return frame.assign(tm=frame["time"] / MONTH)


def _store_models() -> None:
    dev = _read("rotterdam.csv")
    terms = [{"name": v, "predictor": v, "type": "linear"} for v in VARS]
    cox = cox_fit(dev[VARS], dev["tm"], dev["event"], ties="efron")
    spec = build_spec(ModelParts(kind="rfs", submodel="clinical", terms=terms, coef=cox.coef_, covariance=cox.cov_),
                      dev[VARS], dev["tm"].to_numpy(), dev["event"].to_numpy(), name="rott_cox",
                      horizons=(12.0, 36.0, 60.0))
    registry.import_json(json.dumps(spec), "rott_cox")
    dev5 = dev[dev["rfs5"].notna()]
    glm = logistic_fit(dev5[VARS], dev5["rfs5"])
    spec = build_spec(ModelParts(kind="er", submodel="clinical", terms=terms, coef=glm.coef_, covariance=glm.cov_,
                                 intercept=float(glm.intercept_), er_horizon=60.0),
                      dev5[VARS], dev5["tm"].to_numpy(), dev5["event"].to_numpy(), name="rott_er")
    registry.import_json(json.dumps(spec), "rott_er")


def _store_gbsg(folder: Path) -> None:
    val = _read("gbsg.csv")[["pid", "tm", "event", *VARS]]
    path = folder / "gbsg_clinical.csv"
    val.to_csv(path, index=False, float_format="%.17g")
    table = read_table(path)
    mapping = remap(table, guess_mapping(table), id_col="pid", time_col="tm", time_unit="months", event_col="event",
                    event_coding=EventCoding(("1",), ("0",)), centre_col=None)
    result = import_cohort("gbsg", table, mapping.with_predictors(VARS))
    assert result.ok, result.report.to_text()


@pytest.fixture
def gbsg(hccdash_home, tmp_path):
    _store_models()
    _store_gbsg(tmp_path)
    return {name: assemble(plan_validation(registry.json_model(name), "gbsg", "all", horizons=R["cox"]["times"]))
            for name in ("rott_cox", "rott_er")}


def _first_five() -> list[str]:
    return [str(p) for p in _read("gbsg.csv")["pid"].iloc[:5]]


def test_development_model_is_r_s(gbsg):
    model = gbsg["rott_cox"].model
    assert np.allclose(model.coef[VARS], [R["cox"]["coef"][v] for v in VARS], rtol=1e-7)


@pytest.mark.parametrize(("method", "key", "ties"), [
    ("recalibration_in_the_large", "in_the_large", "efron"),
    ("logistic_recalibration", "recalibration", "efron"),
    ("refit", "refit", "efron"),
])
def test_cox_updates_predict_as_r(gbsg, method, key, ties):
    data = gbsg["rott_cox"]
    updated = JsonModel(update_model(data.model, data, method, name="u", ties=ties))
    rows = data.inputs.loc[_first_five()]
    expected = np.asarray(R["cox"][key]["surv"])
    assert np.allclose(updated.predict_survival(rows, R["cox"]["times"]), expected, rtol=1e-7, atol=1e-10)
    if method == "refit":  # the refit's own covariance: survfit's log CI
        _, lower, upper = updated.predict_survival(rows, R["cox"]["times"], level=0.95)
        assert np.allclose(lower, R["cox"]["refit"]["lower"], rtol=1e-6)
        assert np.allclose(upper, R["cox"]["refit"]["upper"], rtol=1e-6)
        assert np.allclose(updated.coef[VARS], [R["cox"]["refit"]["coef"][v] for v in VARS], rtol=1e-7)
    if method == "logistic_recalibration":
        slope = R["cox"]["recalibration"]["slope"]
        assert updated.spec["lineage"][-1]["slope"] == pytest.approx(slope, rel=1e-8)
        covariance = slope**2 * np.asarray(data.model.spec["model"]["covariance"]) + np.outer(
            data.model.coef, data.model.coef) * R["cox"]["recalibration"]["slope_var"]
        assert np.allclose(updated.spec["model"]["covariance"], covariance, rtol=1e-6)


def test_recalibration_in_the_large_expected_events(gbsg):
    """O / E on the updating patients: Efron's baseline counts tied events a little above
    R's predict(type = "expected") sum says so too; Breslow's gives exactly O."""
    data = gbsg["rott_cox"]
    efron = validation_report(data.for_model(JsonModel(update_model(data.model, data, "recalibration_in_the_large",
                                                                      name="e"))))
    breslow_spec = update_model(data.model, data, "recalibration_in_the_large", name="b", ties="breslow")
    breslow = validation_report(data.for_model(JsonModel(breslow_spec)))
    assert efron.value("observed_events") == R["cox"]["observed"] == 299
    assert efron.value("expected_events") == pytest.approx(R["cox"]["in_the_large"]["expected"], rel=1e-9)
    assert breslow.value("expected_events") == pytest.approx(R["cox"]["in_the_large"]["expected_breslow"], rel=1e-9)
    assert breslow.value("oe_ratio") == pytest.approx(1.0, abs=1e-8)
    rows = data.inputs.loc[_first_five()]
    assert np.allclose(JsonModel(breslow_spec).predict_survival(rows, R["cox"]["times"]),
                       R["cox"]["in_the_large"]["surv_breslow"], rtol=1e-7)


def test_logistic_updates_as_r(gbsg):
    data = gbsg["rott_er"]
    model = data.model
    rows = data.inputs.loc[[str(p) for p in R["logistic"]["pids"]]]
    V = np.asarray(model.spec["model"]["covariance"])
    intercept = update_model(model, data, "recalibration_in_the_large", name="i")
    shift = R["logistic"]["in_the_large"]["shift"]
    assert intercept["model"]["intercept"] == pytest.approx(model.spec["model"]["intercept"] + shift, rel=1e-8)
    assert intercept["model"]["covariance"][0][0] == pytest.approx(V[0, 0] + R["logistic"]["in_the_large"]["shift_var"],
                                                                   rel=1e-6)
    assert np.allclose(JsonModel(intercept).predict_proba(rows), R["logistic"]["in_the_large"]["prob"], rtol=1e-8)
    slope = update_model(model, data, "logistic_recalibration", name="s")
    (alpha, s), W = R["logistic"]["recalibration"]["coef"], np.asarray(R["logistic"]["recalibration"]["vcov"])
    assert np.allclose(JsonModel(slope).predict_proba(rows), R["logistic"]["recalibration"]["prob"], rtol=1e-8)
    jacobian = np.column_stack([np.r_[1.0, np.zeros(len(VARS))], np.r_[model.spec["model"]["intercept"], model.coef]])
    assert np.allclose(slope["model"]["covariance"], s**2 * V + jacobian @ W @ jacobian.T, rtol=1e-6)
    assert slope["lineage"][-1]["intercept_shift"] == pytest.approx(alpha, rel=1e-8)
    refit = JsonModel(update_model(model, data, "refit", name="r"))
    assert np.allclose(refit.predict_proba(rows), R["logistic"]["refit"]["prob"], rtol=1e-8)
    assert refit.spec["model"]["intercept"] == pytest.approx(R["logistic"]["refit"]["intercept"], rel=1e-7)
