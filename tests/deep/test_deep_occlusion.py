"""Occlusion-sensitivity maps: where the features change when part of the slice is hidden, drawn on the slice."""

from __future__ import annotations

import numpy as np
import pytest

from hccdash.deep import DeepSettings, register_network
from hccdash.deep.occlusion import occlusion_map, occlusion_png, patch_starts
from hccdash.deep.slices import case_slices, lps_arrays, resize_bilinear
from hccdash.extraction.case import CaseError
from hccdash.imaging.render import HEAT_ALPHA, HEAT_ANCHORS, Window, heat_colours, render_heat, render_rgb
from hccdash.imaging.volumes import Volume

from deep_helpers import SIZE, numpy_features, synthetic_case


def test_patch_starts_cover_the_input():
    assert patch_starts(32, 8, 8) == [0, 8, 16, 24]
    assert patch_starts(32, 10, 8) == [0, 8, 16, 22]
    assert patch_starts(8, 16, 4) == [0]


def test_map_equals_the_numpy_network_occluded_patch_by_patch(small):
    image, mask = synthetic_case(3)
    settings = DeepSettings(min_area=10, margin=2, occlusion_patch=8, occlusion_stride=8)
    array, roi = lps_arrays(image, mask, 1)
    slices = case_slices(array, roi, small, settings)
    at = slices.largest
    crop = slices.crops[at]
    result = occlusion_map(array, roi, None, small, settings)
    assert (result.z, result.n_passes) == (crop.z, 16 + 1)
    original = slices.batch[at]
    base = numpy_features(original[None])[0]
    expected = np.zeros((SIZE, SIZE))
    for top in range(0, SIZE, 8):
        for left in range(0, SIZE, 8):
            hidden = original.copy()
            hidden[:, top:top + 8, left:left + 8] = 0
            expected[top:top + 8, left:left + 8] = np.linalg.norm(numpy_features(hidden[None])[0] - base)
    on_crop = resize_bilinear(expected, crop.y1 - crop.y0, crop.x1 - crop.x0)
    assert result.peak == pytest.approx(on_crop.max(), rel=1e-5)
    np.testing.assert_allclose(result.heat[crop.y0:crop.y1, crop.x0:crop.x1], on_crop / on_crop.max(), atol=1e-5)
    outside = np.ones(result.heat.shape, bool)
    outside[crop.y0:crop.y1, crop.x0:crop.x1] = False
    assert not result.heat[outside].any()


def test_the_map_finds_the_only_structure_in_the_slice(cnn_file):
    """On a slice that is the network's mean grey but for one bright square, only patches over the square matter."""
    network = register_network(cnn_file, "grey", mean=(0.5, 0.5, 0.5), sd=(0.25, 0.25, 0.25))
    image = np.zeros((1, 64, 64), np.float32)  # 0 HU: unit 0.5 under the window (100, 0), i.e. 0 after mean / sd
    image[0, 12:20, 12:20] = 40.0
    roi = np.zeros(image.shape, bool)
    roi[0, 8:56, 8:56] = True  # crop = 48 x 48 pixels
    settings = DeepSettings(margin=0, min_area=10, ct_window=(100.0, 0.0), occlusion_patch=8, occlusion_stride=8)
    result = occlusion_map(image, roi, 0, network, settings)
    heat = result.heat
    assert heat[8:56, 8:56][heat[8:56, 8:56] > 0.5].size and heat[14:18, 14:18].min() > 0.5
    assert heat[40:56, 40:56].max() == 0  # far from the square: occluding grey changes nothing
    weighted = occlusion_map(image, roi, 0, network, settings, weights=np.array([1.0, 0, 0, 0]))
    assert weighted.heat[40:56, 40:56].max() == 0 and weighted.n_passes == result.n_passes
    with pytest.raises(ValueError, match="need 4 values"):
        occlusion_map(image, roi, 0, network, settings, weights=np.ones(3))


def test_a_slice_without_features_is_named(small):
    image, mask = synthetic_case(0)
    array, roi = lps_arrays(image, mask, 1)
    with pytest.raises(CaseError, match=r"Slice 0 is not one deep features are taken from \(slices with at least 150 ROI pixels: 1, 2, 3, 4\)"):
        occlusion_map(array, roi, 0, small, DeepSettings(min_area=150))


def test_heat_is_blended_over_the_rendered_slice():
    assert heat_colours(np.array([0.0, 0.5, 1.0, 2.0])).tolist() == [list(HEAT_ANCHORS[0]), list(HEAT_ANCHORS[2]),
                                                                     list(HEAT_ANCHORS[-1]), list(HEAT_ANCHORS[-1])]
    volume = Volume(np.tile(np.linspace(-100, 200, 512, dtype=np.float32), (2, 512, 1)), (1.0, 1.0, 1.0))
    heat = np.zeros((512, 512))
    heat[:256, :256] = 1.0
    window = Window(400, 40)
    plain, shown = render_rgb(volume, "axial", 1, window), render_heat(volume, "axial", 1, window, heat)
    assert shown.shape == plain.shape == (512, 512, 3)
    assert (shown[300:, 300:] == plain[300:, 300:]).all()
    expected = np.round(plain[10, 10] * (1 - HEAT_ALPHA) + np.array(HEAT_ANCHORS[-1]) * HEAT_ALPHA)
    assert shown[10, 10].tolist() == expected.tolist()
    with pytest.raises(ValueError, match="cannot be drawn"):
        render_heat(volume, "axial", 1, window, heat[:10])


def test_occlusion_png_is_an_image_of_the_slice(small):
    from io import BytesIO

    from PIL import Image

    image, mask = synthetic_case(1)
    array, roi = lps_arrays(image, mask, 1)
    result = occlusion_map(array, roi, None, small, DeepSettings(min_area=10))
    volume = Volume(array, (0.8, 0.7, 2.0))
    picture = Image.open(BytesIO(occlusion_png(volume, result, Window(400, 40))))
    assert picture.mode == "RGB" and max(picture.size) >= 512
