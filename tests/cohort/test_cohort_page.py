"""The Cohort import page through AppTest: widgets -> validate -> import -> Table 1."""

from __future__ import annotations

import pandas as pd
import pytest
from cohort_data import dump
from streamlit.testing.v1 import AppTest

from hccdash.cohort import list_cohorts, load_cohort
from hccdash.paths import PROJECT_DIR

PAGE = "pages/1_cohort_import.py"
HCC_CSV = "hcc/HCC-TACE-Seg_clinical_data-V2_data_table.csv"


def _page() -> AppTest:
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=120).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def _clinical(at: AppTest, path) -> AppTest:
    at.radio(key="ci_clinical_mode").set_value("Path").run()
    at.text_input(key="ci_clinical_path").set_value(str(path)).run()
    assert not at.exception and not at.error
    return at


def _frame(at: AppTest, *columns: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]
    assert found, f"no table with columns {columns}"
    return found[-1]


def test_page_runs_on_an_empty_store():
    at = _page()
    assert any("No cohort stored yet" in i.value for i in at.info)
    assert any("Upload a clinical table" in i.value for i in at.info)


def test_tiny_cohort_validated_and_imported_through_the_widgets(tiny):
    at = _clinical(_page(), tiny["clinical"])
    assert at.selectbox(key="ci_id").value == "patient_id" and at.selectbox(key="ci_event").value == "recurrence"
    at.radio(key="ci_images").set_value("Manifest").run()
    at.radio(key="ci_manifest_mode").set_value("Path").run()
    at.text_input(key="ci_manifest_path").set_value(str(tiny["manifest"])).run()
    at.radio(key="ci_split").set_value("centre").run()
    at.multiselect(key="ci_validation_centres").set_value(["B"]).run()
    at.button(key="ci_validate").click().run()
    assert not at.exception
    assert any("0 error(s)" in m.value for m in at.markdown)
    at.text_input(key="ci_name").set_value("tiny").run()
    at.button(key="ci_import").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [
        "Cohort 'tiny' imported: 24 patients, 12 events, 56 images (train 16, validation 8)."]
    assert at.session_state["cohort"] == "tiny" and list_cohorts() == ["tiny"]
    table = _frame(at, "Characteristic", "Overall (n = 24)", "Training (n = 16)", "Validation (n = 8)", "p-value")
    assert {"age, mean (SD)", "BCLC, n (%)"} <= set(table["Characteristic"])
    assert any(c.startswith("AFP") for c in table["Characteristic"])
    assert load_cohort("tiny").patients.groupby("centre")["split"].first().to_dict() == {"A": "train", "B": "validation"}


def test_three_cohort_split_on_the_page_gives_a_three_column_table_1(tiny):
    at = _clinical(_page(), tiny["clinical"])
    at.radio(key="ci_split").set_value("three").run()
    assert at.multiselect(key="ci_validation_centres").label == "External validation centre(s)"
    at.multiselect(key="ci_validation_centres").set_value(["B"]).run()
    at.text_input(key="ci_name").set_value("tiny3").run()
    at.button(key="ci_import").click().run()
    assert not at.exception
    assert at.success[0].value.endswith("(train 11, validation 5, external 8).")
    table = _frame(at, "Characteristic", "Overall (n = 24)", "Training (n = 11)", "Internal validation (n = 5)",
                   "External validation (n = 8)", "p-value")
    events = table[table["Characteristic"] == "Events, n (%)"].iloc[0]
    assert events["p-value"] != ""  # one p across the three sets


def test_refused_import_on_the_page_changes_nothing(tiny, store):
    table = pd.read_csv(tiny["clinical"], dtype=str)
    table.loc[2, "rfs_months"] = "-5"  # spreadsheet row 4
    table.to_csv(tiny["clinical"], index=False)
    at = _clinical(_page(), tiny["clinical"])
    before = dump(store)
    at.button(key="ci_import").click().run()
    assert not at.exception
    assert any("import refused" in e.value for e in at.error)
    report = _frame(at, "severity", "check", "row", "column", "value")
    assert report[["check", "row", "column", "value"]].values.tolist()[0] == ["negative_time", 4, "rfs_months", "-5"]
    assert dump(store) == before


@pytest.mark.slow
def test_hcc_tace_imports_through_the_page(reference):
    at = _clinical(_page(), reference / HCC_CSV)
    assert at.selectbox(key="ci_event").value == "Censored_0_progressed_1"
    at.selectbox(key="ci_unit").set_value("weeks").run()
    at.button(key="ci_import").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Cohort 'HCC-TACE-Seg_clinical_data-V2_data_table' imported: 105 patients, 45 events")
    report = _frame(at, "severity", "check", "column")
    assert "Tr_Size" in set(report.loc[report["check"] == "missing_values", "column"])
    table = _frame(at, "Characteristic", "p-value")
    assert "TNM, n (%)" in set(table["Characteristic"])


def test_folder_scan_on_the_page(tiny):
    at = _clinical(_page(), tiny["clinical"])
    at.radio(key="ci_images").set_value("Folder scan").run()
    at.text_input(key="ci_scan_folder").set_value(str(tiny["folder"] / "images")).run()
    at.text_input(key="ci_mask_pattern").set_value("{patient_id}_{phase}_mask{reader}.nii.gz").run()
    assert not at.exception
    assert "56 image rows found." in [c.value for c in at.caption]
    at.button(key="ci_validate").click().run()
    assert any("0 error(s)" in m.value for m in at.markdown)


def test_import_on_the_page_opens_the_new_cohorts_table1(tiny):
    at = _page()
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
    at = _page()
    at.radio(key="ci_clinical_mode").set_value("Path").run()
    at.text_input(key="ci_clinical_path").set_value(str(tmp_path / "fake.xlsx")).run()
    assert not at.exception
    assert [e.value for e in at.error][0].startswith("fake.xlsx: not a readable XLSX workbook")
