"""Cohort QC: facts per image, flags with their reasons, per-centre summary (hccdash.imaging.qc)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cohort_data import write_ct_series, write_volume

from hccdash.digest import sha256_path
from hccdash.imaging import qc
from hccdash.imaging.qc import FLAGS, cohort_qc
from hccdash.settings import QCSettings

SHAPE = (6, 20, 20)
DICOM_ORIGIN = (-10.0, -20.0, 30.0)


def _mask(*boxes) -> np.ndarray:
    mask = np.zeros(SHAPE, np.uint8)
    for z, y, x in boxes:
        mask[z, y, x] = 1
    return mask


def _box(z_size: int, y_size: int, x_size: int, z0: int = 1):
    return slice(z0, z0 + z_size), slice(7, 7 + y_size), slice(7, 7 + x_size)


@pytest.fixture
def cohort(tmp_path):
    """Eight patients, one problem each (see the expected flags in the test)."""
    rng = np.random.default_rng(3)
    rows = []

    def add(pid, phase, mask, reader="1", spacing=(0.7, 0.7, 5.0), origin=(0.0, 0.0, 0.0), offset=0, image=None):
        if image is None:
            values = 60 + 50 * mask + rng.normal(0, 10, SHAPE) + offset
            image = write_volume(tmp_path / f"{pid}_{phase}.nii.gz", values.astype(np.int16), spacing, origin)
        mask_path = write_volume(tmp_path / f"{pid}_{phase}_r{reader}.nii.gz", mask, spacing, origin)
        rows.append({"patient_id": pid, "phase": phase, "reader": reader, "image_path": str(image),
                     "mask_path": str(mask_path), "label": 1})
        return image

    # typical volumes spread from 30 to 100 voxels of 2.45 mm^3 (a tight spread would make any volume an outlier)
    image = add("P1", "arterial", _mask(_box(4, 4, 4)))
    add("P1", "arterial", _mask((slice(1, 5), slice(7, 11), slice(9, 13))), reader="2", image=image)  # Dice 0.5
    add("P1", "portal", _mask(_box(2, 4, 4)))
    add("P2", "arterial", _mask(_box(4, 5, 5)), offset=1024)  # stored values, not HU
    add("P2", "portal", _mask(_box(3, 4, 4)))
    for phase in ("arterial", "portal"):  # coarse in-plane spacing, volume kept typical (8 x 20 mm^3)
        add("P3", phase, _mask((slice(1, 3), slice(7, 9), slice(7, 9))), spacing=(2.0, 2.0, 5.0))
    add("P4", "arterial", _mask(_box(4, 4, 6)))
    add("P4", "portal", _mask(_box(2, 3, 5)), origin=(10.0, 0.0, 0.0))  # another grid
    add("P5", "arterial", _mask(_box(4, 3, 4, z0=0)))  # touches the lowest slice
    add("P6", "arterial", _mask((slice(1, 3), slice(2, 5), slice(2, 6)), (slice(1, 3), slice(13, 17), slice(13, 17))))
    add("P7", "arterial", _mask((slice(2, 3), slice(9, 10), slice(9, 10))))  # one voxel
    series = tmp_path / "P8_arterial"
    mask = _mask(_box(3, 4, 5))
    write_ct_series(series, (60 + 50 * mask + rng.normal(0, 10, SHAPE)).astype(np.int16), origin=DICOM_ORIGIN,
                    extra={"KVP": 120, "Manufacturer": "ACME", "ManufacturerModelName": "Scan 1",
                           "AcquisitionDate": "20240305", "AcquisitionTime": "101502.25"})
    add("P8", "arterial", mask, origin=DICOM_ORIGIN, image=series)
    images = pd.DataFrame(rows)
    images["image_sha256"] = [sha256_path(p) for p in images["image_path"]]
    images["mask_sha256"] = [sha256_path(p) for p in images["mask_path"]]
    centres = pd.Series({f"P{i}": "A" if i <= 4 else "B" for i in range(1, 9)})
    return images, centres


EXPECTED = {
    ("P1", "arterial", "2"): {"flag_dice"},
    ("P2", "arterial", "1"): {"flag_hu"},
    ("P3", "arterial", "1"): {"flag_spacing"},
    ("P3", "portal", "1"): {"flag_spacing"},
    ("P4", "arterial", "1"): {"flag_grid"},
    ("P4", "portal", "1"): {"flag_grid"},
    ("P5", "arterial", "1"): {"flag_border"},
    ("P6", "arterial", "1"): {"flag_components"},
    ("P7", "arterial", "1"): {"flag_volume"},
}


def test_each_problem_is_flagged_with_its_reason(cohort):
    images, centres = cohort
    result = cohort_qc(images, centres)
    table = result.table.set_index(["patient_id", "phase", "reader"])
    for key, row in table.iterrows():
        assert {f for f in FLAGS if row[f]} == EXPECTED.get(key, set()), (key, row["reasons"])
        assert row["n_flags"] == len(EXPECTED.get(key, ()))
    reasons = table["reasons"]
    assert reasons[("P1", "arterial", "2")] == "Dice 0.500 with reader 1 below 0.8"
    assert reasons[("P2", "arterial", "1")].startswith("CT ROI median 113")
    assert "outside -200..400 HU" in reasons[("P2", "arterial", "1")]
    assert reasons[("P3", "portal", "1")] == "in-plane spacing 2 mm vs the cohort's median 0.7 mm"
    assert reasons[("P4", "portal", "1")].startswith("phases on different grids (vs arterial: portal: origin")
    assert reasons[("P5", "arterial", "1")] == "mask touches the image border (z-min)"
    assert reasons[("P6", "arterial", "1")] == "mask has 2 connected components"
    assert "mask volume 0.00245 mL far below the cohort's median" in reasons[("P7", "arterial", "1")]
    assert table.loc[("P1", "arterial", "2"), "dice"] == 0.5
    assert np.isnan(table.loc[("P1", "arterial", "1"), "dice"])
    assert result.flagged.iloc[0]["n_flags"] == 1 and len(result.flagged) == len(EXPECTED)


def test_facts_of_a_dicom_series_and_the_centre_summary(cohort):
    images, centres = cohort
    result = cohort_qc(images, centres)
    dicom = result.table.set_index("patient_id").loc["P8"]
    assert (dicom["modality"], dicom["manufacturer"], dicom["model"], dicom["kvp"]) == ("CT", "ACME", "Scan 1", 120.0)
    assert dicom["acquisition_time"] == "2024-03-05 10:15:02" and dicom["matrix"] == "20 x 20 x 6"
    assert dicom["slice_thickness"] == 5.0 and dicom["spacing_x"] == pytest.approx(0.7)
    assert dicom["mask_voxels"] == 60 and dicom["mask_ml"] == pytest.approx(60 * 0.7 * 0.7 * 5 / 1000)
    summary = result.centres.set_index("centre")
    assert summary.loc["A", "images"] == 9 and summary.loc["A", "patients"] == 4
    assert summary.loc["B", "flagged_images"] == 3 and summary.loc["B", "manufacturer_model"] == "ACME Scan 1"
    assert summary.loc["A", "in_plane_spacing_mm"] == "0.7 (0.7 to 2)"


def test_thresholds_come_from_the_settings_and_mr_is_not_checked_as_ct(cohort):
    images, centres = cohort
    table = cohort_qc(images, centres, QCSettings(modality="MR", min_dice=0.4)).table
    assert not table["flag_dice"].any()
    p2 = table[(table["patient_id"] == "P2") & (table["phase"] == "arterial")].iloc[0]
    assert not p2["flag_hu"]
    dicom = table[table["patient_id"] == "P8"].iloc[0]
    assert dicom["modality"] == "CT"  # its own Modality, whatever the setting for NIfTI


def test_second_qc_reads_no_image_and_an_unreadable_file_is_reported(cohort, monkeypatch):
    images, centres = cohort
    first = cohort_qc(images, centres).table
    monkeypatch.setattr(qc, "read_image", lambda path: pytest.fail(f"{path} read again"))
    again = cohort_qc(images, centres).table
    pd.testing.assert_frame_equal(first, again)
    broken = images.copy()
    broken.loc[0, ["image_path", "image_sha256"]] = ["/nowhere/ct.nii.gz", "0" * 64]
    monkeypatch.undo()
    table = cohort_qc(broken, centres).table
    row = table[table["image_path"] == "/nowhere/ct.nii.gz"].iloc[0]
    assert "/nowhere/ct.nii.gz does not exist" in row["error"] and row["n_flags"] == 0
