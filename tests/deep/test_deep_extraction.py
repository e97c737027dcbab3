"""Deep features go through the extraction engine: stored, cached, resumable, parallel, background."""

from __future__ import annotations

import time

import numpy as np
import pytest
import SimpleITK as sitk

from hccdash import jobs, paths
from hccdash.deep import DeepSettings, DeepSpec, NetworkError, case_features
from hccdash.deep.feature_sets import cohort_deep_sets
from hccdash.extraction.engine import cases_from_images, run_extraction
from hccdash.extraction.feature_sets import cohort_feature_sets
from hccdash.deep.job import start_deep_extraction
from hccdash.extraction.matrices import cohort_images, feature_matrix
from hccdash.extraction.status import cohort_extraction
from hccdash.store import Store

from deep_helpers import write_cases
from extraction_helpers import store_images

SETTINGS = DeepSettings(min_area=10, margin=3)


def _run(spec, **options):
    return run_extraction(cases_from_images(cohort_images("test"), spec), spec, n_jobs=1, **options)


def _wait(job_id: str, timeout: float = 120.0) -> jobs.JobStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = jobs.job_status(job_id)
        if not status.active:
            return status
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} stuck; log: {status.log_path.read_text()[-2000:]}")


def test_deep_features_are_stored_as_a_feature_set(small, tmp_path):
    frame = write_cases(tmp_path / "img", 3)
    store_images(frame)
    spec = DeepSpec(small, SETTINGS)
    summary = _run(spec)
    assert (summary.n_total, summary.n_computed, summary.n_failed) == (3, 3, 0)
    matrix = feature_matrix("test", spec)
    assert list(matrix.columns) == [f"portal.dl.small.{i:04d}" for i in range(4)]
    assert list(matrix.index) == ["P000", "P001", "P002"]
    expected = case_features(sitk.ReadImage(frame["image"][1]), sitk.ReadImage(frame["mask"][1]), small, SETTINGS,
                             label=1)
    np.testing.assert_allclose(matrix.loc["P001"].to_numpy(), expected.to_numpy(), atol=1e-9)
    assert matrix.nunique().min() == 3  # each case its own values
    [deep_set] = cohort_deep_sets("test")
    assert (deep_set.spec, deep_set.label, deep_set.n_done) == (spec, None, 3)
    assert deep_set.title.startswith("deep: small (4 features, mean of slices, settings ")
    assert cohort_feature_sets("test") == []  # not a pyradiomics feature set


def test_cache_and_resume(small, tmp_path):
    store_images(write_cases(tmp_path / "img", 3))
    spec = DeepSpec(small, SETTINGS)
    first = _run(spec)
    again = _run(spec)
    assert (again.n_cached, again.n_computed) == (3, 0)
    store = Store()
    store.execute("DELETE FROM features")
    store.execute("DELETE FROM cases")  # the store lost them (crash): the per-case files bring them back
    resumed = _run(spec)
    assert (resumed.n_recovered, resumed.n_computed) == (3, 0)
    assert feature_matrix("test", spec).shape == (3, 4)
    other = DeepSpec(small, DeepSettings(min_area=10, margin=3, pooling="largest"))  # another hash: computed anew
    assert other.settings_hash != spec.settings_hash and _run(other).n_computed == 3
    assert first.n_computed == 3


def test_a_mask_without_a_large_enough_slice_is_a_named_failure(small, tmp_path):
    frame = write_cases(tmp_path / "img", 2)
    small_roi = sitk.ReadImage(frame["mask"][1]) * 0
    small_roi[20:24, 18:22, 2] = 1  # 16 pixels on one slice
    sitk.WriteImage(small_roi, frame["mask"][1])
    store_images(frame)
    spec = DeepSpec(small, DeepSettings(min_area=50))
    summary = _run(spec)
    assert (summary.n_computed, summary.n_failed) == (2, 1)
    state = cohort_extraction("test", spec)
    [failure] = state.failures.itertuples()
    assert failure.patient_id == "P001"
    assert f"The mask {frame['mask'][1]} (label 1) has no axial slice with at least 50 ROI pixels (the largest has 16)" in failure.error
    assert feature_matrix("test", spec).index.tolist() == ["P000"]
    assert Store().query("SELECT count(*) AS n FROM features f JOIN cases c USING (case_key) "
                         "WHERE c.status = 'failed'")["n"].iloc[0] == 0


def test_parallel_workers_give_the_same_features(small, tmp_path):
    store_images(write_cases(tmp_path / "img", 4))
    spec = DeepSpec(small, SETTINGS)
    run_extraction(cases_from_images(cohort_images("test"), spec), spec, n_jobs=2)
    parallel = feature_matrix("test", spec)
    Store().execute("DELETE FROM features")
    Store().execute("DELETE FROM cases")
    for file in paths.cache_dir().glob("*.json"):
        if file.name != "file_hashes.json":
            file.unlink()
    assert _run(spec).n_computed == 4
    np.testing.assert_allclose(feature_matrix("test", spec).to_numpy(), parallel.to_numpy(), atol=1e-12)


def test_background_job_extracts_and_refuses_a_changed_network(small, tmp_path):
    store_images(write_cases(tmp_path / "img", 2))
    spec = DeepSpec(small, SETTINGS)
    done = _wait(start_deep_extraction("test", spec, n_jobs=1))
    assert done.status == "done", done.log_path.read_text()
    assert (done.n_total, done.n_done, done.n_failed) == (2, 2, 0)
    assert feature_matrix("test", spec).shape == (2, 4)

    kept = paths.networks_dir() / f"{small.sha256}.onnx"
    kept.write_bytes(kept.read_bytes() + b"\0")
    retry = DeepSpec(small, DeepSettings(min_area=11))
    with pytest.raises(NetworkError, match="has changed since 'small' was registered"):
        start_deep_extraction("test", retry, n_jobs=1)
    assert cohort_extraction("test", retry).n_pending == 2  # nothing stored
