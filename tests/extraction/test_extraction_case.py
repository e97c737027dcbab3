"""Bad cases fail with a plain message naming the file: labels, grids, tiny ROIs, NaN voxels, unreadable files."""

from __future__ import annotations

import re

import numpy as np
import pytest
import SimpleITK as sitk
from radiomics.featureextractor import RadiomicsFeatureExtractor

from hccdash.extraction import case as case_module
from hccdash.extraction.case import CaseError, compute_features, nonfinite_voxels, numeric_features
from hccdash.extraction.params import ExtractionSpec

from extraction_helpers import TINY_PARAMS


def _write(array: np.ndarray, path, spacing=(1.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0)) -> str:
    image = sitk.GetImageFromArray(array)
    image.SetSpacing(spacing)
    image.SetOrigin(origin)
    sitk.WriteImage(image, str(path))
    return str(path)


@pytest.fixture
def cube(tmp_path):
    """A 12^3 float image and a mask whose label 1 is a 4^3 cube (64 voxels) and label 3 one voxel."""
    rng = np.random.default_rng(0)
    values = rng.normal(100, 20, (12, 12, 12)).astype(np.float32)
    labels = np.zeros((12, 12, 12), dtype=np.uint8)
    labels[4:8, 4:8, 4:8] = 1
    labels[0, 0, 0] = 3
    return values, labels, tmp_path


def _fails(image, mask, label=1, params=TINY_PARAMS) -> str:
    with pytest.raises(CaseError) as info:
        compute_features(image, mask, label, ExtractionSpec.from_dict({"params": params}))
    return str(info.value)


def test_absent_label_names_the_mask_and_its_labels(cube):
    values, labels, tmp = cube
    image, mask = _write(values, tmp / "i.nrrd"), _write(labels, tmp / "m.nrrd")
    assert _fails(image, mask, label=2) == (
        f"The mask {mask} has no voxel with label 2: its labels are 1 (64 voxels), 3 (1 voxels)."
    )
    empty = _write(np.zeros_like(labels), tmp / "empty.nrrd")
    assert _fails(image, empty) == f"The mask {empty} has no voxel with label 1: it is empty (every voxel is 0)."
    two_d = {**TINY_PARAMS, "setting": {"binWidth": 25, "force2D": True}}
    with pytest.raises(CaseError, match=re.escape(f"The mask {mask} has no voxel with label 2: its labels are 1")):
        compute_features(image, mask, 2, ExtractionSpec.from_dict({"params": two_d, "roi": "2d"}))


@pytest.mark.parametrize(
    ("mask_geometry", "what"),
    [
        ({"spacing": (1.5, 1.0, 1.0)}, "spacing differs"),
        ({"origin": (0.0, 2.0, 0.0)}, "origin differs"),
        ({"spacing": (2.0, 2.0, 2.0), "origin": (1.0, 1.0, 1.0)}, "spacing and origin differ"),
    ],
)
def test_mask_off_the_image_grid_names_both_geometries(cube, mask_geometry, what):
    values, labels, tmp = cube
    image, mask = _write(values, tmp / "i.nrrd"), _write(labels, tmp / "m.nrrd", **mask_geometry)
    spacing = " x ".join(f"{s:g}" for s in mask_geometry.get("spacing", (1, 1, 1)))
    origin = ", ".join(f"{o:g}" for o in mask_geometry.get("origin", (0, 0, 0)))
    expected = (
        f"The mask {mask} does not lie on the voxel grid of the image {image} ({what}): "
        "image size 12 x 12 x 12, spacing 1 x 1 x 1 mm, origin (0, 0, 0) mm; "
        f"mask size 12 x 12 x 12, spacing {spacing} mm, origin ({origin}) mm."
    )
    assert _fails(image, mask).startswith(expected)
    # when it resamples, pyradiomics places the mask by its own geometry (a cropped 3D Slicer
    # segmentation, say): hccdash does the same, to the last digit
    resampled = {**TINY_PARAMS, "setting": {"binWidth": 25, "resampledPixelSpacing": [1, 1, 1]}}
    if what == "spacing and origin differ":  # this mask (24 mm wide) overhangs the 12 mm image
        assert "reaches outside the image" in _fails(image, mask, params=resampled)
        return
    ours = compute_features(image, mask, 1, ExtractionSpec.from_dict({"params": resampled}))
    assert ours == numeric_features(RadiomicsFeatureExtractor(resampled).execute(str(image), str(mask)))
    corrected = {**TINY_PARAMS, "setting": {"binWidth": 25, "correctMask": True}}
    if what == "origin differs":  # the user asked pyradiomics to resample the mask onto the image
        assert compute_features(image, mask, 1, ExtractionSpec.from_dict({"params": corrected}))


def test_roi_outside_the_image(cube):
    values, labels, tmp = cube
    image, mask = _write(values, tmp / "i.nrrd"), _write(labels, tmp / "m.nrrd", origin=(0.0, 5.0, 0.0))
    corrected = {**TINY_PARAMS, "setting": {"binWidth": 25, "correctMask": True}}
    assert _fails(image, mask, params=corrected).startswith(
        f"The ROI (label 1 of the mask {mask}) reaches outside the image {image}: image size 12 x 12 x 12, "
        "spacing 1 x 1 x 1 mm, origin (0, 0, 0) mm; mask size 12 x 12 x 12, spacing 1 x 1 x 1 mm, origin (0, 5, 0) mm "
        "[pyradiomics: Bounding box of ROI is larger than image space"
    )


