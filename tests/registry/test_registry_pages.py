"""AppTest of the model registry and patient calculator pages, with a real saved pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from hccdash import calculator
from hccdash.registry import registry

APP = str(Path(__file__).resolve().parents[2] / "app.py")
pytestmark = pytest.mark.filterwarnings("ignore:Only .* events per model term:UserWarning")


def _calculator(cox_pipeline) -> AppTest:
    registry.save(cox_pipeline.result.model, "combined", **cox_pipeline.save_kwargs())
    return _new_session()


def _new_session() -> AppTest:
    """The calculator in a new browser session (as after a reload)."""
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/6_patient_calculator.py").run()
    assert not at.exception
    return at


def _what_if_table(at: AppTest):
    """The what-if table (quantity, before, after, change)."""
    return next(d.value for d in reversed(at.dataframe) if "quantity" in d.value.columns).set_index("quantity")


def _fill(at: AppTest, values: dict) -> None:
    for name, value in values.items():
        key = f"calculator_in_{name}"
        if name in ("BCLC", "sex"):
            at.selectbox(key=key).set_value(value)
        else:
            at.number_input(key=key).set_value(value)


def test_calculator_form_refuses_impossible_input_then_predicts(cox_pipeline):
    at = _calculator(cox_pipeline)
    patient = cox_pipeline.validation.iloc[0]
    values = {"AFP": float(patient["AFP"]), "BCLC": str(patient["BCLC"]), "sex": str(patient["sex"]),
              "ALB": float(patient["ALB"]), "rad_score": 0.3}
    _fill(at, {**values, "AFP": -5.0})
    at.button[0].click().run()
    assert not at.exception
    assert any("AFP" in e.value and "impossible" in e.value for e in at.error)
    assert not at.metric

    _fill(at, {"AFP": values["AFP"]})
    at.button[0].click().run()
    assert not at.exception and not at.error
    model = registry.json_model("combined")
    expected = calculator.predict_patient(model, values)
    shown = {m.label: m.value for m in at.metric}
    assert shown["RFS at 24 months"] == f"{100 * expected.estimates['surv'].iloc[1]:.1f}%"
    assert shown["Risk group"] == expected.risk_group

    # what-if: AFP x 50 changes the linear predictor by b_AFP * 49 AFP
    at.selectbox(key="calculator_whatif_input").set_value("AFP").run()
    _what_if_value(at).set_value(values["AFP"] * 50).run()
    assert not at.exception
    table = _what_if_table(at)
    change = float(table.at["linear predictor", "change"])
    assert change == pytest.approx(model.coef["AFP"] * values["AFP"] * 49, rel=1e-3)


def test_calculator_warns_out_of_training_range(cox_pipeline):
    at = _calculator(cox_pipeline)
    _fill(at, {"rad_score": 50.0})
    at.button[0].click().run()
    assert not at.exception
    assert any("rad_score" in w.value and "outside the training range" in w.value for w in at.warning)


def test_registry_page_lists_compares_and_deletes(cox_pipeline):
    registry.save(cox_pipeline.result.model, "first", **cox_pipeline.save_kwargs())
    registry.save(cox_pipeline.result.model, "second", **cox_pipeline.save_kwargs())
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/5_model_registry.py").run()
    assert not at.exception
    assert at.dataframe[0].value["name"].tolist() == ["first", "second"]
    assert at.dataframe[2].value.loc["c_index.train", "first"] == pytest.approx(  # [1]: the details' terms
        cox_pipeline.result.summary()["c_index"]["train"])
    at.selectbox(key="registry_target").set_value("first").run()
    assert at.button(key="registry_delete").disabled  # not confirmed yet: cannot delete
    at.checkbox(key="registry_confirm").check().run()
    at.button(key="registry_delete").click().run()
    assert not at.exception
    assert registry.list_models()["name"].tolist() == ["second"]


def test_registry_details_show_a_readable_summary_above_the_json(cox_pipeline):
    registry.save(cox_pipeline.result.model, "first", **cox_pipeline.save_kwargs())
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/5_model_registry.py").run()
    assert not at.exception
    summary = at.table[0].value
    model = registry.json_model("first")
    assert summary.loc["C-index", "value"].startswith(f"train {cox_pipeline.result.summary()['c_index']['train']:.3f}")
    assert f"{model.spec['risk_groups']['cutoffs'][0]:.4g}" in summary.loc["Risk-group cut-off", "value"]
    assert "not centred" in summary.loc["Linear predictor", "value"]
    terms = at.dataframe[1].value.set_index("term")
    assert terms["coef"].to_dict() == pytest.approx(model.coef.to_dict(), rel=1e-12)
    assert len(at.json) == 1


def test_calculator_caption_says_the_linear_predictor_is_not_centred(cox_pipeline):
    at = _calculator(cox_pipeline)
    patient = cox_pipeline.validation.iloc[0]
    _fill(at, {"AFP": float(patient["AFP"]), "BCLC": str(patient["BCLC"]), "sex": str(patient["sex"]),
               "ALB": float(patient["ALB"]), "rad_score": 0.3})
    at.button[0].click().run()
    assert not at.exception
    assert any("b'x, not centred; R's predict(coxph) subtracts the training means" in c.value for c in at.caption)


def _what_if_value(at: AppTest):
    return next(n for n in at.number_input if n.label == "New value")


def test_what_if_starts_from_the_patient_value_of_the_field_and_model_shown(cox_pipeline, er_pipeline):
    """The what-if input is the chosen field's own: after AFP was set to 250, switching the
    field to ALB (or the model) shows and computes with the patient's ALB, not 250."""
    registry.save(er_pipeline.result.model, "er", **er_pipeline.save_kwargs())
    at = _calculator(cox_pipeline)
    at.selectbox(key="calculator_model").set_value("combined").run()
    at.button[0].click().run()  # predict with the form's defaults
    at.selectbox(key="calculator_whatif_input").set_value("AFP").run()
    _what_if_value(at).set_value(250.0).run()
    assert float(_what_if_table(at).at["linear predictor", "change"]) != 0

    at.selectbox(key="calculator_whatif_input").set_value("ALB").run()
    assert not at.exception
    alb = at.session_state["calculator_values"]["values"]["ALB"]
    assert _what_if_value(at).value == pytest.approx(alb)
    assert float(_what_if_table(at).at["linear predictor", "change"]) == 0

    _what_if_value(at).set_value(alb + 5).run()
    at.selectbox(key="calculator_model").set_value("er").run()
    at.button[0].click().run()
    assert not at.exception
    er_values = at.session_state["calculator_values"]["values"]
    which = at.selectbox(key="calculator_whatif_input").value
    assert _what_if_value(at).value == pytest.approx(er_values[which])
    assert float(_what_if_table(at).at["linear predictor", "change"]) == 0


