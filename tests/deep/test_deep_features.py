"""Deep features of one case equal a numpy computation of the same network on the same input."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from hccdash.deep import DeepSettings, case_features, get_network, list_networks
from hccdash.deep.slices import case_slices, lps_arrays, resize_bilinear, slice_crops
from hccdash.extraction.case import CaseError

from deep_helpers import SIZE, numpy_features, synthetic_case


def test_registration_records_the_network_facts(small, cnn_file):
    assert (small.input_size, small.channels, small.output_node, small.n_features) == ((SIZE, SIZE), 3, "pool", 4)
    assert small.mean == (0.485, 0.456, 0.406) and small.sd == (0.229, 0.224, 0.225)
    assert small.feature_names() == ["dl.small.0000", "dl.small.0001", "dl.small.0002", "dl.small.0003"]
    import hashlib

    assert small.sha256 == hashlib.sha256(cnn_file.read_bytes()).hexdigest()
    table = list_networks()
    assert table[["name", "input", "output_node", "n_features"]].values.tolist() == [["small", "3 x 32 x 32", "pool", 4]]
    assert get_network(small.sha256) == small


def test_features_equal_numpy_on_the_same_input(small):
    image, mask = synthetic_case(1)
    settings = DeepSettings(margin=3, min_area=10)
    features = case_features(image, mask, "small", settings)
    array, roi = lps_arrays(image, mask, None)
    slices = case_slices(array, roi, small, settings)
    expected = numpy_features(slices.batch).mean(axis=0)
    assert list(features.index) == small.feature_names()
    np.testing.assert_allclose(features.to_numpy(), expected, rtol=0, atol=1e-5)
    assert np.ptp(numpy_features(slices.batch), axis=0).max() > 1e-3  # slices differ: the mean is a real pooling

    largest = case_features(image, mask, small, DeepSettings(margin=3, min_area=10, pooling="largest"))
    np.testing.assert_allclose(largest.to_numpy(), numpy_features(slices.batch)[slices.largest], atol=1e-5)


def test_input_is_cropped_windowed_resized_and_normalised(small):
    """The first kept slice, built by hand: box + margin, CT window to 0..1, resize, ImageNet mean / sd."""
    image, mask = synthetic_case(0)
    settings = DeepSettings(margin=2, min_area=10, ct_window=(300.0, 50.0))
    array, roi = lps_arrays(image, mask, 1)
    crops = slice_crops(roi, settings)
    first = crops[0]
    ys, xs = np.nonzero(roi[first.z])
    assert (first.y0, first.y1, first.x0, first.x1) == (ys.min() - 2, ys.max() + 3, xs.min() - 2, xs.max() + 3)
    assert all(c.area >= 10 for c in crops) and first.area == roi[first.z].sum()
    crop = array[first.z, first.y0:first.y1, first.x0:first.x1]
    unit = np.clip((crop - (50 - 150)) / 300, 0, 1)
    resized = resize_bilinear(unit, SIZE, SIZE)
    batch = case_slices(array, roi, small, settings).batch
    np.testing.assert_allclose(batch[0, 1], (resized - 0.456) / 0.224, atol=1e-5)
    np.testing.assert_allclose(batch[0, 0], (resized - 0.485) / 0.229, atol=1e-5)  # the grey slice on every channel


def test_bilinear_resize_matches_pixel_centre_interpolation():
    array = np.array([[0.0, 1.0], [2.0, 3.0]])
    out = resize_bilinear(array, 4, 4)
    # output pixel centres at input positions -0.25, 0.25, 0.75, 1.25 (clamped to 0..1)
    np.testing.assert_allclose(out[0], [0, 0.25, 0.75, 1])
    np.testing.assert_allclose(out[:, 0], [0, 0.5, 1.5, 2])
    assert resize_bilinear(np.arange(12.0).reshape(3, 4), 3, 4).tolist() == np.arange(12.0).reshape(3, 4).tolist()


def test_mr_percentiles_map_the_crops_voxels(small):
    image, mask = synthetic_case(2)
    settings = DeepSettings(modality="MR", mr_percentiles=(5.0, 95.0), min_area=10, margin=0)
    array, roi = lps_arrays(image, mask, 1)
    crops = slice_crops(roi, settings)
    voxels = np.concatenate([array[c.z, c.y0:c.y1, c.x0:c.x1].ravel() for c in crops])
    low, high = np.percentile(voxels, [5, 95])
    batch = case_slices(array, roi, small, settings).batch
    unit = batch[:, 0] * 0.229 + 0.485
    assert unit.min() == pytest.approx(0, abs=1e-6) and unit.max() == pytest.approx(1, abs=1e-6)
    crop = array[crops[0].z, crops[0].y0:crops[0].y1, crops[0].x0:crops[0].x1]
    expected = resize_bilinear(np.clip((crop - low) / (high - low), 0, 1), SIZE, SIZE)
    np.testing.assert_allclose(unit[0], expected, atol=1e-5)


def test_a_mask_without_a_large_enough_slice_is_named(small):
    image, mask = synthetic_case(0)
    with pytest.raises(CaseError, match=r"The mask \(label 1\) has no axial slice with at least 5000 ROI pixels "
                                        r"\(the largest has \d+\)"):
        case_features(image, mask, small, DeepSettings(min_area=5000), label=1)
    empty = sitk.Image(mask.GetSize(), sitk.sitkUInt8)
    empty.CopyInformation(mask)
    with pytest.raises(CaseError, match=r"the largest has 0"):
        case_features(image, empty, small)


def test_a_mask_off_the_image_grid_is_refused(small):
    image, mask = synthetic_case(0)
    moved = sitk.Image(mask)
    moved.SetOrigin((5.0, 0.0, 0.0))
    with pytest.raises(CaseError, match="does not lie on the voxel grid"):
        case_features(image, moved, small)


@pytest.mark.parametrize("bad", [{"pooling": "max"}, {"modality": "PET"}, {"margin": -1}, {"ct_window": (0, 40)},
                                 {"mr_percentiles": (99, 1)}])
def test_bad_settings_are_named(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        DeepSettings(**bad)
    with pytest.raises(ValueError, match="Unknown deep-feature setting"):
        DeepSettings.from_dict({"margn": 3})


def test_only_the_roi_box_is_read_and_the_features_are_the_same(small):
    image, mask = synthetic_case(4, shape=(12, 60, 70))
    roi = sitk.GetArrayFromImage(mask)
    roi[:3] = 0  # no ROI on the first slices: the box starts further in
    roi[-2:] = 0
    trimmed = sitk.GetImageFromArray(roi)
    trimmed.CopyInformation(mask)
    settings = DeepSettings(margin=1, min_area=5, modality="MR")
    whole_image, whole_roi = lps_arrays(image, trimmed, 1)
    part_image, part_roi = lps_arrays(image, trimmed, 1, margin=1)
    assert part_image.shape[0] == 9 and part_image.shape[1] < 60 and part_image.shape[2] < 70  # ROI on slices 3..9
    whole = numpy_features(case_slices(whole_image, whole_roi, small, settings).batch).mean(axis=0)
    np.testing.assert_allclose(case_features(image, trimmed, small, settings, label=1).to_numpy(), whole, atol=1e-5)
