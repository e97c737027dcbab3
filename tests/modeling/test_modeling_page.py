"""The model building page: runs, and each slider reruns without exception and changes the output."""

from __future__ import annotations

import json

import pytest
from app_pages import open_page
from streamlit.testing.v1 import AppTest

from hccdash import paths

PAGE = "pages/3_model_building.py"


def _output(at: AppTest) -> tuple:
    """What the user reads: the funnel, the formula, the metrics and the tables."""
    return (tuple(c.value for c in at.caption), tuple(c.value for c in at.code), tuple(m.value for m in at.metric),
            tuple(df.value.to_csv() for df in at.dataframe))


@pytest.fixture
def page(stored_cohort) -> AppTest:
    return open_page(PAGE, stored_cohort)


def _columns(at: AppTest) -> list[set]:
    """The columns of each table shown, but the warnings glossary's (at the foot of every page)."""
    return [set(df.value.columns) for df in at.dataframe if "what it means" not in df.value.columns]


def test_page_shows_the_model(page):
    """The rad-score formula, both C-indices and the combined model with its LR test are on screen; the
    clinical model's tables and the PH check are drawn when their tab is opened, instead of the combined
    model's (a slider move redraws the open tab alone)."""
    assert page.code and page.code[0].value.startswith("rad_score =")
    labels = [m.label for m in page.metric]
    assert any("validation" in label for label in labels)
    combined = page.session_state["mb_current"].result.model.combined_.table_
    shown = _columns(page)
    assert set(combined.columns) in shown and len(shown) == 3  # C-index, combined model, LR test
    page.session_state["mb_model_view"] = "Clinical model"
    page.run()
    clinical = page.session_state["mb_current"].result.model.clinical_
    shown = _columns(page)
    assert set(clinical.univariable_.columns) in shown and set(clinical.table_.columns) in shown
    assert len(shown) == 3 and {"EPV", "chisq", "df", "p", "test"} not in shown  # C-index, screen, multivariable
    page.session_state["mb_model_view"] = "Proportional hazards"
    page.run()
    assert len(_columns(page)) == 2 and {"model", "term", "chisq", "df", "p"} <= _columns(page)[1]


def test_a_model_is_saved_from_the_page_with_the_controls_shown(page):
    """The Save expander (outside the slider fragment) saves the fit of the current controls: after a
    slider move, the saved pipeline has the moved threshold."""
    from hccdash.registry import pipelines

    page.slider(key="mb_corr").set_value(0.8).run()
    page.text_input(key="mb_save_name").input("from_the_page").run()
    page.button(key="mb_save").click().run()
    assert not page.exception, page.exception
    assert any("Saved as" in s.value for s in page.success), [e.value for e in page.error]
    assert pipelines.load_saved("from_the_page").settings.selection.correlation_threshold == 0.8


@pytest.mark.parametrize("key, value", [("mb_icc", 0.9), ("mb_corr", 0.6), ("mb_mrmr_k", 4)])
def test_each_slider_changes_the_output(page, key, value):
    """Moving an upstream slider refits without exception and changes what is shown."""
    before = _output(page)
    page.slider(key=key).set_value(value).run()
    assert not page.exception, page.exception
    assert _output(page) != before


def test_lambda_slider_changes_the_output(page):
    """Moving the lambda slider to the other end of the path changes the formula."""
    slider = next(s for s in page.select_slider if s.key.startswith("mb_lambda_"))
    before = _output(page)
    slider.set_value(0 if slider.value != 0 else len(slider.options) - 1).run()
    assert not page.exception, page.exception
    assert _output(page) != before


def test_preset_button_applies_the_study_recipe(page):
    """Preset 003 switches to early recurrence at 6 months with Mann-Whitney and no mRMR."""
    page.button(key="mb_preset_003").click().run()
    assert not page.exception, page.exception
    assert page.session_state["mb_endpoint"] == "er"
    assert page.session_state["mb_horizon"] == 6.0
    assert page.session_state["mb_mrmr_on"] is False
    assert page.session_state["mb_univariate_test"] == "mannwhitney"