def test_mask_of_another_size(cube):
    values, labels, tmp = cube
    image, mask = _write(values, tmp / "i.nrrd"), _write(labels[:, :, :10], tmp / "m.nrrd")
    assert "(size differs): image size 12 x 12 x 12, " in _fails(image, mask)
    assert "; mask size 10 x 12 x 12, spacing 1 x 1 x 1 mm" in _fails(image, mask)


def test_roi_too_small_after_resampling(cube):
    values, labels, tmp = cube
    image, mask = _write(values, tmp / "i.nrrd"), _write(labels, tmp / "m.nrrd")
    coarse = {**TINY_PARAMS, "setting": {"binWidth": 25, "resampledPixelSpacing": [8, 8, 8]}}
    message = _fails(image, mask, params=coarse)
    assert message.startswith(
        f"The ROI (label 1 of the mask {mask}: 64 voxel(s) at 1 x 1 x 1 mm) is empty or too small for "
        "pyradiomics after resampling to 8 x 8 x 8 mm [pyradiomics: "
    )
    assert message.endswith(f"; image {image}")
    single = _fails(image, mask, label=3)
    assert single.startswith(f"The ROI (label 3 of the mask {mask}: 1 voxel(s) at 1 x 1 x 1 mm) is empty or too small")
    assert "for pyradiomics [pyradiomics: mask only contains 1 segmented voxel!" in single


def test_other_pyradiomics_errors_keep_their_text_after_the_files(tmp_path):
    image = _write(np.arange(64, dtype=np.int16).reshape(8, 8), tmp_path / "flat.nrrd", spacing=(1, 1), origin=(0, 0))
    labels = np.zeros((8, 8), dtype=np.uint8)
    labels[2:6, 2:6] = 1
    mask = _write(labels, tmp_path / "flat_mask.nrrd", spacing=(1, 1), origin=(0, 0))
    resampled = {**TINY_PARAMS, "setting": {"binWidth": 25, "resampledPixelSpacing": [1, 1, 1]}}  # 3 values, 2D image
    assert _fails(image, mask, params=resampled) == (
        f"pyradiomics failed on the image {image}, mask {mask} (label 1): "
        "AssertionError: Wrong dimensionality (3-D) of resampledPixelSpacing!, 2-D required"
    )


def test_nan_or_infinite_voxels_in_the_roi_fail_the_case(cube):
    values, labels, tmp = cube
    values[5, 5, 5], values[6, 6, 6], values[7, 4, 5] = np.nan, np.inf, -np.inf
    values[0, 11, 11] = np.nan  # outside the ROI: not counted
    image, mask = _write(values, tmp / "nan.nrrd"), _write(labels, tmp / "m.nrrd")
    assert _fails(image, mask) == (
        f"The image {image} has 3 NaN or infinite voxel(s) inside label 1 of the mask {mask}; "
        "pyradiomics would silently leave them out. Fix the image or the mask."
    )
    assert _fails(image, mask, params={**TINY_PARAMS, "setting": {"binWidth": 25, "correctMask": True}}).startswith(
        f"The image {image} has 3 NaN"
    )
    values[5, 5, 5] = values[6, 6, 6] = values[7, 4, 5] = 100.0  # only the NaN outside the ROI is left
    features = compute_features(_write(values, tmp / "ok.nrrd"), mask, 1, ExtractionSpec.from_dict({"params": TINY_PARAMS}))
    assert np.isfinite(features["original_firstorder_Mean"])


def test_integer_images_are_not_scanned_for_nan(cube, monkeypatch):
    values, labels, _ = cube
    image, mask = sitk.GetImageFromArray(values.astype(np.int16)), sitk.GetImageFromArray(labels)
    floats = sitk.GetImageFromArray(np.where(labels == 1, np.nan, values).astype(np.float64))
    assert nonfinite_voxels(floats, mask, 1) == 64

    def no_look(_image):
        raise AssertionError("voxels read")

    monkeypatch.setattr(case_module.sitk, "GetArrayViewFromImage", no_look)
    assert nonfinite_voxels(image, mask, 1) == 0


def test_unreadable_missing_and_non_dicom_inputs(cube):
    values, labels, tmp = cube
    image, mask = _write(values, tmp / "i.nrrd"), _write(labels, tmp / "m.nrrd")
    text = tmp / "notes.nii.gz"
    text.write_bytes(b"not an image at all")
    folder = tmp / "series"
    folder.mkdir()
    (folder / "readme.txt").write_text("no DICOM here")
    assert _fails(str(text), mask).startswith(
        f"The image {text} cannot be read: SimpleITK does not recognise it as an image (damaged, truncated, or not "
        f'an image file) [Unable to determine ImageIO reader for "{text}"]'
    )
    assert _fails(image, str(text)).startswith(f"The mask {text} cannot be read: SimpleITK does not recognise it")
    assert _fails(str(tmp / "gone.nrrd"), mask) == (
        f"The image file {tmp / 'gone.nrrd'} does not exist (moved or deleted since it was listed?)"
    )
    assert _fails(str(folder), mask) == f"The image folder {folder} holds no DICOM series (SimpleITK/GDCM found none)"
    assert "Exception thrown in SimpleITK" not in _fails(str(text), mask)


def test_out_of_memory_is_said_so(cube, monkeypatch):
    values, labels, tmp = cube
    image, mask = _write(values, tmp / "i.nrrd"), _write(labels, tmp / "m.nrrd")

    class Hungry:
        def execute(self, *args, **kwargs):
            raise MemoryError()

    monkeypatch.setattr(case_module, "_extractor", lambda spec: Hungry())
    assert _fails(image, mask).startswith(
        f"Out of memory extracting the image {image}, mask {mask}: use a coarser resampledPixelSpacing"
    )
