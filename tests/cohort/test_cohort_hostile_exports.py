"""CSV exports of user text neutralise spreadsheet formulas; Table 1 shows blank cells, not "None";
a successful import on the page opens the new cohort's Table 1."""

from __future__ import annotations

import io

import pandas as pd
from streamlit.testing.v1 import AppTest

from hccdash.cohort import import_cohort, load_cohort, read_table
from hccdash.cohort.events import parse_event_values
from hccdash.cohort.mapping import guess_mapping, remap
from hccdash.cohort.table1 import table1, table1_display
from hccdash.cohort.validate import Problem, Report
from hccdash.paths import PROJECT_DIR
from hccdash.settings import SplitSettings
from hccdash.spreadsheet import blank_missing, csv_text, is_formula_like

EVIL = '=HYPERLINK("http://evil.example","click")'


def _read_back(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def test_formula_like_cells_get_an_apostrophe_numbers_stay_numbers():
    frame = pd.DataFrame({"text": [EVIL, "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "-1.5", "+3", "plain", None],
                          "number": [-1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, float("nan")],
                          "@col": ["a"] * 10})
    back = _read_back(csv_text(frame))
    assert back["text"].tolist() == [f"'{EVIL}", "'+cmd", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "-1.5", "+3", "plain", ""]
    assert back["number"].tolist()[:2] == ["-1.0", "2.0"] and back["number"].iloc[-1] == ""
    assert list(back.columns) == ["text", "number", "'@col"]
    assert not is_formula_like(-1.0) and not is_formula_like("1-2") and is_formula_like("=1")


def test_validation_report_csv_is_neutralised():
    report = Report((Problem("warning", "formula_text", "value starts with =", "stored as text", file="c.csv", row=3,
                             column="stage", value=EVIL, patient_id="=1+1"),))
    back = _read_back(csv_text(report.to_frame()))
    assert back.loc[0, "value"] == f"'{EVIL}" and back.loc[0, "patient_id"] == "'=1+1" and back.loc[0, "row"] == "3"


def _evil_cohort(tmp_path) -> str:
    pd.DataFrame({"id": [f"P{i}" for i in range(20)], "t": range(1, 21), "e": [i % 2 for i in range(20)],
                  "=cmd|' /C calc'!A0": [EVIL if i % 2 else "low" for i in range(20)],
                  "age": range(50, 70)}).to_csv(tmp_path / "c.csv", index=False)
    table = read_table(tmp_path / "c.csv")
    mapping = remap(table, guess_mapping(table), id_col="id", time_col="t", time_unit="months", event_col="e",
                    event_coding=parse_event_values("1,0"))
    assert import_cohort("evil", table, mapping, split=SplitSettings()).ok
    return "evil"


def test_table1_csv_neutralises_user_text_and_has_no_none(tmp_path):
    baseline = table1(load_cohort(_evil_cohort(tmp_path)))
    text = csv_text(baseline)
    back = _read_back(text)
    assert "'=cmd|' /C calc'!A0" in set(back["variable"]) and f"'{EVIL}" in set(back["level"])
    assert not any(v.startswith(("=", "@")) for v in back.to_numpy().ravel())
    for word in ("None", "nan", "<NA>"):
        assert word not in text
    assert float(back.loc[back["variable"] == "age", "p"].iloc[0]) == baseline.loc[baseline["variable"] == "age", "p"].iloc[0]


def test_table1_display_has_blank_cells_instead_of_missing(tmp_path):
    baseline = table1(load_cohort(_evil_cohort(tmp_path)))
    assert baseline["p"].isna().any() and baseline["missing_train"].isna().any()
    shown = table1_display(baseline)
    assert not shown.isna().any().any()
    assert shown.loc[0, "p"] == "" and shown.loc[0, "missing_train"] == ""
    assert shown.loc[shown["variable"] == "age", "missing_train"].iloc[0] == "0"
    assert blank_missing(pd.DataFrame({"n": [1, 2]}))["n"].dtype.kind == "i"  # complete columns keep their type


def test_import_on_the_page_opens_the_new_cohorts_table1(tiny):
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=120).run()
    at.switch_page("pages/1_cohort_import.py").run()
    at.session_state["ci_tab"] = "Import a cohort"  # the user is on the import tab
    at.run()
    at.radio(key="ci_clinical_mode").set_value("Path").run()
    at.text_input(key="ci_clinical_path").set_value(str(tiny["clinical"])).run()
    at.text_input(key="ci_name").set_value("tiny").run()
    at.button(key="ci_import").click().run()
    assert not at.exception
    assert at.session_state["ci_tab"] == "Stored cohorts and Table 1"
    assert at.selectbox(key="ci_selected").value == "tiny"
    assert [s.value for s in at.success] == ["Cohort 'tiny' imported: 24 patients, 12 events, 0 images (train 16, validation 8)."]
    shown = next(d.value for d in at.dataframe if "Characteristic" in d.value.columns)
    assert list(shown.columns[:4]) == ["Characteristic", "Overall (n = 24)", "Training (n = 16)", "Validation (n = 8)"]
    assert not shown.isna().any().any() and shown.loc[1, "Characteristic"] == "Events, n (%)"


def test_damaged_workbook_path_on_the_page_is_an_error_message_not_a_crash(tmp_path):
    (tmp_path / "fake.xlsx").write_bytes(b"PK\x03\x04garbage" * 10)
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=120).run()
    at.switch_page("pages/1_cohort_import.py").run()
    at.radio(key="ci_clinical_mode").set_value("Path").run()
    at.text_input(key="ci_clinical_path").set_value(str(tmp_path / "fake.xlsx")).run()
    assert not at.exception
    assert [e.value for e in at.error][0].startswith("fake.xlsx: not a readable XLSX workbook")
