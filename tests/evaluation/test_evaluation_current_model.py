"""The evaluation page offers the model currently on screen on Model building (same cohort
and features) and evaluates exactly that fit, moved sliders and chosen lambda included."""

from __future__ import annotations

import pytest
import streamlit as st

from app_pages import open_page

from evaluation_fixtures import SOURCE

CURRENT = "Current model (Model building)"


@pytest.mark.slow
def test_evaluation_uses_the_model_building_result(stored_cohort):
    st.cache_resource.clear()  # builders cached by other tests' pages (same cohort name, other store)
    at = open_page("pages/3_model_building.py", stored_cohort, timeout=300)
    at.selectbox(key="mb_source").set_value(SOURCE).run()
    at.toggle(key="mb_icc_on").set_value(False).run()
    at.slider(key="mb_mrmr_k").set_value(5).run()
    assert not at.exception, at.exception
    current = at.session_state["mb_current"]
    assert current.result.settings.selection.mrmr_k == 5 and current.result.settings.selection.icc_threshold is None

    at.switch_page("pages/4_evaluation.py").run()
    assert not at.exception, at.exception
    kind = at.radio(key="ev_kind")
    assert kind.options[0] == CURRENT and kind.value == CURRENT
    label = next(c.value for c in at.caption if c.value.startswith("Current model: RFS; rad-score of "))
    assert f"lambda {current.result.lasso.lambda_value_:.4g}" in label
    assert label.endswith(f"clinical terms kept: {', '.join(current.result.model.clinical_.selected_) or 'none'}")
    (evaluation,) = at.session_state["ev_results"].values()
    assert evaluation.settings.selection.mrmr_k == 5  # the moved slider, not the preset defaults
    assert evaluation.settings.selection.icc_threshold is None
    combined = evaluation.discrimination.query("model == 'combined' and split == 'train'")["c_index"].iloc[0]
    assert combined == pytest.approx(current.result.discrimination.loc["combined", "train"], abs=1e-9)

    at.radio(key="ev_kind").set_value("Preset fitted on this cohort").run()
    assert not at.exception, at.exception
    (evaluation,) = at.session_state["ev_results"].values()
    assert evaluation.settings.selection.mrmr_k != 5


@pytest.mark.slow
def test_tab_stays_open_after_a_button_and_p_values_are_rounded(stored_cohort):
    """The tabs track their state (a button inside "By centre" used to jump back to the first
    tab); the C-index numbers are on screen; p-values read "<0.001", not 0.0000000007."""
    at = open_page("pages/4_evaluation.py", stored_cohort, timeout=300)
    assert at.session_state["ev_tab"] == "Discrimination"  # only tracked tabs hold a state
    at.session_state["ev_tab"] = "By centre"
    at.button(key="ev_loco").click().run()
    assert not at.exception, at.exception
    assert at.session_state["ev_tab"] == "By centre"
    assert "c_index" in at.dataframe[0].value.columns  # first table of Discrimination
    risk = next(df.value for df in at.dataframe if "p_logrank" in df.value.columns)
    assert all(isinstance(v, str) and (v.startswith("<") or float(v) >= 0.001) for v in risk["p_logrank"])