@pytest.mark.parametrize("key, value", [("mb_fusion", "scores"), ("mb_endpoint", "er")])
def test_fusion_and_endpoint_choices_rerun(page, key, value):
    """Per-phase fusion (lambda by rule) and the early-recurrence endpoint render without error."""
    before = _output(page)
    page.radio(key=key).set_value(value).run()
    assert not page.exception, page.exception
    assert _output(page) != before
    if key == "mb_fusion":
        assert page.radio(key="mb_lambda_rule").value == "lambda.min"


def test_no_phase_chosen_reads_all_phases(page):
    """Clearing the phases fits on every phase, and the empty box says so."""
    phases = page.multiselect(key="mb_phases")
    assert phases.proto.placeholder == "All phases"
    before = _output(page)
    phases.set_value([]).run()
    assert not page.exception, page.exception
    assert _output(page)[1] == before[1]  # same rad-score formula as with every phase listed


def test_clinical_and_combined_tables_say_which_patients_and_events_were_used(page):
    """One caption line under each table: complete cases and their events (not the split's counts)."""
    model = page.session_state["mb_current"].result.model
    assert model.clinical_ is not None
    for tab, fitted in (("Combined model", model.combined_), ("Clinical model", model.clinical_)):
        page.session_state["mb_model_view"] = tab
        page.run()
        assert fitted.rows_used_text().startswith(f"Fitted on {fitted.n_used_} of {fitted.n_rows_} training")
        assert fitted.rows_used_text() in [c.value for c in page.caption]


def test_each_cohort_keeps_its_own_controls(stored_cohort, feature_source, tmp_path):
    """Viewing a cohort with the portal phase only, then the first cohort again, builds on all of
    the first cohort's phases and features (its phases were left at [portal] before), and a
    control changed on one cohort stays with it."""
    from synthetic_cohort import import_synthetic_cohort

    import_synthetic_cohort("portal_only", feature_source, tmp_path, phases=("portal",))
    at = AppTest.from_file(str(paths.PROJECT_DIR / "app.py"), default_timeout=180)
    at.session_state["cohort"] = stored_cohort
    at.run()
    at.switch_page(PAGE).run()
    assert sorted(at.multiselect(key="mb_phases").value) == ["arterial", "delayed", "portal"]
    at.toggle(key="mb_corr_on").set_value(False).run()

    at.selectbox(key="mb_cohort").set_value("portal_only").run()
    assert not at.exception, at.exception
    assert at.multiselect(key="mb_phases").value == ["portal"]
    assert at.toggle(key="mb_corr_on").value is True  # this cohort's own (default) setting

    at.selectbox(key="mb_cohort").set_value(stored_cohort).run()
    assert not at.exception, at.exception
    assert sorted(at.multiselect(key="mb_phases").value) == ["arterial", "delayed", "portal"]
    assert at.toggle(key="mb_corr_on").value is False
    funnel = at.session_state["mb_current"].result.model.radiomics_.funnel_
    assert funnel.set_index("step").at["input", "features"] == 90


def test_external_centres_control_gives_three_sets(page):
    """Holding out centre B (the three-cohort design) shows training, internal and external validation."""
    assert page.multiselect(key="mb_external").options == ["A", "B"]
    page.multiselect(key="mb_external").set_value(["B"]).run()
    assert not page.exception, page.exception
    labels = [m.label for m in page.metric]
    assert [label.split(", ")[-1] for label in labels[:3]] == ["training", "internal validation", "external validation"]
    assert next(m for m in page.metric if m.label.startswith("Patients")).value.split(" / ")[2] == "40"
    page.button(key="mb_preset_004").click().run()
    assert page.session_state["mb_external"] == ["B"]


def test_combat_control_refits_and_shows_the_before_after_plot(page):
    """Switching ComBat on (batch: the centre) refits on harmonised features and draws one feature's
    boxplots by centre before and after; a reference centre keeps its features unchanged."""
    assert page.toggle(key="mb_combat").value is False
    assert page.selectbox(key="mb_combat_batch").options == ["centre", "sex", "BCLC"]
    before = _output(page)
    page.toggle(key="mb_combat").set_value(True).run()
    assert not page.exception, page.exception
    assert _output(page) != before
    assert page.session_state["mb_current"].result.model.harmoniser_ is not None
    charts = [c for c in page.get("vega_lite_chart") if "before and after ComBat" in c.proto.spec]
    assert len(charts) == 1
    feature = page.selectbox(key="mb_combat_feature")
    assert feature.value == page.session_state["mb_current"].result.model.radiomics_.selected_features_[0]
    assert page.selectbox(key="mb_combat_ref").options == ["none (pooled)", "A", "B"]
    page.selectbox(key="mb_combat_ref").set_value("A").run()
    assert not page.exception, page.exception
    assert page.session_state["mb_current"].result.model.harmoniser_.combat_.ref_batch == "A"


