"""DICOM RTSTRUCT masks: contours rasterised onto their CT series, imported by ROI name, extracted;
bad RTSTRUCTs and series with missing or uneven slices refused, naming file, ROI and slice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pydicom
import pytest
import SimpleITK as sitk
from cohort_data import dump, make_cohort, write_ct_series, write_rtstruct

from hccdash.cohort import import_cohort, read_manifest, validate_cohort
from hccdash.cohort.images import read_image, read_mask
from hccdash.cohort.rtstruct import is_rtstruct, polygon_mask, read_rtstruct, roi_number, rois
from hccdash.extraction.case import CaseError, compute_features
from hccdash.extraction.engine import cases_from_images, run_extraction
from hccdash.extraction.matrices import cohort_images, feature_matrix
from hccdash.extraction.params import ExtractionSpec
from hccdash.store import Store

SPACING, ORIGIN, SHAPE = (0.7, 0.7, 5.0), (-10.0, -20.0, 30.0), (4, 16, 16)  # z, y, x
SHAPE_PARAMS = {"imageType": {"Original": {}}, "featureClass": {"shape": ["VoxelVolume"]}, "setting": {}}


def square(i0: int, i1: int, j0: int, j1: int, k: float) -> np.ndarray:
    """A contour along the outer edges of voxels i0..i1 (x) by j0..j1 (y) on slice k, in mm."""
    x0, x1 = ORIGIN[0] + SPACING[0] * (i0 - 0.5), ORIGIN[0] + SPACING[0] * (i1 + 0.5)
    y0, y1 = ORIGIN[1] + SPACING[1] * (j0 - 0.5), ORIGIN[1] + SPACING[1] * (j1 + 0.5)
    z = ORIGIN[2] + SPACING[2] * k
    return np.array([[x0, y0, z], [x1, y0, z], [x1, y1, z], [x0, y1, z]])


@pytest.fixture
def ct(tmp_path):
    values = np.random.default_rng(0).normal(60, 10, SHAPE).astype(np.int16)
    datasets = write_ct_series(tmp_path / "series", values, SPACING, ORIGIN)
    return tmp_path / "series", datasets


ROIS = {
    "Liver": [square(2, 12, 3, 13, 1), square(2, 12, 3, 13, 2)],
    "Tumour": [square(4, 9, 5, 10, 2), square(6, 7, 7, 8, 2)],  # a ring: the inner contour is a hole
    "Empty": [],
}


def test_polygon_fill_takes_centres_inside_and_on_the_edge():
    edges = polygon_mask(np.array([1.5, 4.5, 4.5, 1.5]), np.array([0.5, 0.5, 2.5, 2.5]), (5, 6))
    assert np.argwhere(edges).tolist() == [[r, c] for r in (1, 2) for c in (2, 3, 4)]
    centres = polygon_mask(np.array([2.0, 4.0, 4.0, 2.0]), np.array([1.0, 1.0, 3.0, 3.0]), (5, 6))
    assert np.argwhere(centres).tolist() == [[r, c] for r in (1, 2, 3) for c in (2, 3, 4)]
    diamond = polygon_mask(np.array([3.0, 5.0, 3.0, 1.0]), np.array([0.0, 2.0, 4.0, 2.0]), (5, 7))
    assert diamond.sum() == 13 and diamond[0, 3] and diamond[4, 3] and diamond[2, 1] and diamond[2, 5]


def test_rois_are_rasterised_on_the_series(ct, tmp_path):
    folder, datasets = ct
    path = write_rtstruct(tmp_path / "rs.dcm", datasets, ROIS)
    assert is_rtstruct(path) and not is_rtstruct(folder / "slice000.dcm")
    assert [(r.number, r.name, r.contours) for r in rois(path)] == [(1, "Liver", 2), (2, "Tumour", 2), (3, "Empty", 0)]
    assert roi_number(path, " tumour ") == 2
    image = read_image(folder)
    liver = sitk.GetArrayFromImage(read_rtstruct(path, image, 1))
    assert liver.dtype == np.uint16 and set(np.unique(liver)) == {0, 1}
    expected = np.zeros(SHAPE, bool)
    expected[1:3, 3:14, 2:13] = True
    assert np.array_equal(liver == 1, expected)
    tumour = sitk.GetArrayFromImage(read_mask(path, image, 2, image_path=folder))
    ring = np.zeros(SHAPE, bool)
    ring[2, 5:11, 4:10] = True
    ring[2, 7:9, 6:8] = False
    assert np.array_equal(tumour == 2, ring) and tumour.max() == 2


def test_a_polygonal_circle_matches_the_voxel_centres_inside_it(ct, tmp_path):
    folder, datasets = ct
    centre = np.array([ORIGIN[0] + 0.7 * 8, ORIGIN[1] + 0.7 * 7])
    angles = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    circle = np.column_stack([centre[0] + 3.0 * np.cos(angles), centre[1] + 3.0 * np.sin(angles),
                              np.full(64, ORIGIN[2] + 5.0)])
    path = write_rtstruct(tmp_path / "circle.dcm", datasets, {"Ball": [circle]})
    mask = sitk.GetArrayFromImage(read_rtstruct(path, read_image(folder), 1))[1] > 0
    y, x = np.mgrid[0:16, 0:16]
    distance = np.hypot(ORIGIN[0] + 0.7 * x - centre[0], ORIGIN[1] + 0.7 * y - centre[1])
    assert mask[distance < 3.0 * np.cos(np.pi / 64) - 1e-9].all() and not mask[distance > 3.0 + 1e-9].any()


def _manifest(tmp_path, rtstruct, roi: str | None = None, image=None) -> pd.DataFrame:
    """The tiny NIfTI cohort's manifest with P001 arterial replaced by a CT series and an RTSTRUCT."""
    files = make_cohort(tmp_path / "tiny")
    frame = pd.read_csv(files["manifest"])
    frame = frame[~((frame["patient_id"] == "P001") & (frame["phase"] == "arterial"))]
    row = {"patient_id": "P001", "phase": "arterial", "reader": 1, "image": str(image or tmp_path / "series"),
           "mask": str(rtstruct), "roi": roi}
    frame = pd.concat([pd.DataFrame([row]), frame.assign(roi=None)], ignore_index=True)
    manifest = files["folder"] / "manifest_rt.csv"
    frame.to_csv(manifest, index=False)
    return read_manifest(manifest), pd.read_csv(files["clinical"])


