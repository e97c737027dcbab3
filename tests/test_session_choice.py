"""The shared cohort choice across the pages' selectboxes (hccdash.session)."""

from __future__ import annotations

from hccdash.session import adopt_shared, publish_shared

OPTIONS = ["first", "second", "third"]


def test_user_pick_sticks_and_is_published():
    state = {"cohort": "first"}
    adopt_shared(state, "page", OPTIONS)
    assert state["page"] == "first"
    publish_shared(state, "page")
    state["page"] = "second"  # the user picks another cohort
    adopt_shared(state, "page", OPTIONS)
    assert state["page"] == "second"
    publish_shared(state, "page")
    assert state["cohort"] == "second"


def test_choice_made_elsewhere_or_dropped_widget_state_is_adopted():
    state = {"cohort": "first"}
    adopt_shared(state, "page", OPTIONS)
    publish_shared(state, "page")
    state["cohort"] = "third"  # imported / chosen on another page
    adopt_shared(state, "page", OPTIONS)
    assert state["page"] == "third"
    publish_shared(state, "page")
    del state["page"]  # Streamlit drops a widget's state when its page is not shown
    adopt_shared(state, "page", OPTIONS)
    assert state["page"] == "third"


def test_unknown_shared_choice_leaves_the_widget_alone():
    state = {"cohort": "deleted", "page": "second"}
    adopt_shared(state, "page", OPTIONS)
    assert state["page"] == "second"
