"""Manifests, folder scans, image formats, DICOM-SEG alignment, image checks and hashes."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
from cohort_data import SHAPE, cube_mask, write_ct_series, write_seg, write_volume

from hccdash.cohort.images import check_images, choose_label, read_image, read_mask
from hccdash.cohort.manifest import compile_pattern, read_manifest, scan_folder


def _entries(rows):
    return pd.DataFrame([{"reader": "1", "file": "m.csv", **r, "row": i + 2} for i, r in enumerate(rows)])


def _pair(folder, name, mask_array, image_spacing=(0.7, 0.7, 5.0), mask_spacing=(0.7, 0.7, 5.0)):
    image = write_volume(folder / f"{name}.nii.gz", np.ones(SHAPE, np.int16), spacing=image_spacing)
    mask = write_volume(folder / f"{name}_mask.nii.gz", mask_array, spacing=mask_spacing)
    return {"patient_id": name, "phase": "portal", "image": str(image), "mask": str(mask)}


def test_manifest_paths_are_relative_to_its_folder(tiny):
    manifest = read_manifest(tiny["manifest"])
    first = manifest.iloc[0]
    assert first["image"] == str(tiny["folder"] / "images" / "P001_arterial.nii.gz")
    assert first["row"] == 2 and first["file"] == "manifest.csv"
    assert set(manifest["reader"]) == {"1", "2"}


def test_uploaded_manifest_needs_base_dir(tiny):
    data = tiny["manifest"].read_bytes()
    with pytest.raises(ValueError, match="base_dir"):
        read_manifest(data)
    assert read_manifest(data, base_dir=tiny["folder"]).equals(read_manifest(tiny["manifest"]).assign(file="uploaded manifest"))


def test_manifest_without_mask_column_is_refused(tmp_path):
    (tmp_path / "m.csv").write_text("patient_id,phase,image\nP1,portal,a.nii.gz\n")
    with pytest.raises(ValueError, match=r"m.csv: manifest column\(s\) \['mask'\] missing"):
        read_manifest(tmp_path / "m.csv")


def test_folder_scan_pairs_images_and_masks(tiny):
    scanned = scan_folder(tiny["folder"] / "images", "{patient_id}_{phase}.nii.gz", "{patient_id}_{phase}_mask{reader}.nii.gz")
    assert len(scanned) == 24 * 2 + 4 * 2  # every image with its mask; repeat masks as reader 2
    row = scanned[(scanned["patient_id"] == "P001") & (scanned["phase"] == "portal") & (scanned["reader"] == "2")].iloc[0]
    assert row["mask"].endswith("P001_portal_mask2.nii.gz") and row["image"].endswith("P001_portal.nii.gz")
    assert not scanned["image"].str.contains("mask").any()


def test_folder_scan_default_patterns_find_dicom_folders(tmp_path):
    write_ct_series(tmp_path / "HCC_001" / "arterial", np.zeros((2, 4, 4)))
    (tmp_path / "HCC_001" / "arterial_seg.dcm").write_bytes(b"x")
    scanned = scan_folder(tmp_path, "{patient_id}/{phase}", "{patient_id}/{phase}_seg.dcm")
    assert scanned[["patient_id", "phase", "reader"]].values.tolist() == [["HCC_001", "arterial", "1"]]
    assert scanned["image"].iloc[0] == str(tmp_path / "HCC_001" / "arterial")


@pytest.mark.parametrize("pattern, message", [("{patient}_{phase}", "unknown field"), ("{patient_id}.nii", "must contain")])
def test_bad_patterns_are_named(pattern, message):
    with pytest.raises(ValueError, match=message):
        compile_pattern(pattern)


def test_pattern_phase_excludes_underscore():
    match = compile_pattern("{patient_id}_{phase}.nii.gz").match("HCC_001_portal.nii.gz")
    assert (match["patient_id"], match["phase"]) == ("HCC_001", "portal")


@pytest.mark.parametrize("suffix", [".nrrd", ".mha", ".nii.gz"])
def test_formats_read_through_simpleitk(tmp_path, suffix):
    array = np.arange(np.prod(SHAPE), dtype=np.int16).reshape(SHAPE)
    path = write_volume(tmp_path / f"img{suffix}", array, spacing=(0.5, 0.6, 2.0))
    image = read_image(path)
    assert image.GetSpacing() == pytest.approx((0.5, 0.6, 2.0))
    assert np.array_equal(sitk.GetArrayFromImage(image), array)


def test_dicom_series_and_seg_align_on_the_series_grid(tmp_path):
    rng = np.random.default_rng(1)
    array = rng.integers(-100, 100, (6, 10, 12)).astype(np.int16)
    datasets = write_ct_series(tmp_path / "series", array)
    labels = np.zeros(array.shape, np.uint8)
    labels[2:4, 3:7, 4:9] = 1  # frames only on slices 2-3: the SEG's own grid differs from the series
    labels[4, 1:3, 1:3] = 2
    write_seg(tmp_path / "seg.dcm", datasets, labels)
    image = read_image(tmp_path / "series")
    assert np.array_equal(sitk.GetArrayFromImage(image), array)
    assert image.GetOrigin() == pytest.approx((-10.0, -20.0, 30.0)) and image.GetSpacing() == pytest.approx((0.7, 0.7, 5.0))
    mask = read_mask(tmp_path / "seg.dcm", image)
    assert np.array_equal(sitk.GetArrayFromImage(mask), labels)
    images, problems = check_images(
        _entries([{"patient_id": "P1", "phase": "portal", "image": str(tmp_path / "series"), "mask": str(tmp_path / "seg.dcm")}]),
        ["P1"])
    assert images["label"].tolist() == [1]
    assert [p.check for p in problems] == ["several_labels"]


def test_every_image_problem_is_reported(tmp_path):
    two_labels = cube_mask()
    two_labels[0, 0, 0] = 3
    rows = [
        _pair(tmp_path, "good", cube_mask()),
        _pair(tmp_path, "moved", cube_mask(), mask_spacing=(0.7, 0.7, 4.0)),
        _pair(tmp_path, "empty", np.zeros(SHAPE, np.uint8)),
        _pair(tmp_path, "multi", two_labels),
        _pair(tmp_path, "other", cube_mask(label=2)),
        {**_pair(tmp_path, "lost", cube_mask()), "mask": str(tmp_path / "missing.nii.gz")},
        _pair(tmp_path, "stranger", cube_mask()),
        _pair(tmp_path, "good", cube_mask()),  # duplicate entry
    ]
    (tmp_path / "garbage.nii.gz").write_bytes(b"not an image")
    rows.append({**_pair(tmp_path, "broken", cube_mask()), "image": str(tmp_path / "garbage.nii.gz")})
    ids = ["good", "moved", "empty", "multi", "other", "lost", "broken", "nophoto"]
    images, problems = check_images(_entries(rows), ids)
    found = {(p.check, p.patient_id or p.value, p.row) for p in problems}
    assert found == {
        ("geometry_mismatch", "moved", 3), ("empty_mask", "empty", 4), ("several_labels", "multi", 5),
        ("label_choice", "other", 6), ("missing_file", "lost", 7), ("image_without_patient", "stranger", 8),
        ("duplicate_image", "good", 9), ("unreadable_file", "broken", 10),
        *(("patient_without_images", pid, None) for pid in ("moved", "empty", "lost", "broken", "nophoto")),
    }
    assert images.set_index("patient_id")["label"].to_dict() == {"good": 1, "multi": 1, "other": 2}
    mismatch = next(p for p in problems if p.check == "geometry_mismatch")
    assert "spacing (0.7, 0.7, 5) vs (0.7, 0.7, 4)" in mismatch.message and mismatch.action == "image row skipped"
    assert all(p.severity == "warning" for p in problems)


def test_geometry_within_tolerance_is_accepted(tmp_path):
    row = _pair(tmp_path, "p", cube_mask(), mask_spacing=(0.7 + 1e-5, 0.7, 5.0))
    images, problems = check_images(_entries([row]), ["p"])
    assert len(images) == 1 and problems == []


def test_phase_with_a_dot_is_an_error(tmp_path):
    row = {**_pair(tmp_path, "p", cube_mask()), "phase": "portal.venous"}
    _, problems = check_images(_entries([row]), ["p"])
    assert [(p.severity, p.check) for p in problems][0] == ("error", "bad_phase")


def test_missing_phase_is_warned(tmp_path):
    rows = [_pair(tmp_path, "a", cube_mask()), {**_pair(tmp_path, "a", cube_mask()), "phase": "arterial"},
            _pair(tmp_path, "b", cube_mask())]
    _, problems = check_images(_entries(rows), ["a", "b"])
    assert [(p.check, p.patient_id) for p in problems] == [("missing_phase", "b")]
    assert "arterial" in problems[0].message


@pytest.mark.parametrize(
    "labels, requested, chosen",
    [({1: 10, 2: 50}, None, 1), ({2: 10, 3: 50}, None, 3), ({4: 10}, None, 4), ({1: 10, 2: 50}, 2, 2), ({1: 10}, 2, None)],
)
def test_choose_label(labels, requested, chosen):
    assert choose_label(labels, requested, preferred=1)[0] == chosen


def test_user_chosen_label_absent_skips_row(tmp_path):
    images, problems = check_images(_entries([_pair(tmp_path, "p", cube_mask())]), ["p"], label=2)
    assert images.empty and [p.check for p in problems] == ["label_absent", "patient_without_images"]


def test_manifest_label_column_chooses_per_row(tmp_path):
    two = cube_mask()
    two[0, 0:2, 0:2] = 2
    write_volume(tmp_path / "a.nii.gz", np.ones(SHAPE, np.int16))
    write_volume(tmp_path / "a_mask.nii.gz", two)
    (tmp_path / "m.csv").write_text("patient_id,phase,image,mask,reader,label\n"
                                    "a,portal,a.nii.gz,a_mask.nii.gz,1,2\n"
                                    "a,portal,a.nii.gz,a_mask.nii.gz,2,\n")
    images, problems = check_images(read_manifest(tmp_path / "m.csv"), ["a"])
    assert images.set_index("reader")["label"].to_dict() == {"1": 2, "2": 1}
    assert [p.message.endswith("label 2 used as chosen") for p in problems] == [True, False]
    (tmp_path / "m.csv").write_text("patient_id,phase,image,mask,label\na,portal,a.nii.gz,a_mask.nii.gz,tumour\n")
    with pytest.raises(ValueError, match="m.csv, row 2, column 'label'.*'tumour'"):
        read_manifest(tmp_path / "m.csv")


def test_overlapping_seg_segments_are_counted_and_read_one_by_one(tmp_path):
    """As in HCC-TACE-Seg: a liver segment (1) containing the tumour segment (2)."""
    array = np.zeros((5, 10, 10), np.int16)
    datasets = write_ct_series(tmp_path / "series", array)
    liver = np.zeros(array.shape, bool)
    liver[1:4, 1:9, 1:9] = True
    tumour = np.zeros(array.shape, bool)
    tumour[2, 3:5, 3:6] = True
    write_seg(tmp_path / "seg.dcm", datasets, np.stack([liver, tumour], axis=-1))
    image = read_image(tmp_path / "series")
    with pytest.raises(ValueError, match="overlap"):
        read_mask(tmp_path / "seg.dcm", image)
    assert np.array_equal(sitk.GetArrayFromImage(read_mask(tmp_path / "seg.dcm", image, label=2)), tumour * 2)
    entry = {"patient_id": "P1", "phase": "portal", "image": str(tmp_path / "series"), "mask": str(tmp_path / "seg.dcm")}
    images, problems = check_images(_entries([entry]), ["P1"], label=2)
    assert images["label"].tolist() == [2]
    assert "labels 1 (192 voxels), 2 (6 voxels); label 2 used as chosen" in problems[0].message
