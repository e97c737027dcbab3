"""Evaluation of a saved model whose artifact went missing: a message on the page, not
Streamlit's exception box."""

from __future__ import annotations

import dataclasses

import pytest
from streamlit.testing.v1 import AppTest

from hccdash import paths
from hccdash.modeling.builder import ModelBuilder, load_model_inputs
from hccdash.registry import pipelines, registry

from evaluation_fixtures import QUICK, SOURCE

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")


def test_saved_model_with_a_missing_artifact_is_a_message(stored_cohort):
    builder = ModelBuilder(load_model_inputs(stored_cohort, source=SOURCE))
    name = pipelines.save_build(builder, builder.build(QUICK), "saved")
    registry.get(name).path.unlink()
    at = AppTest.from_file(str(paths.PROJECT_DIR / "app.py"), default_timeout=300)
    at.session_state["cohort"] = stored_cohort
    at.run()
    at.switch_page("pages/4_evaluation.py").run()
    at.selectbox(key="ev_source").set_value(SOURCE).run()
    at.radio(key="ev_kind").set_value("Saved model (registry)").run()
    assert not at.exception, at.exception
    assert any("Model 'saved'" in e.value and "is missing" in e.value for e in at.error)
