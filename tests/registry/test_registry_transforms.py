"""log(AFP) and a restricted cubic spline of age through the registry: the model file reproduces the
pipeline, the calculator refuses AFP <= 0, and the nomogram draws one nonlinear axis per predictor
whose points add up to the model's linear predictor."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from hccdash import calculator
from hccdash.calculator.inputs import InputError, check_inputs
from hccdash.calculator.position import nomogram, nomogram_figure
from hccdash.registry import registry, spec as spec_module
from hccdash.registry.json_model import JsonModel

import registry_pipelines as pipelines

pytestmark = pytest.mark.filterwarnings("ignore:Only .* events per model term:UserWarning")
HORIZONS = [12.0, 24.0, 36.0]


@pytest.fixture(scope="module", params=["rfs", "er"])
def transformed(request):
    return pipelines.fit(request.param, transformed=True)


def _inputs(model, row: pd.Series) -> dict:
    names = [p["name"] for p in model.spec["predictors"] if p["kind"] != "rad_score"] + list(model.features.index)
    return {name: row[name] for name in names}


def test_the_model_file_reproduces_the_pipeline(transformed, hccdash_home):
    pipeline = transformed.result.model
    assert {"log(AFP)", "age", "age'", "age''"} <= set(pipeline.combined_.columns_)
    registry.save(pipeline, "splined", **transformed.save_kwargs())
    registry.import_json(registry.export_json("splined"), "splined-json")
    model = registry.json_model("splined-json")
    terms = model.terms
    assert terms.at["age''", "type"] == "spline" and terms.at["age''", "basis"] == 2
    assert terms.at["log(AFP)", "log"] is True
    np.testing.assert_allclose(model.linear_predictor(transformed.validation), pipeline.predict(transformed.validation),
                               rtol=1e-12, atol=1e-12)
    if pipeline.is_survival:
        for mine, theirs in zip(model.predict_survival(transformed.validation, HORIZONS, level=0.95),
                                pipeline.predict_survival(transformed.validation, HORIZONS, level=0.95)):
            np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-14)


def test_calculator_points_add_up_and_afp_must_be_positive(transformed, hccdash_home):
    pipeline = transformed.result.model
    registry.save(pipeline, "splined", **transformed.save_kwargs())
    model = registry.json_model("splined")
    patient = transformed.validation.iloc[0]
    result = calculator.predict_patient(model, _inputs(model, patient))
    points = result.points.set_index("term")["points"]
    assert {"age", "AFP"} <= set(points.index) and "log(AFP)" not in points.index
    nom = nomogram(model)
    assert nom.lp_from_points(points["total"]) == pytest.approx(
        result.lp - (model.terms["mean"] @ model.coef if model.family == "cox" else 0.0), abs=1e-9)
    age = nom.axes["age"]
    steps = np.diff(age.points) / np.diff(np.asarray(age.values, float))
    assert np.ptp(steps) > 1e-6  # points vs age is not a straight line
    ticks, marks = nomogram_figure(model, result)
    assert set(marks["axis"]) >= {"age", "AFP", "Total points"}
    bad = dict(_inputs(model, patient), AFP=0.0)
    checked = check_inputs(model, bad)
    assert not checked.ok and "must be > 0: the model uses log(AFP)" in checked.errors["problem"].iloc[0]
    with pytest.raises(InputError):
        calculator.predict_patient(model, bad)


def test_model_files_with_broken_spline_terms_are_refused(transformed):
    pipeline = transformed.result.model
    from hccdash.registry.from_pipeline import spec_from_pipeline

    kwargs = transformed.save_kwargs()
    spec = spec_from_pipeline(pipeline, kwargs["data"], kwargs["time"], kwargs["event"], name="splined")
    spec_module.validate(spec)
    for change, message in [
        (lambda t: t.update(knots=list(reversed(t["knots"]))), "strictly increasing|differ in knots"),
        (lambda t: t.update(basis=5), "beyond|each of its"),
        (lambda t: t.pop("knots"), "needs knots"),
    ]:
        broken = copy.deepcopy(spec)
        change(next(t for t in broken["model"]["terms"] if t["name"] == "age'"))
        with pytest.raises(ValueError, match=message):
            spec_module.validate(broken)


def test_an_updated_model_keeps_its_log_and_spline_codings(transformed, hccdash_home):
    """Logistic recalibration of a model with log(AFP) and an age spline: every coefficient times the slope,
    applied to the same log and spline columns (a term copied without them would read AFP as linear)."""
    from types import SimpleNamespace

    from hccdash.validation.inputs import ValidationData
    from hccdash.validation.updating import update_model

    pipeline = transformed.result.model
    registry.save(pipeline, "splined", **transformed.save_kwargs())
    model = registry.json_model("splined")
    inputs = transformed.validation[[p["name"] for p in model.spec["predictors"] if p["kind"] != "rad_score"]
                                    + list(model.features.index)]
    patients = transformed.inputs.patients.loc[inputs.index]
    outcome = (patients[["time", "event"]] if model.family == "cox"
               else patients.assign(y=(patients["event"] == 1) & (patients["time"] <= 12.0))[["time", "event", "y"]])
    outcome = outcome.loc[(model.family == "cox") | (patients["time"] > 12.0) | (patients["event"] == 1)]
    data = ValidationData(SimpleNamespace(model=model, cohort="synthetic", subset="validation"),
                          inputs.loc[outcome.index], outcome.astype(float),
                          pd.DataFrame(), pd.DataFrame())
    spec = update_model(model, data, "logistic_recalibration", name="splined-recal")
    slope = spec["lineage"][-1]["slope"]
    assert [t.get("knots") for t in spec["model"]["terms"]] == [t.get("knots") for t in model.spec["model"]["terms"]]
    updated = JsonModel(spec)
    shift = 0.0 if model.family == "cox" else spec["model"]["intercept"] - slope * model.spec["model"]["intercept"]
    np.testing.assert_allclose(updated.linear_predictor(data.inputs),
                               slope * model.linear_predictor(data.inputs) + shift, rtol=1e-10, atol=1e-10)
