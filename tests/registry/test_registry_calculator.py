"""Calculator checks on tables of patients (and on the page's form), and the rad-score from image + mask."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from markdown_checks import shown

from hccdash import calculator
from hccdash.extraction.case import compute_features
from hccdash.extraction.params import ExtractionSpec
from hccdash.registry import registry
from hccdash.registry.json_model import JsonModel
from registry_standin import FEATURES

GOOD = {"age": 61, "afp": 520.0, "child_pugh": "B", FEATURES[0]: 58.0, FEATURES[1]: 6.5}


def test_every_problem_is_named_by_row_and_column(cox_standin):
    model = JsonModel(cox_standin[1])
    rows = pd.DataFrame([
        GOOD,
        {**GOOD, "age": "sixty"},
        {**GOOD, "age": 130, "afp": -1},
        {**GOOD, "child_pugh": "C"},
        {**GOOD, FEATURES[1]: None},
        {**GOOD, "afp": float("inf")},
    ], index=[10, 11, 12, 13, 14, 15])
    checked = calculator.check_inputs(model, rows)
    found = set(zip(checked.errors["row"], checked.errors["column"]))
    assert found == {(11, "age"), (12, "age"), (12, "afp"), (13, "child_pugh"), (14, "rad_score"), (15, "afp")}
    assert checked.clean.index.tolist() == [10]
    out, _ = calculator.predict_table(model, rows)
    assert out.index.tolist() == [10]
    np.testing.assert_allclose(out["lp"], model.linear_predictor(checked.clean))


def test_form_fields_follow_the_training_data(cox_standin, synthetic_data):
    fields = {f.name: f for f in calculator.form_fields(JsonModel(cox_standin[1]))}
    assert fields["child_pugh"].levels == ("A", "B")
    assert fields["afp"].train_max == synthetic_data["afp"].max()
    assert (fields["afp"].hard_min, fields["afp"].hard_max) == (0.0, None)
    assert (fields["age"].hard_min, fields["age"].hard_max) == (0.0, 120.0)
    assert fields["rad_score"].kind == "rad_score" and list(fields)[-1] == "rad_score"


@pytest.mark.slow
def test_rad_score_from_image_and_mask_uses_the_model_settings(cox_standin, reference):
    spec = copy.deepcopy(cox_standin[1])
    settings = {"params": {"imageType": {"Original": {}}, "featureClass": {"firstorder": [], "glcm": []},
                           "setting": {"binWidth": 25.0}}, "n4_bias_correction": False, "roi": "3d"}
    spec["radiomics"]["extraction"] = settings
    model = JsonModel(spec)
    image = reference / "pyradiomics" / "data" / "brain1_image.nrrd"
    mask = reference / "pyradiomics" / "data" / "brain1_label.nrrd"
    steps = []
    values = calculator.rad_score_from_images(model, {"portal": (image, mask)},
                                              progress=lambda i, n, phase: steps.append((i, n, phase)))
    direct = compute_features(image, mask, 1, ExtractionSpec.from_dict(settings))
    assert values == {f: direct[f.split(".", 1)[1]] for f in FEATURES}
    assert steps == [(0, 1, "portal"), (1, 1, "done")]
    with pytest.raises(ValueError, match="missing for phase"):
        calculator.rad_score_from_images(model, {"arterial": (image, mask)})


def test_calculator_form_warns_far_outside_the_training_range(cox_pipeline, combined):
    from streamlit.testing.v1 import AppTest

    model = registry.json_model("combined")
    afp = model.predictors.loc["AFP"]
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=120).run()
    at.switch_page("pages/6_patient_calculator.py").run()
    at.number_input(key="calculator_in_AFP").set_value(50 * afp["max"])
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert any(f"\n- AFP: outside the training range [{afp['min']:.4g}, {afp['max']:.4g}]" in shown(w.value)
               for w in at.warning)
    assert {m.label for m in at.metric} >= {"Risk group"}


def test_typed_rad_score_that_disagrees_with_its_features_is_warned(cox_pipeline, combined):
    model = registry.json_model("combined")
    rows = combined.iloc[:2].copy()
    computed = model.rad_score(rows)
    rows["rad_score"] = [computed.iloc[0], computed.iloc[1] + 1.0]  # row 2: another model's rad-score?
    checked = calculator.check_inputs(model, rows)
    disagree = checked.warnings[checked.warnings["problem"].str.startswith("differs from the rad-score")]
    assert disagree["row"].tolist() == [rows.index[1]]
    assert f"({computed.iloc[1]:.4g}); the typed value is used" in disagree["problem"].iloc[0]
    assert checked.clean["rad_score"].tolist() == rows["rad_score"].tolist()
