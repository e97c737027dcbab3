"""Labels and units of an imported model holding Markdown are shown as
text on Model registry and Patient calculator: no image, link or colour is rendered."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from markdown_checks import COLOUR, IMAGE, LINK, live_markdown, rendered_markdown
from streamlit.testing.v1 import AppTest

from hccdash.registry import registry
from hccdash.display import as_text

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def hostile_model(cox_standin) -> str:
    fitted, spec = cox_standin
    spec = copy.deepcopy(spec)
    afp = next(p for p in spec["predictors"] if p["name"] == "afp")
    afp.update(label=f"AFP {IMAGE}", unit=COLOUR)
    age = next(p for p in spec["predictors"] if p["name"] == "age")
    age.update(label=f"age {LINK}", unit=LINK)
    registry.save(fitted, "hostile", spec=spec)
    return "hostile"


def _page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(page).run()
    assert not at.exception
    return at


def test_model_registry_shows_markdown_labels_as_text(hostile_model):
    at = _page("pages/5_model_registry.py")
    assert live_markdown(at) == []
    summary = at.table[0].value["value"]
    assert as_text(f"AFP {IMAGE} ({COLOUR})") in summary[as_text("Inputs (units)")]


def test_patient_calculator_shows_markdown_labels_as_text(hostile_model):
    at = _page("pages/6_patient_calculator.py")
    assert live_markdown(at) == []
    labels = rendered_markdown(at)
    assert as_text(f"AFP {IMAGE} ({COLOUR})") in labels and as_text(f"age {LINK} ({LINK})") in labels
    at.number_input(key="calculator_in_afp").set_value(-5.0)  # refused: the message names the input
    at.form_submit_button[0].click().run()
    assert not at.exception and at.error
    assert live_markdown(at) == []
