"""Cohort names, column names, labels and units holding Markdown are shown as text on Home
and Cohort import: no image, link or colour reaches Streamlit's Markdown renderer."""

from __future__ import annotations

import pandas as pd
import pytest
from markdown_checks import COLOUR, IMAGE, LINK, live_markdown, rendered_markdown
from streamlit.testing.v1 import AppTest

from hccdash.cohort import guess_mapping, import_cohort
from hccdash.paths import PROJECT_DIR
from hccdash.display import as_text

NAME = f"cohort {IMAGE} {LINK} {COLOUR}"
AFP = f"AFP {LINK}"


@pytest.fixture
def hostile_cohort(tiny) -> str:
    table = pd.read_csv(tiny["clinical"]).rename(columns={"AFP": AFP, "BCLC": f"BCLC {COLOUR}"})
    mapping = guess_mapping(table).with_units({AFP: COLOUR}, labels={AFP: IMAGE})
    result = import_cohort(NAME, table, mapping, source="clinical.csv")
    assert result.ok, result.report.to_frame()
    return NAME


def _app() -> AppTest:
    return AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=120)


def test_home_shows_a_markdown_cohort_name_as_text(hostile_cohort):
    at = _app().run()
    assert not at.exception
    assert live_markdown(at) == []
    assert f"Table 1: {as_text(NAME)}" in [s.value for s in at.subheader]


def test_cohort_import_page_shows_a_markdown_cohort_name_as_text(hostile_cohort):
    at = _app().run()
    at.switch_page("pages/1_cohort_import.py").run()
    assert not at.exception
    assert live_markdown(at) == []
    shown = rendered_markdown(at)
    assert f"Table 1: {as_text(NAME)}" in shown
    assert any(as_text(NAME) in label for label in shown if label.startswith("Yes, delete"))
