"""The evaluation page offers the model currently on screen on Model building (same cohort
and features) and evaluates exactly that fit, moved sliders and chosen lambda included."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from hccdash import paths

from evaluation_fixtures import SOURCE

CURRENT = "Current model (Model building)"


@pytest.mark.slow
def test_evaluation_uses_the_model_building_result(stored_cohort):
    at = AppTest.from_file(str(paths.PROJECT_DIR / "app.py"), default_timeout=300)
    at.session_state["cohort"] = stored_cohort
    at.run()
    at.switch_page("pages/3_model_building.py").run()
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
    assert any(c.value.startswith("Current model: RFS") for c in at.caption)
    (evaluation,) = at.session_state["ev_results"].values()
    assert evaluation.settings.selection.mrmr_k == 5  # the moved slider, not the preset defaults
    assert evaluation.settings.selection.icc_threshold is None
    combined = evaluation.c_index.query("model == 'combined' and split == 'train'")["c_index"].iloc[0]
    assert combined == pytest.approx(current.result.c_index.loc["combined", "train"], abs=1e-9)

    at.radio(key="ev_kind").set_value("Preset fitted on this cohort").run()
    assert not at.exception, at.exception
    (evaluation,) = at.session_state["ev_results"].values()
    assert evaluation.settings.selection.mrmr_k != 5
