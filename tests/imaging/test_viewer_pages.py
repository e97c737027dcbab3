"""The Case viewer page and the ways into it: Cohort import (images / QC table) and the extraction failures."""

from __future__ import annotations

import pandas as pd
import pytest
from cohort_data import make_cohort
from streamlit.testing.v1 import AppTest

from hccdash import paths
from hccdash.cohort import import_cohort
from hccdash.extraction.case import CaseResult
from hccdash.extraction.engine import with_case_keys
from hccdash.extraction.ingest import ingest_results
from hccdash.extraction.matrices import cohort_images
from hccdash.extraction.params import spec_from_settings
from hccdash.store import Store

VIEWER = "pages/7_case_viewer.py"


def _app(page: str) -> AppTest:
    at = AppTest.from_file(str(paths.PROJECT_DIR / "app.py"), default_timeout=180).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def tiny(tmp_path) -> str:
    files = make_cohort(tmp_path / "tiny", n=24, repeat=2)
    assert import_cohort("tiny", pd.read_csv(files["clinical"]), images=files["manifest"]).ok
    return "tiny"


def _record(status: str, patient: str, phase: str, reader: str, error: str | None = None, features=None) -> None:
    spec = spec_from_settings()
    images = cohort_images("tiny")
    row = with_case_keys(images[(images["patient_id"] == patient) & (images["phase"] == phase)
                                & (images["reader"] == reader)], spec.settings_hash).iloc[0]
    ingest_results(Store(), [CaseResult(
        row.case_key, row.image_sha256, row.mask_sha256, 1, spec.settings_hash, "x", status, error, 1.5,
        features or {})], spec)


def test_viewer_without_cohort_says_where_to_start():
    at = _app(VIEWER)
    assert any("No cohort yet" in i.value for i in at.info)


def test_import_page_opens_a_case_with_both_readers_and_the_pyradiomics_view(tiny):
    at = _app("pages/1_cohort_import.py")
    at.selectbox(key="ci_view_case").set_value(1).run()  # P001 arterial reader 2 (rows sorted by patient, phase)
    at.button(key="ci_view").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Case viewer"
    assert (at.selectbox(key="cv_patient").value, at.selectbox(key="cv_phase").value,
            at.selectbox(key="cv_reader").value) == ("P001", "arterial", "2")
    legend = at.markdown[0].value
    assert ":orange[reader 1], :blue[reader 2]" in legend and "Dice reader 1 vs 2: **0.984**" in legend
    assert at.slider(key="cv_slice_P001_arterial_axial").value == 2  # reader 2 left a voxel out of z = 1
    assert len(at.get("image")) == 2  # the image and the pyradiomics view
    assert any("Not extracted under this feature set yet" in i.value for i in at.info)
    at.switch_page(VIEWER).run()  # AppTest stays on the page it was told; a browser follows st.switch_page
    assert at.selectbox(key="cv_reader").value == "2"
    at.slider(key="cv_slice_P001_arterial_axial").set_value(3).run()
    assert not at.exception and len(at.get("image")) == 2
    steps = [c.value for c in at.caption if c.value.startswith("resampled")]
    assert steps and "to 1 x 1 x 1 mm" in steps[0]
    at.radio(key="cv_plane").set_value("coronal").run()
    assert at.slider(key="cv_slice_P001_arterial_coronal").value == 3  # y = 2 lacks the left-out voxel
    at.selectbox(key="cv_window").set_value("Free window / level").run()
    at.number_input(key="cv_width").set_value(50.0).run()
    assert not at.exception and len(at.get("image")) == 2


def test_features_and_failure_of_the_case_are_shown(tiny):
    _record("done", "P002", "portal", "1", features={"original_firstorder_Mean": 50.5, "original_glcm_Contrast": 2.0})
    _record("failed", "P003", "portal", "1", error="pyradiomics failed on the image a_[b](c).nii.gz")
    at = _app(VIEWER)
    at.selectbox(key="cv_patient").set_value("P002").run()
    at.selectbox(key="cv_phase").set_value("portal").run()
    shown = at.dataframe[-1].value
    assert shown.values.tolist() == [["original_firstorder_Mean", 50.5], ["original_glcm_Contrast", 2.0]]
    at.text_input(key="cv_filter").set_value("GLCM").run()
    assert at.dataframe[-1].value["feature"].tolist() == ["original_glcm_Contrast"]
    at.selectbox(key="cv_patient").set_value("P003").run()
    assert at.error[0].value == r"Extraction failed: pyradiomics failed on the image a\_\[b\](c).nii.gz"


def test_qc_table_row_and_extraction_failure_open_the_viewer(tiny):
    at = _app("pages/1_cohort_import.py")
    at.toggle(key="ci_qc").set_value(True).run()
    assert not at.exception, at.exception
    table = at.dataframe[-1].value
    assert {"flag_dice", "flag_border", "n_flags", "reasons"} <= set(table.columns) and len(table) == 52
    row = table.index[(table["patient_id"] == "P004") & (table["phase"] == "portal")][0]
    at.session_state["ci_images_table"] = {"selection": {"rows": [int(row)], "columns": [], "cells": []}}
    at.run()
    assert at.title[0].value == "Case viewer" and at.selectbox(key="cv_patient").value == "P004"

    _record("failed", "P005", "arterial", "1", error="too small")
    at = _app("pages/2_feature_extraction.py")
    at.session_state["fx_failures_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert at.title[0].value == "Case viewer"
    assert (at.selectbox(key="cv_patient").value, at.selectbox(key="cv_phase").value) == ("P005", "arterial")
    assert at.error[0].value == "Extraction failed: too small"
