"""The Feature extraction page's deep-features section: register a network, see its facts, extract."""

from __future__ import annotations

import json
import time

import SimpleITK as sitk
from streamlit.testing.v1 import AppTest

from hccdash import jobs
from hccdash.deep import list_networks
from hccdash.deep.job import KIND
from hccdash.store import Store

from deep_helpers import open_size_cnn, write_cases
from extraction_helpers import store_images
from test_extraction_page import _page  # the Feature extraction page, switched to in the app


def _cohort(tmp_path, n: int = 2, frame=None) -> None:
    """Cohort 'test' with ``n`` synthetic cases (or the cases of ``frame``)."""
    frame = write_cases(tmp_path / "img", n) if frame is None else frame
    n = len(frame)
    Store().execute("INSERT INTO cohorts (name, created_at, fingerprint, time_unit, mapping, n_patients, n_events) "
                    "VALUES ('test', now(), 'x', 'months', ?, ?, 0)", [json.dumps({}), n])
    store_images(frame)


def _frames(at: AppTest) -> list:
    """The page's tables that AppTest can read back (it cannot rebuild some with duplicate labels)."""
    frames = []
    for element in at.dataframe:
        try:
            frames.append(element.value)
        except ValueError:
            continue
    return frames


def _register(at: AppTest, path, name: str) -> AppTest:
    at.text_input(key="fx_dl_path").input(str(path))
    at.text_input(key="fx_dl_name").input(name).run()  # the button is enabled once a file is given
    return at.button(key="fx_dl_register").click().run()


def test_register_and_extract_from_the_page(cnn_file, tmp_path):
    _cohort(tmp_path)
    at = _page()
    assert any("No network registered yet" in i.value for i in at.info)
    at = _register(at, cnn_file, "small")
    assert not at.exception, at.exception
    assert any("Registered 'small': 4 features from node 'pool'" in s.value for s in at.success)
    tables = [frame for frame in _frames(at) if "output_node" in frame.columns]
    assert tables and tables[0][["name", "input", "output_node", "n_features"]].values.tolist() == \
        [["small", "3 x 32 x 32", "pool", 4]]
    assert any("2 cases, 0 extracted, 0 failed, 2 not yet extracted" in c.value for c in at.caption)

    at.number_input(key="fx_dl_min_area").set_value(10).run()
    at.button(key="fx_dl_start").click().run()
    assert not at.exception, at.exception
    [job] = jobs.list_jobs(kind=KIND, cohort="test")
    deadline = time.monotonic() + 120
    while jobs.job_status(job.job_id).active and time.monotonic() < deadline:
        time.sleep(0.2)
    assert jobs.job_status(job.job_id).status == "done", job.log_path.read_text()
    at.run()
    assert any("2 cases, 2 extracted, 0 failed, 0 not yet extracted" in c.value for c in at.caption)
    assert at.get("download_button")  # the deep matrix as CSV


def test_the_demonstration_network_is_one_click_away(tmp_path):
    _cohort(tmp_path)
    at = _page().button(key="fx_dl_demo").click().run()
    assert any("Registered 'demo'" in s.value for s in at.success)
    assert at.selectbox(key="fx_dl_network").options == ["demo"]


def test_bad_files_and_names_are_shown_as_text_and_nothing_is_registered(cnn_file, tmp_path):
    _cohort(tmp_path)
    not_onnx = tmp_path / "notes_*x*.onnx"
    not_onnx.write_text("hello")
    at = _register(_page(), not_onnx, "notes")
    assert any(f"is not an ONNX model" in e.value and "notes\\_\\*x\\*.onnx" in e.value for e in at.error)
    at = _register(at, cnn_file, "**bold**")
    assert any("A network name is" in e.value and "\\*\\*bold\\*\\*" in e.value for e in at.error)
    assert list_networks().empty


def test_a_failed_deep_case_opens_in_the_case_viewer(small, tmp_path):
    from hccdash.deep import DeepSettings, DeepSpec
    from hccdash.extraction.engine import cases_from_images, run_extraction
    from hccdash.extraction.matrices import cohort_images

    frame = write_cases(tmp_path / "img", 3)
    sitk.WriteImage(sitk.ReadImage(frame["mask"][2]) * 0, frame["mask"][2])  # P002: no ROI left, a failure
    _cohort(tmp_path, frame=frame)
    spec = DeepSpec(small, DeepSettings())  # the page's default settings
    images = cohort_images("test")
    assert run_extraction(cases_from_images(images, spec), spec, n_jobs=1).n_failed == 1
    at = _page()
    failures = [frame for frame in _frames(at) if "error" in frame.columns]
    assert [f["patient_id"].tolist() for f in failures] == [["P002"]]
    at.session_state["fx_dl_failures"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Case viewer"
    assert (at.selectbox(key="cv_patient").value, at.selectbox(key="cv_phase").value) == ("P002", "portal")


def test_an_open_image_size_is_chosen_on_the_page(cnn_file, tmp_path):
    _cohort(tmp_path)
    at = _page()
    at.text_input(key="fx_dl_path").input(str(cnn_file)).run()
    assert "fx_dl_input_size" not in [n.key for n in at.number_input]  # a fixed-size graph: nothing to choose
    at.text_input(key="fx_dl_path").input(str(open_size_cnn(tmp_path / "open.onnx", made_for=32))).run()
    at.number_input(key="fx_dl_input_size").set_value(48)
    at = _register(at, tmp_path / "open.onnx", "open")
    assert any("does not run on 48 x 48 images" in e.value for e in at.error) and list_networks().empty
    at.number_input(key="fx_dl_input_size").set_value(32)
    at = _register(at, tmp_path / "open.onnx", "open")
    assert not at.exception, at.exception
    tables = [frame for frame in _frames(at) if "output_node" in frame.columns]
    assert tables[0][["name", "input"]].values.tolist() == [["open", "3 x 32 x 32"]]