def test_an_rtstruct_case_imports_by_roi_name_and_extracts(ct, tmp_path):
    folder, datasets = ct
    path = write_rtstruct(tmp_path / "rs.dcm", datasets, ROIS)
    entries, clinical = _manifest(tmp_path, path, roi="Tumour")
    assert entries.loc[0, "roi"] == "Tumour" and entries["roi"].iloc[1:].isna().all()
    result = import_cohort("rt", clinical, images=entries)
    assert result.ok, result.report.to_text()
    stored = Store().query("SELECT mask_path, label FROM images WHERE patient_id = 'P001' AND phase = 'arterial'")
    assert stored.values.tolist() == [[str(path), 2]]
    spec = ExtractionSpec.from_dict({"params": SHAPE_PARAMS})
    images = cohort_images("rt")
    run_extraction(cases_from_images(images[images["mask_path"] == str(path)], spec), spec, n_jobs=1)
    matrix = feature_matrix("rt", spec)
    assert matrix.loc["P001", "arterial.original_shape_VoxelVolume"] == pytest.approx(32 * 0.7 * 0.7 * 5.0)


def _refused(entries, clinical, check: str) -> str:
    before = dump(Store())
    result = import_cohort("rt", clinical, images=entries)
    assert not result.ok and dump(Store()) == before  # nothing stored
    errors = [p for p in result.report.errors if p.check == check]
    assert len(errors) == 1, result.report.to_text()
    return errors[0].message


def test_a_wrong_or_missing_roi_name_lists_the_rois(ct, tmp_path):
    folder, datasets = ct
    path = write_rtstruct(tmp_path / "rs.dcm", datasets, ROIS)
    listing = "its ROIs: 1 'Liver' (2 contours), 2 'Tumour' (2 contours), 3 'Empty' (0 contours)"
    entries, clinical = _manifest(tmp_path, path, roi="Tumor")
    assert _refused(entries, clinical, "rtstruct_roi") == f"RTSTRUCT {path} has no ROI named 'Tumor'; {listing}"
    entries["roi"] = None
    message = _refused(entries, clinical, "rtstruct_roi")
    assert message.startswith(f"no ROI name given for RTSTRUCT {path}, which has several ROIs: 1 'Liver'")
    validation = validate_cohort(clinical, images=entries, roi="liver")  # one name for every RTSTRUCT
    assert validation.report.ok and validation.images.set_index("patient_id").loc["P001"].query(
        "phase == 'arterial'")["label"].tolist() == [1]


