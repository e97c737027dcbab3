"""The mapping step: a cohort recording AFP in IU/mL as ``afp``, albumin in g/dL as ``albumin`` and
sex as ``gender`` (Male / Female) gives, once mapped, the same validation as the original cohort;
what cannot be mapped is named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccdash.cohort import load_cohort
from hccdash.registry import registry
from hccdash.validation.inputs import cohort_variables, plan_validation
from hccdash.validation.mapping import propose_mapping
from hccdash.validation.report import run_validation

from validation_fixtures import CENTRES, COMBINED, RENAMED

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")
MAPPED = {"ALB": {"column": "albumin"}, "sex": {"column": "gender", "levels": {"Male": "M", "Female": "F"}}}


def test_proposal_matches_names_and_reads_units(home):
    model = registry.json_model(COMBINED)
    proposed = propose_mapping(model, cohort_variables(load_cohort(RENAMED, predictors_only=False)))
    table = proposed.table().set_index("input")
    assert table.loc["AFP", "column"] == "afp" and table.loc["AFP", "cohort_unit"] == "IU/mL"
    assert table.loc["AFP", "factor"] == pytest.approx(1.21)
    assert table.loc["tumour_diameter_mm", "column"] == "tumour_diameter_mm"
    assert table.loc["ALB", "column"] == "" and table.loc["ALB", "note"] == "no cohort variable: map one"
    with pytest.raises(ValueError, match=r"no variable for the model input ALB \(g/L\).*no variable for the model input "
                                         r"sex"):
        plan_validation(model, RENAMED, "external")


def test_mapped_cohort_validates_as_the_original(home):
    model = registry.json_model(COMBINED)
    plan = plan_validation(model, RENAMED, "external", mapping=MAPPED)
    original = plan_validation(model, CENTRES, "external")
    pd.testing.assert_frame_equal(plan.clinical, original.clinical, check_exact=False, rtol=1e-12)
    mapped, reference = run_validation(plan)[1], run_validation(original)[1]
    pd.testing.assert_frame_equal(mapped.metrics, reference.metrics, check_exact=False, rtol=1e-9)
    assert mapped.summary["mapping"]["inputs"]["sex"] == {"column": "gender", "unit": "",
                                                          "levels": {"Male": "M", "Female": "F"}}


def test_level_the_model_never_saw_is_named(home):
    model = registry.json_model(COMBINED)
    with pytest.raises(ValueError) as error:
        plan_validation(model, RENAMED, "external", mapping={**MAPPED, "sex": {"column": "gender"}})
    message = str(error.value)
    assert "sex: level 'Female'" in message and "sex: level 'Male'" in message and "its levels: F, M" in message
    first = load_cohort(RENAMED).patients.query("split == 'validation'").index[0]
    assert first in message  # the patients with the level are named


def test_unit_that_does_not_convert_is_named(home):
    model = registry.json_model(COMBINED)
    with pytest.raises(ValueError, match=r"AFP.*no known conversion from the cohort's unit 'kU/L' to the model's unit "
                                         r"'ng/mL'"):
        plan_validation(model, RENAMED, "external", mapping={**MAPPED, "AFP": {"unit": "kU/L"}})


def test_unit_given_in_the_mapping_overrides_the_stored_one(home):
    """The cohort stored albumin in g/dL; a mapping saying mg/dL (a wrong import, say) converts by 0.01."""
    model = registry.json_model(COMBINED)
    plan = plan_validation(model, RENAMED, "external", mapping={**MAPPED, "ALB": {"column": "albumin", "unit": "mg/dL"}})
    cohort = load_cohort(RENAMED, predictors_only=False)
    albumin = cohort.clinical.loc[plan.outcome.index, "albumin"]
    assert np.allclose(plan.clinical["ALB"], albumin * 0.01, equal_nan=True)
    assert plan.mapping.table().set_index("input").at["ALB", "note"] == "converted: x 0.01"
