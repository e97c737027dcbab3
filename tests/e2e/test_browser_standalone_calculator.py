"""The standalone calculator in headless Chromium: the form filled for several patients gives the
app's S(t) (or ER probability), CI, linear predictor and risk group to 1e-6, without any request
beyond the file itself; impossible inputs are named; labels with addresses stay text."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np
import pytest

from hccdash import calculator
from hccdash.calculator.standalone import standalone_html
from hccdash.registry import registry
from hccdash.registry.json_model import JsonModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "registry"))
import registry_pipelines as pipelines  # noqa: E402
import registry_standin as standin  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:Only .* events per model term:UserWarning")]

FEATURES = standin.FEATURES
PATIENTS = [  # typed rad-score, features instead of the rad-score, extremes, the reference levels
    {"age": 61, "afp": 520.0, "child_pugh": "B", "rad_score": 0.4},
    {"age": 45, "afp": 12.5, "child_pugh": "A", FEATURES[0]: 58.0, FEATURES[1]: 6.5},
    {"age": 88, "afp": 400.0, "child_pugh": "B", "rad_score": -2.75},
    {"age": 30, "afp": 20000.0, "child_pugh": "A", "rad_score": 3.1},
]


@pytest.fixture(scope="module")
def models():
    data = standin.synthetic()
    cox = copy.deepcopy(standin.cox_standin(data)[1])
    cox["endpoint"]["horizons"] = [12.0, 24.0, 36.0, 1000.0]  # the last beyond the longest follow-up: not estimable
    return {"cox": JsonModel(cox), "er": JsonModel(standin.logistic_standin(data)[1])}


def _check_validation_patients(page, model: JsonModel, validation) -> dict:
    """The page's S(t), linear predictor and risk group for five validation patients equal the app's
    (1e-6); the last patient's inputs."""
    columns = calculator.input_columns(model)
    for _, row in validation.head(5).iterrows():
        patient = {c: row[c] for c in columns if c != model.rad_score_name}  # the file computes the rad-score
        _fill(page, model, patient)
        assert page.locator("#errors").inner_text() == ""
        values, lp, group = _shown(page)
        app = calculator.predict_patient(model, patient)
        np.testing.assert_allclose(values, app.estimates.to_numpy(float), rtol=0, atol=1e-6, err_msg=str(patient))
        assert lp == pytest.approx(app.lp, abs=1e-6) and group == app.risk_group
    return patient


def test_a_saved_pipeline_gives_the_apps_numbers(open_calculator):
    """A model saved from Model building (rad-score from its selected features, BCLC and sex levels, ALB
    dichotomised, AFP continuous), on validation patients the model never saw."""
    fitted = pipelines.fit("rfs")
    registry.save(fitted.result.model, "combined", **fitted.save_kwargs())
    model = JsonModel(registry.load("combined").spec)
    assert {t["type"] for t in model.spec["model"]["terms"]} >= {"linear", "indicator"} and len(model.features) > 0
    page = open_calculator(model)
    _check_validation_patients(page, model, fitted.validation)


@pytest.fixture
def open_calculator(browser, tmp_path):
    pages = []

    def open_(model: JsonModel):
        path = tmp_path / f"{model.name}.html"
        path.write_text(standalone_html(model), encoding="utf-8")
        page = browser.new_page()
        requests, errors = [], []
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(path.as_uri())
        pages.append((page, requests, errors, path.as_uri()))
        return page

    yield open_
    for page, requests, errors, uri in pages:
        assert requests == [uri] and errors == []  # nothing fetched, no script error
        page.close()


def _fill(page, model: JsonModel, patient: dict) -> None:
    for p in model.spec["predictors"]:
        box = page.locator(f'#inputs > [data-name="{p["name"]}"]')
        value = patient.get(p["name"], "")
        if p["kind"] == "categorical":
            box.select_option(str(value))
        else:
            box.fill(repr(float(value)) if isinstance(value, (int, float, np.number)) else str(value))
    for f in model.features.index:
        page.locator(f'fieldset [data-name="{f}"]').fill(repr(float(patient[f])) if f in patient else "")
    page.click("#calculate")


def _shown(page) -> tuple[np.ndarray, float, str]:
    rows = page.locator("tr.estimate")
    values = np.array([[float(rows.nth(i).get_attribute(f"data-{k}")) for k in ("horizon", "value", "lower", "upper")]
                       for i in range(rows.count())])
    summary = page.locator("#summary")
    return values, float(summary.get_attribute("data-lp")), summary.get_attribute("data-group")


@pytest.mark.parametrize("family", ["cox", "er"])
def test_the_file_gives_the_apps_numbers(models, open_calculator, family):
    model = models[family]
    page = open_calculator(model)
    for patient in PATIENTS:
        _fill(page, model, patient)
        assert page.locator("#errors").inner_text() == ""
        values, lp, group = _shown(page)
        app = calculator.predict_patient(model, patient)
        expected = app.estimates.to_numpy(float)
        assert values.shape == expected.shape
        np.testing.assert_allclose(values, expected, rtol=0, atol=1e-6, equal_nan=True, err_msg=str(patient))
        assert lp == pytest.approx(app.lp, abs=1e-6) and group == app.risk_group
    if family == "cox":
        assert np.isnan(values[-1, 1:]).all() and "not estimable" in page.locator("tr.estimate").last.inner_text()
        assert page.locator("tr.estimate").first.inner_text().split("\t")[1] == f"{100 * expected[0, 1]:.1f}%"


def test_impossible_inputs_are_named_and_nothing_is_shown(models, open_calculator):
    model = models["cox"]
    page = open_calculator(model)
    _fill(page, model, {**PATIENTS[0], "age": 130, "afp": "1,5"})
    errors = page.locator("#errors").inner_text()
    assert "age (years): impossible: must be <= 120" in errors
    assert "afp (ng/mL): not a number (use a dot as the decimal separator" in errors
    assert page.locator("#results").is_hidden() and page.locator("tr.estimate").count() == 0
    _fill(page, model, {**PATIENTS[0], "rad_score": ""})  # neither the rad-score nor its features
    assert "missing: give the rad-score or all of its features" in page.locator("#errors").inner_text()


def test_labels_with_addresses_are_shown_as_text(models, open_calculator):
    spec = copy.deepcopy(models["cox"].spec)
    label = "AFP < 400 & ![x](https://evil.example/t.png)"
    spec["predictors"][1]["label"] = label
    page = open_calculator(JsonModel(spec))
    assert page.locator('label[for="in-1"]').inner_text() == f"{label} (ng/mL)"
    assert page.locator("img, a, iframe, link").count() == 0


def test_log_and_spline_terms_give_the_apps_numbers(open_calculator):
    """log(AFP) and a 4-knot spline of age (rms::rcs columns computed in the page) on validation patients;
    AFP 0 is refused as the app refuses it."""
    fitted = pipelines.fit("rfs", transformed=True)
    registry.save(fitted.result.model, "splined", **fitted.save_kwargs())
    model = JsonModel(registry.load("splined").spec)
    assert {"spline"} <= {t["type"] for t in model.spec["model"]["terms"]}
    page = open_calculator(model)
    patient = _check_validation_patients(page, model, fitted.validation)
    _fill(page, model, {**patient, "AFP": 0.0})
    assert "must be > 0: the model uses log(AFP)" in page.locator("#errors").inner_text()
