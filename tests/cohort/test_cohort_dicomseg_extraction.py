"""A DICOM series with a DICOM-SEG mask (the format TCIA ships) goes through extraction."""

import numpy as np
import pytest
import SimpleITK as sitk
from cohort_data import write_ct_series, write_seg
from radiomics.featureextractor import RadiomicsFeatureExtractor

from hccdash.extraction.case import compute_features
from hccdash.extraction.params import ExtractionSpec

PARAMS = {"imageType": {"Original": {}}, "featureClass": {"firstorder": [], "shape": []},
          "setting": {"binWidth": 25}}


def test_seg_segment_is_extracted_on_the_series_grid(tmp_path):
    rng = np.random.default_rng(3)
    array = rng.integers(-100, 200, (8, 16, 16)).astype(np.int16)
    datasets = write_ct_series(tmp_path / "series", array)
    masks = np.zeros(array.shape + (2,), np.uint8)
    masks[1:7, 2:14, 2:14, 0] = 1  # "liver"
    masks[2:6, 5:10, 4:11, 1] = 1  # "tumour" inside it: the segments overlap
    write_seg(tmp_path / "seg.dcm", datasets, masks)

    spec = ExtractionSpec.from_dict({"params": PARAMS})
    features = compute_features(tmp_path / "series", tmp_path / "seg.dcm", 2, spec)

    image = sitk.ReadImage([str(p) for p in sorted((tmp_path / "series").glob("*.dcm"))])
    tumour = sitk.GetImageFromArray(masks[..., 1].astype(np.uint8))
    tumour.CopyInformation(image)
    expected = RadiomicsFeatureExtractor(PARAMS).execute(image, tumour, label=1)
    assert features["original_shape_VoxelVolume"] == float(expected["original_shape_VoxelVolume"])
    assert features["original_shape_VoxelVolume"] == pytest.approx(np.count_nonzero(masks[..., 1]) * 0.7 * 0.7 * 5.0)
    assert features["original_firstorder_Mean"] == float(expected["original_firstorder_Mean"])
