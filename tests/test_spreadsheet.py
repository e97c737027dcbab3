"""CSV leaving hccdash: the index is written too and neutralised like any cell."""

from __future__ import annotations

import io

import pandas as pd

from hccdash.extraction.features_io import to_csv_bytes, write_table
from hccdash.spreadsheet import csv_text


def _matrix() -> pd.DataFrame:
    index = pd.Index(["P1", "=cmd|' /C calc'!A0"], name="patient_id")
    return pd.DataFrame({"portal.original_firstorder_Mean": [1.5, -2.0]}, index=index)


def test_index_is_a_neutralised_column():
    back = pd.read_csv(io.StringIO(csv_text(_matrix(), index=True)))
    assert back.columns.tolist() == ["patient_id", "portal.original_firstorder_Mean"]
    assert back["patient_id"].tolist() == ["P1", "'=cmd|' /C calc'!A0"]
    assert back["portal.original_firstorder_Mean"].tolist() == [1.5, -2.0]


def test_feature_exports_go_through_csv_text(tmp_path):
    expected = csv_text(_matrix(), index=True)
    assert to_csv_bytes(_matrix()).decode() == expected
    written = write_table(_matrix(), tmp_path / "features.csv", index=True)
    assert written.read_bytes().decode() == expected
