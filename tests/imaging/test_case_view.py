"""One patient x phase of a stored cohort with each reader's outline (hccdash.imaging.case_view)."""

from __future__ import annotations

import pandas as pd
import pytest
from cohort_data import make_cohort

from hccdash.cohort import import_cohort
from hccdash.extraction.matrices import cohort_images
from hccdash.imaging.case_view import best_slice, case_rows, load_case_view


@pytest.fixture
def tiny_cohort(tmp_path) -> str:
    files = make_cohort(tmp_path / "tiny", n=6, repeat=2)
    assert import_cohort("tiny", pd.read_csv(files["clinical"]), images=files["manifest"]).ok
    return "tiny"


def test_both_readers_and_their_dice(tiny_cohort):
    view = load_case_view(cohort_images(tiny_cohort), "P001", "arterial")
    assert sorted(view.rois) == ["1", "2"] and view.labels == {"1": 1, "2": 1} and not view.problems
    assert view.rois["1"].sum() == 32 and view.rois["2"].sum() == 31  # reader 2 left out one voxel
    agreement = view.agreement()
    assert agreement[["first", "second"]].values.tolist() == [["1", "2"]]
    assert agreement["dice"].iloc[0] == pytest.approx(2 * 31 / 63)
    assert best_slice(view.volume.shape, "axial", view.rois["1"]) == 1  # cube on z 1..2: first of the largest
    assert best_slice(view.volume.shape, "coronal") == 3


def test_a_reader_whose_mask_cannot_be_read_is_named(tiny_cohort):
    images = cohort_images(tiny_cohort)
    broken = images.copy()
    broken.loc[(broken["patient_id"] == "P001") & (broken["reader"] == "2"), "mask_path"] = "/nowhere/mask.nii.gz"
    view = load_case_view(broken, "P001", "portal")
    assert list(view.rois) == ["1"] and "/nowhere/mask.nii.gz" in view.problems["2"]
    with pytest.raises(ValueError, match="no image of patient 'P999', phase 'portal'"):
        case_rows(images, "P999", "portal")
