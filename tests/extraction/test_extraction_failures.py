"""Failures are per case: recorded with their message, the rest completes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import SimpleITK as sitk

from hccdash.extraction.engine import cases_from_images, run_extraction
from hccdash.extraction.manifest import manifest_images
from hccdash.extraction.matrices import cohort_cases
from hccdash.store import Store

from extraction_helpers import store_images, write_variants


def _bad_cases(pyrad_data, tmp_path):
    frame = write_variants(pyrad_data, tmp_path / "img", 3)
    corrupt = tmp_path / "img" / "corrupt.nrrd"
    corrupt.write_bytes(b"NRRD0004\nthis is not an image\n" + bytes(range(256)))
    empty = tmp_path / "img" / "empty_mask.nrrd"
    mask = sitk.ReadImage(frame.at[0, "mask"])
    zero = sitk.GetImageFromArray(np.zeros(sitk.GetArrayFromImage(mask).shape, dtype=np.uint8))
    zero.CopyInformation(mask)
    sitk.WriteImage(zero, str(empty))
    mismatch = pyrad_data / "brain1_label.nrrd"
    extra = [
        {"patient_id": "BAD1", "phase": "portal", "reader": "1", "image": str(corrupt), "mask": frame.at[0, "mask"]},
        {"patient_id": "BAD2", "phase": "portal", "reader": "1", "image": frame.at[0, "image"], "mask": str(empty)},
        {"patient_id": "BAD3", "phase": "portal", "reader": "1", "image": frame.at[1, "image"], "mask": str(mismatch)},
    ]
    return pd.concat([frame, pd.DataFrame(extra)], ignore_index=True)


def test_bad_cases_are_recorded_and_the_rest_completes(pyrad_data, tmp_path, tiny_spec):
    frame = _bad_cases(pyrad_data, tmp_path)
    manifest = tmp_path / "m.csv"
    frame.to_csv(manifest, index=False)
    summary = run_extraction(cases_from_images(manifest_images(manifest), tiny_spec), tiny_spec, n_jobs=2)
    assert (summary.n_total, summary.n_failed) == (6, 3)

    store_images(frame)
    cases = cohort_cases("test", tiny_spec).set_index("patient_id")
    assert (cases.loc[["P000", "P001", "P002"], "status"] == "done").all()
    assert (cases.loc[["BAD1", "BAD2", "BAD3"], "status"] == "failed").all()
    bad = {pid: Path(frame.set_index("patient_id").at[pid, column]).resolve() for pid, column in
           (("BAD1", "image"), ("BAD2", "mask"), ("BAD3", "mask"), ("P001", "image"))}
    assert cases.at["BAD1", "error"].startswith(
        f"The image {bad['BAD1']} cannot be read: SimpleITK does not recognise it as an image"
    )
    assert cases.at["BAD2", "error"] == f"The mask {bad['BAD2']} has no voxel with label 1: it is empty (every voxel is 0)."
    assert cases.at["BAD3", "error"].startswith(
        f"The mask {bad['BAD3']} does not lie on the voxel grid of the image {bad['P001']} (size differs): "
        "image size 45 x 120 x 21, spacing 0.6641 x 0.6641 x 2.1 mm"
    )
    assert "; mask size 256 x 256 x 25, spacing 0.7812 x 0.7812 x 6.5 mm" in cases.at["BAD3", "error"]
    assert not any("Exception thrown in SimpleITK" in e for e in cases["error"].dropna())
    assert Store().query("SELECT count(DISTINCT case_key) AS n FROM features")["n"].iloc[0] == 3


def test_failed_cases_are_kept_until_retried(pyrad_data, tmp_path, tiny_spec):
    frame = _bad_cases(pyrad_data, tmp_path)
    manifest = tmp_path / "m.csv"
    frame.to_csv(manifest, index=False)
    cases = cases_from_images(manifest_images(manifest), tiny_spec)
    run_extraction(cases, tiny_spec, n_jobs=1)
    assert run_extraction(cases, tiny_spec, n_jobs=1).n_computed == 0
    retried = run_extraction(cases, tiny_spec, n_jobs=1, retry_failed=True)
    assert (retried.n_computed, retried.n_failed) == (3, 3)
    assert Store().query("SELECT count(*) AS n FROM cases")["n"].iloc[0] == 6  # replaced, not added
