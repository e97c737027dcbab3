"""Model building settings you can trust (AppTest): the last configuration survives a reload (a new
session), reset to defaults, going back in the history, presets named by what they are."""

from __future__ import annotations

import pytest
from app_pages import open_page
from streamlit.testing.v1 import AppTest

from hccdash.modeling import configurations
from hccdash.settings import ModelSettings, Settings, SplitSettings

PAGE = "pages/3_model_building.py"


def _open(cohort: str) -> AppTest:
    """A new browser session (as after a reload) on Model building."""
    return open_page(PAGE, cohort)


@pytest.fixture
def changed(stored_cohort) -> AppTest:
    at = _open(stored_cohort)
    at.toggle(key="mb_corr_on").set_value(False).run()
    at.slider(key="mb_mrmr_k").set_value(7).run()
    assert not at.exception, at.exception
    return at


def test_the_configuration_survives_a_reload(changed, stored_cohort):
    source = changed.selectbox(key="mb_source").value
    stored = configurations.last_configuration(stored_cohort, source)
    assert stored.selection.correlation_threshold is None and stored.selection.mrmr_k == 7
    again = _open(stored_cohort)
    assert again.toggle(key="mb_corr_on").value is False and again.slider(key="mb_mrmr_k").value == 7
    assert again.session_state["mb_current"].result.settings.selection.mrmr_k == 7


def test_reset_to_defaults_and_back_through_the_history(changed, stored_cohort):
    changed.button(key="mb_reset").click().run()
    assert not changed.exception, changed.exception
    assert changed.toggle(key="mb_corr_on").value is True and changed.slider(key="mb_mrmr_k").value == 20
    assert any("Defaults" in s.value for s in changed.success)
    history = changed.selectbox(key="mb_history_choice")
    assert len(history.options) >= 3  # defaults, correlation off, mRMR 7 (newest first)
    assert "mRMR 20" in history.options[0] and "mRMR 7" in history.options[1]
    source = changed.selectbox(key="mb_source").value
    (newest, _), (before, _) = configurations.history(stored_cohort, source)[:2]
    assert history.value == newest
    history.set_value(before).run()
    changed.button(key="mb_history_apply").click().run()
    assert not changed.exception, changed.exception
    assert changed.toggle(key="mb_corr_on").value is False and changed.slider(key="mb_mrmr_k").value == 7


def test_presets_are_named_by_what_they_are(stored_cohort):
    at = _open(stored_cohort)
    labels = [b.label for b in at.button if b.key and b.key.startswith("mb_preset_")]
    assert labels == ["000 · CT 3-phase · RFS", "001 · CT portal · RFS", "002 · MRI · ER 24 mo", "003 · MRI · ER 6 mo",
                      "003dl · MRI · ER 6 mo · deep features", "004 · MRI · RFS · 3 cohorts"]
    assert "mb_config_download" in " ".join(d.proto.id for d in at.get("download_button"))


def test_a_configuration_naming_what_the_cohort_lacks_opens_without_error(stored_cohort):
    """A remembered (or loaded) configuration made for another cohort: its unknown centre and a
    force-in variable it does not choose are left out, and said so, instead of breaking the page."""
    at = _open(stored_cohort)
    source = at.selectbox(key="mb_source").value
    other = Settings(split=SplitSettings(method="three", validation_centres=("Elsewhere",), resplit=True),
                     model=ModelSettings(clinical_variables=("age",), clinical_force_in=("AFP",)))
    configurations.remember(stored_cohort, source, other)
    again = _open(stored_cohort)
    assert again.multiselect(key="mb_external").value == [] and again.multiselect(key="mb_force_in").value == []
    assert any("left out" in i.value and "Elsewhere" in i.value and "AFP" in i.value for i in again.info)
