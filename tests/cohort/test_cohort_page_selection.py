"""Cohort import page: the user can switch the stored cohort whose Table 1 is shown (the
selectbox used to snap back to the app-wide cohort on every rerun), and a cohort chosen
elsewhere (an import, another page) still becomes the selection."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from hccdash.cohort import guess_mapping, import_cohort, read_table
from hccdash.paths import PROJECT_DIR

PAGE = "pages/1_cohort_import.py"


def _store_two_cohorts(clinical) -> None:
    frame = read_table(clinical)
    for name in ("first", "second"):
        assert import_cohort(name, frame, guess_mapping(frame)).ok


def _cohort_page_on_first(tiny) -> AppTest:
    """The cohort page, two cohorts stored, "first" chosen."""
    _store_two_cohorts(tiny["clinical"])
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=120)
    at.session_state["cohort"] = "first"
    at.run()
    return at.switch_page(PAGE).run()


def test_switching_the_stored_cohort_sticks(tiny):
    at = _cohort_page_on_first(tiny)
    assert at.selectbox(key="ci_selected").value == "first"

    at.selectbox(key="ci_selected").set_value("second").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="ci_selected").value == "second"
    assert any(h.value == "Table 1: second" for h in at.subheader)
    assert at.session_state["cohort"] == "second"

    at.session_state["cohort"] = "first"  # chosen on another page
    at.run()
    assert at.selectbox(key="ci_selected").value == "first"


def test_the_pick_follows_the_user_to_other_pages_and_back(tiny):
    at = _cohort_page_on_first(tiny)
    at.selectbox(key="ci_selected").set_value("second").run()
    at.switch_page("pages/3_model_building.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="mb_cohort").value == "second"
    at.switch_page(PAGE).run()  # the cohort page's widget state was dropped meanwhile
    assert at.selectbox(key="ci_selected").value == "second"
