"""Model building shows the proportional-hazards test (cox.zph) of the Cox models it builds, as
Evaluation computes it, and a grouped warning naming the failing terms."""

from __future__ import annotations

from app_pages import open_page

from hccdash.evaluation.data import prepare
from hccdash.evaluation.proportional_hazards import ph_check

PAGE = "pages/3_model_building.py"


def test_the_ph_table_shows_global_as_the_library_computes_it(stored_cohort):
    at = open_page(PAGE, stored_cohort)
    at.session_state["mb_model_view"] = "Proportional hazards"  # its tab, drawn when open
    at.run()
    current = at.session_state["mb_current"]
    expected = ph_check(prepare(current.result, current.builder))
    shown = next(df.value for df in at.dataframe if {"model", "term", "chisq", "df", "p"} <= set(df.value.columns))
    assert set(shown["model"]) == set(expected.tests["model"]) and "combined" in set(shown["model"])
    for model in expected.tests["model"].unique():
        mine = shown[(shown["model"] == model) & (shown["term"] == "GLOBAL")]
        theirs = expected.tests[(expected.tests["model"] == model) & (expected.tests["term"] == "GLOBAL")]
        assert len(mine) == 1 and mine["chisq"].iloc[0] == theirs["chisq"].iloc[0] > 0
        assert mine["df"].iloc[0] == theirs["df"].iloc[0]


def test_failing_terms_are_named_in_one_grouped_warning(stored_cohort, monkeypatch):
    """With the threshold at 1 every term fails: one "Proportional hazards fail" box naming each model's terms."""
    for module in ("hccdash.stats.proportional_hazards", "hccdash.evaluation.proportional_hazards"):
        monkeypatch.setattr(f"{module}.PH_ALPHA", 1.0)
    at = open_page(PAGE, stored_cohort)
    boxes = [w.value for w in at.warning if w.value.startswith("**Proportional hazards fail**")]
    assert len(boxes) == 1 and "(3)" in boxes[0]  # clinical, radiomics, combined
    current = at.session_state["mb_current"]
    failing = ph_check(prepare(current.result, current.builder)).tests
    for term in failing.loc[failing["term"] != "GLOBAL", "term"]:
        assert term.replace("_", "\\_") in boxes[0] or term in boxes[0]
