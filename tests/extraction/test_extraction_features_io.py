"""Import of external feature tables and export of matrices; feature matrices from the store."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from hccdash.extraction import features_io
from hccdash.extraction.engine import cases_from_images, run_extraction
from hccdash.extraction.matrices import feature_long, feature_matrix, repeat_pairs
from hccdash.store import Store

from extraction_helpers import store_images, write_variants


def _pyradiomics_batch_csv() -> str:
    return (
        "Image,Mask,ID,diagnostics_Versions_PyRadiomics,original_firstorder_Mean,wavelet-LLH_glcm_Contrast,"
        "log-sigma-1-0-mm-3D_gldm_DependenceEntropy\n"
        "a.nrrd,a_mask.nrrd,P1,v3.1.4,10.5,0.25,3.0\n"
        "b.nrrd,b_mask.nrrd,P2,v3.1.4,11.5,0.5,4.0\n"
    )


def test_pyradiomics_batch_output_is_read_without_diagnostics():
    long = features_io.read_feature_table(io.StringIO(_pyradiomics_batch_csv()), phase="portal")
    assert set(long["feature"]) == {
        "original_firstorder_Mean", "wavelet-LLH_glcm_Contrast", "log-sigma-1-0-mm-3D_gldm_DependenceEntropy"
    }
    assert set(long["patient_id"]) == {"P1", "P2"} and set(long["phase"]) == {"portal"}
    row = long[(long["patient_id"] == "P2") & (long["feature"] == "wavelet-LLH_glcm_Contrast")]
    assert row["value"].item() == 0.5 and row["reader"].item() == "1"


def test_slicer_tables_both_layouts():
    per_segment = (
        "Image type,Feature Class,Feature Name,HCC007,HCC008\n"
        "original,firstorder,Mean,12.5,13.0\n"
        "original,shape,VoxelVolume,1000,2000\n"
        "diagnostics,Versions,PyRadiomics,v3,v3\n"
    )
    long = features_io.read_feature_table(io.StringIO(per_segment), phase="arterial")
    assert features_io.detect_kind(pd.read_csv(io.StringIO(per_segment))) == "slicer"
    assert sorted(long["feature"].unique()) == ["original_firstorder_Mean", "original_shape_VoxelVolume"]
    assert long.set_index(["patient_id", "feature"]).at[("HCC008", "original_shape_VoxelVolume"), "value"] == 2000

    old_layout = "Label,Image type,Feature Class,Feature Name,Value\nHCC001,original,glcm,Contrast,4.5\n"
    long = features_io.read_feature_table(io.StringIO(old_layout), phase="portal")
    assert long.iloc[0][["patient_id", "feature", "value"]].tolist() == ["HCC001", "original_glcm_Contrast", 4.5]

    single = "Image type\tFeature Class\tFeature Name\tSegment_1\noriginal\tfirstorder\tMean\t7\n"
    long = features_io.read_feature_table(io.StringIO(single), phase="portal", patient_id="HCC042")
    assert long["patient_id"].tolist() == ["HCC042"]


def test_wide_table_roundtrip_of_an_exported_matrix(tmp_path):
    matrix = pd.DataFrame(
        {"portal.original_firstorder_Mean": [1.0, 2.0], "arterial.original_firstorder_Mean": [3.0, np.nan]},
        index=pd.Index(["A", "B"], name="patient_id"),
    )
    path = tmp_path / "m.csv"
    path.write_bytes(features_io.to_csv_bytes(matrix))
    long = features_io.read_feature_table(path)
    assert set(long["phase"]) == {"portal", "arterial"}
    features_io.store_imported(long, "c", "mine")
    assert features_io.imported_sources("c") == ["mine"]
    back = feature_matrix("c", source="mine")
    pd.testing.assert_frame_equal(back, matrix.sort_index(axis=1), check_dtype=False)
    parquet = tmp_path / "m.parquet"
    parquet.write_bytes(features_io.to_parquet_bytes(matrix))
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), matrix)
    features_io.store_imported(long[long["phase"] == "portal"], "c", "mine")  # re-import replaces
    assert feature_matrix("c", source="mine").columns.tolist() == ["portal.original_firstorder_Mean"]


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("name,age\nA,3\n", {"phase": "p"}, r"no patient id column found"),
        ("patient_id,x\nA,abc\n", {"phase": "p"}, r"no numeric feature columns"),
        ("patient_id,original_firstorder_Mean\nA,1\n", {}, r"no phase column and no 'phase.' prefixes"),
        ("patient_id,original_firstorder_Mean\nA,1\nA,2\n", {"phase": "p"}, r"patient 'A' phase 'p' has feature"),
        ("ID,y\nA,1\n", {"phase": "p", "id_column": "PID"}, r"has no id column 'PID'"),
    ],
)
def test_bad_tables_name_the_problem(text, kwargs, message):
    with pytest.raises(ValueError, match=message):
        features_io.read_feature_table(io.StringIO(text), name="t.csv", **kwargs)


def test_feature_matrix_and_repeat_pairs_from_the_store(pyrad_data, tmp_path, tiny_spec):
    frame = write_variants(pyrad_data, tmp_path / "img", 3)
    second = frame.iloc[:2].assign(reader="2")
    arterial = frame.iloc[:1].assign(phase="arterial")
    rows = pd.concat([frame, second, arterial], ignore_index=True)
    store_images(rows, cohort="c")
    images = Store().query("SELECT *, image_path AS image, mask_path AS mask FROM images WHERE cohort = 'c'")
    run_extraction(cases_from_images(images, tiny_spec), tiny_spec, n_jobs=1)

    matrix = feature_matrix("c", tiny_spec)
    assert matrix.index.tolist() == ["P000", "P001", "P002"]
    assert all(c.split(".", 1)[0] in ("portal", "arterial") for c in matrix.columns)
    assert matrix["portal.original_firstorder_Mean"].is_monotonic_increasing  # images shifted by +7 each
    assert matrix["arterial.original_firstorder_Mean"].isna().tolist() == [False, True, True]
    assert not any("diagnostics" in c for c in matrix.columns)
    only_portal = feature_matrix("c", tiny_spec, phases=["portal"])
    assert all(c.startswith("portal.") for c in only_portal.columns)

    first, repeat = repeat_pairs("c", tiny_spec)
    assert first.index.tolist() == repeat.index.tolist() == ["P000", "P001"]
    assert first.columns.tolist() == repeat.columns.tolist()
    pd.testing.assert_frame_equal(first, repeat)  # same files for both readers here
    assert feature_long("c", tiny_spec, reader="2")["reader"].unique().tolist() == ["2"]
    assert feature_matrix("c", tiny_spec.settings_hash).equals(matrix)
    assert feature_matrix("c").empty  # nothing extracted with the default settings


def test_case_table_has_one_row_per_extracted_case_and_keeps_all_nan_features():
    cases = [("P1", "portal", "1"), ("P1", "portal", "2"), ("P2", "portal", "1"), ("P2", "arterial", "1")]
    long = pd.DataFrame(
        [(p, ph, r, f, v) for i, (p, ph, r) in enumerate(cases) for f, v in (("a", float(i)), ("b", np.nan))],
        columns=features_io.LONG_COLUMNS,
    )
    table = features_io.case_table(long)
    assert len(table) == 4  # not the 2 x 2 x 2 = 8 patient x phase x reader combinations
    assert sorted(map(tuple, table[["patient_id", "phase", "reader"]].values)) == sorted(cases)
    assert list(table.columns) == ["patient_id", "phase", "reader", "a", "b"] and table["b"].isna().all()
    row = table[(table["patient_id"] == "P2") & (table["phase"] == "arterial")]
    assert row["a"].item() == 3.0
