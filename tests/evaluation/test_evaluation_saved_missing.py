"""Evaluation of a saved model whose artifact went missing: a message on the page, not
Streamlit's exception box."""

from __future__ import annotations

import pytest

from app_pages import open_page
from hccdash.modeling.builder import ModelBuilder, load_model_inputs
from hccdash.registry import pipelines, registry

from evaluation_fixtures import QUICK, SOURCE

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")


def test_saved_model_with_a_missing_artifact_is_a_message(stored_cohort):
    builder = ModelBuilder(load_model_inputs(stored_cohort, source=SOURCE))
    name = pipelines.save_build(builder, builder.build(QUICK), "saved")
    registry.get(name).path.unlink()
    at = open_page("pages/4_evaluation.py", stored_cohort, timeout=300)
    at.selectbox(key="ev_source").set_value(SOURCE).run()
    at.radio(key="ev_kind").set_value("Saved model (registry)").run()
    assert not at.exception, at.exception
    assert any("Model 'saved'" in e.value and "is missing" in e.value for e in at.error)
