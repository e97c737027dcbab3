"""The evaluation page on a small stored cohort: runs, every tab renders, downloads present,
leave-one-centre-out and the report build without exception."""

from __future__ import annotations

import pytest
from app_pages import open_page
from streamlit.testing.v1 import AppTest


PAGE = "pages/4_evaluation.py"
TABS = ["Discrimination", "Risk groups", "Calibration", "Decision curves", "Nomogram",
        "Forest / subgroups / correlation", "By centre", "Optimism", "Report", "Proportional hazards", "Explanations"]


@pytest.fixture
def page(stored_cohort) -> AppTest:
    return open_page(PAGE, stored_cohort, timeout=300)


def _downloads(at: AppTest) -> list[str]:
    return [d.proto.label for d in at.get("download_button")]


@pytest.mark.slow
def test_every_tab_renders_with_figures_and_downloads(page):
    assert [t.label for t in page.tabs] == TABS
    assert page.title[0].value == "Evaluation"
    labels = _downloads(page)
    # per figure PNG + SVG + data CSV: C bars, ROC x2, KM x2, calibration x2, DCA x2, nomogram, forest
    assert labels.count("PNG") == labels.count("SVG") == labels.count("Data (CSV)") >= 11
    assert labels.count("CSV") >= 6  # tables
    # the eleven figures, the subgroup forest, a Schoenfeld plot, the contribution beeswarm and a patient's waterfall
    assert len(page.get("vega_lite_chart")) == 15
    by_centre = page.tabs[6]
    assert by_centre.dataframe and not by_centre.info  # the cohort has centres A and B
    assert any(m.label.startswith("Interaction p") for m in page.metric)


@pytest.mark.slow
def test_switching_settings_loco_and_report(page):
    page.radio(key="ev_cutoff").set_value("maxstat").run()
    assert not page.exception, page.exception
    page.button(key="ev_loco").click().run()
    assert not page.exception, page.exception
    assert len(page.tabs[6].dataframe) == 2  # by centre, leave-one-centre-out
    for shown in page.tabs[6].dataframe:  # an empty cell is shown as "–", not "None"
        assert not shown.value.isna().any().any()
    page.button(key="ev_report_html_build").click().run()
    assert not page.exception, page.exception
    assert "Download the HTML report" in _downloads(page)


@pytest.mark.slow
def test_early_recurrence_preset_shows_roc_and_hosmer_lemeshow(page):
    page.selectbox(key="ev_preset").set_value("003").run()
    assert not page.exception, page.exception
    assert "ev_horizon" not in [r.key for r in page.radio]  # no time-dependent figures for ER
    ids = " ".join(d.proto.id for d in page.get("download_button"))
    for key in ("ev_roc_train_png", "ev_roc_validation_svg", "ev_cal_validation_csv", "ev_hl_tcsv",
                "ev_delong_tcsv", "ev_youden_tcsv", "ev_nomo_png"):
        assert key in ids, key


@pytest.mark.slow
def test_risk_groups_tab_saves_the_model_with_the_chosen_cutoff(page):
    from hccdash.registry import registry

    page.radio(key="ev_cutoff").set_value("maxstat").run()
    page.text_input(key="ev_save_name").set_value("chosen").run()
    page.button(key="ev_save").click().run()
    assert not page.exception and not page.error, page.error
    (evaluation,) = page.session_state["ev_results"].values()
    cutoff = evaluation.risk_groups["combined"].cutoff
    meta = registry.get("chosen").meta
    assert (meta["cutoff_method"], meta["cutoffs"]) == ("maxstat", [cutoff])

    page.radio(key="ev_save_cutoff").set_value("given").run()
    page.number_input(key="ev_save_value").set_value(cutoff + 1e-3).run()
    page.text_input(key="ev_save_name").set_value("typed").run()
    page.button(key="ev_save").click().run()
    assert not page.exception and not page.error, page.error
    meta = registry.get("typed").meta
    assert meta["cutoff_method"] == "given" and meta["cutoffs"] == [pytest.approx(cutoff + 1e-3)]

    page.radio(key="ev_save_cutoff").set_value("percentile").run()
    page.number_input(key="ev_save_percentile").set_value(75.0).run()
    page.text_input(key="ev_save_name").set_value("upper-quartile").run()
    page.button(key="ev_save").click().run()
    assert not page.exception and not page.error, page.error
    assert registry.get("upper-quartile").meta["cutoff_method"] == "percentile_75"


