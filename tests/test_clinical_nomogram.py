"""A cohort without images or features (the real HCC-TACE-Seg clinical table) still gives a
clinical nomogram end to end, through the pages: Cohort import -> Model building (clinical
Cox model) -> Evaluation -> save -> Patient calculator."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from hccdash import calculator
from hccdash.paths import PROJECT_DIR
from hccdash.registry import registry

HCC_CSV = "hcc/HCC-TACE-Seg_clinical_data-V2_data_table.csv"
BASELINE = ["age", "AFP", "BCLC", "CPS", "hepatitis", "Portal Vein Thrombosis", "tumor_nodul"]  # known before TACE
FORCED = ["age", "AFP", "BCLC"]  # kept whatever their p, as a paper's baseline model
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Only .* events per model term:UserWarning")]


def _imported(reference) -> AppTest:
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=300).run()
    at.switch_page("pages/1_cohort_import.py").run()
    at.radio(key="ci_clinical_mode").set_value("Path").run()
    at.text_input(key="ci_clinical_path").set_value(str(reference / HCC_CSV)).run()
    at.selectbox(key="ci_unit").set_value("weeks").run()
    at.text_input(key="ci_name").set_value("tace").run()
    at.button(key="ci_import").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("Cohort 'tace' imported: 105 patients, 45 events, 0 images")
    return at


def test_hcc_tace_seg_gives_a_clinical_nomogram_end_to_end(reference):
    at = _imported(reference)
    at.switch_page("pages/3_model_building.py").run()
    assert not at.exception, at.exception
    assert any("no radiomic features" in i.value for i in at.info)
    at.multiselect(key="mb_clinical").set_value(BASELINE).run()
    at.multiselect(key="mb_force_in").set_value(FORCED).run()
    assert not at.exception, at.exception
    result = at.session_state["mb_current"].result
    model = result.model
    assert not model.has_radiomics and set(FORCED) <= set(model.clinical_.selected_)
    assert list(model.combined_.columns_) == list(model.clinical_design(
        at.session_state["mb_current"].builder.frame(result.train_index, result.clinical_vars)).columns)
    assert result.discrimination.loc["combined", "train"] == pytest.approx(result.discrimination.loc["clinical", "train"])
    assert not any("rad-score is constant" in w.value for w in at.warning)

    at.switch_page("pages/4_evaluation.py").run()
    assert not at.exception, at.exception
    assert at.radio(key="ev_kind").value.startswith("Current model")
    assert any("no radiomic features" in w.value for w in at.warning)
    shown = at.dataframe[0].value
    assert set(shown["model"]) == {"clinical", "combined"}
    at.text_input(key="ev_save_name").input("tace_clinical").run()
    at.button(key="ev_save").click().run()
    assert not at.exception, at.exception
    record = registry.get("tace_clinical")
    assert record.meta["submodel"] == "clinical" and record.meta["selected_features"] == []
    assert record.meta["terms"] == list(model.combined_.columns_)

    at.switch_page("pages/6_patient_calculator.py").run()
    at.selectbox(key="calculator_model").set_value("tace_clinical").run()
    assert not at.exception, at.exception
    assert "calculator_rad_mode" not in [r.key for r in at.radio]  # no rad-score to type or extract
    json_model = registry.json_model("tace_clinical")
    fields = calculator.form_fields(json_model)
    assert {f.name for f in fields} == set(model.clinical_.selected_)
    at.button[0].click().run()  # Predict with the form's defaults
    assert not at.exception, at.exception
    expected = calculator.predict_patient(json_model, at.session_state["calculator_values"]["values"])
    cards = {m.label: m.value for m in at.metric}
    assert cards["RFS at 12 months"] == f"{100 * expected.estimates['surv'].iloc[0]:.1f}%"
    assert cards["Risk group"] == expected.risk_group
    assert len(at.get("vega_lite_chart")) == 3  # survival curve, contributions, nomogram
