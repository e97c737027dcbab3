from streamlit.testing.v1 import AppTest

from hccdash.paths import PROJECT_DIR

from hccdash import startup
from table1_cohorts import import_six_patients


def test_home_page_shows_the_sample_cohort_and_its_table1(hccdash_home, monkeypatch):
    monkeypatch.setenv("HCCDASH_SAMPLE", "1")
    startup.prepare()
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert at.session_state["cohort"] == "sample"
    assert any("Table 1: sample" in h.value for h in at.subheader)
    table = at.dataframe[1].value
    assert {"variable"} & {c.lower() for c in table.columns} or len(table) > 10
    assert at.metric[0].value == "1"
    assert table.columns[0] == "Characteristic" and table.columns[1].startswith("Overall (n = ")  # as journals print
    assert any(c.endswith("(ng/mL), median [IQR]") or c.endswith("(ng/mL), mean (SD)") for c in table["Characteristic"])
    downloads = {b.key: b.label for b in at.get("download_button")}
    assert downloads["home_table1_csv"] == "Download Table 1 (CSV)"
    assert downloads["home_table1_docx"] == "Download Table 1 (Word)"


def test_home_page_opens_on_a_six_patient_cohort_with_a_stage_in_one_set_only(hccdash_home):
    """Its 4 x 2 stage table (more cells than patients) once crashed Table 1 (scipy's array p-value)."""
    import_six_patients(hccdash_home)
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert any("Table 1: six" in h.value for h in at.subheader)
    table = at.dataframe[1].value
    stage = table[table["Characteristic"].str.lower().str.startswith("stage")].iloc[0]
    assert stage["Test"].startswith("Fisher exact") and 0.18 <= float(stage["p-value"]) <= 0.22  # R fisher.test: 0.2


def test_home_page_on_an_empty_store_points_to_import(hccdash_home):
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert any("Cohort import" in i.value for i in at.info)


def test_home_counts_the_cohorts_cases_under_the_default_settings_once(hccdash_home, monkeypatch):
    """Cases extracted again with other settings are not counted again (854 for a 540-case cohort)."""
    from hccdash.extraction.matrices import cohort_cases
    from hccdash.store import Store

    monkeypatch.setenv("HCCDASH_SAMPLE", "1")
    startup.prepare()
    cases = cohort_cases("sample")
    done = int((cases["status"] == "done").sum())
    assert done > 0
    Store().execute("INSERT INTO cases SELECT 'other-' || case_key, image_sha256, mask_sha256, label, 'other', "
                    "versions, status, error, seconds, computed_at FROM cases")  # a second settings version
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=120).run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown["Extracted cases"] == str(done)
    assert shown["Failed cases"] == str(int((cases["status"] == "failed").sum()))
