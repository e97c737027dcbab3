"""The exact clinical-size speed-ups: pyradiomics on the image cut to what it reads, one image read for
all its masks, gives the features of plain pyradiomics (hccdash.extraction.precrop, case.extract_cases)."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from hccdash.extraction import case as case_module
from hccdash.extraction.case import Case, compute_features, extract_cases, numeric_features
from hccdash.extraction.params import ExtractionSpec
from hccdash.extraction.precrop import crop_for_pyradiomics

FEATURES = {"shape": [], "firstorder": [], "glcm": ["Contrast", "JointEntropy"], "glszm": ["ZoneEntropy"]}
RESAMPLED = {"binWidth": 25.0, "resampledPixelSpacing": [1.0, 1.0, 1.0], "interpolator": "sitkBSpline",
             "preCrop": True}


def _write(path, array, spacing=(0.703125, 0.703125, 5.0)):
    image = sitk.GetImageFromArray(array)
    image.SetSpacing(spacing)
    image.SetOrigin((-40.0, -30.0, 12.5))
    sitk.WriteImage(image, str(path))
    return str(path)


@pytest.fixture
def ct(tmp_path):
    """A 160 x 160 x 24 CT-like image, a tumour and a second reader's larger one, and a tumour at the border."""
    rng = np.random.default_rng(7)
    z, y, x = np.mgrid[0:24, 0:160, 0:160]
    ball = ((x - 70) * 0.703125) ** 2 + ((y - 90) * 0.703125) ** 2 + ((z - 11) * 5.0) ** 2 <= 14.0**2
    wider = ((x - 71) * 0.703125) ** 2 + ((y - 90) * 0.703125) ** 2 + ((z - 11) * 5.0) ** 2 <= 16.0**2
    edge = ((x - 3) * 0.703125) ** 2 + ((y - 90) * 0.703125) ** 2 + ((z - 1) * 5.0) ** 2 <= 9.0**2
    values = 60 + 55 * ball + rng.normal(0, 15, ball.shape)
    return {
        "image": _write(tmp_path / "ct.nii.gz", values.astype(np.int16)),
        "mr": _write(tmp_path / "mr.nrrd", (400 + 300 * ball + rng.gamma(2, 40, ball.shape)).astype(np.float32)),
        "r1": _write(tmp_path / "r1.nii.gz", ball.astype(np.uint8)),
        "r2": _write(tmp_path / "r2.nii.gz", wider.astype(np.uint8)),
        "edge": _write(tmp_path / "edge.nii.gz", edge.astype(np.uint8)),
    }


def _plain(image, mask, spec: ExtractionSpec) -> dict[str, float]:
    from radiomics.featureextractor import RadiomicsFeatureExtractor

    return numeric_features(RadiomicsFeatureExtractor(spec.params).execute(image, mask))


def _assert_same(ours: dict[str, float], plain: dict[str, float]) -> None:
    assert ours.keys() == plain.keys()
    worst = max(abs(ours[k] - v) / max(abs(v), 1e-300) for k, v in plain.items() if v)
    assert worst <= 1e-9, worst


SETTINGS = {
    "resampled, B-spline": {"setting": RESAMPLED},
    "resampled, LoG and wavelet": {"setting": RESAMPLED, "imageType": {"Original": {}, "LoG": {"sigma": [1.0, 3.0]},
                                                                       "Wavelet": {}}},
    "preCrop, no resampling": {"setting": {"binWidth": 25.0, "preCrop": True}},
    "in-plane resampling only": {"setting": {**RESAMPLED, "resampledPixelSpacing": [1.0, 1.0, 0.0]}},
}


@pytest.mark.parametrize("name", list(SETTINGS))
@pytest.mark.parametrize("mask", ["r1", "edge"])
def test_features_equal_plain_pyradiomics(ct, name, mask):
    params = {"imageType": {"Original": {}}, "featureClass": FEATURES, **SETTINGS[name]}
    spec = ExtractionSpec.from_dict({"params": params})
    _assert_same(compute_features(ct["image"], ct[mask], 1, spec), _plain(ct["image"], ct[mask], spec))


def test_normalised_mri_equals_plain_pyradiomics(ct):
    setting = {**RESAMPLED, "normalize": True, "normalizeScale": 100.0, "binWidth": 5.0}
    spec = ExtractionSpec.from_dict({"params": {"imageType": {"Original": {}}, "featureClass": FEATURES,
                                                "setting": setting}})
    _assert_same(compute_features(ct["mr"], ct["r1"], 1, spec), _plain(ct["mr"], ct["r1"], spec))


def test_the_crop_keeps_what_pyradiomics_reads_and_nothing_is_cut_when_it_would_change_features(ct):
    image, mask = sitk.ReadImage(ct["image"]), sitk.ReadImage(ct["r1"])
    resampling = {"resampledPixelSpacing": [1.0, 1.0, 1.0], "interpolator": "sitkBSpline", "padDistance": 5}
    cropped, same_mask = crop_for_pyradiomics(image, mask, 1, resampling)
    assert same_mask is mask and cropped.GetSize()[0] < 160 and cropped.GetSize()[2] == 24  # 5 mm z: whole
    assert cropped.GetOrigin()[0] > image.GetOrigin()[0]
    boxed, boxed_mask = crop_for_pyradiomics(image, mask, 1, {"preCrop": True, "padDistance": 5})
    width = np.ptp(np.nonzero(sitk.GetArrayFromImage(mask))[2]) + 1
    assert boxed.GetSize() == boxed_mask.GetSize() and boxed.GetSize()[0] == width + 2 * 6  # box + (pad + 1) each side
    for settings in ({**resampling, "normalize": True}, {"padDistance": 5}):
        assert crop_for_pyradiomics(image, mask, 1, settings) == (image, mask)
    assert crop_for_pyradiomics(image, mask, 3, resampling) == (image, mask)  # absent label: pyradiomics says so
    moved = sitk.Image(mask)
    moved.SetOrigin((0.0, 0.0, 0.0))
    assert crop_for_pyradiomics(image, moved, 1, resampling) == (image, moved)


def test_one_image_is_read_once_for_both_readers(ct, monkeypatch):
    spec = ExtractionSpec.from_dict({"params": {"imageType": {"Original": {}}, "featureClass": FEATURES,
                                                "setting": RESAMPLED}})
    reads = []
    read = case_module.read_image
    monkeypatch.setattr(case_module, "read_image", lambda path: reads.append(path) or read(path))
    cases = [Case(f"k{i}", ct["image"], ct[m], 1, "i", m) for i, m in enumerate(("r1", "r2", "edge"))]
    results = extract_cases(cases, spec)
    assert reads == [ct["image"]] and [r.status for r in results] == ["done"] * 3
    for result, mask in zip(results, ("r1", "r2", "edge")):
        _assert_same(result.features, _plain(ct["image"], ct[mask], spec))
    failing = extract_cases([Case("k", ct["image"], ct["r1"], 4, "i", "m"), cases[0]], spec)
    assert [r.status for r in failing] == ["failed", "done"] and "no voxel with label 4" in failing[0].error
