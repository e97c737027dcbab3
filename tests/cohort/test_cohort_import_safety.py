"""Import that prevents mistakes: the time unit checked against plausible follow-up, columns measured
after baseline kept out of the predictors, ordinal levels in their natural order."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hccdash.cohort import guess_mapping, read_table, remap, validate_cohort
from hccdash.cohort.mapping import after_baseline, guess_kind, guess_time_unit, leakage_columns, order_levels
from hccdash.cohort.time_units import check_time_unit
from hccdash.paths import PROJECT_DIR
from hccdash.settings import SplitSettings

HCC_CSV = "hcc/HCC-TACE-Seg_clinical_data-V2_data_table.csv"


@pytest.fixture
def hcc(reference) -> pd.DataFrame:
    return read_table(reference / HCC_CSV)


def test_ttp_in_weeks_read_as_months_is_called_implausible_and_weeks_proposed(hcc):
    check = check_time_unit(hcc["TTP"], "months", "TTP")
    assert not check.plausible
    assert round(check.chosen.longest_months / 12, 1) == 19.2  # 230 weeks read as months
    assert check.proposed.unit == "weeks" and round(check.proposed.longest_months / 12, 2) == 4.41
    assert check.message.startswith("TTP read as months gives a longest follow-up of 19.2 years")
    assert check.message.endswith("choose weeks if that is the unit")
    assert check_time_unit(hcc["TTP"], "weeks", "TTP").plausible


def test_the_unit_guess_reads_the_values_when_the_name_does_not_say(hcc):
    assert guess_time_unit("TTP") == "months"  # the name alone
    assert guess_time_unit("TTP", hcc["TTP"]) == "weeks"
    assert guess_time_unit("TTP_months", hcc["TTP"]) == "months"  # a name that says it wins
    assert guess_time_unit("rfs", pd.Series(["3", "40", "24", "70"])) == "months"  # plausible in months: kept
    assert guess_mapping(hcc).time_unit == "weeks"


def test_the_import_report_warns_of_the_longest_follow_up_and_names_the_unit_that_fits(hcc):
    mapping = remap(hcc, guess_mapping(hcc), time_unit="months")
    report = validate_cohort(hcc, mapping, split=SplitSettings(method="none")).report
    (problem,) = [p for p in report.problems if p.check == "time_unit"]
    assert problem.severity == "warning" and problem.column == "TTP" and problem.value == "months"
    assert "19.2 years" in problem.message and "read as weeks" in problem.message
    weeks = validate_cohort(hcc, remap(hcc, mapping, time_unit="weeks"), split=SplitSettings(method="none")).report
    assert not [p for p in weeks.problems if p.check == "time_unit"]


@pytest.mark.parametrize("name, late", [
    ("Interval_FU", True), ("1_mRECIST_FU", True), ("1_mRECIST", True), ("2_RECIST", True), ("1_EASL", True),
    ("response_after_TACE", True), ("followUpAFP", True), ("post_treatment_AFP", True), ("Follow-up ALB", True),
    ("1_mRECIST_BL", False), ("Interval_BL", False), ("AFP", False), ("baseline_response_score", False),
    ("Portal Vein Thrombosis", False), ("postcode", False), ("postop_AFP", True), ("fuel", False),
])
def test_columns_measured_after_baseline_are_recognised_by_name(name, late):
    assert after_baseline(name) is late


def test_after_baseline_columns_are_not_preselected_and_a_chosen_one_is_named(hcc):
    mapping = guess_mapping(hcc)
    for column in ("Interval_FU", "1_EASL", "1_EASL_FU", "3_RECIST", "3_mRECIST_FU"):
        assert column not in mapping.predictors
    for column in ("1_mRECIST_BL", "Interval_BL", "AFP", "CPS"):
        assert column in mapping.predictors
    chosen, held = leakage_columns(mapping)
    assert chosen == () and {"Interval_FU", "1_mRECIST", "2_RECIST_FU"} <= set(held)
    chosen, held = leakage_columns(mapping.with_predictors(["AFP", "1_mRECIST", "Interval_FU"]))
    assert chosen == ("Interval_FU", "1_mRECIST") and "1_mRECIST" not in held


def test_the_import_report_warns_of_a_predictor_measured_after_baseline(hcc):
    mapping = guess_mapping(hcc).with_predictors(["AFP", "1_mRECIST", "Interval_FU"])
    report = validate_cohort(hcc, mapping, split=SplitSettings(method="none")).report
    found = [p for p in report.problems if p.check == "after_baseline"]
    assert sorted(p.column for p in found) == ["1_mRECIST", "Interval_FU"]
    assert all(p.severity == "warning" and "leakage" in p.message for p in found)
    assert not [p for p in validate_cohort(hcc, guess_mapping(hcc), split=SplitSettings(method="none")).report.problems
                if p.check == "after_baseline"]


def test_levels_in_their_natural_order(hcc):
    specs = {v.name: v for v in guess_mapping(hcc).variables}
    assert specs["agegp"].kind == "ordinal"
    assert specs["agegp"].levels == ("<=40", "41-50", "51-60", "61-70", ">70")
    assert specs["T_involvment"].levels == ("< or = 50%", ">50%")
    assert specs["CPS"].levels == ("A", "B", "C")
    assert specs["Pathology"].levels[:5] == ("Well differentiated", "Well-moderately differentiated",
                                             "Moderately differentiated", "Moderately-poorly differentiated",
                                             "Poorly differentiated")
    assert order_levels(["Stage IX", "Stage V", "Stage IV", "Stage I", "Stage II"]) == (
        "Stage I", "Stage II", "Stage IV", "Stage V", "Stage IX")
    assert order_levels(["IV", "III", "II", "I"]) == ("I", "II", "III", "IV")
    assert order_levels(["D", "C", "0", "B", "A"]) == ("0", "A", "B", "C", "D")  # BCLC
    assert order_levels(["Child-Pugh C", "Child-Pugh A", "Child-Pugh B"]) == (
        "Child-Pugh A", "Child-Pugh B", "Child-Pugh C")
    assert order_levels(["65+", "<50", "50 to 64"]) == ("<50", "50 to 64", "65+")
    assert order_levels(["high", "low", "intermediate"]) == ("low", "intermediate", "high")
    assert guess_kind(pd.Series(["<=40", "41-50", ">70", "41-50"]), "agegp") == "ordinal"


def _page() -> AppTest:
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=120).run()
    at.switch_page("pages/1_cohort_import.py").run()
    return at


def test_the_import_page_proposes_weeks_and_names_the_after_baseline_columns(reference):
    at = _page()
    at.radio(key="ci_clinical_mode").set_value("Path").run()
    at.text_input(key="ci_clinical_path").set_value(str(reference / HCC_CSV)).run()
    assert not at.exception
    assert at.selectbox(key="ci_unit").value == "weeks"
    assert any("TTP read as weeks: longest follow-up of 4.41 years" in c.value and "guessed from the values" in c.value
               for c in at.caption)
    assert any("measured after baseline" in c.value and "Interval_FU" in c.value and "3_mRECIST" in c.value
               for c in at.caption)
    at.selectbox(key="ci_unit").set_value("months").run()
    assert any("19.2 years" in w.value and "choose weeks" in w.value for w in at.warning)
    at.button(key="ci_use_unit").click().run()
    assert at.selectbox(key="ci_unit").value == "weeks"
    assert not [w for w in at.warning if "19.2 years" in w.value]
