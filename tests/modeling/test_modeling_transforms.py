"""Clinical log and restricted cubic spline terms (ClinicalModel, settings): the columns rms::rcs and
log() give, the guard for values <= 0, and the settings that exclude each other."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccdash import stats
from hccdash.modeling.clinical import ClinicalModel, TransformError, make_term
from hccdash.settings import Settings

from synthetic_cohort import synthetic_inputs

INPUTS = synthetic_inputs(n=120, p=10, seed=2)
Y = np.array(list(zip(INPUTS.patients["event"].astype(bool), INPUTS.patients["time"])),
             dtype=[("event", bool), ("time", float)])


def test_spline_of_log_term_is_rcs_of_the_log_with_harrell_knots():
    term = make_term(INPUTS.clinical["AFP"], Y, False, 0.1, log=True, knots=4)
    log_afp = np.log(INPUTS.clinical["AFP"].to_numpy())
    np.testing.assert_array_equal(term.knots, stats.rcs_knots(log_afp, 4))
    assert term.columns == ("log(AFP)", "log(AFP)'", "log(AFP)''")
    np.testing.assert_allclose(term.encode(INPUTS.clinical["AFP"]).to_numpy(), stats.rcs_basis(log_afp, term.knots))
    # a patient to predict with AFP 0 gets NaN columns (no prediction), not log(0)
    assert term.encode(pd.Series([0.0, 10.0], name="AFP")).iloc[0].isna().all()


def test_log_of_a_value_at_or_below_zero_names_the_patient():
    afp = INPUTS.clinical["AFP"].copy()
    afp.iloc[7] = 0.0
    with pytest.raises(TransformError, match=rf"'AFP' is log-transformed but patient {afp.index[7]} has 0"):
        make_term(afp, Y, False, 0.1, log=True)
    # never skipped silently, even when not forced in
    clinical = INPUTS.clinical.assign(AFP=afp)
    with pytest.raises(TransformError):
        ClinicalModel(["AFP", "age"], p_in=1.0, log=["AFP"]).fit(clinical, Y)


def test_transformed_terms_are_screened_as_a_whole_and_labelled():
    model = ClinicalModel(["AFP", "age", "BCLC"], p_in=1.0, p_out=1.0, log=["AFP"], splines=[("age", 3)]).fit(
        INPUTS.clinical, Y)
    assert model.columns_ == ["log(AFP)", "age", "age'", "BCLC[A]", "BCLC[B]"]
    table = model.table_.set_index("column")
    assert table.at["log(AFP)", "term"] == "per unit of log(AFP)"
    assert table.at["age'", "term"] == "spline basis age' (3 knots)"
    uni = model.univariable_.set_index("column")
    assert uni.at["age", "p (variable)"] == uni.at["age'", "p (variable)"]  # one joint Wald p for the spline


def test_settings_refuse_a_variable_cut_and_transformed_or_splined_twice():
    with pytest.raises(ValueError, match="either cut or transformed"):
        Settings.from_dict({"model": {"clinical_dichotomise": ["AFP"], "clinical_log": ["AFP"]}})
    with pytest.raises(ValueError, match="more than once"):
        Settings.from_dict({"model": {"clinical_splines": [["age", 3], ["age", 4]]}})
    with pytest.raises(ValueError, match="3 to 7 knots"):
        Settings.from_dict({"model": {"clinical_splines": [["age", 8]]}})
    with pytest.raises(TransformError, match="categorical"):
        make_term(INPUTS.clinical["BCLC"], Y, False, 0.1, log=True)
