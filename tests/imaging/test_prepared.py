"""The image and ROI as pyradiomics sees them (hccdash.imaging.prepared), checked against pyradiomics' own output."""

from __future__ import annotations

import numpy as np
import pytest
from cohort_data import write_volume

from hccdash.extraction.case import CaseError, compute_features
from hccdash.extraction.params import ExtractionSpec
from hccdash.imaging.prepared import prepare_case

SHAPE_ONLY = {"imageType": {"Original": {}}, "featureClass": {"shape": [], "firstorder": ["Mean"]},
              "setting": {"binWidth": 25.0, "resampledPixelSpacing": [1.0, 1.0, 1.0], "interpolator": "sitkBSpline"}}


@pytest.fixture
def case(tmp_path):
    z, y, x = np.mgrid[0:12, 0:40, 0:40]
    ball = ((x - 20) * 0.7) ** 2 + ((y - 19) * 0.7) ** 2 + ((z - 6) * 5.0) ** 2 <= 11.0**2
    rng = np.random.default_rng(1)
    image = write_volume(tmp_path / "ct.nii.gz", (60 + 50 * ball + rng.normal(0, 10, ball.shape)).astype(np.int16))
    mask = write_volume(tmp_path / "mask.nii.gz", ball.astype(np.uint8))
    return image, mask, ball


def test_resampled_roi_is_the_one_pyradiomics_measures(case):
    image, mask, _ = case
    spec = ExtractionSpec.from_dict({"params": SHAPE_ONLY})
    prepared = prepare_case(image, mask, 1, spec)
    features = compute_features(image, mask, 1, spec)
    assert prepared.volume.spacing == (1.0, 1.0, 1.0)
    assert prepared.voxels == features["original_shape_VoxelVolume"]  # 1 mm^3 voxels: volume = voxel count
    assert prepared.volume.array[prepared.roi].mean() == pytest.approx(features["original_firstorder_Mean"], rel=1e-6)
    assert any(step.startswith("resampled (sitkBSpline) from 0.7 x 0.7 x 5 to 1 x 1 x 1 mm") for step in prepared.steps)


def test_2d_roi_keeps_the_largest_axial_section(case):
    image, mask, ball = case
    spec = ExtractionSpec.from_dict({"params": {**SHAPE_ONLY, "setting": {"binWidth": 25.0, "preCrop": True}},
                                     "roi": "2d"})
    prepared = prepare_case(image, mask, 1, spec)
    assert prepared.voxels == ball.sum(axis=(1, 2)).max()
    assert prepared.steps[0] == "ROI reduced to its largest axial cross-section"
    assert "cropped to the ROI + 5 voxels" in prepared.steps


def test_a_missing_label_is_explained_as_the_extraction_explains_it(case):
    image, mask, _ = case
    with pytest.raises(CaseError, match="has no voxel with label 3: its labels are 1"):
        prepare_case(image, mask, 3, ExtractionSpec.from_dict({"params": SHAPE_ONLY}))
