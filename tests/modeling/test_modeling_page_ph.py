"""Model building shows the proportional-hazards test (cox.zph) of the Cox models it builds, as
Evaluation computes it, and a grouped warning naming the failing terms."""

from __future__ import annotations

from app_pages import open_page

from hccdash.evaluation.data import prepare
from hccdash.evaluation.proportional_hazards import ph_check

PAGE = "pages/3_model_building.py"


def test_the_ph_table_shows_global_as_the_library_computes_it(stored_cohort):
    at = open_page(PAGE, stored_cohort)
    current = at.session_state["mb_current"]
    expected = ph_check(prepare(current.result, current.builder))
    shown = next(df.value for df in at.dataframe if {"model", "term", "chisq", "df", "p"} <= set(df.value.columns))
    assert set(shown["model"]) == set(expected.tests["model"]) and "combined" in set(shown["model"])
    for model in expected.tests["model"].unique():
        mine = shown[(shown["model"] == model) & (shown["term"] == "GLOBAL")]
        theirs = expected.tests[(expected.tests["model"] == model) & (expected.tests["term"] == "GLOBAL")]
        assert len(mine) == 1 and mine["chisq"].iloc[0] == theirs["chisq"].iloc[0] > 0
        assert mine["df"].iloc[0] == theirs["df"].iloc[0]
    warned = " ".join(w.value for w in at.warning)
    for note in expected.notes:  # failing models, their failing terms named, in the grouped box
        assert "**Proportional hazards fail**" in warned and note.split("terms with p < 0.05: ")[-1][:20] in warned
