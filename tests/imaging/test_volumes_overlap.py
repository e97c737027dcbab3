"""Volumes remembered per file, ROIs on the image grid, and Dice (hccdash.imaging.volumes / overlap)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from cohort_data import cube_mask, write_volume

from hccdash.imaging.overlap import dice
from hccdash.imaging.volumes import load_roi, load_volume


def test_dice_of_known_overlaps():
    first = np.zeros((2, 5, 5), bool)
    second = np.zeros((2, 5, 5), bool)
    first[0, :2] = True  # 10 voxels
    second[0, 1:3] = True  # 10 voxels, 5 shared
    assert dice(first, second) == 0.5
    assert dice(first, first) == 1.0 and dice(first, ~first) == 0.0
    assert np.isnan(dice(np.zeros(3, bool), np.zeros(3, bool)))
    with pytest.raises(ValueError, match="not on one grid"):
        dice(first, np.zeros((2, 5, 4), bool))


def test_volume_is_read_once_and_again_after_a_change(tmp_path):
    path = write_volume(tmp_path / "ct.nii.gz", np.full((4, 8, 8), 40, np.int16))
    first = load_volume(path)
    assert load_volume(path) is first and first.spacing == pytest.approx((0.7, 0.7, 5.0))
    write_volume(path, np.full((4, 8, 8), 90, np.int16))
    os.utime(path, ns=(1, 2))  # a different mtime even on coarse file systems
    assert load_volume(path).array.max() == 90


def test_roi_is_the_label_on_the_image_grid(tmp_path):
    image = write_volume(tmp_path / "ct.nii.gz", np.zeros((4, 8, 8), np.int16))
    labels = cube_mask(2)
    labels[0, 0, 0] = 1
    mask = write_volume(tmp_path / "mask.nii.gz", labels)
    roi = load_roi(mask, image, 2)
    assert roi.dtype == bool and roi.sum() == 32 and not roi.flags.writeable
    assert load_roi(mask, image, 1).sum() == 1
    small = write_volume(tmp_path / "small.nii.gz", np.ones((4, 8, 6), np.uint8))
    with pytest.raises(ValueError, match=r"small.nii.gz \(\(6, 8, 4\)\) is not on the grid of the image"):
        load_roi(small, image, 1)


def test_positions_map_slices_between_grids():
    from hccdash.imaging.volumes import Volume

    coarse = Volume(np.zeros((4, 2, 2)), (1.0, 1.0, 5.0), (0.0, 0.0, 10.0))
    fine = Volume(np.zeros((12, 2, 2)), (1.0, 1.0, 1.0), (0.0, 0.0, 18.0))
    assert coarse.position(0, 2) == 20.0 and fine.index_at(0, 20.0) == 2
    assert fine.index_at(0, coarse.position(0, 0)) is None and fine.index_at(0, coarse.position(0, 3)) == 7
    assert fine.index_at(0, 30.0) is None and fine.index_at(0, 29.4) == 11
