"""Calculator checks on tables of patients, and the rad-score from image + mask."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from hccdash import calculator
from hccdash.extraction.case import compute_features
from hccdash.extraction.params import ExtractionSpec
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
