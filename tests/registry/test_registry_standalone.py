"""The standalone calculator's file: only what a prediction needs, no patient's data, no address,
user text kept as data (the browser test checks its numbers against the app's)."""

from __future__ import annotations

import copy
import json
import re

import numpy as np
import pandas as pd
import pytest

from streamlit.testing.v1 import AppTest

from hccdash.calculator.inputs import input_columns as calculator_inputs
from hccdash.calculator.standalone import _script_json, standalone_html, standalone_payload
from hccdash.registry import registry
from hccdash.registry.json_model import JsonModel
from hccdash.paths import PROJECT_DIR
from registry_standin import FEATURES

PAYLOAD = re.compile(r'<script type="application/json" id="model">(.*?)</script>', re.DOTALL)


def _numbers(value) -> list[float]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _numbers(v)]
    if isinstance(value, list):
        return [x for v in value for x in _numbers(v)]
    return [float(value)] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


def _embedded(text: str) -> dict:
    return json.loads(PAYLOAD.search(text).group(1))


def test_file_holds_only_the_model_and_no_patient(cox_standin, synthetic_data):
    model = JsonModel(cox_standin[1])
    text = standalone_html(model)
    payload = _embedded(text)
    assert payload == json.loads(json.dumps(standalone_payload(model)))
    assert set(payload) == {"name", "family", "submodel", "level", "z", "horizons", "intercept", "terms", "covariance",
                            "baseline", "predictors", "radiomics", "risk_groups", "training"}
    assert set(payload["predictors"][0]) == {"name", "label", "unit", "kind", "levels", "mean", "hard_min", "hard_max"}
    assert payload["z"] == pytest.approx(1.959963984540054, abs=1e-15)
    # the baseline at the three horizons only, equal to the model file's step function there
    base = model.baseline()
    assert len(payload["baseline"]["cumhaz"]) == 3 and np.shape(payload["baseline"]["xbar"]) == (3, 4)
    for k, h in enumerate(model.horizons):
        i = np.searchsorted(base.time, h, side="right") - 1
        assert payload["baseline"]["cumhaz"][k] == base.cumhaz[i] and payload["baseline"]["varhaz"][k] == base.varhaz[i]
    # no patient: no id, no follow-up time, no single patient's value (training minima and maxima included)
    chosen = {*model.horizons, payload["training"]["n"], payload["training"]["events"], 0.3, 0.6}  # not patients'
    numbers = set(_numbers(payload)) - chosen  # (36 months, 81 events, the stand-in's feature weights 0.3 and 0.6)
    for column in ["age", "afp", *FEATURES]:
        assert not numbers & set(synthetic_data[column].astype(float)), column
    assert not numbers & set(synthetic_data["time"].astype(float))
    for patient in synthetic_data.index:
        assert patient not in text
    assert "P000" not in text and "fingerprint" not in text and '"km"' not in text


def test_no_address_and_user_text_stays_data(cox_standin):
    spec = copy.deepcopy(cox_standin[1])
    label = "AFP < 400 & ![x](https://evil.example/t.png) [y](http://evil.example)"  # tags are refused by the schema
    spec["predictors"][0]["label"] = label
    spec["predictors"][0]["unit"] = "x10^9/L & <"
    text = standalone_html(JsonModel(spec))
    assert not re.search(r"(?i)https?:", text) and "://" not in text
    assert text.count("<script") == 2 and text.count("</script>") == 2  # the payload and the code, nothing injected
    assert "default-src 'none'" in text and not re.search(r'(?i)\bsrc\s*=|<link|@import|url\(', text)
    predictor = _embedded(text)["predictors"][0]
    assert (predictor["label"], predictor["unit"]) == (label, "x10^9/L & <")
    assert _script_json("</script><!--") == r'"\u003c\/script\u003e\u003c!--"'
    assert json.loads(_script_json("</script><!--")) == "</script><!--"


def test_a_term_the_file_cannot_build_is_refused(cox_standin):
    spec = copy.deepcopy(cox_standin[1])
    model = JsonModel(spec)
    model.spec["model"]["terms"][0]["type"] = "interaction"  # a term type of a later format
    with pytest.raises(ValueError, match=r"cannot build term type\(s\) \[.interaction.\]"):
        standalone_html(model)


@pytest.mark.filterwarnings("ignore:Only .* events per model term:UserWarning")
def test_calculator_and_registry_pages_offer_the_file(cox_pipeline):
    registry.save(cox_pipeline.result.model, "combined", **cox_pipeline.save_kwargs())
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=120).run()
    at.switch_page("pages/6_patient_calculator.py").run()
    assert not at.exception
    assert [b.label for b in at.get("download_button") if b.key == "calculator_standalone"] == ["Standalone calculator (HTML)"]
    at.switch_page("pages/5_model_registry.py").run()
    assert not at.exception
    assert [b.label for b in at.get("download_button") if b.key == "registry_standalone_button"] == [
        "Standalone calculator (HTML)"]


@pytest.mark.filterwarnings("ignore:Only .* events per model term:UserWarning")
def test_command_line_writes_the_same_file(cox_pipeline, tmp_path, capsys):
    from hccdash import cli

    registry.save(cox_pipeline.result.model, "combined", **cox_pipeline.save_kwargs())
    out = tmp_path / "calculator.html"
    assert cli.main(["calculator-html", "--model", "combined", "--out", str(out), "--level", "0.9"]) == 0
    payload = _embedded(out.read_text())
    assert payload == json.loads(json.dumps(standalone_payload(registry.json_model("combined"), 0.9)))
    assert payload["z"] == pytest.approx(1.6448536269514722, abs=1e-12)
    assert cli.main(["calculator-html", "--model", "absent", "--out", str(tmp_path / "x.html")]) == 2
    assert "absent" in capsys.readouterr().err and not (tmp_path / "x.html").exists()


@pytest.mark.filterwarnings("ignore:Only .* events per model term:UserWarning")
def test_a_saved_pipelines_file_holds_no_training_value(cox_pipeline):
    registry.save(cox_pipeline.result.model, "combined", **cox_pipeline.save_kwargs())
    model = registry.json_model("combined")
    text = standalone_html(model)
    payload = _embedded(text)
    train = cox_pipeline.train
    cutoffs = {t["cutoff"] for t in payload["terms"] if t["cutoff"] is not None}  # a model parameter (ALB > 43.7,
    # maxstat's cut-off lies on an observed value), needed for every prediction
    numbers = set(_numbers(payload)) - {*model.horizons, payload["training"]["n"], payload["training"]["events"], *cutoffs}
    columns = [c for c in calculator_inputs(model) if c in train.columns and pd.api.types.is_numeric_dtype(train[c])]
    assert len(columns) >= 3  # AFP, ALB and the rad-score's features
    for column in columns:
        assert not numbers & set(train[column].dropna().astype(float)), column
    patients = cox_pipeline.inputs.patients.loc[train.index]
    assert not numbers & set(patients["time"].astype(float))
    assert not any(str(patient) in text for patient in train.index)
