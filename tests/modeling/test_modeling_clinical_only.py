"""A cohort without radiomic features: the clinical Cox / logistic model is the nomogram, built,
evaluated, saved and used by the calculator like a combined one."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from hccdash import calculator
from hccdash.evaluation.summary import evaluate
from hccdash.modeling.builder import ModelBuilder, load_model_inputs
from hccdash.modeling.endpoints import early_recurrences
from hccdash.registry import pipelines, registry
from hccdash.settings import ModelSettings, Settings
from hccdash.store import Store

from synthetic_cohort import synthetic_inputs

VARIABLES = ("AFP", "BCLC", "age", "ALB")
pytestmark = pytest.mark.filterwarnings("ignore:Only .* events per model term:UserWarning")


@pytest.fixture(scope="module")
def builder() -> ModelBuilder:
    inputs = synthetic_inputs(n=160, p=10, seed=3, n_latent=5)
    return ModelBuilder(dataclasses.replace(inputs, features=pd.DataFrame(index=inputs.features.index), repeats=None))


def _settings(endpoint: str) -> Settings:
    return dataclasses.replace(Settings(), model=ModelSettings(endpoint=endpoint, er_horizon_months=12.0,
                                                               clinical_force_in=("AFP", "BCLC")))


@pytest.mark.parametrize("endpoint", ["rfs", "er"])
def test_the_combined_model_is_the_clinical_model(builder, endpoint):
    result = builder.build(_settings(endpoint), VARIABLES)
    model = result.model
    assert not model.has_radiomics and model.radiomics_.selected_features_ == []
    frame = builder.frame(result.train_index, VARIABLES)
    assert list(model.combined_.columns_) == list(model.clinical_design(frame).columns)
    np.testing.assert_allclose(model.predict(frame), model.clinical_score(frame), rtol=1e-10)
    assert not any("rad-score" in w or "ICC" in w for w in result.warnings)  # nothing about a rad-score to skip
    assert np.isnan(result.discrimination.loc["radiomics", "train"])  # no rad-score: not a C of 0.5
    assert result.discrimination.loc["combined", "train"] == result.discrimination.loc["clinical", "train"]


@pytest.mark.parametrize("endpoint", ["rfs", "er"])
def test_evaluated_saved_and_predicted_as_a_clinical_nomogram(builder, endpoint):
    result = builder.build(_settings(endpoint), VARIABLES)
    evaluation = evaluate(result, builder)
    assert set(evaluation.discrimination["model"]) == {"clinical", "combined"}
    assert "Radiomics model: the cohort has no radiomic features, so there is none to evaluate" in evaluation.notes
    assert evaluation.correlation["note"].str.startswith("the rad-score is constant").all()
    pipelines.save_build(builder, result, f"clinical-{endpoint}")
    record = registry.get(f"clinical-{endpoint}")
    assert record.meta["submodel"] == "clinical" and record.meta["selected_features"] == []
    spec = json.loads(registry.export_json(f"clinical-{endpoint}"))
    assert spec["radiomics"] is None
    assert [t["name"] for t in spec["model"]["terms"]] == list(result.model.combined_.columns_)
    model = registry.json_model(f"clinical-{endpoint}")
    train = builder.frame(result.train_index, VARIABLES)
    np.testing.assert_allclose(model.linear_predictor(train), result.model.predict(train), rtol=1e-9)
    if endpoint == "er":
        patients = builder.inputs.patients.loc[result.train_index]
        known = result.model.combined_.n_used_
        assert (spec["training"]["n"], spec["training"]["events"]) == (
            known, early_recurrences(patients["time"], patients["event"], 12.0))
    fields = calculator.form_fields(model)
    assert model.rad_score_name is None and {f.name for f in fields} == set(result.model.clinical_.selected_)
    patient = train.iloc[0][[f.name for f in fields]].to_dict()
    prediction = calculator.predict_patient(model, patient)
    assert prediction.lp == pytest.approx(float(result.model.predict(train.iloc[[0]])[0]), rel=1e-9)


def test_a_stored_cohort_without_features_loads_for_clinical_models(tmp_path):
    from synthetic_cohort import import_synthetic_cohort

    inputs = import_synthetic_cohort("clinical", "none", tmp_path, phases=())  # no feature stored
    loaded = load_model_inputs("clinical")
    assert loaded.features.shape == (len(inputs.patients), 0) and loaded.phases == []
    assert set(loaded.clinical_variables) == set(inputs.clinical.columns)


def test_a_cohort_with_neither_features_nor_predictors_is_told_so_once(tmp_path):
    """The message says what to do once (the page added the same advice again)."""
    Store().execute("INSERT INTO cohorts (name, created_at, fingerprint, time_unit, mapping, n_patients, n_events) "
                    "VALUES ('bare', now(), 'x', 'months', ?, 0, 0)", [json.dumps({})])
    with pytest.raises(ValueError) as raised:
        load_model_inputs("bare")
    message = str(raised.value)
    assert message.startswith("Cohort 'bare' has neither radiomic features nor clinical predictors")
    assert message.lower().count("extract") == 1
    from streamlit.testing.v1 import AppTest

    from hccdash import paths

    at = AppTest.from_file(str(paths.PROJECT_DIR / "app.py"), default_timeout=60)
    at.session_state["cohort"] = "bare"
    at.run()
    for page in ("pages/3_model_building.py", "pages/4_evaluation.py"):
        at.switch_page(page).run()
        assert not at.exception, at.exception
        assert [i.value for i in at.info] == [message]


def test_optimism_corrects_the_clinical_models_only(builder):
    """The whole-pipeline bootstrap has no rad-score to validate (it reported a C of 0.5)."""
    from hccdash.evaluation import optimism

    settings = _settings("rfs")
    settings = dataclasses.replace(settings, evaluation=dataclasses.replace(settings.evaluation, n_jobs=1))
    table = optimism.validate_pipeline(builder, settings, VARIABLES, n_boot=5).table
    assert table["model"].tolist() == ["clinical", "combined"]
    assert table["apparent"].iloc[0] == pytest.approx(table["apparent"].iloc[1])
