"""Model updating on the external set: recalibration in the large gives O/E = 1 (Breslow
baseline) and, for a logistic model, a mean prediction equal to the observed proportion;
logistic recalibration gives a calibration slope of 1; each update is saved with its lineage,
round-trips through JSON and predicts in the calculator, ``predict`` and the pages."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hccdash.cli import main
from hccdash import calculator
from hccdash.registry import details, registry
from hccdash.registry.json_model import JsonModel
from hccdash.validation.inputs import assemble, plan_validation
from hccdash.validation.report import validation_report
from hccdash.validation.updating import default_name, save_update, update_and_compare, update_model

from validation_fixtures import CENTRES, COMBINED, ER_MODEL, validated_on_page

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")


def _external(name: str):
    return assemble(plan_validation(registry.json_model(name), CENTRES, "external"))


def _report_of(spec, data):
    return validation_report(data.for_model(JsonModel(spec)))


def test_recalibration_in_the_large_gives_observed_over_expected_one(home):
    data = _external(COMBINED)
    spec = update_model(data.model, data, "recalibration_in_the_large", name="recal", ties="breslow")
    updated = _report_of(spec, data)
    assert updated.value("oe_ratio") == pytest.approx(1.0, abs=1e-8)
    assert validation_report(data).value("oe_ratio") < 0.8  # the original over-predicts Centre B
    # coefficients kept: same linear predictor, discrimination and slope
    assert [t["coef"] for t in spec["model"]["terms"]] == [t["coef"] for t in data.model.spec["model"]["terms"]]
    assert updated.value("harrell_c") == validation_report(data).value("harrell_c")
    assert spec["risk_groups"]["cutoffs"] == data.model.spec["risk_groups"]["cutoffs"]


def test_logistic_recalibration_gives_slope_one(home):
    data = _external(COMBINED)
    spec = update_model(data.model, data, "logistic_recalibration", name="slope")
    original = validation_report(data)
    updated = _report_of(spec, data)
    assert updated.value("calibration_slope") == pytest.approx(1.0, abs=1e-6)
    slope = spec["lineage"][-1]["slope"]
    assert slope == pytest.approx(original.value("calibration_slope"), rel=1e-9)
    assert np.allclose([t["coef"] for t in spec["model"]["terms"]],
                       [slope * t["coef"] for t in data.model.spec["model"]["terms"]], rtol=1e-12)
    # the cut-off follows the linear predictor: the same patients in each risk group
    lp = data.model.linear_predictor(data.inputs)
    assert (data.model.group_of(lp) == JsonModel(spec).group_of(JsonModel(spec).linear_predictor(data.inputs))).all()


def test_logistic_model_updates_in_closed_form(home):
    data = _external(ER_MODEL)
    y = data.outcome["y"].to_numpy(float)
    intercept = JsonModel(update_model(data.model, data, "recalibration_in_the_large", name="er-int"))
    assert intercept.predict_proba(data.inputs).mean() == pytest.approx(y.mean(), abs=1e-8)
    assert intercept.coef.equals(data.model.coef)
    slope = update_model(data.model, data, "logistic_recalibration", name="er-slope")
    refit = JsonModel(update_model(data.model, data, "refit", name="er-refit"))
    for spec in (slope, refit.spec):  # the score equations of glm(y ~ lp) and glm(y ~ x): mean p = mean y
        assert JsonModel(spec).predict_proba(data.inputs).mean() == pytest.approx(y.mean(), abs=1e-8)
    updated = _report_of(slope, data)
    assert updated.value("calibration_slope") == pytest.approx(1.0, abs=1e-6)
    assert updated.value("calibration_intercept") == pytest.approx(0.0, abs=1e-6)
    from hccdash.stats import logistic_fit

    direct = logistic_fit(data.inputs[list(refit.terms.index)], y)
    assert np.allclose(refit.coef, direct.coef_, rtol=1e-10) and refit.spec["model"]["intercept"] == pytest.approx(
        direct.intercept_, rel=1e-10)


def test_saved_update_keeps_its_lineage_through_json(home, tmp_path):
    data = _external(COMBINED)
    parent = registry.get(COMBINED)
    name = default_name(COMBINED, "logistic_recalibration", CENTRES)
    spec, comparison = update_and_compare(data, "logistic_recalibration", name=name, parent_sha256=parent.sha256)
    record = save_update(spec, "recalibrated on Centre B")
    assert name == "combined-slope-centres" and record.kind == "json"
    step = record.meta["lineage"][-1]
    assert (step["parent"], step["parent_sha256"], step["method"], step["cohort"], step["set"]) == (
        COMBINED, parent.sha256, "logistic_recalibration", CENTRES, "external")
    assert registry.list_models().set_index("name").at[name, "lineage"].startswith(
        "combined -> logistic_recalibration on 'centres' (external set")
    assert details.model_summary(registry.json_model(name)).loc["Updated", "value"] == \
        registry.list_models().set_index("name").at[name, "lineage"]
    table = comparison.set_index("metric")
    assert table.at["calibration_slope", "updated"] == pytest.approx(1.0, abs=1e-6)
    assert table.at["harrell_c", "updated"] == table.at["harrell_c", "original"]  # a monotone rescaling
    # JSON round trip: same model file, same predictions
    exported = registry.export_json(name)
    assert json.loads(exported)["lineage"] == spec["lineage"]
    registry.import_json(exported, "copy")
    copy, saved = registry.json_model("copy"), registry.json_model(name)
    pd.testing.assert_frame_equal(copy.predict_table(data.inputs), saved.predict_table(data.inputs))
    # the calculator and predict use it
    patient = data.inputs.iloc[0]
    result = calculator.predict_patient(saved, {c: patient[c] for c in calculator.input_columns(saved) if c in patient})
    assert result.lp == pytest.approx(saved.linear_predictor(data.inputs.iloc[[0]])[0])
    data.inputs.rename_axis("patient_id").reset_index().to_csv(tmp_path / "patients.csv", index=False)
    assert main(["predict", "--model", name, "--input", str(tmp_path / "patients.csv"),
                 "--out", str(tmp_path / "risks.csv")]) == 0
    risks = pd.read_csv(tmp_path / "risks.csv")
    assert np.allclose(risks["lp"], saved.linear_predictor(data.inputs))


def test_cli_updates_and_saves(home, tmp_path):
    out = tmp_path / "out"
    assert main(["validate", "--model", COMBINED, "--cohort", CENTRES, "--set", "external", "--update",
                 "recalibration_in_the_large", "--save-as", "recal", "--out", str(out)]) == 0
    comparison = pd.read_csv(out / "comparison.csv").set_index("metric")
    assert comparison.at["oe_ratio", "updated"] == pytest.approx(1.0, abs=0.01)  # Efron: 1 up to the tie correction
    assert registry.get("recal").meta["lineage"][0]["method"] == "recalibration_in_the_large"


def test_page_validates_updates_and_the_calculator_uses_the_update(home):
    """The issue's end-to-end path: validate the Centre A model on Centre B on the Validation page,
    recalibrate it, save the update and predict a patient with it on the calculator."""
    at = validated_on_page(COMBINED, CENTRES, "external")
    at.radio(key="val_update_method").set_value("recalibration_in_the_large").run()
    assert at.text_input(key="val_update_name_recalibration_in_the_large").value == "combined-recal-centres"
    at.button(key="val_update_save").click().run()
    assert not at.exception and not at.error
    assert "combined-recal-centres" in registry.list_models()["name"].tolist()
    at.switch_page("pages/6_patient_calculator.py").run()
    at.selectbox(key="calculator_model").set_value("combined-recal-centres").run()
    at.button[0].click().run()  # the form's Predict
    assert not at.exception and not at.error
    assert any(m.label.startswith("RFS") or "survival" in m.label.lower() for m in at.metric)
