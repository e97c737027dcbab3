"""The Case viewer's occlusion-sensitivity map for a registered network."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from hccdash.cohort import import_cohort
from hccdash.deep import DeepSettings, DeepSpec
from hccdash.extraction.engine import cases_from_images, run_extraction
from hccdash.extraction.matrices import cohort_images

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cohort"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "imaging"))

from cohort_data import make_cohort  # noqa: E402
from test_viewer_pages import VIEWER, _app  # noqa: E402  (the app switched to a page)


def test_viewer_shows_an_occlusion_map_of_the_chosen_slice(small, tmp_path):
    files = make_cohort(tmp_path / "tiny", n=24, repeat=2)
    assert import_cohort("tiny", pd.read_csv(files["clinical"]), images=files["manifest"]).ok
    at = _app(VIEWER)
    assert at.selectbox(key="cv_dl_spec").options[0].startswith("deep: small (4 features, mean of slices")
    assert any("has no axial slice with at least 20 ROI pixels (the largest has 16)" in i.value for i in at.info)

    spec = DeepSpec(small, DeepSettings(min_area=10, margin=2))  # the cohort's deep features: offered first
    images = cohort_images("tiny")
    assert run_extraction(cases_from_images(images[images["patient_id"] == "P001"], spec), spec, n_jobs=1).n_failed == 0
    at = _app(VIEWER)
    assert at.selectbox(key="cv_dl_spec").value.settings_hash == spec.settings_hash
    slider = at.select_slider(key="cv_dl_slice_P001")
    shown = len(at.get("image"))
    at.toggle(key="cv_dl_show").set_value(True).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    images = at.get("image")
    assert len(images) == shown + 1
    assert f"axial slice {int(slider.value) + 1}: occlusion sensitivity" in images[-1].proto.imgs[0].caption
    assert "forward passes" in images[-1].proto.imgs[0].caption


def test_viewer_without_a_network_says_where_to_register(tmp_path):
    files = make_cohort(tmp_path / "tiny", n=24, repeat=2)
    assert import_cohort("tiny", pd.read_csv(files["clinical"]), images=files["manifest"]).ok
    at = _app(VIEWER)
    assert any("Register a network on **Feature extraction**" in i.value for i in at.info)