def _count_builds(monkeypatch, *names: str) -> dict[str, int]:
    """Calls of these chart functions of hccdash.charts.model from now on (the page looks them up per run)."""
    import functools

    from hccdash.charts import model as charts

    calls = dict.fromkeys(names, 0)
    for name in names:
        @functools.wraps(original := getattr(charts, name))
        def counted(*args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)
        monkeypatch.setattr(charts, name, counted)
    return calls


def test_only_the_open_rad_score_tab_is_drawn(page):
    """The funnel is drawn at first; opening Coefficients draws their chart and table instead."""
    drawn = lambda: [json.loads(c.proto.spec).get("title", {}) for c in page.get("vega_lite_chart")]  # noqa: E731
    assert len(drawn()) == 1 and "Features surviving each step" in str(drawn())
    tables = len(page.dataframe)
    page.session_state["mb_rad_view"] = "Coefficients"
    page.run()
    assert not page.exception, page.exception
    assert len(drawn()) == 1 and "Features surviving" not in str(drawn())
    assert len(page.dataframe) == tables + 1  # the coefficients' table
    assert any("mb_coeftable_csv" in d.proto.id for d in page.get("download_button"))


@pytest.mark.parametrize(("view", "base", "marker"), [("CV curve", "cv_curve_chart", "chosen_lambda_point"),
                                                      ("Coefficient path", "coefficient_path_chart", "chosen_lambda_rule")])
def test_a_lambda_move_draws_only_the_chosen_lambda_over_the_cached_charts(page, monkeypatch, view, base, marker):
    """The CV curve and the coefficient path depend on the path, not on lambda: their specs are kept
    (for every session) and a lambda move builds only the marker laid over the open one; only the open
    tab is drawn (the funnel, in its closed tab, is not built). A new mRMR k (a new path) builds it once."""
    import streamlit as st

    st.cache_data.clear()
    page.session_state["mb_rad_view"] = view
    page.run()
    calls = _count_builds(monkeypatch, base, marker, "funnel_chart")
    slider = next(s for s in page.select_slider if s.key.startswith("mb_lambda_"))
    lambdas = page.session_state["mb_current"].result.lasso.cv_.lambdas
    slider.set_value(slider.value + 1).run()
    assert not page.exception, page.exception
    result = page.session_state["mb_current"].result
    assert result.lasso.lambda_value_ == lambdas[slider.value]
    assert calls == {base: 0, marker: 1, "funnel_chart": 0}
    assert len(page.get("vega_lite_chart")) == 1  # the open tab's chart alone

    page.slider(key="mb_mrmr_k").set_value(4).run()
    assert not page.exception, page.exception
    moved = page.session_state["mb_current"].result
    assert not moved.lasso.cv_.path.coefficients.equals(result.lasso.cv_.path.coefficients)
    assert calls[base] == 1 and calls["funnel_chart"] == 0


def test_log_and_spline_controls_refit_with_transformed_terms(page):
    """Log (AFP) and a 3-knot spline (age) chosen in the sidebar reach the clinical model's table; dichotomising
    AFP afterwards takes it out of the transformations rather than failing."""
    page.multiselect(key="mb_clinical").set_value(["AFP", "age", "BCLC"]).run()
    page.multiselect(key="mb_force_in").set_value(["AFP", "age"]).run()
    page.multiselect(key="mb_log").set_value(["AFP"]).run()
    page.multiselect(key="mb_splines").set_value(["age"]).run()
    page.number_input(key="mb_knots").set_value(3).run()
    assert not page.exception, page.exception
    shown = " ".join(df.value.to_csv() for df in page.dataframe)
    assert "log(AFP)" in shown and "age''" not in shown and "age'" in shown
    page.multiselect(key="mb_dichotomise").set_value(["AFP"]).run()
    assert not page.exception, page.exception
    shown = " ".join(df.value.to_csv() for df in page.dataframe)
    assert "log(AFP)" not in shown and "AFP >" in shown
