"""Preprocessing: largest axial cross-section ROI, N4 bias-field correction, 2D extraction."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from hccdash.extraction.case import compute_features
from hccdash.extraction.params import spec_from_yaml
from hccdash.extraction.preprocess import largest_axial_section, n4_bias_correction


def test_largest_axial_section_keeps_the_slice_with_most_voxels():
    array = np.zeros((5, 8, 8), dtype=np.uint8)
    array[1, 2:4, 2:4] = 1  # 4 voxels
    array[3, 1:6, 1:5] = 1  # 20 voxels: the largest
    array[3, 7, 7] = 2  # another label, kept as is on that slice
    array[4, 0:6, 0:6] = 2  # other label's bigger slice does not count
    mask = sitk.GetImageFromArray(array)
    mask.SetSpacing((0.7, 0.7, 5.0))
    out = largest_axial_section(mask, label=1)
    result = sitk.GetArrayFromImage(out)
    assert (result[3] == array[3]).all()
    assert result[[0, 1, 2, 4]].sum() == 0
    assert out.GetSpacing() == mask.GetSpacing()
    with pytest.raises(ValueError, match="no voxel with label 9"):
        largest_axial_section(mask, label=9)


def test_n4_removes_a_smooth_multiplicative_bias():
    z, y, x = np.mgrid[0:24, 0:64, 0:64].astype(float)
    rng = np.random.default_rng(0)
    body = (x - 32) ** 2 + (y - 32) ** 2 < 28**2  # tissue in air, as in an MRI volume
    tissue = np.where(body, 100 + 5 * rng.standard_normal(x.shape), 2 + rng.standard_normal(x.shape).clip(-2, 2))
    bias = np.exp(0.4 * (x / 63 - 0.5))  # +-20 % from left to right
    corrected = sitk.GetArrayFromImage(n4_bias_correction(sitk.GetImageFromArray((tissue * bias).astype(np.float32))))

    def left_right_ratio(volume):
        return volume[body & (x < 16)].mean() / volume[body & (x > 48)].mean()

    assert left_right_ratio(tissue * bias) < 0.78
    assert abs(left_right_ratio(corrected) - 1) < 0.03


def test_2d_roi_extracts_2d_shape_and_texture(reference, tmp_path):
    data = reference / "pyradiomics" / "data"
    spec = spec_from_yaml(
        "imageType: {Original: {}}\nfeatureClass: {shape: [], glcm: [Contrast]}\nsetting: {binWidth: 25}\n", roi="2d"
    )
    features = compute_features(data / "breast1_image.nrrd", data / "breast1_label.nrrd", 1, spec)
    assert "original_shape2D_PixelSurface" in features and "original_shape_VoxelVolume" not in features
    mask = sitk.GetArrayFromImage(sitk.ReadImage(str(data / "breast1_label.nrrd")))
    largest = max((mask[k] == 1).sum() for k in range(mask.shape[0]))
    spacing = sitk.ReadImage(str(data / "breast1_label.nrrd")).GetSpacing()
    assert features["original_shape2D_PixelSurface"] == pytest.approx(largest * spacing[0] * spacing[1])
