"""The Feature extraction page: runs, starts a background job, shows progress, cancels."""

from __future__ import annotations

import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from hccdash import jobs, paths
from hccdash.extraction import features_io
from hccdash.store import Store

from extraction_helpers import store_images, write_variants

PAGE = "pages/2_feature_extraction.py"


def _page() -> AppTest:
    at = AppTest.from_file(str(paths.PROJECT_DIR / "app.py"), default_timeout=120)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _cohort(pyrad_data, tmp_path, n: int = 2) -> None:
    Store().execute(
        "INSERT INTO cohorts (name, created_at, fingerprint, time_unit, mapping, n_patients, n_events) "
        "VALUES ('test', now(), 'x', 'months', ?, ?, 0)",
        [json.dumps({}), n],
    )
    store_images(write_variants(pyrad_data, tmp_path / "img", n))


def _wait_inactive(job_id: str) -> jobs.JobStatus:
    deadline = time.monotonic() + 180
    while (status := jobs.job_status(job_id)).active and time.monotonic() < deadline:
        time.sleep(0.2)
    return status


def test_page_runs_without_a_cohort():
    at = _page()
    assert any("No cohort yet" in info.value for info in at.info)


@pytest.mark.slow
def test_start_shows_progress_and_the_matrix(pyrad_data, tmp_path):
    _cohort(pyrad_data, tmp_path)
    at = _page()
    assert at.session_state["cohort"] == "test"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Not yet extracted"] == "2"
    at.button(key="fx_start").click().run()
    assert not at.exception, at.exception
    (job,) = jobs.list_jobs(kind="extraction", cohort="test")
    finished = _wait_inactive(job.job_id)
    assert finished.status == "done", finished.log_path.read_text()
    at.run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Extracted"] == "2" and metrics["Done"] == "2" and metrics["Remaining"] == "0"
    assert any("2 patients" in caption.value for caption in at.caption)
    assert at.button(key="fx_start").disabled is False


@pytest.mark.slow
def test_cancel_button_stops_the_job(pyrad_data, tmp_path):
    _cohort(pyrad_data, tmp_path, n=12)
    at = _page()
    at.button(key="fx_start").click().run()
    (job,) = jobs.list_jobs(kind="extraction", cohort="test")
    at.run()
    assert at.button(key="fx_start").disabled  # one active extraction per cohort
    at.button(key="fx_cancel").click().run()
    assert not at.exception, at.exception
    assert jobs.job_status(job.job_id).status in ("cancelling", "cancelled")
    finished = _wait_inactive(job.job_id)
    assert finished.status == "cancelled"


def test_bad_settings_are_reported(pyrad_data, tmp_path):
    _cohort(pyrad_data, tmp_path)
    at = _page()
    at.text_input(key="fx_sigma").set_value("1, two").run()
    assert any("LoG sigma: 'two' is not a number" in error.value for error in at.error)
    assert at.button(key="fx_start").disabled


def test_imported_table_is_named_after_the_uploaded_file_and_the_name_can_be_edited():
    Store().execute(
        "INSERT INTO cohorts (name, created_at, fingerprint, time_unit, mapping, n_patients, n_events) "
        "VALUES ('test', now(), 'x', 'months', ?, 2, 0)",
        [json.dumps({})],
    )
    table = b"patient_id,portal.original_firstorder_Mean\nP1,1.5\nP2,2.5\n"
    at = _page()
    at.file_uploader(key="fx_import_file").upload("my_table.csv", table, "text/csv").run()
    assert at.text_input(key="fx_import_name").value == "my_table"
    at.button(key="fx_import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert features_io.imported_sources("test") == ["my_table"]

    at.text_input(key="fx_import_name").input("renamed").run()
    at.button(key="fx_import").click().run()
    assert at.text_input(key="fx_import_name").value == "renamed"
    assert features_io.imported_sources("test") == ["my_table", "renamed"]

    at.file_uploader(key="fx_import_file").set_value(("other.tsv", table.replace(b",", b"\t"), "text/csv")).run()
    assert at.text_input(key="fx_import_name").value == "other"


def test_a_cohort_without_images_cannot_start_an_extraction():
    """A clinical-only cohort (no image manifest) is told so; no job is started that would fail
    with a raw ValueError."""
    from hccdash.extraction.job import start_extraction
    from hccdash.extraction.params import spec_from_settings

    Store().execute(
        "INSERT INTO cohorts (name, created_at, fingerprint, time_unit, mapping, n_patients, n_events) "
        "VALUES ('clinical only', now(), 'x', 'months', ?, 3, 0)", [json.dumps({})])
    with pytest.raises(ValueError, match="Cohort 'clinical only' has no images"):
        start_extraction("clinical only", spec_from_settings())
    assert jobs.list_jobs(kind="extraction") == []
    at = _page()
    assert at.button(key="fx_start").disabled
    assert any("has no images" in info.value for info in at.info)
