"""A multi-label mask used with a chosen label per analysis: tumour and liver feature sets coexist."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import SimpleITK as sitk

from hccdash import jobs
from hccdash.extraction.engine import cases_from_images, run_extraction
from hccdash.extraction.feature_sets import FeatureSet, case_outcome, cohort_feature_sets, feature_set_choices
from hccdash.extraction.job import start_extraction
from hccdash.extraction.matrices import cohort_images, feature_matrix, label_of
from hccdash.extraction.params import ExtractionSpec
from hccdash.settings import ExtractionSettings

from extraction_helpers import TINY_PARAMS, store_images

SHAPE_PARAMS = {**TINY_PARAMS, "featureClass": {"shape": ["VoxelVolume"], "firstorder": ["Mean"]}}


def _write(path, array, spacing=(1.0, 1.0, 1.0)) -> str:
    image = sitk.GetImageFromArray(array)
    image.SetSpacing(spacing)
    sitk.WriteImage(image, str(path))
    return str(path)


def _cohort(tmp_path, n: int = 3) -> None:
    """Liver (label 1 outside the tumour + label 2 tumour) as an automatic segmentation stores it."""
    rows = []
    for i in range(n):
        image = np.full((10, 20, 20), 60 + i, np.int16)
        labels = np.zeros(image.shape, np.uint8)
        labels[1:9, 2:18, 2:18] = 1  # liver: 8 x 16 x 16 = 2048 voxels, minus the tumour
        labels[3:6, 5:9, 5:9] = 2  # tumour: 3 x 4 x 4 = 48 voxels
        image[labels == 2] += 40
        rows.append({"patient_id": f"P{i}", "phase": "portal", "reader": "1", "label": 2,
                     "image": _write(tmp_path / f"ct{i}.nrrd", image), "mask": _write(tmp_path / f"seg{i}.nrrd", labels)})
    store_images(pd.DataFrame(rows))


def test_tumour_and_liver_features_are_separate_sets(tmp_path):
    _cohort(tmp_path)
    spec = ExtractionSpec.from_dict({"params": SHAPE_PARAMS})
    for label in (None, 1):
        run_extraction(cases_from_images(cohort_images("test", label=label), spec), spec, n_jobs=1)
    tumour = feature_matrix("test", spec)
    liver = feature_matrix("test", spec, label=1)
    assert tumour["portal.original_shape_VoxelVolume"].tolist() == [48.0] * 3
    assert liver["portal.original_shape_VoxelVolume"].tolist() == [2048.0 - 48.0] * 3
    assert liver["portal.original_firstorder_Mean"].tolist() == [60.0, 61.0, 62.0]
    assert feature_matrix("test", ExtractionSettings(label=1, params_yaml=None), label=1).empty  # other settings
    sets = cohort_feature_sets("test")
    assert [(s.label, s.n_done, s.n_failed) for s in sets] == [(None, 3, 0), (1, 3, 0)]
    assert sets[1].spec == spec and sets[1].title.endswith("label 1 (3 done, 0 failed)")
    outcome = case_outcome("test", "P1", "portal", "1", spec.settings_hash, label=1)
    assert outcome.status == "done" and outcome.features.set_index("feature")["value"].to_dict() == {
        "original_firstorder_Mean": 61.0, "original_shape_VoxelVolume": 2000.0}
    assert case_outcome("test", "P1", "portal", "1", spec.settings_hash, label=3).status == "pending"


def test_a_label_absent_from_the_masks_fails_each_case_with_the_labels_found(tmp_path):
    _cohort(tmp_path, n=1)
    spec = ExtractionSpec.from_dict({"params": SHAPE_PARAMS})
    run_extraction(cases_from_images(cohort_images("test", label=5), spec), spec, n_jobs=1)
    outcome = case_outcome("test", "P0", "portal", "1", spec.settings_hash, label=5)
    assert outcome.status == "failed" and "has no voxel with label 5: its labels are 1 (2000 voxels), 2 (48 voxels)" \
        in outcome.error


def test_the_job_extracts_the_chosen_label(tmp_path):
    _cohort(tmp_path, n=2)
    spec = ExtractionSpec.from_dict({"params": SHAPE_PARAMS})
    job_id = start_extraction("test", spec, n_jobs=1, label=1)
    deadline = time.monotonic() + 120
    while jobs.job_status(job_id).active and time.monotonic() < deadline:
        time.sleep(0.2)
    done = jobs.job_status(job_id)
    assert done.status == "done" and done.spec["label"] == 1, done.log_path.read_text()
    assert feature_matrix("test", spec, label=1)["portal.original_shape_VoxelVolume"].tolist() == [2000.0] * 2
    assert feature_matrix("test", spec).empty


def test_choices_put_the_current_settings_first_and_each_set_once():
    spec = ExtractionSpec.from_dict({"params": SHAPE_PARAMS})
    stored = [FeatureSet(spec.settings_hash, 1, 5, 0, spec)]
    choices = feature_set_choices(stored, spec, 1)
    assert choices[0] is stored[0] and len(choices) == 2 and choices[1].label is None
    assert feature_set_choices([], None)[0].title.startswith("default settings, label from import (0 done")


def test_model_building_offers_the_liver_set_and_jobs_reload_it(tmp_path):
    from hccdash.extraction.feature_sets import EXTRACTED, model_feature_choices
    from hccdash.settings import Settings

    _cohort(tmp_path, n=2)
    spec = ExtractionSpec.from_dict({"params": SHAPE_PARAMS})
    assert [c.title for c in model_feature_choices("test", spec.settings_hash)] == [EXTRACTED]
    for label in (None, 1):
        run_extraction(cases_from_images(cohort_images("test", label=label), spec), spec, n_jobs=1)
    choices = model_feature_choices("test", spec.settings_hash)
    assert [(c.title, c.source, c.label) for c in choices] == [
        (EXTRACTED, None, None), ("extracted features (default settings, label 1)", None, 1)]
    settings = choices[1].applied_to(Settings())
    assert settings.extraction.label == 1 and settings.selection == Settings().selection
    # a background job rebuilds its inputs from the settings: their label picks the liver set
    assert feature_matrix("test", spec, label=settings.extraction.label)[
        "portal.original_shape_VoxelVolume"].tolist() == [2000.0] * 2
    assert label_of(settings.extraction) == 1 and label_of(Settings().extraction) is None
