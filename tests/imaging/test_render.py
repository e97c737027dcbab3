"""Slices as PNG: windows, orientation, physical aspect, outlines (hccdash.imaging.render)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import SimpleITK as sitk
from PIL import Image

from hccdash.imaging.render import (
    PRESETS, Overlay, Window, display_size, outline, percentile_window, plane_count, plane_slice, plane_spacing, png,
    preset_window, render_rgb, render_slice, slices_with, to_grey,
)
from hccdash.imaging.volumes import Volume, as_volume

RED, BLUE = (255, 0, 0), (0, 0, 255)


def test_ct_presets_are_the_clinical_windows():
    liver, abdomen = PRESETS["CT liver (W150 / L60)"], PRESETS["CT abdomen (W400 / L40)"]
    assert (liver.low, liver.high) == (-15.0, 135.0)
    assert (abdomen.low, abdomen.high) == (-160.0, 240.0)
    grey = to_grey(np.array([-1000.0, -15.0, 60.0, 135.0, 2000.0, np.nan]), liver)
    assert grey.tolist() == [0, 0, 127, 255, 255, 0]


def test_mri_window_spans_the_1st_to_99th_percentile():
    values = np.random.default_rng(0).gamma(2.0, 150.0, size=(20, 30, 40))
    window = preset_window("MRI (1st to 99th percentile)", values)
    low, high = np.percentile(values, [1, 99])
    assert window.low == pytest.approx(low) and window.high == pytest.approx(high)
    assert percentile_window(values).width == pytest.approx(high - low)


def test_bad_windows_and_names_are_refused():
    with pytest.raises(ValueError, match="width above 0"):
        Window(0.0, 40.0)
    with pytest.raises(ValueError, match="Unknown window preset 'bone'"):
        preset_window("bone", np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="no finite voxel"):
        percentile_window(np.full((2, 2, 2), np.nan))


def test_planes_are_shown_the_radiological_way():
    """LPS array (z: inferior -> superior, y: anterior -> posterior, x: right -> left)."""
    array = np.arange(3 * 4 * 5).reshape(3, 4, 5)
    assert np.array_equal(plane_slice(array, "axial", 1), array[1])
    coronal = plane_slice(array, "coronal", 2)
    assert np.array_equal(coronal[0], array[2, 2, :])  # top row: the most superior slice
    sagittal = plane_slice(array, "sagittal", 4)
    assert np.array_equal(sagittal[0], array[2, :, 4]) and np.array_equal(sagittal[:, 0], array[::-1, 0, 4])
    assert [plane_count(array.shape, p) for p in ("axial", "coronal", "sagittal")] == [3, 4, 5]
    assert plane_spacing((0.7, 0.8, 5.0), "coronal") == (5.0, 0.7)
    with pytest.raises(ValueError, match="Slice 3 is outside the axial slices 0..2"):
        plane_slice(array, "axial", 3)
    with pytest.raises(ValueError, match="Unknown plane 'oblique'"):
        plane_count(array.shape, "oblique")


def test_a_ras_stored_image_is_turned_to_lps():
    """A NIfTI-style image with flipped x and y axes: the voxel at the patient's right-anterior-inferior
    corner comes first in the LPS array."""
    array = np.zeros((2, 3, 4), np.int16)
    array[0, 2, 3] = 7  # last x and y index: with direction diag(-1, -1, 1) the most right and anterior
    image = sitk.GetImageFromArray(array)
    image.SetDirection((-1, 0, 0, 0, -1, 0, 0, 0, 1))
    volume = as_volume(image)
    assert volume.array[0, 0, 0] == 7 and volume.array.sum() == 7
    assert not volume.array.flags.writeable


def test_display_size_keeps_the_physical_aspect():
    assert display_size(512, 512, 0.7, 0.7) == (512, 512)
    assert display_size(100, 512, 5.0, 0.7) == (714, 512)  # coronal: 5 mm slices stretched
    assert display_size(118, 118, 0.7, 0.7) == (512, 512)  # a small crop enlarged
    assert display_size(2000, 1000, 0.5, 0.5) == (1024, 512)


def test_outline_inside_and_outside_a_square():
    mask = np.zeros((9, 9), bool)
    mask[2:7, 2:7] = True
    inner, outer = outline(mask), outline(mask, outside=True)
    assert inner.sum() == 16 and not inner[3:6, 3:6].any() and inner[2, 2:7].all()
    assert outer.sum() == 20 and not (outer & mask).any() and outer[1, 2:7].all() and not outer[1, 1]


def _volume(shape=(5, 16, 16), spacing=(1.0, 1.0, 1.0)) -> Volume:
    return Volume(np.full(shape, 60.0), spacing)


def test_two_readers_stay_visible_where_they_agree():
    volume = _volume()
    roi = np.zeros(volume.shape, bool)
    roi[2, 4:12, 4:12] = True
    rgb = render_rgb(volume, "axial", 2, Window(150, 60), [Overlay(roi, RED), Overlay(roi, BLUE, outside=True)])
    scale = 512 // 16
    colours = {tuple(c) for c in rgb.reshape(-1, 3)}
    assert RED in colours and BLUE in colours and (127, 127, 127) in colours
    centre = rgb[8 * scale, 8 * scale]
    assert tuple(centre) == (127, 127, 127)  # grey inside, outlines only at the edge
    assert tuple(rgb[4 * scale, 8 * scale]) == RED and tuple(rgb[4 * scale - 1, 8 * scale]) == BLUE


def test_no_outline_on_a_slice_without_the_mask_and_png_round_trip():
    volume = _volume()
    roi = np.zeros(volume.shape, bool)
    roi[2, 4:8, 4:8] = True
    data = render_slice(volume, "axial", 0, Window(150, 60), [Overlay(roi, RED)])
    decoded = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))  # a palette PNG
    assert decoded.shape == (512, 512, 3) and (decoded == 127).all()
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png(decoded)))), decoded)
    assert slices_with(roi, "axial").tolist() == [2] and slices_with(roi, "sagittal").tolist() == [4, 5, 6, 7]
    outlined = render_slice(volume, "coronal", 5, Window(400, 40), [Overlay(roi, RED), Overlay(roi, BLUE, outside=True)])
    expected = render_rgb(volume, "coronal", 5, Window(400, 40), [Overlay(roi, RED), Overlay(roi, BLUE, outside=True)])
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(outlined)).convert("RGB")), expected)
    assert {RED, BLUE} <= {tuple(c) for c in expected.reshape(-1, 3)}


def test_a_mask_off_the_grid_is_refused():
    with pytest.raises(ValueError, match=r"shape \(5, 8, 8\) cannot be drawn on an image of shape \(5, 16, 16\)"):
        render_rgb(_volume(), "axial", 0, Window(150, 60), [Overlay(np.ones((5, 8, 8), bool), RED)])