def test_calculator_charts_are_shown_as_they_are_exported(cox_pipeline, shown_charts):
    """No Streamlit theme (the PNG / SVG downloads have none) and the chart's own width."""
    at = _calculator(cox_pipeline)
    at.button[0].click().run()
    assert not at.exception
    assert len(shown_charts) == len(at.get("vega_lite_chart")) == 3
    assert all(call.get("theme", "streamlit") is None and call.get("width") == "content" for call in shown_charts)


def test_registry_rename_import_and_delete_say_what_they_did(cox_pipeline):
    """The confirmation survives the rerun that refreshes the list (it was lost to it)."""
    registry.save(cox_pipeline.result.model, "first", **cox_pipeline.save_kwargs())
    text = registry.export_json("first")
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/5_model_registry.py").run()
    at.text_input(key="registry_new_name").input("renamed").run()
    at.button(key="registry_rename").click().run()
    assert not at.exception
    assert registry.list_models()["name"].tolist() == ["renamed"]
    assert [s.value for s in at.success] == ["Renamed first to renamed"]

    at.file_uploader(key="registry_upload").upload("model.json", text.encode(), "application/json").run()
    at.text_input(key="registry_import_name").input("shared").run()
    at.button(key="registry_import").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Registered shared"]

    at.run()  # said once, not on every later run
    assert not at.success


def test_calculator_remembers_the_chosen_model_across_pages(cox_pipeline):
    registry.save(cox_pipeline.result.model, "second", **cox_pipeline.save_kwargs())
    at = _calculator(cox_pipeline)
    options = at.selectbox(key="calculator_model").options
    assert sorted(options) == ["combined", "second"]
    other = options[1]  # not the one shown first
    at.selectbox(key="calculator_model").set_value(other).run()
    at.switch_page("pages/5_model_registry.py").run()
    at.switch_page("pages/6_patient_calculator.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="calculator_model").value == other


def test_calculator_remembers_the_chosen_model_after_a_reload(cox_pipeline):
    """A new browser session (a reload) opens the model chosen last in this HCCDASH_HOME, while it is registered."""
    registry.save(cox_pipeline.result.model, "second", **cox_pipeline.save_kwargs())
    first = _calculator(cox_pipeline)
    options = first.selectbox(key="calculator_model").options
    other = next(o for o in options if o != first.selectbox(key="calculator_model").value)
    first.selectbox(key="calculator_model").set_value(other).run()
    assert not first.exception, first.exception
    again = _new_session()
    assert again.selectbox(key="calculator_model").value == other
    registry.delete(other)
    fresh = _new_session()  # the remembered model is gone: the first one, no error
    assert fresh.selectbox(key="calculator_model").value == fresh.selectbox(key="calculator_model").options[0]


def test_calculator_groups_its_out_of_range_warnings_in_one_box(cox_pipeline):
    at = _calculator(cox_pipeline)
    _fill(at, {"rad_score": 50.0, "ALB": 500.0})
    at.button[0].click().run()
    assert not at.exception
    boxes = [w.value for w in at.warning if "outside the training range" in w.value]
    assert len(boxes) == 1 and boxes[0].startswith("**Input outside the training data** (3).")  # and the lp
    assert "rad\\_score: outside the training range" in boxes[0] or "rad_score: outside the training range" in boxes[0]
    assert "ALB: outside the training range" in boxes[0] and "**What to do:**" in boxes[0]
    assert "linear predictor: outside the training range" in boxes[0]
