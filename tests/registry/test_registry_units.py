"""Units of the training cohort's variables in saved models: the sample cohort's model shows
"AFP (ng/mL)" on the calculator form, in the report and on the page; units survive the JSON
export / import of a model."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from hccdash import calculator, paths
from hccdash.calculator import report
from hccdash.registry import pipelines, registry
from hccdash.registry.json_model import JsonModel

APP = str(Path(__file__).resolve().parents[2] / "app.py")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")


@pytest.fixture(scope="module")
def sample_model(tmp_path_factory) -> str:
    """The JSON model file of a combined model (AFP, age dichotomised, rad-score) fitted on the
    imported sample cohort and saved by ``ModelBuilder.save``, as the model-building page does."""
    if not (paths.SAMPLE_DIR / "images").is_dir():
        pytest.skip("sample images not built (python -m hccdash.sample)")
    from hccdash.cohort import import_sample
    from hccdash.extraction.sample_features import ensure_sample_features
    from hccdash.modeling.builder import ModelBuilder, load_model_inputs
    from hccdash.settings import Settings

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HCCDASH_HOME", str(tmp_path_factory.mktemp("sample_home")))
        import_sample()
        ensure_sample_features()
        builder = ModelBuilder(load_model_inputs("sample"))
        base = Settings()
        settings = dataclasses.replace(base, model=dataclasses.replace(
            base.model, clinical_force_in=("AFP", "age"), clinical_dichotomise=("age",)))
        result = builder.build(settings, clinical_vars=["AFP", "age"])
        return registry.export_json(pipelines.save_build(builder, result, "sample_model"))


def test_sample_cohort_model_shows_units_on_the_form(sample_model):
    model = JsonModel(json.loads(sample_model))
    fields = {f.name: f for f in calculator.form_fields(model)}
    assert fields["AFP"].unit == "ng/mL" and fields["AFP"].title == "AFP (ng/mL)"
    # age enters as "age > cut-off", but the form asks for the age itself: its unit stays
    assert any(t["predictor"] == "age" and t["type"] in ("above", "at_least") for t in model.spec["model"]["terms"])
    assert fields["age"].title == "age (years)"
    assert fields["rad_score"].unit == "" and fields["rad_score"].title == "rad_score"


def test_json_round_trip_keeps_units(sample_model):
    registry.import_json(sample_model, "copy")
    exported = json.loads(registry.export_json("copy"))
    units = {p["name"]: p["unit"] for p in exported["predictors"]}
    assert units == {"AFP": "ng/mL", "age": "years", "rad_score": ""}
    assert exported["predictors"] == json.loads(sample_model)["predictors"]


def test_report_labels_inputs_with_units(sample_model):
    registry.import_json(sample_model, "sample_model")
    model = registry.json_model("sample_model")
    values = {f.name: f.default for f in calculator.form_fields(model)}
    result = calculator.predict_patient(model, values)
    rows = dict(report.inputs_rows(model, result))
    assert rows["AFP (ng/mL)"] == f"{values['AFP']:.4g}" and "age (years)" in rows
    assert "<th>AFP (ng/mL)</th>" in report.patient_report_html(model, result)


def test_calculator_page_shows_units(sample_model):
    registry.import_json(sample_model, "sample_model")
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/6_patient_calculator.py").run()
    assert not at.exception
    assert at.number_input(key="calculator_in_AFP").label == "AFP (ng/mL)"
    assert at.number_input(key="calculator_in_age").label == "age (years)"
    assert at.number_input(key="calculator_in_rad_score").label == "rad_score"


def test_registry_save_refuses_units_beside_a_ready_model_file(sample_model):
    with pytest.raises(ValueError, match="units and labels"):
        registry.save(None, "again", spec=json.loads(sample_model), units={"AFP": "ng/mL"})