def test_an_rtstruct_of_another_series_is_refused(ct, tmp_path):
    folder, datasets = ct
    path = write_rtstruct(tmp_path / "rs.dcm", datasets, ROIS, series_uid="1.2.826.0.1.99")
    entries, clinical = _manifest(tmp_path, path, roi="Tumour")
    message = _refused(entries, clinical, "rtstruct_contour")
    assert message == (f"RTSTRUCT {path} was drawn on series 1.2.826.0.1.99, not on this row's image (series "
                       f"{datasets[0].SeriesInstanceUID}): give the image series it refers to")


def test_contours_outside_the_image_or_between_slices_are_named(ct, tmp_path):
    folder, datasets = ct
    path = write_rtstruct(tmp_path / "rs.dcm", datasets,
                          {"Liver": ROIS["Liver"], "Outside": [square(2, 4, 2, 4, 1), square(10, 18, 3, 5, 2)],
                           "Between": [square(2, 4, 2, 4, 1.5)]})
    entries, clinical = _manifest(tmp_path, path, roi="Outside")
    message = _refused(entries, clinical, "rtstruct_contour")
    assert message.startswith(f"RTSTRUCT {path}, ROI 'Outside', contour 2 (slice 3 of 4, z = 40.00 mm) lies outside "
                              "the image: point (")
    assert message.endswith("mm is beyond its 16 x 16 x 4 voxels")
    entries["roi"] = "Between"
    assert _refused(entries, clinical, "rtstruct_contour").startswith(
        f"RTSTRUCT {path}, ROI 'Between', contour 1 (z = 37.50 mm) does not lie on one image slice")


def test_a_series_with_a_missing_or_misplaced_slice_is_refused(ct, tmp_path):
    folder, datasets = ct
    path = write_rtstruct(tmp_path / "rs.dcm", datasets, ROIS)
    (folder / "slice002.dcm").unlink()
    entries, clinical = _manifest(tmp_path, path, roi="Tumour")
    assert _refused(entries, clinical, "dicom_slices") == (
        f"DICOM series {folder}: 1 slice(s) missing between slice001.dcm (instance 2, at 35.00 mm) and slice003.dcm "
        "(instance 4, at 45.00 mm): 10.00 mm apart where the other slices are 5.00 mm apart; the volume would be "
        "distorted. Export the complete series.")
    with pytest.raises(CaseError, match="1 slice\\(s\\) missing between slice001.dcm"):
        compute_features(folder, path, 2, ExtractionSpec.from_dict({"params": SHAPE_PARAMS}))

    uneven = tmp_path / "uneven"
    write_ct_series(uneven, np.zeros((5, 8, 8), np.int16), SPACING, ORIGIN)
    moved = pydicom.dcmread(uneven / "slice003.dcm")
    moved.ImagePositionPatient = [ORIGIN[0], ORIGIN[1], ORIGIN[2] + 17.0]
    moved.save_as(uneven / "slice003.dcm")
    with pytest.raises(ValueError, match=r"uneven slice spacing between slice002.dcm \(instance 3, at 40.00 mm\) and "
                                         r"slice003.dcm \(instance 4, at 47.00 mm\).*\(2 such steps in all\)"):
        read_image(uneven)


def test_the_extract_manifest_takes_an_roi_name(ct, tmp_path):
    from hccdash.extraction.manifest import manifest_images as read_extract_manifest

    folder, datasets = ct
    path = write_rtstruct(tmp_path / "rs.dcm", datasets, ROIS)
    manifest = tmp_path / "extract.csv"
    manifest.write_text(f"patient_id,phase,image,mask,roi\nP1,portal,{folder},{path},tumour\n")
    assert read_extract_manifest(manifest)["label"].tolist() == [2]
    manifest.write_text(f"patient_id,phase,image,mask,roi\nP1,portal,{folder},{path},GTV\n")
    with pytest.raises(ValueError, match=f"{manifest}, row 2: RTSTRUCT {path} has no ROI named 'GTV'; its "
                                         "ROIs: 1 'Liver'"):
        read_extract_manifest(manifest)