@pytest.mark.slow
def test_charts_are_shown_as_they_are_exported(shown_charts, stored_cohort):
    """Without Streamlit's theme (its palette is not the one of the PNG / SVG downloads) and at
    each chart's own width (stretched to the column, the decision-curve and calibration titles
    were clipped)."""
    at = open_page(PAGE, stored_cohort, timeout=300)
    assert len(shown_charts) == len(at.get("vega_lite_chart")) == 15  # as in test_every_tab_renders_with_figures_and_downloads
    assert all(call.get("theme", "streamlit") is None and call.get("width") == "content" for call in shown_charts)
    assert {chart.proto.theme for chart in at.get("vega_lite_chart")} == {""}


@pytest.mark.slow
def test_three_cohort_preset_shows_training_internal_and_external_side_by_side(page):
    """Study 004's preset re-splits the two-centre cohort: A 7:3 at random, B external."""
    page.selectbox(key="ev_preset").set_value("004").run()
    assert not page.exception, page.exception
    sets = ["training", "internal validation", "external validation"]
    discrimination = next(d.value for d in page.dataframe if "c_index" in d.value.columns)
    assert discrimination.groupby("model")["split"].apply(list).map(lambda s: s == sets).all()
    n = discrimination[discrimination["model"] == "combined"].set_index("split")["n"]
    assert n["external validation"] == 40 and n["training"] + n["internal validation"] == 80  # B = every third of 120
    assert page.selectbox(key="ev_sub_split").options == sets
    risk = next(d.value for d in page.tabs[1].dataframe if "p_logrank" in d.value.columns)
    assert risk[risk["model"] == "combined"]["split"].tolist() == sets


@pytest.mark.slow
def test_final_model_validate_and_calibrate_buttons_show_their_tables_and_chart(page):
    """rms::validate beside C (Discrimination) and rms::calibrate beside the apparent calibration, exportable."""
    charts_before = len(page.get("vega_lite_chart"))
    page.button(key="ev_rms_validate").click().run()
    assert not page.exception, page.exception
    shown = page.tabs[0].dataframe[-1].value
    assert list(shown["index"]) == ["C-index", "Dxy", "R2", "Slope"]
    assert shown.set_index("index").at["Slope", "index.corrected"] < 1
    horizon = page.radio(key="ev_horizon").value
    page.button(key=f"ev_rms_calibrate_{horizon}").click().run()
    assert not page.exception, page.exception
    assert len(page.get("vega_lite_chart")) == charts_before + 1
    ids = " ".join(d.proto.id for d in page.get("download_button"))
    for key in ("ev_rms_val_table_tcsv", "ev_rms_cal_png", "ev_rms_cal_svg", "ev_rms_cal_csv"):
        assert key in ids, key


@pytest.mark.slow
def test_warnings_are_grouped_by_kind_with_what_to_do_and_a_glossary(page):
    page.selectbox(key="ev_preset").set_value("003").run()
    assert not page.exception, page.exception
    (evaluation,) = page.session_state["ev_results"].values()
    hosmer = [n for n in evaluation.notes if n.startswith("Hosmer-Lemeshow, ")]
    assert len(hosmer) >= 2  # several models and sets: one box for all of them
    boxes = [w.value for w in page.warning if "Hosmer-Lemeshow p unreliable" in w.value]
    assert len(boxes) == 1 and "**What to do:**" in boxes[0]
    assert boxes[0].count("\n- Hosmer-Lemeshow, ") == min(len(hosmer), 8)
    assert not [w for w in page.warning if w.value.startswith("Hosmer-Lemeshow, ")]
    glossary = [d.value for d in page.dataframe if "what to do" in d.value.columns]
    assert glossary and "Hosmer-Lemeshow p unreliable" in set(glossary[0]["warning"])



@pytest.mark.slow
def test_the_report_builds_with_the_final_model_bootstrap(page):
    page.button(key="ev_rms_validate").click().run()
    page.button(key="ev_report_html_build").click().run()
    assert not page.exception, page.exception
    assert "Download the HTML report" in _downloads(page)
